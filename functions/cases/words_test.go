package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/allocation"
)

// words is what a page or an answer says: its text without tags and
// attributes (an id in a radio's value is no word anyone reads).
func words(body string) string { return tags.ReplaceAllString(body, " ") }

// ids are how Drive's records name case managers and areas, which no
// message should show: essex-cm1, essex on its own.
var ids = regexp.MustCompile(`essex-cm\d|alex-morgan|(^|[\s(])essex([\s,.:)]|$)`)

// TestErrorWordsNamePeople (the fresh tester's fault: errors showed ids
// such as "essex-alex-morgan" where names belong, and the CSRF failure
// said the page was older than the sign-in): every message of the case
// page's forms, and of the API they share, names people and areas by
// name, never by id, and says what to do.
func TestErrorWordsNamePeople(t *testing.T) {
	tests := []struct {
		name string
		who  string
		form url.Values // the page's; else body is the API's
		body string
		want int
		says []string
	}{
		{"reallocate to who holds it", "lead", url.Values{"action": {"reallocate"}, "reallocate.caseManager": {"essex-cm1"}, "reallocate.reason": {"Leaving"}}, "",
			http.StatusConflict, []string{"already with Alex Morgan", "Choose someone else"}},
		{"reallocate to someone not active", "lead", url.Values{"action": {"reallocate"}, "reallocate.caseManager": {"essex-cm3"}, "reallocate.reason": {"Leaving"}}, "",
			http.StatusConflict, []string{"Cy Jones is not taking cases", "Choose someone else"}},
		{"reallocate to someone full", "lead", url.Values{"action": {"reallocate"}, "reallocate.caseManager": {"essex-cm4"}, "reallocate.reason": {"Leaving"}}, "",
			http.StatusConflict, []string{"Di Full has no free capacity", "Choose someone else"}},
		{"reallocate to someone not of the area", "lead", url.Values{"action": {"reallocate"}, "reallocate.caseManager": {"essex-cm9"}, "reallocate.reason": {"Leaving"}}, "",
			http.StatusUnprocessableEntity, []string{"Select who the case goes to"}},
		{"reallocate to an id too long", "lead", url.Values{"action": {"reallocate"}, "reallocate.caseManager": {strings.Repeat("essex-alex-morgan", 3)}, "reallocate.reason": {"Leaving"}}, "",
			http.StatusUnprocessableEntity, []string{"Select who the case goes to"}},
		{"the best candidate with nobody free", "lead", url.Values{"action": {"reallocate"}, "reallocate.caseManager": {"best"}, "reallocate.reason": {"Leaving"}}, "",
			http.StatusConflict, []string{"No other case manager in Essex has free capacity", "then try again"}},
		{"a form of an older sign-in", "holder", url.Values{"action": {"accept"}, "csrf-override": {strings.Repeat("x", 43)}}, "",
			http.StatusForbidden, []string{"Your form expired", "try again"}},
		{"API: a colleague accepts", "colleague", nil, "", http.StatusConflict, []string{"allocated to Alex Morgan", "Ask them"}},
		{"API: the lead accepts", "lead", nil, "", http.StatusForbidden, []string{"Only the case manager it is allocated to can accept it"}},
		{"API: to someone not of the area", "lead", nil, `{"reason": "Leaving", "caseManager": "essex-cm9"}`, http.StatusUnprocessableEntity, []string{"in Essex"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, st, _ := pageHandler(t)
			st.managers = []allocation.CaseManager{
				{ID: "essex-cm1", Area: "essex", Name: "Alex Morgan", Capacity: 5, Caseload: 1, Active: true},
				{ID: "essex-cm3", Area: "essex", Name: "Cy Jones", Capacity: 5, Active: false},
				{ID: "essex-cm4", Area: "essex", Name: "Di Full", Capacity: 2, Caseload: 2, Active: true},
			}
			var code int
			var said string
			switch {
			case tt.form != nil:
				resp := request(t, h, "POST", tt.who, tt.form)
				code, said = resp.StatusCode, words(resp.Body)
				if i := strings.Index(said, "What you can do"); i >= 0 && tt.want != http.StatusForbidden {
					said = said[:i] // the forms themselves name the area's managers by their radios
				}
			case tt.body != "":
				code, said = invoke(t, h, apiAs(t, tt.who, reallocate, tt.body))
			default:
				code, said = invoke(t, h, apiAs(t, tt.who, accept, ""))
			}
			if code != tt.want {
				t.Errorf("got %d, want %d: %.400s", code, tt.want, said)
			}
			for _, w := range tt.says {
				if !strings.Contains(said, w) {
					t.Errorf("got words without %q:\n%.2000s", w, said)
				}
			}
			if tt.body == "" || !strings.Contains(tt.body, "essex-cm9") {
				if m := ids.FindString(said); m != "" {
					t.Errorf("got an id %q in the words:\n%.2000s", m, said)
				}
			}
		})
	}
}
