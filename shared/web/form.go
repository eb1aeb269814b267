package web

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/driveprogramme/referrals/shared/referral"
)

// dateParts are the boxes of the named date that are wrong ("month"),
// as referral.DateFromParts says from what was typed; none when the boxes
// read as a date (an error is then about the date as a whole, such as one
// in the future) or the field is no date.
func (p Page) dateParts(name string) []string {
	_, err := referral.DateFromParts("", p.Value(name+"-day"), p.Value(name+"-month"), p.Value(name+"-year"))
	var de *referral.DateError
	if errors.As(err, &de) {
		return de.Parts
	}
	return nil
}

// ErrorLink is the id an error summary's link for the named field goes to:
// the field's own, or for a date with one box or more wrong, the first
// wrong box's (GOV.UK's date input: "link to the first field with an
// error"). The day box has the date's own id.
func (p Page) ErrorLink(name string) string {
	if parts := p.dateParts(name); len(parts) > 0 && parts[0] != "day" {
		return Anchor(name) + "-" + parts[0]
	}
	return Anchor(name)
}

// Field is one question of a form, as the components "text", "textarea",
// "date" and "choices" draw it.
type Field struct {
	P                         Page
	Name, ID, Label, Hint     string
	Value, Error              string
	Class, Type, Autocomplete string
	Numeric, Multiple, Inline bool
	Options                   []Option
}

// Wrong says whether a date's box (day, month or year) is to be shown in
// error: every box when the date as a whole is wrong, else only the
// boxes that are.
func (f Field) Wrong(part string) bool {
	if f.Error == "" {
		return false
	}
	parts := f.P.dateParts(f.Name)
	return len(parts) == 0 || slices.Contains(parts, part)
}

// Option is one radio or checkbox. Its ID is its own: a label's for
// names it, and a browser ticks the first element with that id, so two
// options sharing an id would tick the wrong box (issue 11).
type Option struct {
	Name, Value, Label, ID string
	Checked                bool
}

// optionID is the id of a question's i-th option: the first takes the
// question's own id, which the error summary links to (as GOV.UK does);
// the others add what tells them apart, the name of a checkbox with a
// name of its own or the value of a radio or of a checkbox that shares
// its name.
func optionID(f Field, i int, distinct string) string {
	if i == 0 {
		return f.ID
	}
	return f.ID + "-" + Anchor(distinct)
}

var notID = regexp.MustCompile(`[^A-Za-z0-9]+`)

// Anchor turns a field's name (victims[0].firstName) into an element id
// (victims-0-firstName) that a link can point at without escaping.
func Anchor(name string) string { return strings.Trim(notID.ReplaceAllString(name, "-"), "-") }

// In makes a text field of page d; opts are "key=value": class, type,
// autocomplete, numeric.
func In(d Paged, name, label, hint string, opts ...string) Field {
	p := d.Base()
	f := Field{P: p, Name: name, ID: Anchor(name), Label: label, Hint: hint, Value: p.Value(name), Error: p.ErrorFor(name)}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "class":
			f.Class = v
		case "type":
			f.Type = v
		case "autocomplete":
			f.Autocomplete = v
		case "numeric":
			f.Numeric = true
		}
	}
	return f
}

// Choice is radios: one name, pairs of value and label.
func Choice(d Paged, name, label, hint string, pairs []string) Field {
	f := In(d, name, label, hint)
	for i := 0; i+1 < len(pairs); i += 2 {
		f.Options = append(f.Options, Option{Name: name, Value: pairs[i], Label: pairs[i+1], Checked: f.Value == pairs[i], ID: optionID(f, i/2, pairs[i])})
	}
	return f
}

// YesNo is a yes-or-no question: two radios side by side.
func YesNo(d Paged, name, label, hint string) Field {
	f := Choice(d, name, label, hint, []string{"yes", "Yes", "no", "No"})
	f.Inline = true
	return f
}

// Multi is checkboxes sharing one name.
func Multi(d Paged, name, label, hint string, pairs []string) Field {
	f := Choice(d, name, label, hint, pairs)
	f.Multiple = true
	for i := range f.Options {
		f.Options[i].Checked = slices.Contains(f.P.Values[name], f.Options[i].Value)
	}
	return f
}

// Flags is checkboxes each with a name of its own, pairs of name and label.
func Flags(d Paged, name, label, hint string, pairs []string) Field {
	f := In(d, name, label, hint)
	f.Multiple = true
	for i := 0; i+1 < len(pairs); i += 2 {
		own := strings.TrimPrefix(pairs[i], name+".")
		f.Options = append(f.Options, Option{Name: pairs[i], Value: "yes", Label: pairs[i+1], Checked: f.P.Value(pairs[i]) == "yes", ID: optionID(f, i/2, own)})
	}
	return f
}
