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
	"officer":  {Subject: "officer-sam-taylor", Email: "sam.taylor@essex.police.example", Name: "PC Sam Taylor", Roles: []auth.Role{auth.Officer}},
	"officer2": {Subject: "officer-2", Email: "other@kent.police.example", Name: "PC Other", Roles: []auth.Role{auth.Officer}},
	"cm":       {Subject: "cm-tom", Email: "tom.hughes@drive.example", Name: "Tom Hughes", Roles: []auth.Role{auth.CaseManager}},
	"lead":     {Subject: "lead-dana", Email: "dana.whitfield@drive.example", Name: "Dana Whitfield", Roles: []auth.Role{auth.AreaLead}},
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
}

func newTab(t *testing.T, h *handler, who string) *tab {
	tb := &tab{t: t, h: h, cookies: map[string]string{}}
	if who != "" {
		tb.cookies[signin.SessionCookie] = who
	}
	return tb
}

// do sends one request as API Gateway would, and keeps the cookies set.
func (tb *tab) do(method, route, path string, params map[string]string, form url.Values) events.APIGatewayV2HTTPResponse {
	tb.t.Helper()
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: method + " " + route, RawPath: path, PathParameters: params,
		Headers: map[string]string{"host": "abc123.execute-api.eu-west-2.amazonaws.com"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: "abc123.execute-api.eu-west-2.amazonaws.com",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path}}}
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
