package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/htmlcheck"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/signin"
)

// The people of the area page's tests, by the session cookie (or bearer
// token) that names them.
var people = map[string]auth.Identity{
	"lead":       {Subject: "lead-dana", Email: "dana@drive.example", Name: "Dana Whitfield", Roles: []auth.Role{auth.AreaLead}},
	"other-lead": {Subject: "lead-lee", Email: "lee@drive.example", Name: "Lee Park", Roles: []auth.Role{auth.AreaLead}},
	// The report's and list's lead of another area (pageStore: essex).
	"lead-elsewhere": {Subject: "lead-eli", Email: "eli@drive.example", Name: "Eli", Roles: []auth.Role{auth.AreaLead}},
	"admin":          {Subject: "admin-1", Email: "admin@drive.example", Name: "Drive Admin", Roles: []auth.Role{auth.Admin}},
	"manager":        {Subject: "cm-alex", Email: "alex@drive.example", Name: "Alex Morgan", Roles: []auth.Role{auth.CaseManager}},
	"officer":        {Subject: "officer-sam", Email: "sam@police.example", Name: "PC Sam Taylor", Roles: []auth.Role{auth.Officer}},
}

type sessions struct{}

func (sessions) SignedIn(_ context.Context, cookies []string) (auth.Identity, error) {
	id, ok := people[signin.Cookie(cookies, signin.SessionCookie)]
	if !ok {
		return auth.Identity{}, auth.ErrUnauthenticated
	}
	return id, nil
}

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// kentStore is kent with three case managers: Alex (2 of 2, leaving),
// Bo (1 of 3), Cy (on leave); three referrals waiting, one of them
// declined; Alex's two cases, one escalated; four cases closed in the
// last 90 days; Cy's email bounces.
func kentStore() *fakeStore {
	bounced := now.Add(-2 * day)
	ended := func(d int) *time.Time { t := now.Add(-time.Duration(d) * day); return &t }
	st := &fakeStore{
		staffOf: map[string]auth.Staff{"dana@drive.example": {Leads: []string{"kent"}}, "lee@drive.example": {Leads: []string{"essex"}},
			"alex@drive.example": {CaseManagerID: "kent-alex", CaseManagerArea: "kent"}},
		managers: []allocation.CaseManager{
			{ID: "kent-alex", Area: "kent", Name: "Alex Morgan", Email: "alex@drive.example", Capacity: 2, Caseload: 2, Active: true},
			{ID: "kent-bo", Area: "kent", Name: "Bo Reed", Email: "bo@drive.example", Capacity: 3, Caseload: 1, Active: true},
			{ID: "kent-cy", Area: "kent", Name: "Cy Lane", Email: "cy@drive.example", Capacity: 2, Active: false, ReturnsOn: "2027-01-04", EmailBouncedAt: &bounced},
		},
		cases: []dynamo.Case{
			{ID: "DRV-AAAA-AAAA", Reference: "DRV-AAAA-AAAA", Area: "kent", CaseManagerID: "kent-alex", Status: referral.StatusAllocated, AllocatedAt: now.Add(-3 * day)},
			{ID: "DRV-BBBB-BBBB", Reference: "DRV-BBBB-BBBB", Area: "kent", CaseManagerID: "kent-alex", Status: referral.StatusAccepted, AllocatedAt: now.Add(-40 * day)},
			{ID: "DRV-CCCC-CCCC", Reference: "DRV-CCCC-CCCC", Area: "kent", CaseManagerID: "kent-bo", Status: referral.StatusAllocated, AllocatedAt: now.Add(-5 * time.Hour)},
			{ID: "DRV-DDDD-DDDD", Reference: "DRV-DDDD-DDDD", Area: "kent", CaseManagerID: "kent-bo", Status: referral.StatusClosed, AllocatedAt: now.Add(-200 * day), EndedAt: ended(80)},
			{ID: "DRV-EEEE-EEEE", Reference: "DRV-EEEE-EEEE", Area: "kent", CaseManagerID: "kent-bo", Status: referral.StatusClosed, AllocatedAt: now.Add(-150 * day), EndedAt: ended(60)},
			{ID: "DRV-FFFF-FFFF", Reference: "DRV-FFFF-FFFF", Area: "kent", CaseManagerID: "kent-cy", Status: referral.StatusWithdrawn, AllocatedAt: now.Add(-100 * day), EndedAt: ended(30)},
			{ID: "DRV-GGGG-GGGG", Reference: "DRV-GGGG-GGGG", Area: "kent", CaseManagerID: "kent-cy", Status: referral.StatusClosed, AllocatedAt: now.Add(-100 * day), EndedAt: ended(10)},
		},
		queue: []allocation.Arrival{
			{Reference: "DRV-HHHH-HHHH", Status: referral.StatusWaitlisted, EligibleAt: now.Add(-20 * day)},
			{Reference: "DRV-JJJJ-JJJJ", Status: referral.StatusWaitlisted, EligibleAt: now.Add(-6 * day)},
			{Reference: "DRV-KKKK-KKKK", Status: referral.StatusEligible, EligibleAt: now.Add(-time.Hour)},
		},
		chased: map[string]notification.Kind{"DRV-AAAA-AAAA": notification.KindEscalation},
		recs:   map[string]referral.Record{},
		hist: map[string][]referral.Transition{"DRV-JJJJ-JJJJ": {
			{At: now.Add(-6 * day), To: referral.StatusEligible}, {At: now.Add(-5 * day), From: referral.StatusEligible, To: referral.StatusAllocated},
			{At: now.Add(-4 * day), From: referral.StatusAllocated, To: referral.StatusEligible}}},
	}
	for _, c := range st.cases {
		st.recs[c.Reference] = referral.Record{Reference: c.Reference, Status: c.Status, Referral: referral.Referral{Area: "kent"},
			CaseManager: &referral.Assignee{ID: c.CaseManagerID, Since: c.AllocatedAt}}
	}
	for _, w := range st.queue {
		st.recs[w.Reference] = referral.Record{Reference: w.Reference, Status: w.Status, Referral: referral.Referral{Area: "kent"}}
	}
	rec := st.recs["DRV-JJJJ-JJJJ"]
	rec.Declined = []string{"kent-bo"}
	st.recs["DRV-JJJJ-JJJJ"] = rec
	return st
}

func pageHandler(st *fakeStore) (*handler, *fakeQueue) {
	q := &fakeQueue{}
	return &handler{store: st, queues: q, rolesClaim: "roles", signIn: sessions{}, log: slog.New(slog.DiscardHandler),
		now: func() time.Time { return now },
		verify: func(_ context.Context, raw string) (auth.Identity, error) {
			id, ok := people[raw]
			if !ok {
				return auth.Identity{}, auth.ErrUnauthenticated
			}
			return id, nil
		}}, q
}

// page sends a browser's request to the area page of area by who (a
// session cookie, none when ""), with a form to post and extra cookies,
// and checks every HTML page answered (htmlcheck).
func page(t *testing.T, h *handler, method, area, who string, form url.Values, cookies ...string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{RouteKey: method + " /areas/{area}", RawPath: "/areas/" + area,
		PathParameters: map[string]string{"area": area}, Headers: map[string]string{"accept": "text/html"}}
	if who != "" {
		ev.Cookies = append(ev.Cookies, signin.SessionCookie+"="+who)
	}
	ev.Cookies = append(ev.Cookies, cookies...)
	if form != nil {
		if form.Get("csrf") == "" {
			form.Set("csrf", signin.CSRFToken(ev.Cookies))
		}
		ev.Body = form.Encode()
		ev.Headers["content-type"] = "application/x-www-form-urlencoded"
	}
	return send(t, h, ev)
}

func send(t *testing.T, h *handler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
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
			t.Errorf("%s %s: %s", ev.RouteKey, ev.RawPath, problem)
		}
	}
	return resp
}

// TestAreaPageIsForItsLeadsAndAdmins: the area's lead and an admin get the
// page; another area's lead, a case manager and an officer are told
// there is no such page (404), as is anyone for an area that does not
// exist; someone signed out is sent to sign in and back.
func TestAreaPageIsForItsLeadsAndAdmins(t *testing.T) {
	h, _ := pageHandler(kentStore())
	for _, tt := range []struct {
		who, area string
		want      int
	}{
		{"lead", "kent", 200}, {"lead", "Kent", 200}, {"admin", "kent", 200},
		{"other-lead", "kent", 404}, {"manager", "kent", 404}, {"officer", "kent", 404},
		{"lead", "essex", 404}, {"admin", "nowhere", 404},
		{"", "kent", 303},
	} {
		resp := page(t, h, "GET", tt.area, tt.who, nil)
		if resp.StatusCode != tt.want {
			t.Errorf("%s on %s: got %d, want %d", tt.who, tt.area, resp.StatusCode, tt.want)
		}
		if tt.want == 404 && strings.Contains(resp.Body, "Bo Reed") {
			t.Errorf("%s on %s: got the area's case managers on a 404", tt.who, tt.area)
		}
		if tt.want == 303 && resp.Headers["Location"] != "/auth/sign-in?next=%2Fareas%2Fkent" {
			t.Errorf("signed out: got Location %q, want sign-in and back", resp.Headers["Location"])
		}
	}
}

// TestAreaRouteKeepsTheAPI: GET /areas/{area} with a bearer token is the
// JSON API, as before the page: the area for its lead, 403 for another's,
// 401 without a token.
func TestAreaRouteKeepsTheAPI(t *testing.T) {
	h, _ := pageHandler(kentStore())
	for _, tt := range []struct {
		token string
		want  int
	}{{"lead", 200}, {"admin", 200}, {"other-lead", 403}, {"", 401}, {"forged", 401}} {
		ev := events.APIGatewayV2HTTPRequest{RouteKey: "GET /areas/{area}", RawPath: "/areas/kent", PathParameters: map[string]string{"area": "kent"},
			Headers: map[string]string{"accept": "application/json"}}
		if tt.token != "" {
			ev.Headers["authorization"] = "Bearer " + tt.token
		}
		resp := send(t, h, ev)
		if resp.StatusCode != tt.want {
			t.Errorf("%q: got %d %s, want %d", tt.token, resp.StatusCode, resp.Body, tt.want)
		}
		if tt.want == 200 && (!strings.HasPrefix(resp.Headers["Content-Type"], "application/json") || !strings.Contains(resp.Body, `"name":"Kent"`)) {
			t.Errorf("%q: got %s %s, want the area as JSON", tt.token, resp.Headers["Content-Type"], resp.Body)
		}
	}
}

// TestAreaPageShowsTheWaitingListFlagsAndCaseloads: the waiting list in
// order with each one's wait and estimate, the hint saying how it was
// computed, the flags with their ages, and each caseload as a percentage.
func TestAreaPageShowsTheWaitingListFlagsAndCaseloads(t *testing.T) {
	h, _ := pageHandler(kentStore())
	resp := page(t, h, "GET", "kent", "lead", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("got %d, want 200", resp.StatusCode)
	}
	body := resp.Body
	// Bo has 2 free places (Cy is on leave); 4 closures in 90 days: one
	// every 22.5 days. The first two take the free places; the third waits
	// for one closure.
	for _, want := range []string{
		`href="/areas/kent/referrals"`, `href="/areas/kent/report"`,
		`<a class="govuk-link" href="/cases/DRV-HHHH-HHHH">DRV-HHHH-HHHH</a></td><td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--yellow" data-status="waitlisted">`,
		"3 weeks</td><td class=\"govuk-table__cell\">A place is free now",
		"6 days</td><td class=\"govuk-table__cell\">A place is free now",
		"1 hour</td><td class=\"govuk-table__cell\">About 3 weeks",
		"4 cases closed in the last 90 days, about one every 3 weeks, and 2 places are free now",
		`Escalated</strong></td><td class="govuk-table__cell"><a class="govuk-link" href="/cases/DRV-AAAA-AAAA">DRV-AAAA-AAAA</a></td><td class="govuk-table__cell">Alex Morgan</td><td class="govuk-table__cell">3 days`,
		`Waiting for acceptance</strong></td><td class="govuk-table__cell"><a class="govuk-link" href="/cases/DRV-CCCC-CCCC">DRV-CCCC-CCCC</a></td><td class="govuk-table__cell">Bo Reed</td><td class="govuk-table__cell">5 hours`,
		`Declined</strong></td><td class="govuk-table__cell"><a class="govuk-link" href="/cases/DRV-JJJJ-JJJJ">DRV-JJJJ-JJJJ</a></td><td class="govuk-table__cell">Declined by 1 case manager</td><td class="govuk-table__cell">4 days`,
		`Email bounces</strong></td><td class="govuk-table__cell"></td><td class="govuk-table__cell">Cy Lane</td><td class="govuk-table__cell">2 days`,
		`<td class="govuk-table__cell govuk-table__cell--numeric">100%</td>`, `<td class="govuk-table__cell govuk-table__cell--numeric">33%</td>`,
		"On leave until 4 January 2027",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("got no %q on the page", want)
		}
	}
	if i, j := strings.Index(body, "DRV-HHHH-HHHH</a>"), strings.Index(body, "DRV-KKKK-KKKK</a>"); i < 0 || j < i {
		t.Errorf("got the waiting list out of order")
	}
}

// TestCapacityFormChangesRecordsAndReleases: the lead raises a capacity:
// 303 to the page with a banner once, the capacity changed, the change
// recorded (who, from, to) and shown, and the waitlist's release sent.
// Mistakes come back with the error summary and what was typed; a form
// without the session's token changes nothing.
func TestCapacityFormChangesRecordsAndReleases(t *testing.T) {
	st := kentStore()
	h, q := pageHandler(st)
	resp := page(t, h, "POST", "kent", "lead", url.Values{"action": {"capacity"}, "capacity.caseManager": {"kent-alex"}, "capacity.capacity": {"4"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/areas/kent" || len(resp.Cookies) != 1 {
		t.Fatalf("got %d %v %v, want 303 to the page with a banner", resp.StatusCode, resp.Headers, resp.Cookies)
	}
	if got := st.managers[0].Capacity; got != 4 {
		t.Errorf("got capacity %d, want 4", got)
	}
	if !slices.Equal(q.sent, []string{`{"area":"kent"}`}) {
		t.Errorf("got releases %q, want the area's", q.sent)
	}
	if len(st.log) != 1 || st.log[0].By != "dana@drive.example" || st.log[0].What != allocation.ChangedCapacity || st.log[0].From != "2" || st.log[0].To != "4" {
		t.Errorf("got change log %+v, want dana's capacity 2 to 4", st.log)
	}
	flash := strings.SplitN(resp.Cookies[0], ";", 2)[0]
	shown := page(t, h, "GET", "kent", "lead", nil, flash)
	if !strings.Contains(shown.Body, "The capacity has been changed") || !strings.Contains(shown.Body, "<td class=\"govuk-table__cell\">Dana Whitfield</td><td class=\"govuk-table__cell\">Alex Morgan</td><td class=\"govuk-table__cell\">Capacity</td><td class=\"govuk-table__cell\">2</td><td class=\"govuk-table__cell\">4") {
		t.Errorf("got no banner or no change shown:\n%s", shown.Body)
	}

	for _, tt := range []struct {
		name string
		form url.Values
		want int
		says []string
	}{
		{"nobody chosen, no number", url.Values{"action": {"capacity"}, "capacity.capacity": {"lots"}}, 422,
			[]string{`href="#capacity-caseManager">Select whose capacity to change`, `href="#capacity-capacity">Enter the capacity as a whole number`, `value="lots"`}},
		{"below the caseload", url.Values{"action": {"capacity"}, "capacity.caseManager": {"kent-alex"}, "capacity.capacity": {"1"}}, 422,
			[]string{`href="#capacity-capacity">Capacity must be at least 2, the number of cases Alex Morgan holds now`}},
		{"another session's form", url.Values{"action": {"capacity"}, "capacity.caseManager": {"kent-alex"}, "capacity.capacity": {"9"}, "csrf": {"forged"}}, 403,
			[]string{"Nothing was changed, because the page was older than your sign-in"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st.log, q.sent = nil, nil
			resp := page(t, h, "POST", "kent", "lead", tt.form)
			if resp.StatusCode != tt.want {
				t.Fatalf("got %d, want %d", resp.StatusCode, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(resp.Body, s) {
					t.Errorf("got no %q", s)
				}
			}
			if len(st.log)+len(q.sent) != 0 || st.managers[0].Capacity != 4 {
				t.Errorf("got %d changes, %d releases, capacity %d; want nothing changed", len(st.log), len(q.sent), st.managers[0].Capacity)
			}
		})
	}
	if resp := page(t, h, "POST", "kent", "other-lead", url.Values{"action": {"capacity"}, "capacity.caseManager": {"kent-alex"}, "capacity.capacity": {"9"}}); resp.StatusCode != 404 || st.managers[0].Capacity != 4 {
		t.Errorf("another area's lead: got %d, capacity %d; want 404 and nothing changed", resp.StatusCode, st.managers[0].Capacity)
	}
}

// TestLeaveBackAndAdd: leave takes a date back in the future; back now
// makes them active and releases the waitlist; a new case manager is
// added with an id of the area and their name, once.
func TestLeaveBackAndAdd(t *testing.T) {
	st := kentStore()
	h, q := pageHandler(st)
	if resp := page(t, h, "POST", "kent", "lead", url.Values{"action": {"leave"}, "leave.caseManager": {"kent-bo"},
		"leave.returnsOn-day": {"28"}, "leave.returnsOn-month": {"11"}, "leave.returnsOn-year": {"2026"}}); resp.StatusCode != 422 ||
		!strings.Contains(resp.Body, "The date they are back must be in the future") {
		t.Errorf("a date back in the past: got %d, want 422 saying it must be in the future", resp.StatusCode)
	}
	if resp := page(t, h, "POST", "kent", "lead", url.Values{"action": {"leave"}, "leave.caseManager": {"kent-bo"},
		"leave.returnsOn-day": {"2"}, "leave.returnsOn-month": {"Feb"}, "leave.returnsOn-year": {"2027"}}); resp.StatusCode != 303 {
		t.Fatalf("leave: got %d %s, want 303", resp.StatusCode, resp.Body)
	}
	if m := st.managers[1]; m.Active || m.ReturnsOn != "2027-02-02" {
		t.Errorf("got Bo active %v back %q, want on leave until 2027-02-02", m.Active, m.ReturnsOn)
	}
	if resp := page(t, h, "POST", "kent", "lead", url.Values{"action": {"back"}, "back.caseManager": {"kent-cy"}}); resp.StatusCode != 303 {
		t.Fatalf("back: got %d, want 303", resp.StatusCode)
	}
	if m := st.managers[2]; !m.Active || m.ReturnsOn != "" {
		t.Errorf("got Cy active %v back %q, want active", m.Active, m.ReturnsOn)
	}
	if len(q.sent) != 2 {
		t.Errorf("got %d releases, want one a change", len(q.sent))
	}
	add := url.Values{"action": {"add"}, "add.name": {"Robin Hale"}, "add.email": {"robin.hale@drive.example"}, "add.capacity": {"5"}}
	if resp := page(t, h, "POST", "kent", "lead", add); resp.StatusCode != 303 {
		t.Fatalf("add: got %d %s, want 303", resp.StatusCode, resp.Body)
	}
	if m := st.managers[3]; m.ID != "kent-robin-hale" || m.Capacity != 5 || !m.Active {
		t.Errorf("got %+v, want kent-robin-hale with 5 places, active", m)
	}
	if resp := page(t, h, "POST", "kent", "lead", add); resp.StatusCode != 422 || !strings.Contains(resp.Body, "There is already a case manager called Robin Hale") {
		t.Errorf("added twice: got %d, want 422", resp.StatusCode)
	}
	if resp := page(t, h, "POST", "kent", "lead", url.Values{"action": {"add"}, "add.email": {"nope"}}); resp.StatusCode != 422 ||
		!strings.Contains(resp.Body, `href="#add-name">Enter the case manager&#39;s name`) || !strings.Contains(resp.Body, `href="#add-capacity">`) {
		t.Errorf("an empty add: got %d, want 422 naming each field", resp.StatusCode)
	}
	var whats []string
	for _, c := range st.log {
		whats = append(whats, c.CaseManagerID+" "+c.What+" "+c.To)
	}
	want := []string{"kent-robin-hale added 5 cases, Takes cases", "kent-cy active Takes cases", "kent-bo active On leave until 2 February 2027"}
	if !slices.Equal(whats, want) {
		t.Errorf("got changes %q, want %q", whats, want)
	}
}

// TestMoveALeaversCases: Alex's two open cases are moved one by one to
// those with room: Bo has room for both but declined one, Cy is on leave,
// so one moves and one is listed with why; Alex is made inactive first;
// the outcome is recorded and shown after the redirect, and the new and
// old managers are emailed for the one moved.
func TestMoveALeaversCases(t *testing.T) {
	st := kentStore()
	rec := st.recs["DRV-AAAA-AAAA"]
	rec.Declined = []string{"kent-bo"}
	st.recs["DRV-AAAA-AAAA"] = rec
	h, q := pageHandler(st)
	resp := page(t, h, "POST", "kent", "lead", url.Values{"action": {"move"}, "move.caseManager": {"kent-alex"}})
	if resp.StatusCode != 303 {
		t.Fatalf("got %d %s, want 303", resp.StatusCode, resp.Body)
	}
	if m := st.managers[0]; m.Active || m.Caseload != 1 {
		t.Errorf("got Alex active %v holding %d, want inactive holding 1", m.Active, m.Caseload)
	}
	if got := st.recs["DRV-BBBB-BBBB"].CaseManager.ID; got != "kent-bo" {
		t.Errorf("got DRV-BBBB-BBBB with %s, want kent-bo", got)
	}
	if len(q.notified) != 2 {
		t.Errorf("got %d emails queued, want the new and the old manager's", len(q.notified))
	}
	moved := st.log[0]
	want := []string{"DRV-AAAA-AAAA could not move: no other active case manager who has not declined it has room", "DRV-BBBB-BBBB moved to Bo Reed"}
	if moved.What != allocation.ChangedMoved || moved.To != "1 of 2 open cases moved" || !slices.Equal(moved.Details, want) {
		t.Errorf("got %+v, want 1 of 2 moved with %q", moved, want)
	}
	if st.log[1].What != allocation.ChangedActive || st.log[1].To != "Inactive" {
		t.Errorf("got %+v, want Alex made inactive first", st.log[1])
	}
	flash := strings.SplitN(resp.Cookies[0], ";", 2)[0]
	shown := page(t, h, "GET", "kent", "lead", nil, flash)
	for _, s := range append(want, "The leaver&#39;s cases have been moved", "1 of 2 open cases moved from Alex Morgan") {
		if !strings.Contains(shown.Body, s) {
			t.Errorf("got no %q on the page after the move", s)
		}
	}
}

// TestPaceHint: the page says in plain words how the waits were
// estimated, whatever the area's history.
func TestPaceHint(t *testing.T) {
	for _, tt := range []struct {
		name string
		pace allocation.Pace
		want string
	}{
		{"no history", allocation.Pace{}, "The area has no cases yet, so its pace is not known, and no place is free now."},
		{"a young area with no closure", allocation.Pace{Observed: 3 * day, Free: 1}, "No case has closed since the area's first allocation, 3 days ago, so no wait beyond the free places can be estimated, and 1 place is free now."},
		{"no closure in 90 days", allocation.Pace{Observed: allocation.PaceWindow}, "No case has closed in the last 90 days"},
		{"one closure", allocation.Pace{Observed: allocation.PaceWindow, Closures: 1, Free: 2}, "1 case closed in the last 90 days, about one every 3 months, and 2 places are free now."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := paceHint(tt.pace); !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %q, want it to start %q", got, tt.want)
			}
		})
	}
}
