// Package phone reads phone numbers as people type them and shows them as
// people read them, with Google's libphonenumber metadata (through
// github.com/nyaruka/phonenumbers). It has no AWS dependencies.
//
// The library and its metadata add 1.5 MB to a zipped function (make build), so
// only the functions that read typed numbers (intake) or show them (cases,
// the case page) import this package;
// the referral package takes its parser as an argument
// (referral.Referral.NormalisePhones) and never links it.
package phone

import (
	"errors"
	"slices"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// ErrNotPhone is returned for text that is not one complete phone number.
var ErrNotPhone = errors.New("not a phone number")

// ukCode is the country calling code of the UK, the Channel Islands and
// the Isle of Man.
const ukCode = 44

// extensionWords are the only letters a typed number may hold: the words
// that mark an extension (01632 960001 ext 123, x123) and a tel: prefix.
var extensionWords = []string{"ext", "extn", "extension", "x", "tel"}

// Parse reads a phone number as typed, UK numbers with or without their
// +44 or 0044 (and a "(0)" between), with spaces, brackets, dots and
// dashes anywhere, and any extension after "ext", "x" or "#". It returns
// the number as stored: E.164 (+441632960001), then ";ext=" and the
// extension if there is one (RFC 3966's form). It returns ErrNotPhone for
// anything else.
//
// A UK number needs only the right length for its range (the library's
// "possible"): Ofcom opens ranges before the library's metadata knows them,
// and the ranges Ofcom keeps for drama (01632 960xxx, 07700 900xxx) are
// unallocated, so not "valid". A number abroad must be valid, with + and
// its country code. Letters other than an extension's are refused: the
// library would read them as a keypad's (01632 96OOO1 as 01632 966661).
func Parse(typed string) (string, error) {
	for _, word := range strings.FieldsFunc(strings.ToLower(typed), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if !slices.Contains(extensionWords, word) {
			return "", ErrNotPhone
		}
	}
	n, err := phonenumbers.Parse(typed, "GB")
	if err != nil {
		return "", ErrNotPhone
	}
	ok := phonenumbers.IsValidNumber(n)
	if n.GetCountryCode() == ukCode {
		ok = ok || phonenumbers.IsPossibleNumberWithReason(n) == phonenumbers.IS_POSSIBLE
	}
	if !ok {
		return "", ErrNotPhone
	}
	stored := phonenumbers.Format(n, phonenumbers.E164)
	if ext := n.GetExtension(); ext != "" {
		stored += ";ext=" + ext
	}
	return stored, nil
}

// National shows a stored number as people in the UK read it: a UK number
// in its national format (01632 960001), a number abroad in international
// format (+353 87 123 4567), and any extension after " ext. ". Text that is
// not a number is returned as it is: a number stored before numbers were
// parsed shows as it was typed.
func National(stored string) string {
	n, err := phonenumbers.Parse(stored, "GB")
	if err != nil {
		return stored
	}
	ext := n.GetExtension()
	n.Extension = nil
	format := phonenumbers.INTERNATIONAL
	if n.GetCountryCode() == ukCode {
		format = phonenumbers.NATIONAL
	}
	shown := phonenumbers.Format(n, format)
	if ext != "" {
		shown += " ext. " + ext
	}
	return shown
}
