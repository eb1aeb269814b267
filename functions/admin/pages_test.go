package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/htmlcheck"
	"github.com/driveprogramme/referrals/shared/privacytest"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/report"
	"github.com/driveprogramme/referrals/shared/signin"
)

// pageStore is fakeStore with staff by email: dana leads kent, eli
// leads essex.
type pageStore struct{ *fakeStore }

func (pageStore) Staff(_ context.Context, email string) (auth.Staff, error) {
	switch email {
	case "dana@drive.example":
		return auth.Staff{Leads: []string{"kent"}}, nil
	case "eli@drive.example":
		return auth.Staff{Leads: []string{"essex"}}, nil
	case "alex@drive.example":
		return auth.Staff{CaseManagerID: "kent-cm1", CaseManagerArea: "kent"}, nil
	}
	return auth.Staff{}, nil
}

var pageNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// kentReferral is a referral of kent received days before pageNow,
// with the perpetrator's details the privacy check looks for.
func kentReferral(ref string, days int, status referral.Status, first, last, pnc string) referral.Record {
	rec := referral.Record{Reference: ref, Status: status, ReceivedAt: pageNow.AddDate(0, 0, -days),
		Referral: referral.Referral{Area: "kent", Route: referral.RouteMARAC,
			Perpetrator: referral.Perpetrator{FirstName: first, LastName: last, DateOfBirth: "1986-02-03", Postcode: "CT1 1AA", PNCID: pnc}}}
	if status == referral.StatusAllocated || status == referral.StatusAccepted {
		rec.CaseManager = &referral.Assignee{ID: "kent-cm1", Name: "Robin Hale"}
	}
	return rec
}

func pagesHandler() (*handler, *fakeStore, *bytes.Buffer) {
	logs := &bytes.Buffer{}
	st := &fakeStore{managers: []allocation.CaseManager{{ID: "kent-cm1", Area: "kent", Name: "Robin Hale", Capacity: 4, Caseload: 2, Active: true}}}
	h := &handler{store: pageStore{st}, queues: &fakeQueue{}, rolesClaim: "roles", signIn: sessions{},
		log: slog.New(slog.NewJSONHandler(logs, nil)), now: func() time.Time { return pageNow }}
	return h, st, logs
}

// get asks for a page as who, with the query.
func get(t *testing.T, h *handler, who, route, area, query string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	req := events.APIGatewayV2HTTPRequest{RouteKey: route, RawQueryString: query, PathParameters: map[string]string{"area": area}}
	req.RawPath = strings.Replace(strings.TrimPrefix(route, "GET "), "{area}", area, 1)
	if who != "" {
		req.Cookies = []string{signin.SessionCookie + "=" + who}
	}
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, resp)
	return resp
}

// post sends a form as who (with their session's token).
func post(t *testing.T, h *handler, who, route, area string, form url.Values) events.APIGatewayV2HTTPResponse {
	t.Helper()
	cookies := []string{signin.SessionCookie + "=" + who}
	if form.Get("csrf") == "" {
		form.Set("csrf", signin.CSRFToken(cookies))
	}
	req := events.APIGatewayV2HTTPRequest{RouteKey: route, Body: form.Encode(), Cookies: cookies, PathParameters: map[string]string{"area": area},
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}}
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, resp)
	return resp
}

func checkPage(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	if strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		for _, problem := range htmlcheck.Check([]byte(resp.Body)) {
			t.Errorf("page: %s", problem)
		}
	}
}

const (
	reportRoute    = "GET /areas/{area}/report"
	csvRoute       = "GET /areas/{area}/report.csv"
	referralsRoute = "GET /areas/{area}/referrals"
	searchRoute    = "POST /areas/{area}/referrals"
)

// TestAreaPagesAreForTheAreasLeadsAndAdmins: each page answers the
// area's lead and an admin; anyone else, a lead of another area
// included, is told there is no such area (404), and nobody signed out
// sees anything (sent to sign in).
func TestAreaPagesAreForTheAreasLeadsAndAdmins(t *testing.T) {
	h, st, _ := pagesHandler()
	st.referrals = []referral.Record{kentReferral("DRV-AAAA-AAAA", 3, referral.StatusWaitlisted, "Jon", "Doe", "")}
	want := map[string]int{"lead": 200, "admin": 200, "lead-elsewhere": 404, "manager": 404, "officer": 404, "": 303}
	for _, route := range []string{reportRoute, csvRoute, referralsRoute} {
		for who, code := range want {
			resp := get(t, h, who, route, "kent", "")
			if resp.StatusCode != code {
				t.Errorf("%s as %q: got %d, want %d", route, who, resp.StatusCode, code)
			}
		}
		if resp := get(t, h, "admin", route, "nowhere", ""); resp.StatusCode != 404 {
			t.Errorf("%s of an area that does not exist: got %d, want 404", route, resp.StatusCode)
		}
	}
}

// TestReportPage: the figures of the referrals received in the range,
// the chart as an accessible image with the same figures in a table,
// and no personal data.
func TestReportPage(t *testing.T) {
	h, st, _ := pagesHandler()
	recs := []referral.Record{
		kentReferral("DRV-AAAA-AAAA", 40, referral.StatusAllocated, "Jon", "Doe", ""),
		kentReferral("DRV-BBBB-BBBB", 10, referral.StatusIneligible, "Ann", "Smithers", ""),
		kentReferral("DRV-CCCC-CCCC", 500, referral.StatusClosed, "Oldfield", "Casey", ""), // outside the last 12 months
	}
	for _, r := range recs {
		row := report.Referral{Reference: r.Reference, Area: "kent", Route: r.Referral.Route, Status: r.Status, ReceivedAt: r.ReceivedAt}
		if r.Status == referral.StatusAllocated {
			row.AllocatedAt = r.ReceivedAt.Add(36 * time.Hour)
		}
		st.rows = append(st.rows, row)
	}
	resp := get(t, h, "lead", reportRoute, "kent", "")
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %.300s, want 200", resp.StatusCode, resp.Body)
	}
	for _, want := range []string{
		`<dt class="govuk-summary-list__key">Referrals received</dt><dd class="govuk-summary-list__value">2</dd>`,
		"50% of those decided were eligible",
		"1 day 12 hours", // the median time to allocation
		`role="img"`, `<title id="chart-received-title">`, `<desc id="chart-received-desc">`, `aria-labelledby="chart-allocation-title chart-allocation-desc"`,
		"October 2026: 1", // the desc says the figures in words
		`id="by-month"`, "December 2025", "November 2026",
		`href="/areas/kent/report.csv?`,
		"Robin Hale", "50%",
	} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("report page: want %q in it", want)
		}
	}
	if strings.Contains(resp.Body, "DRV-CCCC-CCCC") || strings.Contains(resp.Body, "November 2025") {
		t.Errorf("report page counts a referral outside the last 12 months")
	}
	for _, r := range recs {
		if found := privacytest.Find(resp.Body, privacytest.Referral(r.Referral)...); len(found) > 0 {
			t.Errorf("report page shows personal data: %v", found)
		}
	}
}

// TestReportRangeErrors: a range that does not read is shown again with
// the error summary, 400, and no figures.
func TestReportRangeErrors(t *testing.T) {
	h, _, logs := pagesHandler()
	for _, tt := range []struct{ query, says string }{
		{"from-day=31&from-month=2&from-year=2026", "The start date must be a real date"},
		{"from-day=1&from-month=&from-year=2026", "The start date must include a month"},
		{"from-day=1&from-month=6&from-year=2026&to-day=1&to-month=5&to-year=2026", "The end date must be the same as or after the start date"},
		{"from-day=1&from-month=6&from-year=2000&to-day=1&to-month=5&to-year=2026", "within 10 years"},
	} {
		for _, route := range []string{reportRoute, csvRoute} {
			resp := get(t, h, "lead", route, "kent", tt.query)
			if resp.StatusCode != 400 || !strings.Contains(resp.Body, "govuk-error-summary") || !strings.Contains(resp.Body, tt.says) {
				t.Errorf("%s?%s: got %d %.200s, want 400 with the error summary saying %q", route, tt.query, resp.StatusCode, resp.Body, tt.says)
			}
		}
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("a user's mistake logged as an error: %s", logs.String())
	}
}

// TestReportCSV: the download is an attachment with a filename, one row
// per referral with its statuses' times (from the evaluation record, or
// else the history), each rule's outcome and the close reason, no
// personal data, and every cell safe from spreadsheet formulas.
func TestReportCSV(t *testing.T) {
	h, st, _ := pagesHandler()
	at := pageNow.AddDate(0, 0, -20)
	st.rows = []report.Referral{
		{Reference: "DRV-AAAA-AAAA", Area: "kent", Route: referral.RouteMARAC, Status: referral.StatusClosed, ReceivedAt: at, Evaluated: true,
			RulesVersion: 2, Rules: []report.Rule{{Rule: "area-served", Passed: true}, {Rule: "minimum-age", Passed: true}}, CloseReason: "completed",
			Path: []report.Step{{Status: referral.StatusReceived, At: at}, {Status: referral.StatusEligible, At: at.Add(time.Minute)}, {Status: referral.StatusClosed, At: at.Add(48 * time.Hour)}}},
		{Reference: "=HYPERLINK(\"x\")", Area: "kent", Route: "+cmd", Status: referral.StatusReceived, ReceivedAt: at.Add(time.Hour)},
	}
	st.history = map[string][]referral.Transition{"=HYPERLINK(\"x\")": {{At: at.Add(time.Hour), To: referral.StatusReceived, Reason: "Received from PC Sam Taylor"}}}
	resp := get(t, h, "lead", reportRoute, "kent", "format=csv")
	if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "text/csv; charset=utf-8" {
		t.Fatalf("got %d %v, want 200 text/csv", resp.StatusCode, resp.Headers)
	}
	if cd := resp.Headers["Content-Disposition"]; cd != `attachment; filename="drive-kent-referrals-2025-12-01-to-2026-11-23.csv"` {
		t.Errorf("got Content-Disposition %q, want an attachment named for the area and range", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(resp.Body)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("got %d rows, %v; want a header and 2", len(rows), err)
	}
	col := func(name string) int {
		for i, h := range rows[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s in %v", name, rows[0])
		return -1
	}
	first := rows[1]
	for name, want := range map[string]string{"reference": "DRV-AAAA-AAAA", "status": "closed", "received_at": at.Format(time.RFC3339),
		"closed_at": at.Add(48 * time.Hour).Format(time.RFC3339), "rules_version": "2", "rule_area_served": "passed", "rule_no_open_referral": "",
		"close_reason": "completed", "allocated_at": ""} {
		if got := first[col(name)]; got != want {
			t.Errorf("column %s: got %q, want %q", name, got, want)
		}
	}
	second := rows[2]
	if second[col("reference")] != "'=HYPERLINK(\"x\")" || second[col("route")] != "'+cmd" || second[col("received_at")] != at.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("got %q, want formulas made text and the received time from the history", second)
	}
	if strings.Contains(resp.Body, "Sam Taylor") {
		t.Errorf("the download holds a name from the history's words: %s", resp.Body)
	}
	if alt := get(t, h, "lead", csvRoute, "kent", ""); alt.Body != resp.Body {
		t.Errorf("report.csv and ?format=csv differ")
	}
}

// TestReferralsList: the open referrals, filtered and a page at a time;
// a search by reference; a search by name or PNC ID recorded on each
// referral found, for leads only.
func TestReferralsList(t *testing.T) {
	h, st, logs := pagesHandler()
	for i := range 25 {
		st.referrals = append(st.referrals, kentReferral(fmt.Sprintf("DRV-W%03d-AAAA", i), 30-i, referral.StatusWaitlisted, "Someone", "Else", ""))
	}
	pnc := referral.FormatPNC(1986, 123456)
	jon := kentReferral("DRV-JJJJ-JJJJ", 5, referral.StatusAllocated, "Jon", "O'Doherty", pnc)
	closed := kentReferral("DRV-KKKK-KKKK", 5, referral.StatusClosed, "Jon", "O'Doherty", "")
	st.referrals = append(st.referrals, jon, closed)

	resp := get(t, h, "lead", referralsRoute, "kent", "")
	if !strings.Contains(resp.Body, "1 to 20 of 26 open referrals") || !strings.Contains(resp.Body, `rel="next"`) || strings.Contains(resp.Body, "DRV-KKKK-KKKK") {
		t.Errorf("first page: want 20 of the 26 open ones, a next page, and no closed one: %.2000s", resp.Body)
	}
	resp = get(t, h, "lead", referralsRoute, "kent", "page=2")
	if !strings.Contains(resp.Body, "21 to 26 of 26") || !strings.Contains(resp.Body, `href="/cases/DRV-JJJJ-JJJJ"`) || !strings.Contains(resp.Body, `rel="prev"`) {
		t.Errorf("second page: want the allocated one last (by status), linked to its case: %.2000s", resp.Body)
	}
	resp = get(t, h, "lead", referralsRoute, "kent", "status=allocated&caseManager=kent-cm1")
	if !strings.Contains(resp.Body, "1 to 1 of 1 open referrals") {
		t.Errorf("filtered by status and case manager: want 1: %.2000s", resp.Body)
	}
	resp = get(t, h, "lead", referralsRoute, "kent", "status=sideways")
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, "Select a status from the list") {
		t.Errorf("an unknown status: got %d, want 400 with the error", resp.StatusCode)
	}

	// By reference: not personal data, nothing recorded.
	resp = post(t, h, "admin", searchRoute, "kent", url.Values{"q": {"drv jjjj jjjj"}})
	if !strings.Contains(resp.Body, "1 found") || len(st.views) != 0 {
		t.Errorf("search by reference: got %.300s and views %v, want 1 found and nothing recorded", resp.Body, st.views)
	}
	// By name: leads only, recorded on each referral found.
	resp = post(t, h, "admin", searchRoute, "kent", url.Values{"q": {"odoherty"}})
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, "only the area&#39;s leads can search by name") {
		t.Errorf("an admin's search by name: got %d %.300s, want 400", resp.StatusCode, resp.Body)
	}
	resp = post(t, h, "lead", searchRoute, "kent", url.Values{"q": {"Jon O’Doherty"}})
	if !strings.Contains(resp.Body, "1 found") || !strings.Contains(resp.Body, "DRV-JJJJ-JJJJ") {
		t.Errorf("a lead's search by name: got %.1000s, want the open referral", resp.Body)
	}
	if v := st.views["DRV-JJJJ-JJJJ"]; len(v) != 1 || v[0].Subject != "lead-dana" || v[0].Role != "area lead, search by name" {
		t.Errorf("got views %+v, want the search recorded on the referral found", st.views)
	}
	resp = post(t, h, "lead", searchRoute, "kent", url.Values{"q": {strings.Replace(pnc, "1986/0", "86/", 1)}})
	if !strings.Contains(resp.Body, "DRV-JJJJ-JJJJ") || len(st.views["DRV-JJJJ-JJJJ"]) != 2 {
		t.Errorf("a search by PNC ID: got %.300s, views %+v; want it found and recorded", resp.Body, st.views)
	}
	if strings.Contains(logs.String(), "Doherty") || strings.Contains(logs.String(), "123456") {
		t.Errorf("the search's words are logged: %s", logs.String())
	}
	// A search whose record cannot be kept shows nothing.
	st.viewErr = errors.New("table unavailable")
	resp = post(t, h, "lead", searchRoute, "kent", url.Values{"q": {"doherty"}})
	if resp.StatusCode != 503 || strings.Contains(resp.Body, "DRV-JJJJ-JJJJ") {
		t.Errorf("got %d, want 503 and nothing shown when the search cannot be recorded", resp.StatusCode)
	}
	// A form without the session's token searches nothing.
	st.viewErr = nil
	resp = post(t, h, "lead", searchRoute, "kent", url.Values{"q": {"doherty"}, "csrf": {"forged"}})
	if resp.StatusCode != 403 || strings.Contains(resp.Body, "DRV-JJJJ-JJJJ") {
		t.Errorf("a forged search: got %d, want 403 and nothing found", resp.StatusCode)
	}
}
