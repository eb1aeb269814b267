package htmlcheck_test

import (
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/htmlcheck"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		page string
		want []string // a fragment of each problem, in order; none for a good page
	}{
		{"a good form", `<main id="main"><a href="#main">Skip</a>
			<div><label for="a">A</label><div id="a-hint">Hint</div><input id="a" name="a" aria-describedby="a-hint"></div>
			<div><input type="checkbox" id="b" name="b"><label for="b">B</label></div>
			<div><input type="checkbox" id="b-2" name="b2"><label for="b-2">B2</label></div>
			<label>Wrapped <textarea name="c"></textarea></label>
			<input type="hidden" name="token"><button type="submit">Send</button></main>`, nil},
		{"checkboxes sharing an id (issue 11's abuse question)", `<div><input type="checkbox" id="abuse" name="abuse.physical" value="yes"><label for="abuse">Physical</label></div>
			<div><input type="checkbox" id="abuse-yes" name="abuse.sexual" value="yes"><label for="abuse-yes">Sexual</label></div>
			<div><input type="checkbox" id="abuse-yes" name="abuse.stalkingHarassment" value="yes"><label for="abuse-yes">Stalking or harassment</label></div>`,
			[]string{`the id "abuse-yes" is used 2 times`, `names <input id="abuse-yes" name="abuse.sexual"`, `both name <input id="abuse-yes" name="abuse.sexual"`, `name="abuse.stalkingHarassment" type="checkbox" value="yes"> has no label`}},
		{"a label naming no element", `<div><label for="x">X</label><input id="y" name="y"></div>`,
			[]string{`<label for="x"> ("X") names the id "x", which no element has`, `<input id="y" name="y"> has no label`}},
		{"a label naming a div", `<div id="d"><label for="d">D</label></div>`, []string{`names <div id="d">, which is not an input`}},
		{"a label naming a hidden input", `<div><label for="h">H</label><input type="hidden" id="h" name="h"></div>`, []string{`which is not an input, select or textarea`}},
		{"an empty id", `<p id="">x</p>`, []string{`has the id "", which is empty`}},
		{"a missing hint", `<div><label for="a">A</label><input id="a" name="a" aria-describedby="a-hint a-error"></div>`,
			[]string{`aria-describedby names the id "a-hint"`, `aria-describedby names the id "a-error"`}},
		{"an error summary linking nowhere", `<ul><li><a href="#victims">Add a victim</a></li></ul>`, []string{`<a> ("Add a victim")'s href names the id "victims"`}},
		{"a select and a textarea without labels", `<select name="s"></select><textarea name="t"></textarea>`, []string{`<select name="s"> has no label`, `<textarea name="t"> has no label`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := htmlcheck.Check([]byte("<!DOCTYPE html><html lang=en><head><title>t</title></head><body>" + tt.page + "</body></html>"))
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %q, want %d like %q", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d: got %q, want it to say %q", i, got[i], w)
				}
			}
		})
	}
}
