package local_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/privacytest"
)

// The identities of the access matrix, besides the officer who makes the
// referrals ("maker") and the admin of the seed.
const (
	otherOfficer = "other.officer@kent.police.example"
	visitor      = "visitor@drive.example" // signed in, with no Drive role
)

// TestAccessMatrix walks every endpoint with every kind of caller and
// checks each answer: 401 without a token, 404 where even existence must
// not leak (someone else's referral or case), 403 for a role that does
// not allow the request, 409 for a colleague acting on a case that is not
// theirs. Changes are made by whoever may make them last, on a referral of
// their own, so that every refusal is seen first.
func TestAccessMatrix(t *testing.T) {
	serial(t)
	// "matrix" has two managers of capacity 10 and a lead; each case's
	// holder is read from the store.
	// refs[0]'s perpetrator is referred again below, linked to it (issue 13).
	samePerson := func(m map[string]any) {
		p := m["perpetrator"].(map[string]any)
		p["firstName"], p["lastName"], p["dateOfBirth"], p["pncId"] = "Matrixlink", "Person", "1982-03-04", ""
	}
	var refs [5]string
	for i := range refs {
		var change func(map[string]any)
		if i == 0 {
			change = samePerson
		}
		refs[i] = submit(t, submission(t, "matrix", change))
	}
	// Each case's holder, read once: a row that moves a case (reallocate)
	// changes it last, and no later row asks about that case.
	holders := map[string]string{}
	for _, ref := range refs {
		awaitStatus(t, ref, "allocated")
		rec, err := stack.Store.Referral(t.Context(), ref)
		if err != nil || rec.CaseManager == nil {
			t.Fatalf("%s: %v %+v", ref, err, rec)
		}
		holders[ref] = rec.CaseManager.ID
	}
	holderOf := func(ref string) (holder, colleague, id string) {
		if holders[ref] == "matrix-cm1" {
			return "cm1@matrix.drive.example", "cm2@matrix.drive.example", holders[ref]
		}
		return "cm2@matrix.drive.example", "cm1@matrix.drive.example", holders[ref]
	}
	who := func(role, ref string) string {
		holder, colleague, _ := holderOf(ref)
		return map[string]string{
			"anonymous": "", "maker": officer, "officer": otherOfficer, "holder": holder, "colleague": colleague,
			"cm-elsewhere": "cm1@flow.drive.example", "lead": lead("matrix"), "lead-elsewhere": lead("flow"), "admin": admin, "no-role": visitor,
		}[role]
	}
	roles := []string{"anonymous", "maker", "officer", "holder", "colleague", "cm-elsewhere", "lead", "lead-elsewhere", "admin", "no-role"}
	_, _, firstHolder := holderOf(refs[0])
	code, out := call(t, officer, http.MethodPost, "/referrals", string(submission(t, "matrix", samePerson)))
	linked, _ := out["reference"].(string)
	if code != http.StatusAccepted || out["status"] != "linked" {
		t.Fatalf("the same person again: got %d %v, want 202 linked", code, out)
	}
	area := `{"name": "Matrix", "minimumAge": 18, "dashThreshold": 14, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true}`
	manager := `{"name": "Manager 1 of matrix", "email": "cm1@matrix.drive.example", "capacity": 10, "active": true}`

	type row struct {
		method, path, body string
		ref                string         // whose holder and colleague the row means
		want               map[string]int // by role; others get otherwise
		otherwise          int
		last               string // the role whose request changes something: sent after every refusal
	}
	rows := []row{
		{"GET", "/referrals/" + refs[0], "", refs[0], map[string]int{"maker": 200, "holder": 200, "lead": 200}, 404, ""},
		// The whole referral: for its holder and the area's leads only.
		{"GET", "/cases/" + refs[0], "", refs[0], map[string]int{"holder": 200, "lead": 200}, 404, ""},
		{"GET", "/cases?caseManager=" + firstHolder, "", refs[0], map[string]int{"holder": 200, "lead": 200}, 403, ""},
		{"GET", "/areas", "", refs[0], map[string]int{"admin": 200, "lead": 200, "lead-elsewhere": 200}, 403, ""},
		{"GET", "/areas/matrix", "", refs[0], map[string]int{"admin": 200, "lead": 200}, 403, ""},
		{"GET", "/areas/matrix/case-managers", "", refs[0], map[string]int{"admin": 200, "lead": 200}, 403, ""},
		{"GET", "/areas/matrix/case-managers/matrix-cm1", "", refs[0], map[string]int{"admin": 200, "lead": 200}, 403, ""},
		{"GET", "/reports/summary?area=matrix", "", refs[0], map[string]int{"lead": 200}, 403, ""},
		{"PUT", "/areas/matrix", area, refs[0], map[string]int{"admin": 200}, 403, "admin"},
		{"PUT", "/areas/matrix/case-managers/matrix-cm1", manager, refs[0], map[string]int{"admin": 200, "lead": 200}, 403, "lead"},
		{"POST", "/referrals", "new", refs[0], map[string]int{"maker": 202, "officer": 202}, 403, ""},
		{"POST", "/cases/" + refs[0] + "/accept", "", refs[0], map[string]int{"holder": 200, "colleague": 409, "maker": 403, "lead": 403}, 404, "holder"},
		// Only an accepted case closes: refs[1]'s holder accepts it first.
		{"POST", "/cases/" + refs[1] + "/accept", "", refs[1], map[string]int{"holder": 200, "colleague": 409, "maker": 403, "lead": 403}, 404, "holder"},
		{"POST", "/cases/" + refs[1] + "/close", `{"reason": "completed"}`, refs[1], map[string]int{"holder": 200, "colleague": 409, "maker": 403, "lead": 403}, 404, "holder"},
		{"POST", "/referrals/" + refs[2] + "/withdraw", `{"reason": "Sent in error"}`, refs[2], map[string]int{"maker": 200, "holder": 403, "lead": 403}, 404, "maker"},
		// A linked referral is its maker's to withdraw; the open one's
		// holder, who may read it, and the area's lead are refused.
		{"POST", "/referrals/" + linked + "/withdraw", `{"reason": "Sent in error"}`, refs[0], map[string]int{"maker": 200, "holder": 403, "lead": 403}, 404, "maker"},
		{"POST", "/cases/" + refs[3] + "/reallocate", `{"reason": "Conflict of interest"}`, refs[3], map[string]int{"lead": 200, "maker": 403, "holder": 403}, 404, "lead"},
		{"POST", "/cases/" + refs[4] + "/decline", `{"reason": "knows-the-family"}`, refs[4], map[string]int{"holder": 200, "colleague": 409, "maker": 403, "lead": 403}, 404, "holder"},
		{"GET", "/openapi.yaml", "", refs[0], nil, 200, ""},
	}
	cells := 0
	for _, r := range rows {
		order := append([]string{}, roles...)
		if r.last != "" {
			order = append(removeRole(order, r.last), r.last)
		}
		for _, role := range order {
			want, ok := r.want[role]
			switch {
			case ok:
			case role == "anonymous" && r.otherwise != 200:
				want = http.StatusUnauthorized
			default:
				want = r.otherwise
			}
			body := r.body
			if body == "new" {
				body = string(submission(t, "nowhere", nil))
			}
			code, out := call(t, who(role, r.ref), r.method, r.path, body)
			cells++
			if code != want {
				t.Errorf("%s %s as %s: got %d %v, want %d", r.method, r.path, role, code, out, want)
			}
		}
	}

	// The pages, with each caller's session cookie (none for anonymous,
	// who is sent to sign in).
	pages := []row{
		{"GET", "/", "", refs[0], nil, 200, ""},
		{"GET", "/referrals/new", "", refs[0], map[string]int{"maker": 200, "officer": 200}, 403, ""},
		{"GET", "/referrals/" + refs[0] + "/status", "", refs[0], map[string]int{"maker": 200, "holder": 200, "lead": 200}, 404, ""},
		{"GET", "/referrals/" + refs[0] + "/confirmation", "", refs[0], map[string]int{"maker": 200}, 404, ""},
		{"GET", "/cases/" + refs[0], "", refs[0], map[string]int{"holder": 200, "lead": 200}, 404, ""},
		// "Your referrals": each officer's own list (the other officer sees
		// theirs); for anyone who does not refer, not their page.
		{"GET", "/referrals", "", refs[0], map[string]int{"maker": 200, "officer": 200}, 403, ""},
		// The withdrawal page: its officer's; those who may see the
		// referral are told only its officer withdraws it.
		{"GET", "/referrals/" + refs[0] + "/withdrawal", "", refs[0], map[string]int{"maker": 200, "holder": 403, "lead": 403}, 404, ""},
		// Its form without the session's token: nobody sends it.
		{"POST", "/referrals/" + refs[0] + "/withdrawal", "form", refs[0], map[string]int{"maker": 403, "holder": 403, "lead": 403}, 404, ""},
		// The area page: for the area's leads and admins; anyone else is
		// told there is no such page.
		{"GET", "/areas/matrix", "", refs[0], map[string]int{"lead": 200, "admin": 200}, 404, ""},
		{"GET", "/assets/govuk-frontend.min.css", "", refs[0], nil, 200, ""},
		{"GET", "/assets/drive.css", "", refs[0], nil, 200, ""},
		{"GET", "/favicon.ico", "", refs[0], nil, 200, ""},
		{"GET", "/accessibility", "", refs[0], nil, 200, ""},
		// A case page's form without its session's token: nobody sends it;
		// those who cannot read the case are told it does not exist.
		{"POST", "/cases/" + refs[0], "form", refs[0], map[string]int{"holder": 403, "lead": 403}, 404, ""},
		// The area page's form without its session's token: its leads and
		// admins are refused, anyone else told there is no such page.
		{"POST", "/areas/matrix", "form", refs[0], map[string]int{"lead": 403, "admin": 403}, 404, ""},
		// A complete form without its session's token: nobody sends it.
		{"POST", "/referrals/new", "form", refs[0], map[string]int{"anonymous": 401}, 403, ""},
		// The area's pages: its leads and admins; to anyone else, a lead
		// of another area included, the area does not exist.
		{"GET", "/areas/matrix/report", "", refs[0], map[string]int{"lead": 200, "admin": 200}, 404, ""},
		{"GET", "/areas/matrix/report?format=csv", "", refs[0], map[string]int{"lead": 200, "admin": 200}, 404, ""},
		{"GET", "/areas/matrix/report.csv", "", refs[0], map[string]int{"lead": 200, "admin": 200}, 404, ""},
		{"GET", "/areas/matrix/referrals", "", refs[0], map[string]int{"lead": 200, "admin": 200}, 404, ""},
		{"GET", "/areas/nowhere/referrals", "", refs[0], nil, 404, ""},
		// A search without its session's token: nobody's is run.
		{"POST", "/areas/matrix/referrals", "form", refs[0], map[string]int{"lead": 403, "admin": 403}, 404, ""},
		// The admin's pages: the Areas list with its create form, and an
		// area's settings; to anyone else, leads included, there is no
		// such page. Their forms without the session's token: nothing is
		// saved, the admin is refused.
		{"GET", "/areas", "", refs[0], map[string]int{"admin": 200}, 404, ""},
		{"POST", "/areas", "form", refs[0], map[string]int{"admin": 403}, 404, ""},
		{"GET", "/areas/matrix/settings", "", refs[0], map[string]int{"admin": 200}, 404, ""},
		{"POST", "/areas/matrix/settings", "form", refs[0], map[string]int{"admin": 403}, 404, ""},
	}
	forged := completeForm(t, "matrix", "Forged")
	forged.Del("csrf")
	anonymous := &http.Client{Transport: http.DefaultClient.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, r := range pages {
		for _, role := range roles {
			want, ok := r.want[role]
			switch {
			case ok:
			case role == "anonymous" && !strings.HasPrefix(r.path, "/assets/") && r.path != "/accessibility" && r.path != "/favicon.ico":
				want = http.StatusSeeOther
			default:
				want = r.otherwise
			}
			c := anonymous
			if role != "anonymous" {
				c = browser(t, who(role, r.ref))
			}
			var resp *http.Response
			var err error
			if r.method == "POST" {
				resp, err = c.PostForm(stack.URL+r.path, forged)
			} else {
				// As a browser asks for a page.
				req, _ := http.NewRequest("GET", stack.URL+r.path, nil)
				req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
				resp, err = c.Do(req)
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cells++
			if resp.StatusCode != want {
				t.Errorf("page %s as %s: got %d, want %d", r.path, role, resp.StatusCode, want)
			}
			if want == http.StatusSeeOther && !strings.HasPrefix(resp.Header.Get("Location"), "/auth/sign-in?next=") {
				t.Errorf("page %s as %s: sent to %q, want to sign in", r.path, role, resp.Header.Get("Location"))
			}
		}
	}
	fmt.Printf("access matrix: %d endpoints x %d callers = %d answers checked\n", len(rows)+len(pages), len(roles), cells)
}

func removeRole(roles []string, r string) []string {
	var out []string
	for _, x := range roles {
		if x != r {
			out = append(out, x)
		}
	}
	return out
}

// TestHomePageShowsWhatEachRoleDoes signs in as a case manager, an area
// lead and someone with no Drive role, and reads their home pages.
func TestHomePageShowsWhatEachRoleDoes(t *testing.T) {
	serial(t)
	ref := submit(t, submission(t, "home", nil))
	awaitStatus(t, ref, "allocated")
	for who, want := range map[string][]string{
		"cm1@home.drive.example": {`id="cases"`, `href="/cases/` + ref + `"`, "Allocated to a case manager"},
		lead("home"):             {"Manager 1 of home", "0 referrals are on the waiting list", "area lead"},
		officer:                  {`href="/referrals/new"`, "officer"},
		visitor:                  {"with no Drive role"},
	} {
		resp, err := browser(t, who).Get(stack.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, w := range want {
			if resp.StatusCode != 200 || !strings.Contains(string(body), w) {
				t.Errorf("home page of %s: got %d, want it to show %q", who, resp.StatusCode, w)
			}
		}
		for _, f := range privacytest.Find(string(body), privacytest.Text("the perpetrators' last name", "Doe")) {
			t.Errorf("home page of %s shows a perpetrator's name: %s", who, f)
		}
	}
}

// TestPagesSendSecurityHeaders reads the headers of every kind of page
// and of the API's answers.
func TestPagesSendSecurityHeaders(t *testing.T) {
	serial(t)
	ref := submit(t, submission(t, "home", nil))
	awaitStatus(t, ref, "allocated")
	page := map[string]string{
		"Content-Security-Policy":   "default-src 'none'",
		"Strict-Transport-Security": "max-age=",
		"Referrer-Policy":           "no-referrer",
		"Cache-Control":             "no-store",
		"X-Content-Type-Options":    "nosniff",
	}
	b := browser(t, officer)
	for _, path := range []string{"/", "/referrals/new", "/referrals/" + ref + "/status", "/referrals/" + ref + "/confirmation", "/referrals/DRV-2222-2222/status"} {
		resp, err := b.Get(stack.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for h, want := range page {
			if !strings.Contains(resp.Header.Get(h), want) {
				t.Errorf("%s (%d): %s is %q, want it to contain %q", path, resp.StatusCode, h, resp.Header.Get(h), want)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: Content-Security-Policy %q, want frame-ancestors 'none' and nothing unsafe", path, csp)
		}
	}
	for _, path := range []string{"/referrals/" + ref, "/cases/" + ref} {
		resp, err := http.Get(stack.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("API %s: Cache-Control %q, X-Content-Type-Options %q; want no-store and nosniff", path, resp.Header.Get("Cache-Control"), resp.Header.Get("X-Content-Type-Options"))
		}
	}
}
