package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/signin"
)

// The people of the page tests, by the session cookie that names them.
var people = map[string]auth.Identity{
	"officer": {Subject: "officer-sam-taylor", Email: "sam.taylor@essex.police.example", Name: "PC Sam Taylor", Roles: []auth.Role{auth.Officer}},
	// The same officer, signed in again: another session.
	"officer-again": {Subject: "officer-sam-taylor", Email: "sam.taylor@essex.police.example", Name: "PC Sam Taylor", Roles: []auth.Role{auth.Officer}},
	"officer2":      {Subject: "officer-2", Email: "other@kent.police.example", Name: "PC Other", Roles: []auth.Role{auth.Officer}},
	"cm":            {Subject: "cm-tom", Email: "tom.hughes@drive.example", Name: "Tom Hughes", Roles: []auth.Role{auth.CaseManager}},
	"lead":          {Subject: "lead-dana", Email: "dana.whitfield@drive.example", Name: "Dana Whitfield", Roles: []auth.Role{auth.AreaLead}},
}

// fakeSignIn signs in whoever the session cookie names (people); Finish
// fails with finishErr when it is set.
type fakeSignIn struct{ finishErr error }

func (f *fakeSignIn) Start(_ context.Context, next, redirectURL string) (string, string, error) {
	return "https://idp.example/authorize?redirect_uri=" + url.QueryEscape(redirectURL), "drive_signin=flow; Path=/auth/; HttpOnly; Secure; SameSite=Lax", nil
}

func (f *fakeSignIn) Finish(_ context.Context, _ url.Values, _ []string, _ string) ([]string, string, error) {
	if f.finishErr != nil {
		return nil, "", f.finishErr
	}
	return []string{signin.SessionCookie + "=officer; Path=/; HttpOnly; Secure; SameSite=Lax"}, "/", nil
}

func (f *fakeSignIn) SignedIn(_ context.Context, cookies []string) (auth.Identity, error) {
	id, ok := people[signin.Cookie(cookies, signin.SessionCookie)]
	if !ok {
		return auth.Identity{}, auth.ErrUnauthenticated
	}
	return id, nil
}

// tab is a browser tab on the pages: it keeps the cookies it is given.
type tab struct {
	t       *testing.T
	h       *handler
	cookies map[string]string
	// headers are sent with every request, as a browser's (Sec-Fetch-Site).
	headers map[string]string
}

func newTab(t *testing.T, h *handler, who string) *tab {
	tb := &tab{t: t, h: h, cookies: map[string]string{}, headers: map[string]string{}}
	if who != "" {
		tb.cookies[signin.SessionCookie] = who
	}
	return tb
}

// do sends one request as API Gateway would, and keeps the cookies set.
func (tb *tab) do(method, route, path string, params map[string]string, form url.Values) events.APIGatewayV2HTTPResponse {
	tb.t.Helper()
	path, query, _ := strings.Cut(path, "?")
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: method + " " + route, RawPath: path, PathParameters: params, RawQueryString: query,
		Headers: map[string]string{"host": "abc123.execute-api.eu-west-2.amazonaws.com"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: "abc123.execute-api.eu-west-2.amazonaws.com",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path}}}
	if q, err := url.ParseQuery(query); err == nil && query != "" {
		ev.QueryStringParameters = map[string]string{}
		for k := range q {
			ev.QueryStringParameters[k] = q.Get(k) // as API Gateway does, one value each (joined with commas when repeated)
		}
	}
	for k, v := range tb.headers {
		ev.Headers[k] = v
	}
	for k, v := range tb.cookies {
		ev.Cookies = append(ev.Cookies, k+"="+v)
	}
	if form != nil {
		ev.Body = form.Encode()
		ev.Headers["content-type"] = "application/x-www-form-urlencoded"
	}
	raw, _ := json.Marshal(ev)
	resp := call(tb.t, tb.h, raw)
	for _, c := range resp.Cookies {
		if parsed, err := http.ParseSetCookie(c); err == nil {
			if parsed.MaxAge < 0 {
				delete(tb.cookies, parsed.Name)
			} else {
				tb.cookies[parsed.Name] = parsed.Value
			}
		}
	}
	return resp
}

func (tb *tab) get(route, path string, params map[string]string) events.APIGatewayV2HTTPResponse {
	tb.t.Helper()
	return tb.do(http.MethodGet, route, path, params, nil)
}

func (tb *tab) post(form url.Values) events.APIGatewayV2HTTPResponse {
	tb.t.Helper()
	return tb.do(http.MethodPost, "/referrals/new", "/referrals/new", nil, form)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// openForm opens the form and returns its hidden fields (the form token
// and the one against cross-site forgery), as a browser would send them.
func (tb *tab) openForm() url.Values {
	tb.t.Helper()
	resp := tb.get("/referrals/new", "/referrals/new", nil)
	if resp.StatusCode != http.StatusOK {
		tb.t.Fatalf("GET /referrals/new: got %d, want 200", resp.StatusCode)
	}
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(resp.Body, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

// completeForm is a form a browser would send, filled in correctly.
func completeForm(hidden url.Values) url.Values {
	v := url.Values{
		"victimCount": {"1"}, "action": {"send"},
		"referrer.name": {"PC Sam Taylor"}, "referrer.force": {"Essex Police"}, "referrer.email": {"sam.taylor@essex.police.example"},
		"referrer.phone": {"01632 960 001"}, "area": {"essex"}, "route": {"police"}, "riskCriteria": {"visible-high-risk"},
		"perpetrator.firstName": {"John"}, "perpetrator.lastName": {"Pages"},
		"perpetrator.dateOfBirth-day": {"2"}, "perpetrator.dateOfBirth-month": {"3"}, "perpetrator.dateOfBirth-year": {"1984"},
		"perpetrator.postcode": {"co1 1aa"},
		"victims[0].firstName": {"Jane"}, "victims[0].lastName": {"Doe"}, "victims[0].dashScore": {"16"},
		"victims[0].safeToContact": {"no"}, "abuse.physical": {"yes"}, "abuse.incidentsLast12Months": {"4"},
		"abuse.knownVictims": {"1"}, "victimAwareOfReferral": {"yes"},
	}
	for k := range hidden {
		v.Set(k, hidden.Get(k))
	}
	return v
}

func pageHandler() (*handler, *fakeStore) {
	h, st, _ := newHandler(io.Discard)
	h.signIn = &fakeSignIn{}
	st.staff = map[string]auth.Staff{
		"tom.hughes@drive.example":     {CaseManagerID: "essex-tom-hughes", CaseManagerArea: "essex"},
		"dana.whitfield@drive.example": {Leads: []string{"essex"}},
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	st.records[refs[1]] = referral.Record{Reference: refs[1], Status: referral.StatusAllocated, ReceivedAt: at, UpdatedAt: at,
		Referral:    referral.Referral{Area: "essex"},
		SubmittedBy: &referral.Submitter{Subject: "officer-sam-taylor"},
		CaseManager: &referral.Assignee{ID: "essex-tom-hughes", Name: "Tom Hughes", Since: at}}
	return h, st
}

// TestEveryPageIsWellFormed renders every kind of page the intake
// function answers, each through call, which parses it and fails on an
// id used twice, a label naming another control (or none), a control
// with no label, or a link or description naming a missing id.
func TestEveryPageIsWellFormed(t *testing.T) {
	h, _ := pageHandler()
	ref := map[string]string{"reference": refs[1]}
	officer, cm, lead := newTab(t, h, "officer"), newTab(t, h, "cm"), newTab(t, h, "lead")
	officer.get("/", "/", nil)
	cm.get("/", "/", nil)
	lead.get("/", "/", nil)
	hidden := officer.openForm()
	cm.get("/referrals/new", "/referrals/new", nil) // not an officer: refused, in words

	empty := url.Values{"action": {"send"}}
	for k := range hidden {
		empty.Set(k, hidden.Get(k))
	}
	officer.post(empty) // every error at once
	wrong := completeForm(hidden)
	for k, v := range map[string]string{"area": "Not An Area", "route": "bus", "riskCriteria": "hunch", "perpetrator.gender": "x",
		"victims[0].relationshipToPerpetrator": "x", "perpetrator.dateOfBirth-month": "13", "victims[0].dashScore": "lots",
		"children.count": "two", "children.ages": "four", "referrer.email": "sam at essex"} {
		wrong.Set(k, v)
	}
	officer.post(wrong)
	more := completeForm(hidden)
	more.Set("action", "add-victim")
	officer.post(more) // two victim-survivors
	more.Set("victimCount", "3")
	more.Set("action", "send")
	officer.post(more) // three, the last two empty: their errors

	newTab(t, h, "").post(completeForm(hidden)) // signed out
	stale := completeForm(hidden)
	stale.Set("csrf", "from-another-session")
	officer.post(stale)
	officer.post(completeForm(hidden))

	officer.get("/referrals/{reference}/confirmation", "/referrals/"+refs[0]+"/confirmation", map[string]string{"reference": refs[0]})
	officer.get("/referrals/{reference}/confirmation", "/referrals/DRV-2222-3333/confirmation", map[string]string{"reference": "DRV-2222-3333"})
	officer.get("/referrals/{reference}/status", "/referrals/"+refs[1]+"/status", ref)
	cm.get("/referrals/{reference}/status", "/referrals/"+refs[1]+"/status", ref)
	lead.get("/referrals/{reference}/status", "/referrals/"+refs[1]+"/status", ref)
	newTab(t, h, "officer2").get("/referrals/{reference}/status", "/referrals/"+refs[1]+"/status", ref)
	officer.get("/referrals/{reference}/status", "/referrals/not-a-reference/status", map[string]string{"reference": "not-a-reference"})

	h.signIn = &fakeSignIn{finishErr: errors.New("wrapped: " + signin.ErrSignIn.Error())}
	newTab(t, h, "").get("/auth/callback", "/auth/callback", nil)
	h.signIn = &fakeSignIn{finishErr: signin.ErrSignIn}
	newTab(t, h, "").get("/auth/callback", "/auth/callback", nil)
	officer.do(http.MethodPost, "/auth/sign-out", "/auth/sign-out", nil, url.Values{}) // refused: from no page
	officer.headers["sec-fetch-site"] = "same-origin"
	officer.do(http.MethodPost, "/auth/sign-out", "/auth/sign-out", nil, url.Values{})
}

func TestOptionIDsAreTheirOwn(t *testing.T) {
	h, _ := pageHandler()
	body := newTab(t, h, "officer").get("/referrals/new", "/referrals/new", nil).Body
	for _, want := range []string{
		`id="abuse" name="abuse.physical"`, `id="abuse-sexual" name="abuse.sexual"`, `id="abuse-stalkingHarassment" name="abuse.stalkingHarassment"`,
		`for="abuse-stalkingHarassment">Stalking or harassment</label>`, `id="area-west-sussex" name="area" type="radio" value="west-sussex"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
}

// TestNoSuchReferralSaysSo: the status and confirmation pages of a
// reference that names no referral the person may see say so, with 404,
// and never show a confirmation without a reference.
func TestNoSuchReferralSaysSo(t *testing.T) {
	h, _ := pageHandler()
	tests := []struct {
		name, who, page, ref string
	}{
		{"status of an unknown referral", "officer", "status", "DRV-2222-3333"},
		{"confirmation of an unknown referral", "officer", "confirmation", "DRV-2222-3333"},
		{"status of another officer's referral", "officer2", "status", refs[1]},
		{"confirmation of another officer's referral", "officer2", "confirmation", refs[1]},
		{"confirmation to the case manager", "cm", "confirmation", refs[1]},
		{"status of something that is not a reference", "officer", "status", "not-a-reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := newTab(t, h, tt.who).get("/referrals/{reference}/"+tt.page, "/referrals/"+tt.ref+"/"+tt.page, map[string]string{"reference": tt.ref})
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("got %d, want 404", resp.StatusCode)
			}
			if want := "There is no referral with the reference " + tt.ref; !strings.Contains(resp.Body, want) {
				t.Errorf("the page does not say %q", want)
			}
			for _, wrong := range []string{"Referral sent", "govuk-panel", "Your reference number"} {
				if strings.Contains(resp.Body, wrong) {
					t.Errorf("the page shows %q for a referral that is not there", wrong)
				}
			}
		})
	}
}

var summaryLink = regexp.MustCompile(`<li><a href="#([^"]+)">([^<]+)</a></li>`)

// TestChoiceQuestionsSaySelect: every error on a radio or checkbox
// question of the form says "Select …", found by reading which kind of
// control each error summary link leads to; and the area's names the area
// by name, never by id.
func TestChoiceQuestionsSaySelect(t *testing.T) {
	h, _ := pageHandler()
	officer := newTab(t, h, "officer")
	hidden := officer.openForm()
	tampered := completeForm(hidden)
	for k, v := range map[string]string{"area": "Not An Area", "route": "bus", "riskCriteria": "hunch", "perpetrator.gender": "x",
		"victims[0].relationshipToPerpetrator": "x"} {
		tampered.Set(k, v)
	}
	tampered.Del("victims[0].safeToContact")
	tampered.Del("victimAwareOfReferral")
	empty := url.Values{"action": {"send"}}
	for k := range hidden {
		empty.Set(k, hidden.Get(k))
	}
	choiceErrors := 0
	for _, form := range []url.Values{tampered, empty} {
		body := officer.post(form).Body
		for _, m := range summaryLink.FindAllStringSubmatch(body, -1) {
			control := regexp.MustCompile(`<input[^>]* id="` + regexp.QuoteMeta(m[1]) + `"[^>]*type="(radio|checkbox)"`)
			if !control.MatchString(body) {
				continue
			}
			choiceErrors++
			if !strings.HasPrefix(m[2], "Select ") {
				t.Errorf("the error on %s, a %s question, says %q; want Select …", m[1], control.FindStringSubmatch(body)[1], m[2])
			}
		}
		if strings.Contains(body, "like essex") {
			t.Error("an error names an area by its id, like essex")
		}
	}
	if choiceErrors < 9 {
		t.Errorf("found %d errors on radio and checkbox questions, want at least 9 (area, route, risk criteria, gender, relationship, safe to contact and victim aware, twice over)", choiceErrors)
	}
}

// TestStatusPageNamesPeopleAndAreas: the area by its name, statuses as
// tags in words, history in words naming people (as the store writes it,
// referral's *Words); a lead's reason for reallocating and a case
// manager's note on closing are shown to staff, and neither on the page
// nor in the API to the officer who referred.
func TestStatusPageNamesPeopleAndAreas(t *testing.T) {
	h, st := pageHandler()
	at := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
	accepted, _ := referral.EndingWords(referral.ActionAccept, "Tom Hughes", referral.Ending{})
	closed, closeNote := referral.EndingWords(referral.ActionClose, "Tom Hughes", referral.Ending{Reason: "moved-out-of-area", Note: "Moved in with his mother in Leeds"})
	st.history = map[string][]referral.Transition{refs[1]: {
		{At: at, To: referral.StatusReceived, By: "intake", Reason: referral.ReceivedWords("PC Sam Taylor")},
		{At: at, From: referral.StatusReceived, To: referral.StatusEligible, By: "eligibility", Reason: referral.DecidedWords(true)},
		{At: at, From: referral.StatusEligible, To: referral.StatusAllocated, By: "allocate", Reason: referral.AllocatedWords("Alex Morgan")},
		{At: at, From: referral.StatusAllocated, To: referral.StatusAllocated, By: "dana.whitfield@drive.example",
			Reason: referral.ReallocatedWords("Dana Whitfield", "Alex Morgan", "Tom Hughes"), Note: "Alex knows the family socially"},
		{At: at, From: referral.StatusAllocated, To: referral.StatusAccepted, By: "tom.hughes@drive.example", Reason: accepted},
		{At: at, From: referral.StatusAccepted, To: referral.StatusClosed, By: "tom.hughes@drive.example", Reason: closed, Note: closeNote},
	}}
	path := "/referrals/" + refs[1] + "/status"
	ref := map[string]string{"reference": refs[1]}
	officer := newTab(t, h, "officer").get("/referrals/{reference}/status", path, ref).Body
	for _, want := range []string{`id="area">Essex</dd>`, `<strong class="govuk-tag govuk-tag--yellow" data-status="allocated">Allocated to a case manager</strong>`,
		"Referral received from PC Sam Taylor", "Decided: eligible", "Allocated to Alex Morgan", "Reallocated by Dana Whitfield from Alex Morgan to Tom Hughes",
		"Accepted by Tom Hughes", "Closed by Tom Hughes: moved out of area", `id="case-manager">Tom Hughes</dd>`} {
		if !strings.Contains(officer, want) {
			t.Errorf("the officer's status page lacks %s", want)
		}
	}
	for _, wrong := range []string{">essex<", "essex-tom-hughes", "Alex knows the family", ">allocated<", "moved-out-of-area", "@drive.example", "Leeds"} {
		if strings.Contains(officer, wrong) {
			t.Errorf("the officer's status page shows %s", wrong)
		}
	}
	for _, who := range []string{"lead", "cm"} {
		body := newTab(t, h, who).get("/referrals/{reference}/status", path, ref).Body
		for _, want := range []string{"Alex knows the family socially", "Moved in with his mother in Leeds"} {
			if !strings.Contains(body, want) {
				t.Errorf("the %s's status page lacks staff's note %q", who, want)
			}
		}
	}
	_, _, raw := invoke(t, h, event(t, "get-referral.json", func(e *events.APIGatewayV2HTTPRequest) { e.PathParameters["reference"] = refs[1] }))
	if !strings.Contains(raw, "Reallocated by Dana Whitfield from Alex Morgan to Tom Hughes") || !strings.Contains(raw, "Closed by Tom Hughes: moved out of area") ||
		strings.Contains(raw, "Alex knows the family") || strings.Contains(raw, "Leeds") {
		t.Errorf("the officer's API answer: got %s, want the reallocation and closure without staff's notes", raw)
	}
}

// TestSignedOutIsAPageMessage: being signed out, a form older than the
// sign-in and a fault of ours are about the whole form: a
// notification banner, not an error on a field.
func TestSignedOutIsAPageMessage(t *testing.T) {
	h, _ := pageHandler()
	officer := newTab(t, h, "officer")
	hidden := officer.openForm()
	stale := completeForm(hidden)
	stale.Set("csrf", "from-another-session")
	tests := []struct {
		name string
		tab  *tab
		form url.Values
		code int
		want string
	}{
		{"signed out", newTab(t, h, ""), completeForm(hidden), http.StatusUnauthorized, "You have been signed out, so the referral was not sent"},
		{"a form of an older session", officer, stale, http.StatusForbidden, "the form was older than your sign-in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.tab.post(tt.form)
			if resp.StatusCode != tt.code {
				t.Errorf("got %d, want %d", resp.StatusCode, tt.code)
			}
			if !regexp.MustCompile(`(?s)class="govuk-notification-banner".*` + regexp.QuoteMeta(tt.want)).MatchString(resp.Body) {
				t.Errorf("the page lacks a notification banner saying %q", tt.want)
			}
			for _, wrong := range []string{"govuk-error-summary", "govuk-form-group--error", "-error\""} {
				if strings.Contains(resp.Body, wrong) {
					t.Errorf("the page shows a field error (%s) for a message about the whole form", wrong)
				}
			}
			if !strings.Contains(resp.Body, `value="Pages"`) {
				t.Error("what was typed is lost")
			}
		})
	}
}

// TestSignedOutThenSignedInSendsOnOnePress: an officer is signed out
// mid-form, presses Send (the form comes back, kept), signs in again in
// another tab, and presses Send once: the referral is sent. A second
// press is the same referral. A form sent by another site is still
// refused.
func TestSignedOutThenSignedInSendsOnOnePress(t *testing.T) {
	h, st := pageHandler()
	officer := newTab(t, h, "officer")
	officer.headers = map[string]string{"sec-fetch-site": "same-origin", "origin": "https://abc123.execute-api.eu-west-2.amazonaws.com"}
	form := completeForm(officer.openForm())

	delete(officer.cookies, signin.SessionCookie) // the session ends
	resp := officer.post(form)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("signed out: got %d, want 401", resp.StatusCode)
	}
	kept := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(resp.Body, -1) {
		kept.Set(m[1], m[2])
	}
	form = completeForm(kept) // what the page now holds

	officer.cookies[signin.SessionCookie] = "officer-again" // signed in again, in another tab
	evil := newTab(t, h, "")
	evil.cookies = officer.cookies
	evil.headers = map[string]string{"sec-fetch-site": "cross-site", "origin": "https://evil.example"}
	if resp := evil.post(form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the same form sent by another site: got %d, want 403", resp.StatusCode)
	}
	resp = officer.post(form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Headers["Location"], "/confirmation") {
		t.Fatalf("one press of Send after signing in again: got %d to %q, want 303 to the confirmation", resp.StatusCode, resp.Headers["Location"])
	}
	again := officer.post(form)
	if again.Headers["Location"] != resp.Headers["Location"] || len(st.records) != 2 {
		t.Errorf("a second press: got %d to %q and %d referrals, want the same referral", again.StatusCode, again.Headers["Location"], len(st.records))
	}
}

var submitButton = regexp.MustCompile(`<button type="submit" name="action" value="([^"]+)"`)

// TestEnterSendsAndVictimsCanBeRemoved: Enter in a text box presses the
// form's first submit button, which must send the form, not add a
// victim-survivor; adding one lands at the new one's section; and each
// added victim-survivor can be removed, keeping everything else typed.
func TestEnterSendsAndVictimsCanBeRemoved(t *testing.T) {
	h, _ := pageHandler()
	officer := newTab(t, h, "officer")
	body := officer.get("/referrals/new", "/referrals/new", nil).Body
	if m := submitButton.FindStringSubmatch(body); m == nil || m[1] != "send" {
		t.Errorf("the form's first submit button: got %v, want the one that sends", m)
	}
	if !strings.Contains(body, `value="add-victim" formaction="/referrals/new#victim-1"`) {
		t.Error("adding a victim-survivor does not land at the new one's section")
	}
	if strings.Contains(body, "Remove victim-survivor") {
		t.Error("the only victim-survivor can be removed")
	}

	form := completeForm(officer.openForm())
	form.Set("victimCount", "3")
	for k, v := range map[string]string{"victims[1].firstName": "Ann", "victims[1].dateOfBirth-day": "9",
		"victims[2].firstName": "Bea", "victims[2].lastName": "Third", "victims[2].dateOfBirth-month": "May", "victims[2].safeToContact": "yes"} {
		form.Set(k, v)
	}
	form.Set("action", "remove-victim-1")
	resp := officer.post(form)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("removing victim-survivor 2: got %d, want 200", resp.StatusCode)
	}
	for _, want := range []string{`name="victimCount" value="2"`, `name="victims[1].firstName" type="text" value="Bea"`,
		`name="victims[1].lastName" type="text" value="Third"`, `name="victims[1].dateOfBirth-month" type="text" value="May"`,
		`name="victims[1].safeToContact" type="radio" value="yes" checked`, `name="victims[0].firstName" type="text" value="Jane"`,
		`value="Pages"`, "Remove victim-survivor 2"} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("after removing victim-survivor 2, the form lacks %s", want)
		}
	}
	for _, gone := range []string{"Ann", `value="9"`, "victims[2]", "Remove victim-survivor 3", "Remove victim-survivor 1"} {
		if strings.Contains(resp.Body, gone) {
			t.Errorf("after removing victim-survivor 2, the form still has %s", gone)
		}
	}
}

// TestVictimErrorsSayWhichVictim: with two victim-survivors, an error
// about the second says so, beside the field and in the summary; with
// one, it says "the victim-survivor".
func TestVictimErrorsSayWhichVictim(t *testing.T) {
	h, _ := pageHandler()
	officer := newTab(t, h, "officer")
	one := completeForm(officer.openForm())
	one.Del("victims[0].firstName")
	one.Del("victims[0].lastName")
	if body := officer.post(one).Body; !strings.Contains(body, "Enter the victim-survivor&#39;s first name") {
		t.Error("with one victim-survivor, the error does not say the victim-survivor's first name")
	}
	two := completeForm(officer.openForm())
	two.Set("victimCount", "2")
	two.Set("victims[1].dashScore", "30")
	body := officer.post(two).Body
	for _, want := range []string{"Enter victim-survivor 2&#39;s first name", "Select yes if it is safe to contact victim-survivor 2",
		"Victim-survivor 2: DASH score must be"} {
		if n := strings.Count(body, want); n != 2 {
			t.Errorf("got %q %d times, want 2 (the summary and the field)", want, n)
		}
	}
}

// TestDateErrorMarksTheWrongBox: only the box that is wrong is shown in
// error, and the summary links to it; the month box takes month names.
func TestDateErrorMarksTheWrongBox(t *testing.T) {
	h, _ := pageHandler()
	officer := newTab(t, h, "officer")
	form := completeForm(officer.openForm())
	form.Set("perpetrator.dateOfBirth-month", "13")
	body := officer.post(form).Body
	box := func(part string) string {
		m := regexp.MustCompile(`<input class="([^"]*)" id="[^"]*" name="perpetrator.dateOfBirth-` + part + `"[^>]*>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s box", part)
		}
		return m[0]
	}
	for part, wrong := range map[string]bool{"day": false, "month": true, "year": false} {
		if got := strings.Contains(box(part), "govuk-input--error"); got != wrong {
			t.Errorf("the %s box in error: got %v, want %v", part, got, wrong)
		}
	}
	if strings.Contains(box("month"), "inputmode") {
		t.Error("the month box asks for a number keypad, but takes month names")
	}
	if !strings.Contains(body, `<a href="#perpetrator-dateOfBirth-month">`) {
		t.Error("the summary does not link to the month box")
	}
	if !strings.Contains(body, "27 March 1984") {
		t.Error("the hint does not say a month name works")
	}
}

// TestHomeNamesRolesInWords: the home page says "case manager", not the
// role's id.
func TestHomeNamesRolesInWords(t *testing.T) {
	h, _ := pageHandler()
	for who, want := range map[string]string{"cm": "case manager", "lead": "area lead", "officer": "officer"} {
		body := newTab(t, h, who).get("/", "/", nil).Body
		if !strings.Contains(body, ", "+want+".") || strings.Contains(body, "-lead") || strings.Contains(body, "case-manager") {
			t.Errorf("%s's home page does not say %q in words", who, want)
		}
	}
}

// TestSignedOutPageSignsInInTheSameTab: after signing out, Sign in opens
// in the same tab (only the form, kept while signed out, opens a new one).
func TestSignedOutPageSignsInInTheSameTab(t *testing.T) {
	h, _ := pageHandler()
	officer := newTab(t, h, "officer")
	officer.headers["sec-fetch-site"] = "same-origin"
	body := officer.do(http.MethodPost, "/auth/sign-out", "/auth/sign-out", nil, url.Values{}).Body
	if !strings.Contains(body, "You have signed out") || strings.Contains(body, `target="_blank"`) {
		t.Error("the signed-out page's links open a new tab")
	}
}

// TestSignOutOnlyFromOwnPages: another site's form cannot sign anyone
// out; a Drive page's can, by its headers or by its form token.
func TestSignOutOnlyFromOwnPages(t *testing.T) {
	h, _ := pageHandler()
	const origin = "https://abc123.execute-api.eu-west-2.amazonaws.com"
	token := signin.CSRFToken([]string{signin.SessionCookie + "=officer"})
	tests := []struct {
		name    string
		headers map[string]string
		form    url.Values
		want    int
	}{
		{"another site's form", map[string]string{"sec-fetch-site": "cross-site", "origin": "https://evil.example"}, url.Values{}, http.StatusForbidden},
		{"another site's form, in a browser without Sec-Fetch-Site", map[string]string{"origin": "https://evil.example"}, url.Values{}, http.StatusForbidden},
		{"a sibling site's form", map[string]string{"sec-fetch-site": "same-site", "origin": "https://x.execute-api.eu-west-2.amazonaws.com"}, url.Values{}, http.StatusForbidden},
		{"another site's form with a made-up token", map[string]string{"sec-fetch-site": "cross-site"}, url.Values{"csrf": {"made-up"}}, http.StatusForbidden},
		{"no headers, no token", map[string]string{}, url.Values{}, http.StatusForbidden},
		{"a Drive page", map[string]string{"sec-fetch-site": "same-origin", "origin": origin}, url.Values{}, http.StatusOK},
		{"a Drive page, in a browser without Sec-Fetch-Site", map[string]string{"origin": origin}, url.Values{}, http.StatusOK},
		{"a Drive page's form token, no headers", map[string]string{}, url.Values{"csrf": {token}}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			officer := newTab(t, h, "officer")
			officer.headers = tt.headers
			resp := officer.do(http.MethodPost, "/auth/sign-out", "/auth/sign-out", nil, tt.form)
			if resp.StatusCode != tt.want {
				t.Fatalf("got %d, want %d", resp.StatusCode, tt.want)
			}
			_, signedIn := officer.cookies[signin.SessionCookie]
			if want := tt.want != http.StatusOK; signedIn != want {
				t.Errorf("still signed in: got %v, want %v", signedIn, want)
			}
		})
	}
}

// TestSignOutFormCarriesItsToken: the Sign out button of a page with a
// form token sends it, so that signing out works from a browser that
// sends neither Origin nor Sec-Fetch-Site.
func TestSignOutFormCarriesItsToken(t *testing.T) {
	h, _ := pageHandler()
	body := newTab(t, h, "officer").get("/referrals/new", "/referrals/new", nil).Body
	form := regexp.MustCompile(`(?s)<form method="post" action="/auth/sign-out".*?</form>`).FindString(body)
	if want := `name="csrf" value="` + signin.CSRFToken([]string{signin.SessionCookie + "=officer"}) + `"`; !strings.Contains(form, want) {
		t.Errorf("got sign-out form %q, want it to carry %s", form, want)
	}
}

// TestSamePersonAgainIsPassedOn: the same person sent again on the form
// is passed to the team working with them: the confirmation says so,
// naming the earlier referral only to the officer who made it.
func TestSamePersonAgainIsPassedOn(t *testing.T) {
	h, st := pageHandler()
	officer := newTab(t, h, "officer")
	if resp := officer.post(completeForm(officer.openForm())); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first referral: got %d, want 303", resp.StatusCode)
	}
	first := refs[0]
	for _, tt := range []struct {
		who       string
		namesOpen bool
	}{{"officer", true}, {"officer2", false}} {
		t.Run(tt.who, func(t *testing.T) {
			tb := newTab(t, h, tt.who)
			resp := tb.post(completeForm(tb.openForm()))
			loc := resp.Headers["Location"]
			if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "/confirmation") {
				t.Fatalf("got %d to %q, want 303 to the confirmation", resp.StatusCode, loc)
			}
			ref := strings.TrimSuffix(strings.TrimPrefix(loc, "/referrals/"), "/confirmation")
			if rec := st.records[ref]; rec.Status != referral.StatusLinked || rec.LinkedTo != first {
				t.Errorf("stored %s linked to %q, want linked to %s", rec.Status, rec.LinkedTo, first)
			}
			body := tb.get("/referrals/{reference}/confirmation", loc, map[string]string{"reference": ref}).Body
			if !strings.Contains(body, "passed to them") {
				t.Errorf("the confirmation does not say the referral was passed on:\n%s", body)
			}
			if got := strings.Contains(body, first); got != tt.namesOpen {
				t.Errorf("the confirmation names %s: %v, want %v", first, got, tt.namesOpen)
			}
		})
	}
}

// TestLinkedReferralIsForTheOpenOnesTeam: a referral linked to an open
// one is seen, with its staff notes, by the case manager holding the open
// one and its area's leads; the officer who made it sees it without them,
// and another officer not at all.
func TestLinkedReferralIsForTheOpenOnesTeam(t *testing.T) {
	h, st := pageHandler()
	const linked = "DRV-9X3Q-T7KB"
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	st.records[linked] = referral.Record{Reference: linked, Status: referral.StatusLinked, ReceivedAt: at, UpdatedAt: at, LinkedTo: refs[1],
		Referral: referral.Referral{Area: "west-sussex"}, SubmittedBy: &referral.Submitter{Subject: "officer-2"}}
	st.history = map[string][]referral.Transition{linked: {{At: at, To: referral.StatusLinked, By: "intake",
		Reason: referral.LinkedWords("PC Other"), Note: referral.LinkedNote(refs[1])}}}
	for _, tt := range []struct {
		who      string
		want     int
		seesNote bool
	}{{"cm", 200, true}, {"lead", 200, true}, {"officer2", 200, false}, {"officer", 404, false}} {
		t.Run(tt.who, func(t *testing.T) {
			resp := newTab(t, h, tt.who).get("/referrals/{reference}/status", "/referrals/"+linked+"/status", map[string]string{"reference": linked})
			if resp.StatusCode != tt.want {
				t.Fatalf("got %d, want %d", resp.StatusCode, tt.want)
			}
			if got := strings.Contains(resp.Body, refs[1]); got != tt.seesNote && tt.want == 200 {
				t.Errorf("shows the open reference %s: %v, want %v", refs[1], got, tt.seesNote)
			}
			// What linked means, for the officer above all (issue 13).
			if tt.want == 200 && !strings.Contains(resp.Body, `id="linked-means"`) {
				t.Errorf("the page does not say what linked means:\n%s", resp.Body)
			}
		})
	}
}

// TestAccessibilityStatementIsPublicAndLinkedFromEveryPage: the footer of
// every page links the statement, which anyone may read, signed in or not.
func TestAccessibilityStatementIsPublicAndLinkedFromEveryPage(t *testing.T) {
	h, _ := pageHandler()
	for _, who := range []string{"", "officer"} {
		resp := newTab(t, h, who).get("/accessibility", "/accessibility", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "Accessibility statement for Drive referrals") {
			t.Errorf("as %q: got %d, want 200 with the statement", who, resp.StatusCode)
		}
	}
	if home := newTab(t, h, "officer").get("/", "/", nil); !strings.Contains(home.Body, `href="/accessibility"`) {
		t.Error("the home page's footer does not link the accessibility statement")
	}
}
