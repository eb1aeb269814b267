package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/dynamo/dynamotest"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/report"
)

// fakeStore knows the area kent and records what is saved.
type fakeStore struct {
	dynamotest.Outbox // committed with a change, until sent

	areas    []eligibility.Area
	managers []allocation.CaseManager

	// The area page's.
	recs    map[string]referral.Record
	hist    map[string][]referral.Transition
	cases   []dynamo.Case
	queue   []allocation.Arrival
	chased  map[string]notification.Kind
	log     []allocation.Change // newest first
	staffOf map[string]auth.Staff

	// rows and referrals are the report's and the list's; history the
	// referrals' transitions; views those recorded.
	rows      []report.Referral
	referrals []referral.Record
	history   map[string][]referral.Transition
	views     map[string][]referral.View
	viewErr   error
}

func (f *fakeStore) Referral(_ context.Context, ref string) (referral.Record, error) {
	rec, ok := f.recs[ref]
	if !ok {
		return rec, referral.ErrNotFound
	}
	return rec, nil
}

// History is the area page's tests' (hist) and the list's (history).
func (f *fakeStore) History(_ context.Context, ref string) ([]referral.Transition, error) {
	return append(append([]referral.Transition(nil), f.hist[ref]...), f.history[ref]...), nil
}

func (f *fakeStore) Queue(context.Context, string) ([]allocation.Arrival, error) { return f.queue, nil }

func (f *fakeStore) CasesOf(_ context.Context, id string) ([]dynamo.Case, error) {
	out := []dynamo.Case{}
	for _, c := range f.cases {
		if c.CaseManagerID == id {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeStore) ChaseStage(_ context.Context, ref string) (notification.Kind, error) {
	return f.chased[ref], nil
}

func (f *fakeStore) ChangeLog(_ context.Context, _ string, limit int) ([]allocation.Change, error) {
	return f.log[:min(limit, len(f.log))], nil
}

func (f *fakeStore) RecordChange(_ context.Context, _ string, c allocation.Change) error {
	f.log = append([]allocation.Change{c}, f.log...)
	return nil
}

// Reallocate moves the case as the store's transaction does: only to an
// active manager below capacity (else allocation.ErrNoCapacity), only
// from the holder it was read with (else referral.ErrConflict).
func (f *fakeStore) Reallocate(_ context.Context, rec referral.Record, m allocation.CaseManager, _, _, _ string, at time.Time, msgs ...dynamo.Message) (referral.Record, error) {
	stored := f.recs[rec.Reference]
	if stored.CaseManager == nil || rec.CaseManager == nil || stored.CaseManager.ID != rec.CaseManager.ID {
		return rec, referral.ErrConflict
	}
	to := slices.IndexFunc(f.managers, func(o allocation.CaseManager) bool { return o.ID == m.ID })
	if to < 0 || !f.managers[to].Active || f.managers[to].Caseload >= f.managers[to].Capacity {
		return rec, allocation.ErrNoCapacity
	}
	from := slices.IndexFunc(f.managers, func(o allocation.CaseManager) bool { return o.ID == rec.CaseManager.ID })
	f.managers[from].Caseload--
	f.managers[to].Caseload++
	rec.CaseManager, rec.Status = &referral.Assignee{ID: m.ID, Name: m.Name, Since: at}, referral.StatusAllocated
	f.recs[rec.Reference] = rec
	for i, c := range f.cases {
		if c.Reference == rec.Reference {
			f.cases[i].CaseManagerID, f.cases[i].Status, f.cases[i].AllocatedAt = m.ID, referral.StatusAllocated, at
		}
	}
	f.Commit(msgs...)
	return rec, nil
}

func (f *fakeStore) Area(_ context.Context, id string) (eligibility.Area, error) {
	for i := len(f.areas) - 1; i >= 0; i-- {
		if f.areas[i].ID == id {
			return f.areas[i], nil
		}
	}
	if id != "kent" {
		return eligibility.Area{}, referral.ErrNotFound
	}
	return eligibility.Area{ID: "kent", Name: "Kent", Rules: eligibility.DefaultRules, Version: 1}, nil
}

func (f *fakeStore) Areas(ctx context.Context) ([]eligibility.Area, error) {
	kent, _ := f.Area(ctx, "kent")
	out := []eligibility.Area{kent}
	for _, a := range f.areas {
		if i := slices.IndexFunc(out, func(o eligibility.Area) bool { return o.ID == a.ID }); i >= 0 {
			out[i] = a
		} else {
			out = append(out, a)
		}
	}
	return out, nil
}

// ChangeArea keeps the area, raising its version, and records its
// changes as the store does.
func (f *fakeStore) ChangeArea(ctx context.Context, a eligibility.Area, by, byName string, at time.Time) (eligibility.Area, []allocation.Change, error) {
	var old *eligibility.Area
	if o, err := f.Area(ctx, a.ID); err == nil {
		old = &o
		a.Version = o.Version
		if a.Leads == nil {
			a.Leads = o.Leads
		}
		if a.IDVADomains == nil {
			a.IDVADomains = o.IDVADomains
		}
	}
	a.Version++
	f.areas = append(f.areas, a)
	var changes []allocation.Change
	for _, c := range eligibility.Changes(old, a) {
		changes = append(changes, allocation.Change{At: at, By: by, ByName: byName, What: c.What, From: c.From, To: c.To})
	}
	f.log = append(changes, f.log...)
	return a, changes, nil
}

func (f *fakeStore) CaseManager(_ context.Context, area, id string) (allocation.CaseManager, error) {
	for _, m := range f.managers {
		if m.Area == area && m.ID == id {
			return m, nil
		}
	}
	return allocation.CaseManager{}, referral.ErrNotFound
}

func (f *fakeStore) CaseManagers(context.Context, string) ([]allocation.CaseManager, error) {
	return f.managers, nil
}

// ChangeCaseManager keeps the caseload held, as the store does, refuses
// a capacity below it as the store's condition does, and records the
// changes and the release with it.
func (f *fakeStore) ChangeCaseManager(_ context.Context, m allocation.CaseManager, by, byName string, at time.Time) ([]allocation.Change, dynamo.Message, error) {
	release, err := dynamo.NewMessage(dynamo.QueueAllocation, map[string]string{"area": m.Area}, at)
	if err != nil {
		return nil, release, err
	}
	var old *allocation.CaseManager
	i := slices.IndexFunc(f.managers, func(o allocation.CaseManager) bool { return o.Area == m.Area && o.ID == m.ID })
	if i >= 0 {
		if err := allocation.CheckCapacity(f.managers[i].Caseload, m.Capacity); err != nil {
			return nil, release, fmt.Errorf("put case manager %s/%s: %w", m.Area, m.ID, err)
		}
		m.Caseload, m.LastAllocatedAt = f.managers[i].Caseload, f.managers[i].LastAllocatedAt
		o := f.managers[i]
		old = &o
		f.managers[i] = m
	} else {
		f.managers = append(f.managers, m)
	}
	changes := allocation.Changes(old, m)
	for j := range changes {
		changes[j].At, changes[j].By, changes[j].ByName = at, by, byName
	}
	f.log = append(changes, f.log...)
	f.Commit(release)
	return changes, release, nil
}

func (f *fakeStore) ReportRows(_ context.Context, area string, from, to time.Time) ([]report.Referral, error) {
	var out []report.Referral
	for _, r := range f.rows {
		if r.Area == area && !r.ReceivedAt.Before(from) && (to.IsZero() || r.ReceivedAt.Before(to)) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeStore) AreaReferrals(_ context.Context, area string, from, to time.Time) ([]referral.Record, error) {
	var out []referral.Record
	for _, r := range f.referrals {
		if r.Referral.Area == area && !r.ReceivedAt.Before(from) && (to.IsZero() || r.ReceivedAt.Before(to)) {
			out = append(out, r)
		}
	}
	return out, nil
}

// RecordView keeps the view, or fails with viewErr.
func (f *fakeStore) RecordView(_ context.Context, ref string, v referral.View) error {
	if f.viewErr != nil {
		return f.viewErr
	}
	if f.views == nil {
		f.views = map[string][]referral.View{}
	}
	f.views[ref] = append(f.views[ref], v)
	return nil
}

func (f *fakeStore) Staff(_ context.Context, email string) (auth.Staff, error) {
	return f.staffOf[email], nil
}

// fakeQueue is the allocation queue: it keeps each body sent to it
// (and the notify queue's apart, in notified), unless err is set.
type fakeQueue struct {
	sent     []string
	notified []string
	err      error
}

func (q *fakeQueue) Send(_ context.Context, queue, body string) error {
	if q.err != nil {
		return q.err
	}
	switch queue {
	case dynamo.QueueAllocation:
		q.sent = append(q.sent, body)
	case dynamo.QueueNotify:
		q.notified = append(q.notified, body)
	default:
		return fmt.Errorf("admin has no queue %q", queue)
	}
	return nil
}

// put is the put-area fixture (sent by an admin) sent to route with body.
func put(t *testing.T, route, body string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/put-area.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev.RouteKey, ev.Body = route, body
	ev.PathParameters = map[string]string{"area": "kent", "id": "kent-cm1"}
	out, _ := json.Marshal(ev)
	return out
}

func invoke(t *testing.T, h *handler, event []byte) (int, string) {
	t.Helper()
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), event)
	if err != nil {
		t.Fatalf("handler returned an error (API Gateway would answer 500): %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Body
}

const (
	putArea        = "PUT /areas/{area}"
	putCaseManager = "PUT /areas/{area}/case-managers/{id}"
	kent           = `"name": "Kent", "minimumAge": 18, "dashThreshold": 14, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true`
	robin          = `"name": "Robin Hale", "email": "robin.hale@drive.example", "capacity": 5, "active": true`
)

// TestBodiesAreRefusedWhole: the admin routes take only what the contract
// says, as intake does: a body over 8 KiB, a key in another letter case or
// given twice, data after the JSON, or a field over its length is refused
// with a 4xx naming it, and nothing is saved.
func TestBodiesAreRefusedWhole(t *testing.T) {
	address := func(n int) string { return strings.Repeat("a", n-len("@kent.example")) + "@kent.example" }
	tests := []struct {
		name, route, body string
		want              int
		says              string
	}{
		{"an area over 8 KiB", putArea, `{` + kent + `, "idvaService": "` + address(9000) + `"}`, 413, "8 KiB or smaller"},
		{"a lead's address of 255 characters", putArea, `{` + kent + `, "leads": ["` + address(255) + `"]}`, 422, `"field":"leads"`},
		{"an IDVA service's address of 255 characters", putArea, `{` + kent + `, "idvaService": "` + address(255) + `"}`, 422, `"field":"idvaService"`},
		{"an IDVA domain that is an address", putArea, `{` + kent + `, "idvaDomains": ["idva@kent.example"]}`, 422, `"field":"idvaDomains"`},
		{"an IDVA domain without a dot", putArea, `{` + kent + `, "idvaDomains": ["localhost"]}`, 422, `"field":"idvaDomains"`},
		{"a MARAC coordinator's address of 255 characters", putArea, `{` + kent + `, "maracCoordinator": "` + address(255) + `"}`, 422, `"field":"maracCoordinator"`},
		{"Name in capitals", putArea, `{"Name": "Kent", "minimumAge": 18, "dashThreshold": 14, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true}`, 422, `"field":"Name"`},
		{"a threshold given twice", putArea, `{` + kent + `, "dashThreshold": 1}`, 422, `"field":"dashThreshold"`},
		// Names follow the referral's text rules (referral.TextProblem).
		{"an area named by a zero-width space", putArea, `{"name": "\u200b", "minimumAge": 18, "dashThreshold": 14, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true}`, 422, `"field":"name"`},
		{"an area name with a NUL", putArea, `{"name": "Kent\u0000", "minimumAge": 18, "dashThreshold": 14, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true}`, 422, `"field":"name"`},
		{"a case manager named by direction marks", putCaseManager, `{"name": "\u202e\u202d", "email": "robin.hale@drive.example", "capacity": 5, "active": true}`, 422, `"field":"name"`},
		{"a case manager named by a dash", putCaseManager, `{"name": "-", "email": "robin.hale@drive.example", "capacity": 5, "active": true}`, 422, `"field":"name"`},
		{"an unknown field", putArea, `{` + kent + `, "colour": "green"}`, 422, `"field":"colour"`},
		{"another area's id", putArea, `{"id": "` + strings.Repeat("a", 5000) + `", ` + kent + `}`, 422, `"field":"id"`},
		{"data after the area", putArea, `{` + kent + `} {"name": "Other"}`, 400, "one JSON object"},
		{"a case manager over 8 KiB", putCaseManager, `{"name": "Robin Hale", "email": "` + address(9000) + `", "capacity": 5, "active": true}`, 413, "8 KiB or smaller"},
		{"a case manager's address of 255 characters", putCaseManager, `{"name": "Robin Hale", "email": "` + address(255) + `", "capacity": 5, "active": true}`, 422, `"field":"email"`},
		{"Email in capitals", putCaseManager, `{"name": "Robin Hale", "Email": "robin.hale@drive.example", "capacity": 5, "active": true}`, 422, `"field":"Email"`},
		{"capacity given twice", putCaseManager, `{` + robin + `, "capacity": 50}`, 422, `"field":"capacity"`},
		{"data after the case manager", putCaseManager, `{` + robin + `}]`, 400, "one JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			st := &fakeStore{}
			h := &handler{store: st, queues: &fakeQueue{}, rolesClaim: "roles", log: slog.New(slog.NewJSONHandler(&logs, nil)), now: time.Now}
			code, body := invoke(t, h, put(t, tt.route, tt.body))
			if code != tt.want || !strings.Contains(body, tt.says) {
				t.Errorf("got %d %.300s, want %d saying %s", code, body, tt.want, tt.says)
			}
			if len(st.areas) != 0 || len(st.managers) != 0 {
				t.Errorf("saved %d areas and %d case managers, want none", len(st.areas), len(st.managers))
			}
			if strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("got an error logged for a client's mistake: %.300s", logs.String())
			}
		})
	}
}

// The control: bodies as the contract has them are saved.
func TestBodiesAsTheContractHasThem(t *testing.T) {
	// The longest address SES takes: 64 characters before the @, labels of
	// at most 63, 254 in all.
	address := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 61) + "." + strings.Repeat("c", 61) + "." + strings.Repeat("d", 57) + ".example"
	for _, tt := range []struct{ name, route, body string }{
		{"an area", putArea, `{` + kent + `, "leads": ["` + address + `"], "idvaService": "` + address + `"}`},
		{"an area as it was read", putArea, `{"id": "kent", "version": 1, ` + kent + `}`},
		{"a case manager", putCaseManager, `{"name": "Robin Hale", "email": "` + address + `", "capacity": 5, "active": true}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{}
			h := &handler{store: st, queues: &fakeQueue{}, rolesClaim: "roles", log: slog.New(slog.DiscardHandler), now: time.Now}
			if code, body := invoke(t, h, put(t, tt.route, tt.body)); code != 200 || len(st.areas)+len(st.managers) != 1 {
				t.Errorf("got %d %s, want 200 and one saved", code, body)
			}
		})
	}
}

// TestCaseManagerChangeReleasesTheWaitlist: a change to a case manager
// (who may have room now) is committed with the release of the area's
// waitlist (the outbox), which is then sent; when the queue fails after
// the commit, the change is still answered as saved and the release stays
// in the outbox for the relay.
func TestCaseManagerChangeReleasesTheWaitlist(t *testing.T) {
	for _, fails := range []bool{false, true} {
		t.Run(fmt.Sprintf("the queue fails: %v", fails), func(t *testing.T) {
			st, q := &fakeStore{}, &fakeQueue{}
			if fails {
				q.err = errors.New("sqs unavailable")
			}
			h := &handler{store: st, queues: q, rolesClaim: "roles", log: slog.New(slog.DiscardHandler), now: time.Now}
			if code, body := invoke(t, h, put(t, putCaseManager, `{`+robin+`}`)); code != 200 || len(st.managers) != 1 {
				t.Fatalf("got %d %s, want 200 and the case manager saved", code, body)
			}
			got := q.sent
			if fails {
				got = nil
				for _, m := range st.Messages() {
					got = append(got, m.Body)
				}
			} else if len(st.Messages()) != 0 {
				t.Errorf("outbox holds %d messages after the release was sent, want none", len(st.Messages()))
			}
			if want := []string{`{"area":"kent"}`}; !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestCapacityBelowCaseloadIsRefused: an admin or area lead may not set a
// case manager's capacity below the cases they hold (the invariant
// "caseload at most capacity"), whatever else changes with it: the answer
// is 422 naming the capacity field and the least capacity, nothing is
// saved or released, and the log names nobody. The capacity may fall to
// the caseload.
func TestCapacityBelowCaseloadIsRefused(t *testing.T) {
	const sam = `"name": "Sam Okafor", "email": "sam.okafor@drive.example"`
	tests := []struct {
		name, body string
		want       int
	}{
		{"lowered below the caseload", `{` + sam + `, "capacity": 1, "active": true}`, 422},
		{"lowered to zero", `{` + sam + `, "capacity": 0, "active": true}`, 422},
		{"lowered below while made inactive", `{` + sam + `, "capacity": 1, "active": false}`, 422},
		{"lowered below with a new address", `{"name": "Sam Okafor", "email": "s.okafor@drive.example", "capacity": 1, "active": true}`, 422},
		{"lowered to the caseload", `{` + sam + `, "capacity": 2, "active": true}`, 200},
		{"made inactive, capacity kept", `{` + sam + `, "capacity": 3, "active": false}`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			held := allocation.CaseManager{ID: "kent-cm1", Area: "kent", Name: "Sam Okafor", Email: "sam.okafor@drive.example", Capacity: 3, Caseload: 2, Active: true}
			st, q := &fakeStore{managers: []allocation.CaseManager{held}}, &fakeQueue{}
			var logs bytes.Buffer
			h := &handler{store: st, queues: q, rolesClaim: "roles", log: slog.New(slog.NewJSONHandler(&logs, nil)), now: time.Now}
			code, body := invoke(t, h, put(t, putCaseManager, tt.body))
			if code != tt.want {
				t.Fatalf("got %d %s, want %d", code, body, tt.want)
			}
			if strings.Contains(logs.String(), "Okafor") || strings.Contains(logs.String(), "sam.okafor") {
				t.Errorf("got logs %s, want no name or address", logs.String())
			}
			if tt.want != 422 {
				return
			}
			var out struct{ Errors referral.FieldErrors }
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatal(err)
			}
			want := referral.FieldErrors{{Field: "capacity", Message: "Capacity must be at least 2, the number of cases Sam Okafor holds now: " +
				"reallocate cases first to lower it. To stop new cases while they are away, make them inactive instead"}}
			if !slices.Equal(out.Errors, want) {
				t.Errorf("got errors %+v, want %+v", out.Errors, want)
			}
			if !slices.Equal(st.managers, []allocation.CaseManager{held}) || len(st.Messages())+len(q.sent) != 0 {
				t.Errorf("got managers %+v, %d messages; want %+v unchanged and no release", st.managers, len(st.Messages())+len(q.sent), held)
			}
		})
	}
}

// TestAPIChangesAreRecorded: a change through PUT
// /areas/{area}/case-managers/{id} is recorded as the area page's are
// (who, from, to), through the same operation; a date back from leave set
// on the page is kept while the manager stays inactive.
func TestAPIChangesAreRecorded(t *testing.T) {
	held := allocation.CaseManager{ID: "kent-cm1", Area: "kent", Name: "Robin Hale", Email: "robin.hale@drive.example", Capacity: 5, ReturnsOn: "2027-01-04"}
	st := &fakeStore{managers: []allocation.CaseManager{held}}
	h := &handler{store: st, queues: &fakeQueue{}, rolesClaim: "roles", log: slog.New(slog.DiscardHandler), now: time.Now}
	if code, body := invoke(t, h, put(t, putCaseManager, `{"name": "Robin Hale", "email": "robin.hale@drive.example", "capacity": 7, "active": false}`)); code != 200 {
		t.Fatalf("got %d %s, want 200", code, body)
	}
	if len(st.log) != 1 || st.log[0].By != "admin@drive.example" || st.log[0].ByName != "Drive Admin" || st.log[0].From != "5" || st.log[0].To != "7" {
		t.Errorf("got %+v, want the admin's capacity 5 to 7", st.log)
	}
	if st.managers[0].ReturnsOn != "2027-01-04" {
		t.Errorf("got date back %q, want 2027-01-04 kept", st.managers[0].ReturnsOn)
	}
}

// TestAPIAreaChangesAreRecorded: PUT /areas/{area} saves through the same
// write as the admin's pages (ChangeArea), which records each change.
func TestAPIAreaChangesAreRecorded(t *testing.T) {
	st := &fakeStore{}
	h := &handler{store: st, queues: &fakeQueue{}, rolesClaim: "roles", log: slog.New(slog.DiscardHandler), now: time.Now}
	if code, body := invoke(t, h, put(t, putArea, `{"name": "Kent", "minimumAge": 21, "dashThreshold": 14, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true}`)); code != 200 || !strings.Contains(body, `"version":2`) {
		t.Fatalf("got %d %s, want 200 at version 2", code, body)
	}
	if len(st.log) != 1 || st.log[0].What != "Minimum age" || st.log[0].From != "18" || st.log[0].To != "21" || st.log[0].By != "admin@drive.example" {
		t.Errorf("got %+v, want the admin's minimum age 18 to 21", st.log)
	}
}
