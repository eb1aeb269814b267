// Package privacytest finds personal data in what the tests capture (log
// lines, emails, answers and pages), the one way every privacy check of
// the tests does it. A check must fail only on real personal data and
// never by chance, so a needle is a whole, distinctive value (the full
// phone number, not "07700") in each form it could be printed in, and it
// is found only as a whole token: "07700" is not found in the request id
// "…407007700c9…", and "Ed" not in "4ed9". It is for tests; it has no
// AWS dependencies.
package privacytest

import (
	"encoding/json"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/driveprogramme/referrals/shared/referral"
)

// Detail is one personal detail: what it is, for the failure message, and
// the forms it could be printed in.
type Detail struct {
	What  string
	Forms []string
}

func (d Detail) String() string { return d.What }

// minLength is the shortest form looked for: a value of one or two
// characters cannot be told from other text, so a test must not rest on it.
const minLength = 3

// detail keeps the forms of value (besides value itself) that are long
// enough and different, each once.
func detail(what string, forms ...string) Detail {
	d := Detail{What: what}
	for _, f := range forms {
		f = strings.TrimSpace(f)
		if utf8.RuneCountInString(f) < minLength {
			continue
		}
		dup := false
		for _, g := range d.Forms {
			dup = dup || strings.EqualFold(f, g)
		}
		if !dup {
			d.Forms = append(d.Forms, f)
		}
	}
	return d
}

// escaped returns s as HTML and JSON print it, where that differs.
func escaped(s string) []string {
	b, _ := json.Marshal(s)
	return []string{html.EscapeString(s), strings.Trim(string(b), `"`)}
}

// Text is a detail printed as it is typed: a name, an address line, free
// text. It is also looked for HTML- and JSON-escaped ("O&#39;Brien").
func Text(what, value string) Detail {
	return detail(what, append([]string{value}, escaped(value)...)...)
}

// Phone is a UK phone number as typed, in digits only, in national form
// (07700 900417), E.164 (+447700900417) and international form
// (+44 7700 900417), with 0044 for +44 too.
func Phone(what, number string) Detail {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, number)
	national := digits
	switch {
	case strings.HasPrefix(digits, "0044"):
		national = "0" + digits[4:]
	case strings.HasPrefix(digits, "44") && strings.Contains(number, "+"):
		national = "0" + digits[2:]
	}
	forms := []string{number, digits, national}
	if len(national) == 11 && national[0] == '0' {
		sub := national[1:]
		split := 4 // 07700 900417, 01632 960001
		if strings.HasPrefix(national, "02") {
			split = 2 // 020 7946 0000
		}
		forms = append(forms,
			national[:split+1]+" "+national[split+1:],
			"+44"+sub, "0044"+sub, "44"+sub,
			"+44 "+sub[:split]+" "+sub[split:], "+44 (0)"+sub[:split]+" "+sub[split:])
		if split == 2 {
			forms = append(forms, national[:3]+" "+national[3:7]+" "+national[7:])
		}
	}
	return detail(what, forms...)
}

// Date is a date (YYYY-MM-DD) as typed, as a timestamp, and as pages and
// emails print dates: 2 March 1984, 2 Mar 1984, 02/03/1984.
func Date(what, iso string) Detail {
	d, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return Text(what, iso)
	}
	return detail(what, iso, iso+"T00:00:00Z", d.Format("2 January 2006"), d.Format("2 Jan 2006"), d.Format("02/01/2006"), d.Format("2/1/2006"))
}

// Postcode is a postcode with and without its space.
func Postcode(what, postcode string) Detail {
	joined := strings.ToUpper(strings.Join(strings.Fields(postcode), ""))
	spaced := joined
	if len(joined) >= 5 {
		spaced = joined[:len(joined)-3] + " " + joined[len(joined)-3:]
	}
	return detail(what, postcode, joined, spaced)
}

// PNC is a Police National Computer ID (YY/NNNNNNNC) in the forms people
// write it: with a 2- or 4-digit year, with or without the slash, with or
// without the serial number's leading zeros.
func PNC(what, id string) Detail {
	year, rest, ok := strings.Cut(strings.ToUpper(strings.TrimSpace(id)), "/")
	if !ok || len(rest) < 2 {
		return Text(what, id)
	}
	serial, check := strings.TrimLeft(rest[:len(rest)-1], "0"), rest[len(rest)-1:]
	years := []string{year}
	if y, err := strconv.Atoi(year); err == nil && len(year) == 2 {
		years = append(years, fmt.Sprint(1900+y), fmt.Sprint(2000+y))
	} else if len(year) == 4 {
		years = append(years, year[2:])
	}
	forms := []string{id}
	for _, y := range years {
		for _, s := range []string{serial, fmt.Sprintf("%07s", serial)} {
			forms = append(forms, y+"/"+s+check, y+s+check)
		}
	}
	return detail(what, forms...)
}

// Referral returns every personal detail of r: the perpetrator's and each
// victim's names, aliases, dates of birth, addresses, postcodes, phone and
// PNC ID, how to contact a victim, the IDVA's name, the crime reference and
// the free text (reason, lawful basis). Values shorter than three
// characters are left out: they cannot be told from other text.
func Referral(r referral.Referral) []Detail {
	var out []Detail
	add := func(d Detail) {
		if len(d.Forms) > 0 {
			out = append(out, d)
		}
	}
	p := r.Perpetrator
	add(Text("the perpetrator's first name", p.FirstName))
	add(Text("the perpetrator's last name", p.LastName))
	for _, a := range p.Aliases {
		add(Text("the perpetrator's alias", a))
	}
	add(Date("the perpetrator's date of birth", p.DateOfBirth))
	add(Text("the perpetrator's address", p.AddressLine1))
	add(Text("the perpetrator's address", p.AddressLine2))
	add(Text("the perpetrator's town", p.Town))
	add(Postcode("the perpetrator's postcode", p.Postcode))
	add(Phone("the perpetrator's phone", p.Phone))
	add(PNC("the perpetrator's PNC ID", p.PNCID))
	for i, v := range r.Victims {
		who := fmt.Sprintf("victim %d's ", i+1)
		add(Text(who+"first name", v.FirstName))
		add(Text(who+"last name", v.LastName))
		add(Date(who+"date of birth", v.DateOfBirth))
		add(Text(who+"address", v.AddressLine1))
		add(Text(who+"address", v.AddressLine2))
		add(Text(who+"town", v.Town))
		add(Postcode(who+"postcode", v.Postcode))
		add(Text(who+"contact method", v.ContactMethod))
		add(Text(who+"IDVA's name", v.IDVAName))
	}
	add(Text("the crime reference", r.CrimeReference))
	add(Text("the reason for the referral", r.Reason))
	add(Text("the lawful basis", r.LawfulBasis))
	return out
}

// Found is a detail found in a text: the form found and the text around it.
type Found struct {
	Detail Detail
	Form   string
	Around string
}

func (f Found) String() string {
	return fmt.Sprintf("%s %q in …%s…", f.Detail.What, f.Form, f.Around)
}

// Find returns each of the details that text holds, in any letter case,
// as a whole token: not as part of a longer word or number (where a form
// begins or ends with a letter or digit, the character beside it must not
// be one). Each detail is reported once.
func Find(text string, details ...Detail) []Found {
	lower := strings.ToLower(text)
	var out []Found
	for _, d := range details {
		for _, form := range d.Forms {
			if at := index(lower, strings.ToLower(form)); at >= 0 {
				from, to := max(at-40, 0), min(at+len(form)+40, len(lower))
				out = append(out, Found{Detail: d, Form: form, Around: lower[from:to]})
				break
			}
		}
	}
	return out
}

// index returns where needle first occurs in s as a whole token, or -1.
func index(s, needle string) int {
	if needle == "" {
		return -1
	}
	first, _ := utf8.DecodeRuneInString(needle)
	last, _ := utf8.DecodeLastRuneInString(needle)
	for off := 0; off <= len(s)-len(needle); {
		i := strings.Index(s[off:], needle)
		if i < 0 {
			return -1
		}
		at := off + i
		before, _ := utf8.DecodeLastRuneInString(s[:at])
		after, _ := utf8.DecodeRuneInString(s[at+len(needle):])
		if !(word(first) && at > 0 && word(before)) && !(word(last) && at+len(needle) < len(s) && word(after)) {
			return at
		}
		_, size := utf8.DecodeRuneInString(s[at:])
		off = at + size
	}
	return -1
}

// word reports whether r is part of a word or number.
func word(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
