package local_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/privacytest"
)

// postForm sends the form as the signed-in officer.
func postForm(t *testing.T, v url.Values) (int, http.Header, string) {
	t.Helper()
	resp, err := browser(t, officer).PostForm(stack.URL+"/referrals/new", v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// getPage opens a page as the signed-in officer.
func getPage(t *testing.T, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, stack.URL+path, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := browser(t, officer).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// pageAs opens a page as who, signed in.
func pageAs(t *testing.T, who, path string) string {
	t.Helper()
	resp, err := browser(t, who).Get(stack.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

var (
	tokenPattern = regexp.MustCompile(`name="formToken" value="([0-9a-f]{32})"`)
	csrfPattern  = regexp.MustCompile(`name="csrf" value="([A-Za-z0-9_-]{43})"`)
)

// completeForm is a correct form for a perpetrator of its own.
func completeForm(t *testing.T, area, lastName string) url.Values {
	t.Helper()
	code, page := getPage(t, "/referrals/new")
	m, c := tokenPattern.FindStringSubmatch(page), csrfPattern.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil || c == nil {
		t.Fatalf("GET /referrals/new: got %d, want 200 with a form token and a CSRF token", code)
	}
	return url.Values{
		"formToken": {m[1]}, "csrf": {c[1]}, "victimCount": {"1"}, "action": {"send"},
		"referrer.name": {"PC Sam Taylor"}, "referrer.force": {"Essex Police"}, "referrer.email": {"sam.taylor@essex.police.example"},
		"referrer.phone": {"01632 960 001"}, "area": {area}, "route": {"police"}, "riskCriteria": {"visible-high-risk"},
		"perpetrator.firstName": {"John"}, "perpetrator.lastName": {lastName},
		"perpetrator.dateOfBirth-day": {"2"}, "perpetrator.dateOfBirth-month": {"3"}, "perpetrator.dateOfBirth-year": {"1984"},
		"perpetrator.postcode": {"co1 1aa"},
		"victims[0].firstName": {"Jane"}, "victims[0].lastName": {"Doe"}, "victims[0].dashScore": {"16"},
		"victims[0].safeToContact": {"no"}, "abuse.physical": {"yes"}, "abuse.incidentsLast12Months": {"4"},
		"abuse.knownVictims": {"1"}, "victimAwareOfReferral": {"yes"},
	}
}

func TestFormKeepsEverythingTypedAndListsEveryError(t *testing.T) {
	serial(t)
	v := completeForm(t, "flow", "Formfield")
	v.Set("perpetrator.dateOfBirth-month", "13")
	v.Set("referrer.email", "sam at essex")
	v.Set("victims[0].dashScore", "lots")
	v.Del("victimAwareOfReferral")
	code, _, page := postForm(t, v)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("got %d, want 422", code)
	}
	for _, want := range []string{
		`There is a problem`,
		`href="#perpetrator-dateOfBirth-month"`, `href="#referrer-email"`, `href="#victims-0-dashScore"`, `href="#victimAwareOfReferral"`,
		`value="sam at essex"`, `value="lots"`, `value="13"`, `value="Formfield"`, `value="co1 1aa"`, // kept as typed, even the wrong ones
		`id="victims-0-dashScore-error"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the form with errors lacks %s", want)
		}
	}
	if strings.Contains(page, `<script`) {
		t.Error("the form uses JavaScript; it must work without it")
	}
}

func TestFormAddsAVictimWithoutJavaScript(t *testing.T) {
	serial(t)
	v := completeForm(t, "flow", "Addvictim")
	v.Set("action", "add-victim")
	code, _, page := postForm(t, v)
	if code != http.StatusOK || !strings.Contains(page, `name="victims[1].firstName"`) || !strings.Contains(page, `value="Jane"`) {
		t.Errorf("got %d, want the form again with a second victim-survivor and the first kept", code)
	}
	if strings.Contains(page, "There is a problem") {
		t.Error("adding a victim-survivor showed errors")
	}
}

func TestFormSubmissionAndResubmissionMakeOneReferral(t *testing.T) {
	serial(t)
	v := completeForm(t, "flow", "Formsent")
	code, h, _ := postForm(t, v)
	loc := h.Get("Location")
	if code != http.StatusSeeOther || !strings.HasSuffix(loc, "/confirmation") {
		t.Fatalf("got %d to %q, want 303 to the confirmation", code, loc)
	}
	ref := strings.TrimSuffix(strings.TrimPrefix(loc, "/referrals/"), "/confirmation")
	code, page := getPage(t, loc)
	if code != http.StatusOK || !strings.Contains(page, ref) || !strings.Contains(page, "What happens next") || !strings.Contains(page, `href="/referrals/`+ref+`/status"`) {
		t.Errorf("confirmation: got %d, want the reference, what happens next and a link to the status", code)
	}
	// A double click or a resubmission: the same referral.
	for range 2 {
		if code, h, _ := postForm(t, v); code != http.StatusSeeOther || h.Get("Location") != loc {
			t.Errorf("resubmitted: got %d to %q, want 303 to %q", code, h.Get("Location"), loc)
		}
	}
	awaitStatus(t, ref, "allocated")
	code, page = getPage(t, "/referrals/"+ref+"/status")
	if found := privacytest.Find(page, privacytest.Text("the perpetrator's first name", "John"), privacytest.Text("the perpetrator's last name", "Formsent")); code != http.StatusOK ||
		!strings.Contains(page, "Allocated to a case manager") || len(found) > 0 {
		t.Errorf("status page: got %d and %v, want it allocated and without the perpetrator's name", code, found)
	}
	if n := len(emailsAbout(t, ref)); n > 2 {
		t.Errorf("got %d emails, want at most 2: one referral", n)
	}
	// The same person again on a new form: passed to the team working
	// with them, and linked to the officer's own earlier referral.
	again := completeForm(t, "flow", "Formsent")
	code, hdr, _ := postForm(t, again)
	if loc := hdr.Get("Location"); code != http.StatusSeeOther || loc == "" || strings.Contains(loc, ref) {
		t.Fatalf("same person on a new form: got %d to %q, want 303 to a new referral's confirmation", code, loc)
	}
	code, page = getPage(t, hdr.Get("Location"))
	if code != http.StatusOK || !strings.Contains(page, "passed to them") || !strings.Contains(page, ref) {
		t.Errorf("same person on a new form: got %d, want a confirmation saying it was passed on and naming %s", code, ref)
	}
}
