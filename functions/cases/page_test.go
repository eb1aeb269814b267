package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/htmlcheck"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/signin"
)

// The people of the case page's tests, by the session cookie (or bearer
// token) that names them.
var people = map[string]auth.Identity{
	"holder":    {Subject: "cm-alex", Email: "alex.morgan@drive.example", Name: "Alex Morgan", Roles: []auth.Role{auth.CaseManager}},
	"colleague": {Subject: "cm-bo", Email: "bo@drive.example", Name: "Bo", Roles: []auth.Role{auth.CaseManager}},
	"lead":      {Subject: "lead-dana", Email: "dana.whitfield@drive.example", Name: "Dana Whitfield", Roles: []auth.Role{auth.AreaLead}},
	"maker":     {Subject: "officer-sam-taylor", Email: "sam.taylor@essex.police.example", Name: "PC Sam Taylor", Roles: []auth.Role{auth.Officer}},
}

var staff = map[string]auth.Staff{
	"alex.morgan@drive.example":    {CaseManagerID: "essex-cm1", CaseManagerArea: "essex"},
	"bo@drive.example":             {CaseManagerID: "essex-cm2", CaseManagerArea: "essex"},
	"dana.whitfield@drive.example": {Leads: []string{"essex"}},
}

// pageStore is fakeStore with the case of its referral, and staff by
// email.
type pageStore struct{ *fakeStore }

func (s pageStore) Case(_ context.Context, id string) (dynamo.Case, error) {
	if id != s.rec.Reference || s.rec.CaseManager == nil { // declined: no case
		return dynamo.Case{}, referral.ErrNotFound
	}
	return dynamo.Case{ID: id, Reference: id, Area: "essex", CaseManagerID: s.rec.CaseManager.ID, Status: s.rec.Status}, nil
}

func (s pageStore) Staff(_ context.Context, email string) (auth.Staff, error) {
	return staff[email], nil
}

type sessions struct{}

func (sessions) SignedIn(_ context.Context, cookies []string) (auth.Identity, error) {
	id, ok := people[signin.Cookie(cookies, signin.SessionCookie)]
	if !ok {
		return auth.Identity{}, auth.ErrUnauthenticated
	}
	return id, nil
}

func bool_(b bool) *bool { return &b }
func int_(n int) *int    { return &n }

func pageHandler(t *testing.T) (*handler, *fakeStore, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	h, st := newHandler(logs)
	st.rec.Referral = referral.Referral{Area: "essex", Route: referral.RouteMARAC, MARACDate: "2026-11-12", CrimeReference: "42/123456/26",
		Reason:   "Three incidents since the summer",
		Referrer: referral.Referrer{Name: "PC Sam Taylor", Email: "sam.taylor@essex.police.example", Force: "Essex Police", Phone: "01245 491491"},
		Perpetrator: referral.Perpetrator{FirstName: "Jon", LastName: "Doe", Aliases: []string{"Johnny D"}, DateOfBirth: "1986-02-03",
			AddressLine1: "1 High Street", Town: "Colchester", Postcode: "CO1 1AA", PNCID: "86/123456A"},
		Victims: []referral.Victim{{FirstName: "Jane", LastName: "Roe", SafeToContact: bool_(true), ContactMethod: "Mobile after 6pm only",
			DashScore: int_(16), IDVAAllocated: bool_(true), IDVAName: "Priya Shah", IDVAEmail: "priya.shah@idva.example"}},
		Children:              referral.Children{Count: int_(2), Ages: []int{4, 7}},
		Abuse:                 referral.Abuse{Physical: true, ThreatsToKill: true, IncidentsLast12Months: int_(3), KnownVictims: int_(1)},
		OtherAgencies:         []string{"Children's services"},
		VictimAwareOfReferral: bool_(false),
	}
	st.rec.Decision = &referral.Decision{Eligible: true, Outcomes: []referral.Outcome{{Rule: "risk", Passed: true, Reason: "DASH score 16 is 14 or more"}}}
	h.store = pageStore{st}
	h.signIn = sessions{}
	h.verify = func(_ context.Context, raw string) (auth.Identity, error) {
		id, ok := people[raw]
		if !ok {
			return auth.Identity{}, auth.ErrUnauthenticated
		}
		return id, nil
	}
	return h, st, logs
}

// request is a browser's request to the case page by who (a session
// cookie, none when ""), with extra cookies.
func request(t *testing.T, h *handler, method, who string, form url.Values, cookies ...string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{RouteKey: method + " /cases/{id}", RawPath: "/cases/" + ref,
		PathParameters: map[string]string{"id": ref}, Headers: map[string]string{"accept": "text/html"}}
	if who != "" {
		ev.Cookies = append(ev.Cookies, signin.SessionCookie+"="+who)
	}
	ev.Cookies = append(ev.Cookies, cookies...)
	if form != nil {
		form.Set("csrf", signin.CSRFToken(ev.Cookies))
		if form.Get("csrf-override") != "" {
			form.Set("csrf", form.Get("csrf-override"))
			form.Del("csrf-override")
		}
		ev.Body = form.Encode()
		ev.Headers["content-type"] = "application/x-www-form-urlencoded"
	}
	raw, _ := json.Marshal(ev)
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("handler returned an error: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		for _, problem := range htmlcheck.Check([]byte(resp.Body)) {
			t.Errorf("%s /cases/%s as %s: %s", method, ref, who, problem)
		}
	}
	return resp
}

// TestCasePageShowsTheWholeReferralToItsHolderAndLeads: the holder and
// the area's lead read every detail, safety first; the officer who made
// it, a colleague and anyone else are told there is no such case.
func TestCasePageShowsTheWholeReferralToItsHolderAndLeads(t *testing.T) {
	h, _, logs := pageHandler(t)
	details := []string{"Jon Doe", "Johnny D", "3 February 1986", "1 High Street", "86/123456A", "Jane Roe", "Mobile after 6pm only",
		"16", "Priya Shah", "priya.shah@idva.example", "4, 7", "Physical, threats to kill", "Children&#39;s services", "sam.taylor@essex.police.example",
		"12 November 2026", "42/123456/26", "Three incidents since the summer", "DASH score 16 is 14 or more", "Essex"}
	for _, who := range []string{"holder", "lead"} {
		resp := request(t, h, "GET", who, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("as %s: got %d %s, want 200", who, resp.StatusCode, resp.Body)
		}
		for _, d := range details {
			if !strings.Contains(resp.Body, d) {
				t.Errorf("as %s: got a page without %q, want the whole referral", who, d)
			}
		}
		safety := resp.Body[strings.Index(resp.Body, `id="safety"`):]
		safety = safety[:strings.Index(safety, `id="perpetrator"`)]
		for _, w := range []string{"govuk-warning-text", "Never tell Jon Doe", "Jane Roe: safe to contact: Mobile after 6pm only", "does not know of this referral"} {
			if !strings.Contains(safety, w) {
				t.Errorf("as %s: got safety warning %q, want it to say %q", who, safety, w)
			}
		}
		if i, j := strings.Index(resp.Body, `id="safety"`), strings.Index(resp.Body, `id="perpetrator"`); i > j {
			t.Errorf("as %s: got the safety warning after the perpetrator's details, want it first", who)
		}
	}
	if resp := request(t, h, "GET", "holder", nil); !strings.Contains(resp.Body, "Accept case") || strings.Contains(resp.Body, "Reallocate case") {
		t.Errorf("holder: got a page without Accept or with Reallocate, want Accept and Close only")
	}
	if resp := request(t, h, "GET", "lead", nil); strings.Contains(resp.Body, "Accept case") || !strings.Contains(resp.Body, "Reallocate case") {
		t.Errorf("lead: got a page with Accept or without Reallocate, want Reallocate only")
	}
	for _, who := range []string{"maker", "colleague"} {
		resp := request(t, h, "GET", who, nil)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(resp.Body, "Doe") {
			t.Errorf("as %s: got %d, want 404 without the details", who, resp.StatusCode)
		}
	}
	if resp := request(t, h, "GET", "", nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Headers["Location"], "/auth/sign-in?next=%2Fcases%2F") {
		t.Errorf("signed out: got %d to %q, want 303 to sign in and back", resp.StatusCode, resp.Headers["Location"])
	}
	for _, d := range []string{"Doe", "Roe", "High Street", "Mobile"} {
		if strings.Contains(logs.String(), d) {
			t.Errorf("the logs carry %q, want no personal details", d)
		}
	}
}

// TestCaseAPIAnswersTheWholeReferralToTheSamePeople: GET /cases/{id}
// with a bearer token answers the referral as JSON to the holder and the
// lead, through the page's check; 404 to the maker, 401 without a token.
func TestCaseAPIAnswersTheWholeReferralToTheSamePeople(t *testing.T) {
	h, st, _ := pageHandler(t)
	get := func(token string) (int, string) {
		ev := events.APIGatewayV2HTTPRequest{RouteKey: "GET /cases/{id}", RawPath: "/cases/" + ref, PathParameters: map[string]string{"id": ref},
			Headers: map[string]string{}}
		if token != "" {
			ev.Headers["authorization"] = "Bearer " + token
		}
		raw, _ := json.Marshal(ev)
		return invoke(t, h, raw)
	}
	for who, want := range map[string]int{"holder": 200, "lead": 200, "maker": 404, "colleague": 404, "nobody": 401, "": 401} {
		code, body := get(who)
		if code != want {
			t.Errorf("as %q: got %d %s, want %d", who, code, body, want)
		}
		if want == 200 {
			var got caseBody
			if err := json.Unmarshal([]byte(body), &got); err != nil || got.Referral.Perpetrator.LastName != "Doe" || got.Referral.Victims[0].ContactMethod == "" || got.Decision == nil {
				t.Errorf("as %s: got %s, want the whole referral and its decision", who, body)
			}
		}
	}
	// A victim-survivor not safe to contact, or not known to be: no
	// method in the API, as on the page (fresh tester of issue 14).
	for _, safe := range []*bool{bool_(false), nil} {
		st.rec.Referral.Victims[0].SafeToContact = safe
		code, body := get("holder")
		if code != 200 || strings.Contains(body, "Mobile after 6pm") || strings.Contains(body, "contactMethod") {
			t.Errorf("safe to contact %v: got %d %s, want 200 without the contact method", safe, code, body)
		}
	}
	if st.rec.Referral.Victims[0].ContactMethod == "" {
		t.Error("the stored referral lost its contact method: want it kept, only not shown")
	}
}

// TestCaseFormsPostThenRedirect: each form runs the API's operation,
// then redirects to the page, which shows a banner once; a form with
// errors comes back with the error summary and what was typed; a form
// without its session's token changes nothing.
func TestCaseFormsPostThenRedirect(t *testing.T) {
	h, st, _ := pageHandler(t)

	resp := request(t, h, "POST", "holder", url.Values{"action": {"accept"}, "csrf-override": {"forged"}})
	if resp.StatusCode != http.StatusForbidden || len(st.changes) != 0 {
		t.Fatalf("a forged form: got %d and changes %v, want 403 and none", resp.StatusCode, st.changes)
	}

	resp = request(t, h, "POST", "holder", url.Values{"action": {"accept"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/cases/"+ref || len(resp.Cookies) != 1 {
		t.Fatalf("accept: got %d to %q with cookies %v, want 303 to the case page with the banner's cookie", resp.StatusCode, resp.Headers["Location"], resp.Cookies)
	}
	if len(st.changes) != 1 || !strings.HasPrefix(st.changes[0], "accept:") {
		t.Errorf("accept: got changes %v, want the acceptance", st.changes)
	}
	flash, _, _ := strings.Cut(resp.Cookies[0], ";")
	page := request(t, h, "GET", "holder", nil, flash)
	if !strings.Contains(page.Body, "You have accepted this case") || !strings.Contains(page.Body, "govuk-notification-banner--success") || len(page.Cookies) != 1 {
		t.Errorf("after accepting: got a page without the success banner, or not clearing it (cookies %v)", page.Cookies)
	}
	if strings.Contains(page.Body, "Accept case") {
		t.Error("after accepting: the page still offers Accept")
	}

	resp = request(t, h, "POST", "holder", url.Values{"action": {"close"}, "close.reason": {"other"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, `href="#close-note"`) || !strings.Contains(resp.Body, `value="other" checked`) {
		t.Errorf("close as other without a note: got %d, want 422 with the error summary linking the note and Other still chosen", resp.StatusCode)
	}
	if !strings.Contains(resp.Body, "Enter why the case is closing") || !strings.Contains(resp.Body, "<title>Error: ") {
		t.Errorf("close as other without a note: want the GOV.UK words and an Error: title")
	}
	resp = request(t, h, "POST", "holder", url.Values{"action": {"close"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, "Select why the case is closing") {
		t.Errorf("close without a reason: got %d, want 422 asking to select one", resp.StatusCode)
	}
	resp = request(t, h, "POST", "holder", url.Values{"action": {"close"}, "close.reason": {"other"}, "close.note": {"Moved to Leeds"}})
	if resp.StatusCode != http.StatusSeeOther || len(st.changes) != 2 || !strings.HasPrefix(st.changes[1], "close:") {
		t.Errorf("close with a note: got %d and changes %v, want 303 and the closing", resp.StatusCode, st.changes)
	}
}

// TestLeadReallocatesFromThePage: the lead chooses the best candidate or
// a named manager; without a choice or a reason, the error summary.
func TestLeadReallocatesFromThePage(t *testing.T) {
	h, st, _ := pageHandler(t)
	resp := request(t, h, "POST", "lead", url.Values{"action": {"reallocate"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, `href="#reallocate-caseManager"`) || !strings.Contains(resp.Body, `href="#reallocate-reason"`) {
		t.Errorf("reallocate with nothing chosen: got %d, want 422 linking the choice and the reason", resp.StatusCode)
	}
	if resp := request(t, h, "POST", "holder", url.Values{"action": {"reallocate"}, "reallocate.caseManager": {"best"}, "reallocate.reason": {"Leaving"}}); resp.StatusCode != http.StatusForbidden || len(st.changes) != 0 {
		t.Errorf("the holder reallocating: got %d and changes %v, want 403 and none", resp.StatusCode, st.changes)
	}
	resp = request(t, h, "POST", "lead", url.Values{"action": {"reallocate"}, "reallocate.caseManager": {"best"}, "reallocate.reason": {"Conflict of interest"}})
	if resp.StatusCode != http.StatusSeeOther || len(st.changes) != 1 || st.rec.CaseManager.ID != "essex-cm2" {
		t.Errorf("reallocate to the best: got %d, changes %v, holder %+v; want 303 and the case with essex-cm2", resp.StatusCode, st.changes, st.rec.CaseManager)
	}
}

// TestHolderDeclinesFromThePage: a decline needs a reason (and a note for
// other); done, it runs the API's operation, the referral goes back to
// allocation with the leads' email committed with it, and the browser
// goes home, where a banner says so (the case is no longer theirs).
func TestHolderDeclinesFromThePage(t *testing.T) {
	h, st, _ := pageHandler(t)
	resp := request(t, h, "POST", "holder", url.Values{"action": {"decline"}, "decline.reason": {"other"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, `href="#decline-note"`) || !strings.Contains(resp.Body, "Enter why you are declining the case") {
		t.Errorf("decline as other without a note: got %d, want 422 with the error summary linking the note", resp.StatusCode)
	}
	if resp := request(t, h, "POST", "lead", url.Values{"action": {"decline"}, "decline.reason": {"knows-the-family"}}); resp.StatusCode != http.StatusForbidden || len(st.changes) != 0 {
		t.Errorf("the lead declining: got %d and changes %v, want 403 and none", resp.StatusCode, st.changes)
	}
	resp = request(t, h, "POST", "holder", url.Values{"action": {"decline"}, "decline.reason": {"knows-the-family"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/" || len(resp.Cookies) != 1 || !strings.Contains(resp.Cookies[0], "Path=/;") {
		t.Fatalf("decline: got %d to %q with cookies %v, want 303 home with the banner's cookie", resp.StatusCode, resp.Headers["Location"], resp.Cookies)
	}
	if len(st.changes) != 1 || st.changes[0] != "decline: Declined by Alex Morgan: knows the family" || st.rec.Status != referral.StatusEligible {
		t.Errorf("decline: got changes %v and status %s, want the decline in words and eligible", st.changes, st.rec.Status)
	}
	joined := strings.Join(h.queues.(*fakeQueues).sent, "\n")
	if !strings.Contains(joined, `"kind":"declined"`) || !strings.Contains(joined, `"reason":"knows-the-family"`) || !strings.Contains(joined, dynamo.QueueAllocation+` {"reference":"`+ref+`"}`) {
		t.Errorf("decline: got messages\n%s\nwant the leads' email with the reason code and the referral's turn for allocation", joined)
	}
}

// TestEveryViewIsRecorded: each reading of the details, on the page or in
// the API, is recorded (who, role, when); the leads see "Viewed by", the
// case manager does not; the log names the reference and the viewer's
// subject only; a view that cannot be recorded is not shown.
func TestEveryViewIsRecorded(t *testing.T) {
	h, st, logs := pageHandler(t)
	request(t, h, "GET", "holder", nil)
	ev := events.APIGatewayV2HTTPRequest{RouteKey: "GET /cases/{id}", RawPath: "/cases/" + ref, PathParameters: map[string]string{"id": ref},
		Headers: map[string]string{"authorization": "Bearer lead"}}
	raw, _ := json.Marshal(ev)
	if code, _ := invoke(t, h, raw); code != http.StatusOK {
		t.Fatalf("API as the lead: got %d, want 200", code)
	}
	request(t, h, "GET", "maker", nil) // not theirs: nothing shown, nothing recorded
	var got []string
	for _, v := range st.views {
		got = append(got, v.Subject+" "+v.Role+" "+v.At.Format("15:04"))
	}
	want := []string{"cm-alex case manager 10:15", "lead-dana area lead 10:15"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("views: got %v, want %v", got, want)
	}
	if page := request(t, h, "GET", "lead", nil); !strings.Contains(page.Body, `id="viewed-by"`) || !strings.Contains(page.Body, "Alex Morgan") || !strings.Contains(page.Body, "Case manager") {
		t.Error("the lead's page: no Viewed by naming Alex Morgan as case manager")
	}
	if page := request(t, h, "GET", "holder", nil); strings.Contains(page.Body, `id="viewed-by"`) {
		t.Error("the case manager's page shows Viewed by, want it for leads only")
	}
	if !strings.Contains(logs.String(), `"msg":"case viewed","reference":"`+ref+`","viewer":"cm-alex"`) {
		t.Errorf("logs: want a line naming the reference and the viewer's subject, got\n%s", logs.String())
	}
	st.viewErr = errors.New("table unavailable")
	if page := request(t, h, "GET", "holder", nil); page.StatusCode != http.StatusServiceUnavailable || strings.Contains(page.Body, "Doe") {
		t.Errorf("a view not recorded: got %d, want 503 without the details", page.StatusCode)
	}
}

// TestReallocationNeverGivesACaseBackToWhoDeclinedIt: the best candidate
// is never a case manager who declined the case, though they have the
// most room; the page lists them marked, and naming them, on the page or
// in the API, is refused with words naming them (fresh tester, issue 14).
func TestReallocationNeverGivesACaseBackToWhoDeclinedIt(t *testing.T) {
	setup := func() (*handler, *fakeStore) {
		h, st, _ := pageHandler(t)
		st.rec.Declined = []string{"essex-cm3"}
		st.managers = append(st.managers, allocation.CaseManager{ID: "essex-cm3", Area: "essex", Name: "Tom Hughes", Capacity: 9, Active: true})
		return h, st
	}
	h, st := setup()
	page := request(t, h, "GET", "lead", nil)
	if !strings.Contains(page.Body, "Tom Hughes (declined this case)") {
		t.Errorf("the lead's page: want Tom Hughes marked as having declined the case")
	}
	resp := request(t, h, "POST", "lead", url.Values{"action": {"reallocate"}, "reallocate.caseManager": {"best"}, "reallocate.reason": {"Conflict of interest"}})
	if resp.StatusCode != http.StatusSeeOther || st.rec.CaseManager.ID != "essex-cm2" {
		t.Errorf("best candidate: got %d and the case with %+v, want 303 and essex-cm2 (essex-cm3 declined it)", resp.StatusCode, st.rec.CaseManager)
	}

	h, st = setup()
	resp = request(t, h, "POST", "lead", url.Values{"action": {"reallocate"}, "reallocate.caseManager": {"essex-cm3"}, "reallocate.reason": {"Conflict of interest"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, "Tom Hughes declined this case. Choose someone else.") || !strings.Contains(resp.Body, `href="#reallocate-caseManager"`) || len(st.changes) != 0 {
		t.Errorf("named, who declined: got %d and changes %v, want 422 naming Tom Hughes at the choice, and none", resp.StatusCode, st.changes)
	}
	h, st = newHandler(&bytes.Buffer{})
	st.rec.Declined = []string{"essex-cm3"}
	st.managers = append(st.managers, allocation.CaseManager{ID: "essex-cm3", Area: "essex", Name: "Tom Hughes", Capacity: 9, Active: true})
	code, body := invoke(t, h, action(t, reallocate, `{"reason": "Conflict", "caseManager": "essex-cm3"}`, ""))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Tom Hughes declined this case") || len(st.changes) != 0 {
		t.Errorf("API, named who declined: got %d %s and changes %v, want 422 naming them, and none", code, body, st.changes)
	}
}

// TestOnlyAnAcceptedCaseCloses: a case allocated and not yet accepted is
// accepted or declined first: the page offers no Close, the API answers
// 409 saying so, nothing changes (fresh tester of issue 14: one click
// closed it "completed" and the lead was never told).
func TestOnlyAnAcceptedCaseCloses(t *testing.T) {
	h, st, _ := pageHandler(t)
	page := request(t, h, "GET", "holder", nil)
	if strings.Contains(page.Body, `value="close"`) || !strings.Contains(page.Body, `value="accept"`) || !strings.Contains(page.Body, `value="decline"`) {
		t.Errorf("an allocated case's page: want Accept and Decline, and no Close")
	}
	resp := request(t, h, "POST", "holder", url.Values{"action": {"close"}, "close.reason": {"completed"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(resp.Body, "Accept or decline it first") || len(st.changes) != 0 {
		t.Errorf("closing from the page: got %d and changes %v, want 409 saying to accept or decline first, and none", resp.StatusCode, st.changes)
	}
	h, st = newHandler(&bytes.Buffer{})
	code, body := invoke(t, h, action(t, closeCase, `{"reason": "completed"}`, ""))
	if code != http.StatusConflict || !strings.Contains(body, "Accept or decline it first") || len(st.changes) != 0 {
		t.Errorf("closing by the API: got %d %s and changes %v, want 409 saying to accept or decline first, and none", code, body, st.changes)
	}
}

// TestAFormOnACaseNoLongerYoursSaysWhy: a form sent again after its
// holder declined the case, or from their page opened before the case
// moved to a colleague, says what happened, not "There is no such case";
// anyone else's form is still answered as if there were no case (fresh
// tester of issue 14).
func TestAFormOnACaseNoLongerYoursSaysWhy(t *testing.T) {
	h, st, _ := pageHandler(t)
	page := request(t, h, "GET", "holder", nil)
	if !strings.Contains(page.Body, `name="heldBy" value="essex-cm1"`) {
		t.Fatalf("the holder's page: want its forms to say whose page it was")
	}
	decline := url.Values{"action": {"decline"}, "decline.reason": {"knows-the-family"}, "heldBy": {"essex-cm1"}}
	if resp := request(t, h, "POST", "holder", decline); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decline: got %d, want 303", resp.StatusCode)
	}
	again := url.Values{"action": {"decline"}, "decline.reason": {"knows-the-family"}, "heldBy": {"essex-cm1"}}
	resp := request(t, h, "POST", "holder", again)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(resp.Body, "You declined this case") || strings.Contains(resp.Body, "There is no such case") || len(st.changes) != 1 {
		t.Errorf("the decline sent again: got %d and changes %v, want 409 saying they declined it, once", resp.StatusCode, st.changes)
	}

	h, st, _ = pageHandler(t)
	st.rec.CaseManager = &referral.Assignee{ID: "essex-cm3", Name: "Tom Hughes"} // moved since the holder's page was shown
	resp = request(t, h, "POST", "holder", url.Values{"action": {"accept"}, "heldBy": {"essex-cm1"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(resp.Body, "allocated to Tom Hughes") || strings.Contains(resp.Body, "There is no such case") || len(st.changes) != 0 {
		t.Errorf("accept from an old page: got %d and changes %v, want 409 saying who has it now, and none", resp.StatusCode, st.changes)
	}
	resp = request(t, h, "POST", "colleague", url.Values{"action": {"accept"}})
	if resp.StatusCode != http.StatusNotFound || strings.Contains(resp.Body, "Tom Hughes") {
		t.Errorf("a colleague's form: got %d, want 404 naming no one", resp.StatusCode)
	}
}
