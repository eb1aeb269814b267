package referral

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// A Police National Computer ID (PNC ID) is the year a person's PNC record
// was made, a serial number of up to seven digits and a check letter, for
// example 2004/0012345D. People write it in several ways: with a two-digit
// year (04/0012345D), without the leading zeros of the serial (04/12345D),
// without the slash (0412345D), in lower case, with spaces.
//
// We store, compare and show one canonical form: the four-digit year, a
// slash, the serial padded with zeros to seven digits and the check letter,
// YYYY/NNNNNNNC. It is the long form that the Ministry of Justice's person
// record service keeps as canonical, and it says the century, which the
// short form leaves to the reader.
//
// The check letter is the remainder of the nine-digit number YYNNNNNNN (the
// last two digits of the year, then the zero-padded serial) divided by 23,
// as a letter of the alphabet below, in which I, O and S are left out and Z
// stands for 0.
//
// Source of both: the MoJ's open-source person record service,
// https://github.com/ministryofjustice/hmpps-person-record, files
// src/main/kotlin/uk/gov/justice/digital/hmpps/personrecord/validate/
// PNCIdentifier.kt (the canonical long form) and PNCIdValidator.kt (the
// check letter). This code is our own, written from that description.
const pncCheckLetters = "ZABCDEFGHJKLMNPQRTUVWXY"

// The errors of ParsePNC, each wrapped with the value's problem in words.
var (
	// ErrPNCFormat: not a PNC ID in any of the forms people write.
	ErrPNCFormat = errors.New("not a PNC ID")
	// ErrPNCCheck: the check letter does not match the year and serial, so
	// a character was mistyped.
	ErrPNCCheck = errors.New("PNC ID check letter does not match")
	// ErrPNCAmbiguous: written without a slash, the digits read as two
	// different valid PNC IDs (a two- or a four-digit year).
	ErrPNCAmbiguous = errors.New("PNC ID is ambiguous without a slash")
)

// PNCCheckLetter returns the check letter of the PNC ID with that year
// (any number of digits: only the last two count) and serial number.
func PNCCheckLetter(year, serial int) byte {
	return pncCheckLetters[((year%100)*10_000_000+serial)%23]
}

// FormatPNC returns the canonical PNC ID, YYYY/NNNNNNNC, of a four-digit
// year and a serial number, with its check letter.
func FormatPNC(year, serial int) string {
	return fmt.Sprintf("%04d/%07d%c", year, serial, PNCCheckLetter(year, serial))
}

// ParsePNC reads a PNC ID written in any of the usual forms and returns its
// canonical form, YYYY/NNNNNNNC (see pncCheckLetters for the forms and the
// source of the check). A two-digit year is taken to be the year, in the
// hundred years from the person's year of birth bornYear, that ends in those
// digits: a PNC record is made for a living person, and the two digits can
// mean no other year of their life. When bornYear is 0 (not known) a
// two-digit year is resolved as if the person were born in 1900, which gets
// the check letter right but may get the century wrong.
//
// It returns an error wrapping ErrPNCFormat, ErrPNCCheck or ErrPNCAmbiguous.
// A year after the current one is not refused here; Referral.Validate does
// that, as it knows the date.
func ParsePNC(s string, bornYear int) (string, error) {
	s = strings.ToUpper(strings.Map(func(c rune) rune {
		if unicode.IsSpace(c) {
			return -1
		}
		return c
	}, s))
	if len(s) < 4 || !isDigits(s[:len(s)-1], "/") || s[len(s)-1] < 'A' || s[len(s)-1] > 'Z' {
		return "", fmt.Errorf("%w: %q", ErrPNCFormat, s)
	}
	check, digits := s[len(s)-1], s[:len(s)-1]

	// Where the year ends: at the slash, or (without one) after two or
	// four digits, whichever gives a valid PNC ID.
	var splits []int
	switch strings.Count(digits, "/") {
	case 0:
		splits = []int{2, 4}
	case 1:
		splits = []int{strings.IndexByte(digits, '/')}
		digits = strings.Replace(digits, "/", "", 1)
	default:
		return "", fmt.Errorf("%w: %q has more than one slash", ErrPNCFormat, s)
	}
	var found []string
	wellFormed := false
	for _, at := range splits {
		yearDigits, serialDigits := digits[:min(at, len(digits))], digits[min(at, len(digits)):]
		if (len(yearDigits) != 2 && len(yearDigits) != 4) || len(serialDigits) < 1 || len(serialDigits) > 7 {
			continue
		}
		year, _ := strconv.Atoi(yearDigits) // digits only, checked above
		serial, _ := strconv.Atoi(serialDigits)
		if len(yearDigits) == 4 && year < 1900 {
			continue
		}
		wellFormed = true
		if PNCCheckLetter(year, serial) != check {
			continue
		}
		if len(yearDigits) == 2 {
			year = centuryFor(year, bornYear)
		}
		if canon := FormatPNC(year, serial); len(found) == 0 || found[0] != canon {
			found = append(found, canon)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return "", fmt.Errorf("%w: %q reads as %s", ErrPNCAmbiguous, s, strings.Join(found, " or "))
	case wellFormed:
		return "", fmt.Errorf("%w: %q", ErrPNCCheck, s)
	default:
		return "", fmt.Errorf("%w: %q", ErrPNCFormat, s)
	}
}

// centuryFor returns the year in [bornYear, bornYear+99] that ends in the
// two digits yy (bornYear 0 counts as 1900).
func centuryFor(yy, bornYear int) int {
	if bornYear == 0 {
		bornYear = 1900
	}
	year := bornYear - bornYear%100 + yy
	if year < bornYear {
		year += 100
	}
	return year
}

// isDigits reports whether s is made of ASCII digits and the characters of
// also only.
func isDigits(s, also string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && !strings.ContainsRune(also, c) {
			return false
		}
	}
	return true
}

// normalisePNC returns the canonical form of a PNC ID typed by a person,
// resolving a two-digit year by the date of birth dob (see ParsePNC), or
// the value upper-cased when it is not a valid PNC ID, for Validate to
// refuse.
func normalisePNC(s, dob string) string {
	if s == "" {
		return s
	}
	if canon, err := ParsePNC(s, bornYear(dob)); err == nil {
		return canon
	}
	return strings.ToUpper(s)
}

// bornYear returns the year of a date of birth, or 0 when it is not a date.
func bornYear(dob string) int {
	d, err := ParseDate(dob)
	if err != nil {
		return 0
	}
	return d.Year()
}

// checkPNC checks a normalised PNC ID: a valid one, whose year is neither
// after today's nor before the year of birth.
func checkPNC(add func(string, string), field, value, dob string, today time.Time) {
	if value == "" {
		return
	}
	canon, err := ParsePNC(value, bornYear(dob))
	switch {
	case errors.Is(err, ErrPNCCheck):
		add(field, "The PNC ID's check letter does not match its numbers: check that it was copied correctly")
		return
	case errors.Is(err, ErrPNCAmbiguous):
		add(field, "Enter the PNC ID with a slash after the year, like 2004/0012345D")
		return
	case err != nil:
		add(field, "Enter the PNC ID in the format YYYY/NNNNNNNA or YY/NNNNNNA, like 2004/0012345D or 04/12345D")
		return
	}
	year, _ := strconv.Atoi(canon[:4])
	switch born := bornYear(dob); {
	case year > today.Year():
		add(field, fmt.Sprintf("The PNC ID's year, %d, is in the future: check the PNC ID and the date of birth", year))
	case born != 0 && year < born:
		add(field, fmt.Sprintf("The PNC ID's year, %d, is before the perpetrator was born: check the PNC ID and the date of birth", year))
	}
}
