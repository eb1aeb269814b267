package referral

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// What free text may hold. The choices, field by field:
//
//   - Format characters (Unicode category Cf: zero-width space, the
//     direction marks and overrides, soft hyphen, byte-order mark, word
//     joiner...) show nothing and are usually pasted in by accident, or put
//     in to make a value look like another ("Trojan Source"). Normalise
//     removes them from every text field, except the zero-width joiner and
//     non-joiner, which some scripts (Persian, the Indic scripts) need to
//     spell a word. A value of format characters and nothing else is kept
//     as it is, for Validate to refuse with a message: taken for an empty
//     answer, it would quietly change what was sent (a first name of
//     U+200B would make a person with two names one with one name).
//   - Control characters (category Cc: NUL, escape, DEL, the C1 controls)
//     are refused in every field, with a message, rather than removed: they
//     are a sign that the value is not what the person meant to send.
//   - Line breaks are kept in the fields that are several lines on the form
//     (multiline below); every line break (CR LF, CR, the Unicode line and
//     paragraph separators) becomes LF. Anywhere else a line break is
//     refused. A tab becomes a space.
//   - Text is stored composed (NFC), so that the same letters are the same
//     bytes whichever keyboard typed them.
//   - Bytes that are not UTF-8 (a form can carry them; JSON decoding already
//     replaces them) become U+FFFD in every field, email addresses too, as
//     encoding/json does: the same value whichever route sent it, and the
//     value checked and compared (duplicates, fingerprints) is the value
//     stored (the SDK's JSON encoder would replace them on the way).
//   - Where a name is meant (people, forces, agencies, the IDVA), the text
//     must have a letter (see hasNameLetter); other free text must have a
//     letter or a digit. "-", "." and "n/a"-like punctuation alone are
//     refused with a message, not stored.

// multiline names the fields (the last part of the JSON path) that are
// several lines on the form and keep their line breaks.
var multiline = map[string]bool{"reason": true, "lawfulBasis": true, "contactMethod": true, "note": true}

// CleanText returns free text as Drive stores it: valid UTF-8 (bytes that
// are not become U+FFFD), composed (NFC), without format characters (but
// for the zero-width joiner and non-joiner), with line breaks as LF, tabs
// as spaces, and trimmed of white space. Text that shows nothing but
// format characters keeps them, and control characters are kept:
// TextProblem refuses both. Normalise gives it to every text field of a
// referral; the other routes give it to their free text (case notes and
// reasons, staff and area names).
func CleanText(s string) string {
	if s == "" {
		return s
	}
	s = lineBreaks.Replace(strings.ToValidUTF8(s, "\uFFFD"))
	visible := strings.Map(func(c rune) rune {
		if unicode.Is(unicode.Cf, c) && c != '\u200c' && c != '\u200d' {
			return -1
		}
		return c
	}, s)
	if strings.TrimSpace(visible) != "" {
		s = visible
	}
	return strings.TrimSpace(norm.NFC.String(s))
}

// lineBreaks turns every line break into LF, and a tab into a space.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n", "\t", " ")

// showsNothing reports whether text has no character that can be seen:
// only white space, format and control characters.
func showsNothing(s string) bool {
	return !strings.ContainsFunc(s, func(c rune) bool { return unicode.IsGraphic(c) && !unicode.IsSpace(c) })
}

// cleanStrings cleans every string reachable from v with CleanText: the
// contract has many text fields, and a field missed by hand would be
// stored, shown and compared wrongly. An email address is not free text:
// it is only trimmed, so that an invisible character in it is refused by
// Validate (mailaddr) as the admin API refuses it, never silently dropped
// on one hop and refused on another.
func cleanStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(CleanText(v.String()))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.String && emailFields[jsonName(v.Type().Field(i))] {
				f.SetString(strings.TrimSpace(strings.ToValidUTF8(f.String(), "\uFFFD")))
				continue
			}
			cleanStrings(v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			cleanStrings(v.Index(i))
		}
	}
}

// emailFields names the fields (by JSON name) that hold an email address.
var emailFields = map[string]bool{"email": true, "idvaEmail": true}

// jsonName is a struct field's name in the JSON contract.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// TextProblem says what is wrong with free text already cleaned
// (CleanText), or "" when nothing is: a character that could not be read
// (U+FFFD), a control character, a line break outside a several-line field
// (reason, note, lawfulBasis, contactMethod, named by the last part of
// field), more than max characters, or no letter (name true) or letter or
// digit (name false). what names the field in a message ("the note"). The
// rules are this file's, for every route.
func TextProblem(field, what, value string, max int, name bool) string {
	last := field[strings.LastIndexAny(field, ".]")+1:]
	for _, c := range value {
		switch {
		case c == '\n' && multiline[last]:
		case c == '\n':
			return capitalise(what) + " must be on one line"
		case c == utf8.RuneError:
			// Bytes that are not UTF-8, or a lone surrogate escape
			// (\ud800), which decoding turned into U+FFFD: what was
			// meant is lost, so it is refused, not stored as "�".
			return capitalise(what) + " has characters that could not be read. Type it again rather than pasting it"
		case unicode.IsControl(c):
			return capitalise(what) + " must not include hidden control characters. Type it again rather than pasting it"
		}
	}
	switch {
	case showsNothing(value):
		return capitalise(what) + " has only hidden characters. Delete it and type it again"
	case utf8.RuneCountInString(value) > max:
		return fmt.Sprintf("Enter %s in %d characters or fewer", what, max)
	case name && !hasNameLetter(value):
		return capitalise(what) + " must include a letter"
	case !name && !strings.ContainsFunc(value, func(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }):
		return capitalise(what) + " must include a letter or a number"
	}
	return ""
}

// checkText checks a required name, such as the referrer's name or force.
func checkText(add func(string, string), field, what, value string) {
	if value == "" {
		add(field, "Enter "+what)
		return
	}
	checkName(add, field, what, value)
}

// checkName checks an optional name: an alias, the IDVA's, an agency's.
func checkName(add func(string, string), field, what, value string) {
	if value == "" {
		return
	}
	if p := TextProblem(field, what, value, maxName, true); p != "" {
		add(field, p)
	}
}

// checkOptional checks optional free text of at most max characters.
func checkOptional(add func(string, string), field, what, value string, max int) {
	if value == "" {
		return
	}
	if p := TextProblem(field, what, value, max, false); p != "" {
		add(field, p)
	}
}

// checkPersonName checks a person's first and last names, of which one is
// required: a person with one name gives it in either and leaves the other
// empty. prefix is the JSON path of the person ("perpetrator."), whose the
// possessive ("the perpetrator's").
func checkPersonName(add func(string, string), prefix, whose, first, last string) {
	if first == "" && last == "" {
		add(prefix+"firstName", "Enter "+whose+" first name, or their only name if they have one name")
		return
	}
	for _, n := range []struct{ field, what, value string }{{"firstName", whose + " first name", first}, {"lastName", whose + " last name", last}} {
		if n.value == "" {
			continue
		}
		p := TextProblem(prefix+n.field, n.what, n.value, maxName, true)
		if p == capitalise(n.what)+" must include a letter" {
			p += ". If they have only one name, leave this empty and enter it as the other name"
		}
		if p != "" {
			add(prefix+n.field, p)
		}
	}
}
