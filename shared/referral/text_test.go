package referral_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/referral"
)

// textField is one string of a referral, by its JSON path.
type textField struct {
	path string
	v    reflect.Value
}

// textFields returns every string field of r, list items included, by
// JSON path ("victims[0].firstName"), so that a new field is tested too.
func textFields(v reflect.Value, path string) []textField {
	switch v.Kind() {
	case reflect.Pointer:
		return textFields(v.Elem(), path)
	case reflect.String:
		return []textField{{path, v}}
	case reflect.Struct:
		var out []textField
		for i := range v.NumField() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			at := name
			if path != "" {
				at = path + "." + name
			}
			out = append(out, textFields(v.Field(i), at)...)
		}
		return out
	case reflect.Slice:
		var out []textField
		for i := range v.Len() {
			out = append(out, textFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	return nil
}

func errorOn(errs referral.FieldErrors, field string) bool {
	return slices.ContainsFunc(errs, func(e referral.FieldError) bool { return e.Field == field })
}

// Text that shows nothing, or has no letter or digit, is never accepted:
// every field either refuses it with a message, or (an optional field)
// stores nothing.
func TestTextThatShowsNothingIsRefused(t *testing.T) {
	values := map[string]string{
		"NUL": "\u0000", "zero-width space": "\u200b", "direction marks": "\u202e\u202d", "byte-order mark": "\ufeff",
		"escape": "\u001b[2J", "DEL": "\u007f", "C1 control": "\u0085", "hyphen": "-", "full stop": ".", "combining accent alone": "\u0301",
		"NUL between letters": "Jo\u0000hn", "escape after letters": "John\u001b",
	}
	n := len(textFields(reflect.ValueOf(new(referral.Referral)).Elem(), ""))
	if n == 0 {
		t.Fatal("found no text fields")
	}
	for what, value := range values {
		r := example(t)
		for _, f := range textFields(reflect.ValueOf(&r).Elem(), "") {
			t.Run(what+" in "+f.path, func(t *testing.T) {
				r := example(t)
				fields := textFields(reflect.ValueOf(&r).Elem(), "")
				i := slices.IndexFunc(fields, func(g textField) bool { return g.path == f.path })
				fields[i].v.SetString(value)
				r.Normalise()
				errs := r.Validate(today)
				stored := textFields(reflect.ValueOf(&r).Elem(), "")
				var got string
				if j := slices.IndexFunc(stored, func(g textField) bool { return g.path == f.path }); j >= 0 {
					got = stored[j].v.String()
				}
				shrunk := len(stored) < len(fields) // an empty list item is removed
				if !errorOn(errs, f.path) && got != "" && !shrunk {
					t.Errorf("got %q stored without an error on %s (errors %v), want it refused or stored empty", got, f.path, errs)
				}
				for _, e := range errs {
					if e.Field == f.path && e.Message == "" {
						t.Errorf("got an empty message on %s", f.path)
					}
				}
			})
		}
	}
}

// The required text fields the issue named: each of these gets a message.
func TestRequiredTextThatShowsNothing(t *testing.T) {
	fields := map[string]func(*referral.Referral, string){
		"perpetrator.firstName": func(r *referral.Referral, s string) { r.Perpetrator.FirstName, r.Perpetrator.LastName = s, "" },
		// Both names showing nothing: the first is asked for (or the last,
		// when it holds "-" or ".").
		"perpetrator.":             func(r *referral.Referral, s string) { r.Perpetrator.FirstName, r.Perpetrator.LastName = s, s },
		"victims[0].":              func(r *referral.Referral, s string) { r.Victims[0].FirstName, r.Victims[0].LastName = s, s },
		"referrer.name":            func(r *referral.Referral, s string) { r.Referrer.Name = s },
		"referrer.force":           func(r *referral.Referral, s string) { r.Referrer.Force = s },
		"victims[0].contactMethod": func(r *referral.Referral, s string) { r.Victims[0].ContactMethod = s },
	}
	for field, set := range fields {
		for _, value := range []string{"\u0000", "\u200b", "\u202e\u202d", "-", "."} {
			r := example(t)
			set(&r, value)
			r.Normalise()
			errs := r.Validate(today)
			if !slices.ContainsFunc(errs, func(e referral.FieldError) bool {
				return e.Field == field || (strings.HasSuffix(field, ".") && (e.Field == field+"firstName" || e.Field == field+"lastName"))
			}) {
				t.Errorf("%s = %q: got errors %v, want one on %s", field, value, errs, field)
			}
		}
	}
}

func TestTextIsStoredCleanly(t *testing.T) {
	r := example(t)
	r.Perpetrator.FirstName = "Jose\u200b\u0301"                 // NFD, with a zero-width space before the accent
	r.Perpetrator.LastName = "\u202eDoe\u200b"                   // direction mark, zero-width space
	r.Reason = "First line\r\nSecond\tline\u2028Third line"      // line breaks of every kind, a tab
	r.Victims[0].FirstName = "\u0645\u06cc\u200c\u0646\u0627"    // Persian with a zero-width non-joiner
	r.Victims[0].ContactMethod = "Mobile,\ntexts only after 6pm" // several lines
	r.Normalise()
	if errs := r.Validate(today); errs != nil {
		t.Fatalf("got %v, want no errors", errs)
	}
	for _, c := range []struct{ what, got, want string }{
		{"NFD name", r.Perpetrator.FirstName, "Jos\u00e9"},
		{"name with format characters", r.Perpetrator.LastName, "Doe"},
		{"multi-line reason", r.Reason, "First line\nSecond line\nThird line"},
		{"zero-width non-joiner kept", r.Victims[0].FirstName, "\u0645\u06cc\u200c\u0646\u0627"},
		{"contact method", r.Victims[0].ContactMethod, "Mobile,\ntexts only after 6pm"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
}

func TestTextMessages(t *testing.T) {
	tests := []struct {
		name   string
		change func(*referral.Referral)
		field  string
		words  string
	}{
		{"a name of a hyphen", func(r *referral.Referral) { r.Perpetrator.LastName = "-" }, "perpetrator.lastName",
			"The perpetrator's last name must include a letter. If they have only one name, leave this empty and enter it as the other name"},
		{"no names at all", func(r *referral.Referral) { r.Perpetrator.FirstName, r.Perpetrator.LastName = "", "" }, "perpetrator.firstName",
			"Enter the perpetrator's first name, or their only name if they have one name"},
		{"a first name of a zero-width space, with a last name", func(r *referral.Referral) { r.Perpetrator.FirstName = "\u200b" }, "perpetrator.firstName",
			"The perpetrator's first name has only hidden characters. Delete it and type it again"},
		{"the victim's names of direction marks", func(r *referral.Referral) { r.Victims[0].FirstName, r.Victims[0].LastName = "\u202e\u202d", "\u202e" }, "victims[0].firstName",
			"The victim-survivor's first name has only hidden characters. Delete it and type it again"},
		{"a control character", func(r *referral.Referral) { r.Referrer.Name = "Sam\u0000" }, "referrer.name",
			"Your name must not include hidden control characters. Type it again rather than pasting it"},
		{"bytes that are not UTF-8", func(r *referral.Referral) { r.Perpetrator.FirstName = "Jo\xff\xfehn" }, "perpetrator.firstName",
			"The perpetrator's first name has characters that could not be read. Type it again rather than pasting it"},
		{"a character decoding could not read (U+FFFD)", func(r *referral.Referral) { r.Reason = "Threats \ufffd escalating" }, "reason",
			"The reason for the referral has characters that could not be read. Type it again rather than pasting it"},
		{"a line break in a one-line field", func(r *referral.Referral) { r.Perpetrator.Town = "Colchester\nEssex" }, "perpetrator.town",
			"The town or city must be on one line"},
		{"punctuation alone", func(r *referral.Referral) { r.CrimeReference = "--" }, "crimeReference",
			"The crime or incident reference must include a letter or a number"},
		{"a long email local part", func(r *referral.Referral) { r.Referrer.Email = strings.Repeat("a", 200) + "@essex.police.uk" }, "referrer.email",
			"Enter your email address with 64 characters or fewer before the @"},
		{"too many children's ages", func(r *referral.Referral) { r.Children.Count, r.Children.Ages = nil, make([]int, 20_000) }, "children.ages",
			"Enter the ages of up to 20 children"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := example(t)
			tt.change(&r)
			r.Normalise()
			errs := r.Validate(today)
			if !slices.Contains(errs, referral.FieldError{Field: tt.field, Message: tt.words}) {
				t.Errorf("got %v, want %s: %q", errs, tt.field, tt.words)
			}
		})
	}
}

// One person with one name can be referred, as perpetrator or victim.
func TestMononyms(t *testing.T) {
	r := example(t)
	r.Perpetrator.FirstName, r.Perpetrator.LastName = "", "Suharto"
	r.Victims[0].FirstName, r.Victims[0].LastName = "Madonna", ""
	r.Normalise()
	if errs := r.Validate(today); errs != nil {
		t.Errorf("got %v, want no errors", errs)
	}
	if key, err := r.PerpetratorKey(); err != nil || key != "suharto||1984-03-02" {
		t.Errorf("got key %q, %v; want suharto||1984-03-02", key, err)
	}
}

// Every string and every list has a limit, so that no value is unbounded.
func TestEveryFieldHasALimit(t *testing.T) {
	r := example(t)
	for _, f := range textFields(reflect.ValueOf(&r).Elem(), "") {
		t.Run(f.path, func(t *testing.T) {
			r := example(t)
			fields := textFields(reflect.ValueOf(&r).Elem(), "")
			fields[slices.IndexFunc(fields, func(g textField) bool { return g.path == f.path })].v.SetString(strings.Repeat("a", 10_000))
			r.Normalise()
			if errs := r.Validate(today); !errorOn(errs, f.path) {
				t.Errorf("got %v, want an error on %s", errs, f.path)
			}
		})
	}
	lists := map[string]func(*referral.Referral){
		"riskCriteria": func(r *referral.Referral) { r.RiskCriteria = slices.Repeat(referral.RiskCriteria, 5_000) },
		"perpetrator.aliases": func(r *referral.Referral) {
			r.Perpetrator.Aliases = slices.Repeat([]string{"Johnny"}, 20_000)
		},
		"victims":       func(r *referral.Referral) { r.Victims = slices.Repeat(r.Victims, 1_000) },
		"children.ages": func(r *referral.Referral) { r.Children.Count, r.Children.Ages = nil, make([]int, 20_000) },
		"otherAgencies": func(r *referral.Referral) { r.OtherAgencies = slices.Repeat([]string{"Probation"}, 20_000) },
	}
	for field, change := range lists {
		r := example(t)
		change(&r)
		r.Normalise()
		errs := r.Validate(today)
		if !errorOn(errs, field) {
			t.Errorf("%s: got %d errors, want one on %s", field, len(errs), field)
		}
		if len(errs) > 20 {
			t.Errorf("%s: got %d errors, want the one about the list's length, not one per item", field, len(errs))
		}
	}
}

// TestTextIsMadeValidUTF8: bytes that are not UTF-8, which the form can
// carry, become U+FFFD in every field as JSON decoding makes them, so that
// what is stored is the same whichever route sent it, and normalising
// again changes nothing.
func TestTextIsMadeValidUTF8(t *testing.T) {
	r := example(t)
	r.Perpetrator.FirstName = "Jo\xffhn"
	r.Perpetrator.Postcode = "co1 1\x80a"
	r.Referrer.Email = "sam\xc3@essex.police.example"
	r.Victims[0].ContactMethod = "Mobile\xe2\x80"
	r.Normalise()
	for _, c := range []struct{ what, got, want string }{
		{"name", r.Perpetrator.FirstName, "Jo\uFFFDhn"},
		{"postcode", r.Perpetrator.Postcode, "CO1 1\uFFFDA"},
		{"email", r.Referrer.Email, "sam\uFFFD@essex.police.example"},
		{"contact method", r.Victims[0].ContactMethod, "Mobile\uFFFD"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
	again := r
	again.Normalise()
	if again.Perpetrator.Postcode != r.Perpetrator.Postcode || again.Perpetrator.FirstName != r.Perpetrator.FirstName {
		t.Errorf("normalising again: got %q %q, want %q %q", again.Perpetrator.Postcode, again.Perpetrator.FirstName,
			r.Perpetrator.Postcode, r.Perpetrator.FirstName)
	}
}
