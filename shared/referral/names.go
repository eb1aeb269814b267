package referral

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/unicode/norm"
)

// People with one name (mononyms) are referred with that name in either
// firstName or lastName and the other left empty: the contract keeps both
// fields, and only one of them is required. Passport forms ask for a single
// name as the surname, many people type it as the first name; both mean the
// same person, and the duplicate check treats them alike.

// ErrNoPerpetratorKey is returned by PerpetratorKey when the referral does
// not say who the perpetrator is (no name with a letter, or no date of
// birth). Validate refuses such a referral, so a store that meets it has a
// bug, and must fail rather than skip the duplicate check.
var ErrNoPerpetratorKey = errors.New("no name or date of birth to recognise the perpetrator by")

// foldName returns the letters of a name as they are compared: compatibility
// decomposed (NFKD), so that "é" typed as one character or as "e" and an
// accent is the same; accents and other combining marks removed, so that
// "José" matches "Jose"; case folded, so that "STRASSE" matches "straße";
// and with every character that is not a base letter (spaces, apostrophes
// and hyphens of every kind, modifier letters such as ʼ, digits, format
// characters) removed, so that "O’Brien", "O'Brien" and "OBRIEN" match, and
// "Smith‐Jones" matches "Smith-Jones". It is empty when the name has no
// letter. The tables are Unicode's (golang.org/x/text), not ours.
func foldName(s string) string {
	s = removeMarks.String(norm.NFKD.String(s))
	// Folding can give new marks to remove: "İ" folds to "i" and a dot.
	s = cases.Fold().String(s)
	return latinLetters.Replace(norm.NFC.String(keepBaseLetters.String(norm.NFKD.String(s))))
}

// latinLetters folds the case-folded Latin letters that a collation at
// its first level (Unicode's, CLDR root) takes for plain letters but
// Unicode gives no decomposition: "Łukasz" is "Lukasz", "Søren" "Soren",
// "Æthelred" "Aethelred", "Đorđe" "Dorde". These are the only letters
// the steps above cannot fold. The table is checked against
// golang.org/x/text/collate in TestLatinLettersFoldAsCollationDoes, which
// goes through every Latin letter, so that it is neither short nor wrong;
// the collation tables are not linked into the functions for it.
var latinLetters = strings.NewReplacer(
	"æ", "ae", "ð", "d", "ø", "o", "đ", "d", "ħ", "h", "ł", "l", "œ", "oe",
	// Beyond the collation: the Turkish dotless ı, which the root collation
	// keeps as a letter of its own, is i, as "Yılmaz" is written "Yilmaz"
	// on a UK keyboard and in most UK records.
	"ı", "i",
	// Phonetic letters, for completeness: the test goes through them too.
	"ƍ", "zw", "ƾ", "ts", "ȸ", "db", "ȹ", "qp", "ʣ", "dz", "ʦ", "ts", "ʪ", "ls", "ʫ", "lz",
)

// The steps of foldName that hold no state, and so are shared. (A
// transform.Chain of them would be one step, but allocates a buffer per
// link on every call; a cases.Caser holds state, so is made per call.)
var (
	removeMarks     = runes.Remove(runes.In(unicode.Mn))
	keepBaseLetters = runes.Remove(runes.Predicate(func(c rune) bool { return !isBaseLetter(c) }))
)

// isBaseLetter reports whether a rune is a letter a name is compared by:
// every letter but the modifier letters (Lm), which include the
// apostrophe-like ʼ and ʻ.
func isBaseLetter(c rune) bool { return unicode.IsLetter(c) && !unicode.Is(unicode.Lm, c) }

// hasNameLetter reports whether a name has a letter that the duplicate
// check can compare it by (see foldName): "-", "." and invisible
// characters do not.
func hasNameLetter(s string) bool { return foldName(s) != "" }

// PerpetratorKey identifies the perpetrator across referrals: the folded
// names (see foldName) and the date of birth, "first|last|YYYY-MM-DD". A
// person with one name has the key "name||YYYY-MM-DD" whichever field the
// name was given in. It returns an error wrapping ErrNoPerpetratorKey when
// neither name has a letter or there is no date of birth.
func (r Referral) PerpetratorKey() (string, error) {
	p := r.Perpetrator
	first, last := foldName(p.FirstName), foldName(p.LastName)
	if first == "" {
		first, last = last, ""
	}
	if first == "" || p.DateOfBirth == "" {
		return "", fmt.Errorf("perpetrator key: %w", ErrNoPerpetratorKey)
	}
	return first + "|" + last + "|" + p.DateOfBirth, nil
}

// NameMatches reports whether the perpetrator's name, or one of their
// aliases, holds the name typed in a search, compared as the duplicate
// check compares names (folded: accents, case, spaces, hyphens and
// apostrophes do not count), so that "obrien" finds "Seán O’Brien". The
// first and last names are tried in either order. A query with no letter
// matches nothing.
func (p Perpetrator) NameMatches(query string) bool {
	q := foldName(query)
	if q == "" {
		return false
	}
	names := append([]string{p.FirstName + p.LastName, p.LastName + p.FirstName}, p.Aliases...)
	for _, n := range names {
		if strings.Contains(foldName(n), q) {
			return true
		}
	}
	return false
}
