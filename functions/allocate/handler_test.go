package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/dynamo/dynamotest"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// fakeStore has referrals and managers in maps; full names managers whose
// allocation fails for capacity (as when another worker won the race).
type fakeStore struct {
	dynamotest.Outbox // committed with a change, until sent

	records  map[string]referral.Record
	managers []allocation.CaseManager
	full     map[string]bool
	conflict map[string]referral.Record // Allocate finds the referral changed to this
	broken   map[string]bool            // Referral fails for these references
	tried    []string
}

func (f *fakeStore) Referral(_ context.Context, ref string) (referral.Record, error) {
	if f.broken[ref] {
		return referral.Record{}, errors.New("dynamodb unavailable")
	}
	rec, ok := f.records[ref]
	if !ok {
		return rec, referral.ErrNotFound
	}
	return rec, nil
}

func (f *fakeStore) CaseManagers(context.Context, string) ([]allocation.CaseManager, error) {
	return f.managers, nil
}

// Queue lists the eligible and waitlisted referrals in the order the
// domain gives (allocation.InOrder).
func (f *fakeStore) Queue(_ context.Context, area string) ([]allocation.Arrival, error) {
	var out []allocation.Arrival
	for _, r := range f.records {
		if (r.Status == referral.StatusWaitlisted || r.Status == referral.StatusEligible) && r.Referral.Area == area {
			out = append(out, allocation.ArrivalOf(r))
		}
	}
	slices.SortFunc(out, allocation.InOrder)
	return out, nil
}

// Waiting lists the waitlisted referrals in order (what the code before
// Queue read).
func (f *fakeStore) Waiting(ctx context.Context, area string) ([]string, error) {
	queue, _ := f.Queue(ctx, area)
	var refs []string
	for _, a := range queue {
		if a.Status == referral.StatusWaitlisted {
			refs = append(refs, a.Reference)
		}
	}
	return refs, nil
}

func (f *fakeStore) Allocate(_ context.Context, rec referral.Record, m allocation.CaseManager, _ time.Time, _ string, msgs ...dynamo.Message) error {
	f.tried = append(f.tried, m.ID)
	if changed, ok := f.conflict[rec.Reference]; ok {
		f.records[rec.Reference] = changed
		return referral.ErrConflict
	}
	if f.full[m.ID] {
		return allocation.ErrNoCapacity
	}
	for i := range f.managers {
		if f.managers[i].ID == m.ID {
			if f.managers[i].Caseload >= f.managers[i].Capacity {
				return allocation.ErrNoCapacity
			}
			f.managers[i].Caseload++
		}
	}
	rec.Status, rec.CaseManager = referral.StatusAllocated, &referral.Assignee{ID: m.ID, Name: m.Name}
	f.records[rec.Reference] = rec
	f.Commit(msgs...)
	return nil
}

func (f *fakeStore) Waitlist(_ context.Context, rec referral.Record, _ time.Time, _ string, msgs ...dynamo.Message) error {
	rec.Status = referral.StatusWaitlisted
	f.records[rec.Reference] = rec
	f.Commit(msgs...)
	return nil
}

// fakeQueue is the notify queue: it keeps each event sent to it, read
// back, unless Err is set.
type fakeQueue = dynamotest.Queue[notification.Event]

const refA, refB = "DRV-7K4M-Q9TX", "DRV-8W2N-R3PY"

func eligible(ref string) referral.Record {
	return referral.Record{Reference: ref, Status: referral.StatusEligible, Referral: referral.Referral{Area: "essex"}}
}

func run(t *testing.T, st *fakeStore) (events.SQSEventResponse, *fakeQueue) {
	t.Helper()
	return runWith(t, st, &fakeQueue{Name: dynamo.QueueNotify})
}

func runWith(t *testing.T, st *fakeStore, q *fakeQueue) (events.SQSEventResponse, *fakeQueue) {
	t.Helper()
	raw, err := os.ReadFile("testdata/sqs-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	h := &handler{store: st, queues: q, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now}
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("handler failed the whole batch: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	return resp, q
}

func kinds(q *fakeQueue, ref string) []string {
	var out []string
	for _, ev := range q.Sent {
		if ev.Reference == ref {
			out = append(out, string(ev.Kind)+":"+string(ev.Status)+":"+ev.CaseManagerID)
		}
	}
	slices.Sort(out)
	return out
}

func TestAllocate(t *testing.T) {
	managers := []allocation.CaseManager{
		{ID: "a", Name: "Alex", Capacity: 10, Caseload: 2, Active: true},
		{ID: "b", Name: "Bo", Capacity: 10, Caseload: 5, Active: true},
	}
	tests := []struct {
		name     string
		store    *fakeStore
		wantA    []string // notifications queued for refA
		wantTry  []string
		failures []string
	}{
		{
			name:    "most free capacity first",
			store:   &fakeStore{records: map[string]referral.Record{refA: eligible(refA)}, managers: managers},
			wantA:   []string{"allocated:allocated:a", "outcome:allocated:"},
			wantTry: []string{"a"},
		},
		{
			name:    "a lost race moves on to the next manager",
			store:   &fakeStore{records: map[string]referral.Record{refA: eligible(refA)}, managers: managers, full: map[string]bool{"a": true}},
			wantA:   []string{"allocated:allocated:b", "outcome:allocated:"},
			wantTry: []string{"a", "b"},
		},
		{
			// Issue 14: a declined case never goes back to its decliner,
			// although they have the most room.
			name: "declined by the freest: to the other",
			store: &fakeStore{records: map[string]referral.Record{refA: func() referral.Record {
				r := eligible(refA)
				r.Declined = []string{"a"}
				return r
			}()}, managers: managers},
			wantA:   []string{"allocated:allocated:b", "outcome:allocated:"},
			wantTry: []string{"b"},
		},
		{
			name:  "nobody free: waitlisted",
			store: &fakeStore{records: map[string]referral.Record{refA: eligible(refA)}, managers: managers, full: map[string]bool{"a": true, "b": true}},
			wantA: []string{"outcome:waitlisted:"},
			// then one release pass tries again, for capacity freed meanwhile
			wantTry: []string{"a", "b", "a", "b"},
		},
		{
			name: "redelivered after allocation: no new allocation, notifications again",
			store: &fakeStore{records: map[string]referral.Record{refA: {Reference: refA, Status: referral.StatusAllocated,
				CaseManager: &referral.Assignee{ID: "b"}}}, managers: managers},
			wantA: []string{"allocated:allocated:b", "outcome:allocated:"},
		},
		{
			// The other worker's allocation committed its own emails (the
			// outbox): this one sends nothing.
			name: "another worker allocated it meanwhile",
			store: &fakeStore{records: map[string]referral.Record{refA: eligible(refA)}, managers: managers,
				conflict: map[string]referral.Record{refA: {Reference: refA, Status: referral.StatusAllocated, CaseManager: &referral.Assignee{ID: "b"}}}},
			wantA:   nil,
			wantTry: []string{"a"},
		},
		{
			name:  "not eligible: dropped, nothing sent",
			store: &fakeStore{records: map[string]referral.Record{refA: {Reference: refA, Status: referral.StatusIneligible}}, managers: managers},
		},
		{
			name:     "a fault fails only its own record",
			store:    &fakeStore{records: map[string]referral.Record{refA: eligible(refA), refB: eligible(refB)}, managers: managers, broken: map[string]bool{refB: true}},
			wantA:    []string{"allocated:allocated:a", "outcome:allocated:"},
			wantTry:  []string{"a"},
			failures: []string{"2e1424d4-f796-459a-8184-9c92662be6da"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.failures == nil && tt.store.records[refB].Reference == "" {
				tt.store.records[refB] = referral.Record{Reference: refB, Status: referral.StatusIneligible}
			}
			resp, q := run(t, tt.store)
			if got := kinds(q, refA); !slices.Equal(got, tt.wantA) {
				t.Errorf("notifications: got %v, want %v", got, tt.wantA)
			}
			if !slices.Equal(tt.store.tried, tt.wantTry) {
				t.Errorf("managers tried: got %v, want %v", tt.store.tried, tt.wantTry)
			}
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier)
			}
			if !slices.Equal(failed, tt.failures) {
				t.Errorf("batch item failures: got %v, want %v", failed, tt.failures)
			}
			if len(tt.store.Messages()) != 0 {
				t.Errorf("outbox holds %d messages after the sends, want none", len(tt.store.Messages()))
			}
		})
	}
}

// TestNotificationsKeptForTheRelayWhenTheSendFails: an allocation or a
// waitlisting is committed with its notification events, so a notify
// queue that fails after the commit loses none: the record is done (not
// retried: the change stands) and the events stay in the outbox for the
// relay.
func TestNotificationsKeptForTheRelayWhenTheSendFails(t *testing.T) {
	managers := []allocation.CaseManager{{ID: "a", Name: "Alex", Capacity: 10, Caseload: 2, Active: true}}
	tests := []struct {
		name   string
		store  *fakeStore
		status referral.Status
		want   []string // the outbox's events, sorted
	}{
		{"allocated", &fakeStore{records: map[string]referral.Record{refA: eligible(refA)}, managers: managers},
			referral.StatusAllocated, []string{"allocated:allocated:a", "outcome:allocated:"}},
		{"waitlisted", &fakeStore{records: map[string]referral.Record{refA: eligible(refA)}, managers: managers, full: map[string]bool{"a": true}},
			referral.StatusWaitlisted, []string{"outcome:waitlisted:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.store.records[refB] = referral.Record{Reference: refB, Status: referral.StatusIneligible}
			resp, _ := runWith(t, tt.store, &fakeQueue{Name: dynamo.QueueNotify, Err: errors.New("sqs unavailable")})
			if len(resp.BatchItemFailures) != 0 || tt.store.records[refA].Status != tt.status {
				t.Errorf("got failures %v and status %s, want none and %s", resp.BatchItemFailures, tt.store.records[refA].Status, tt.status)
			}
			var got []string
			for _, m := range tt.store.Messages() {
				var ev notification.Event
				if m.Queue != dynamo.QueueNotify || json.Unmarshal([]byte(m.Body), &ev) != nil || ev.Reference != refA {
					t.Errorf("outbox holds %s %s, want an event about %s to notify", m.Queue, m.Body, refA)
				}
				got = append(got, string(ev.Kind)+":"+string(ev.Status)+":"+ev.CaseManagerID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("outbox: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReleaseAllocatesTheOldestWaitingFirst(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	waiting := func(ref string, minutes int) referral.Record {
		return referral.Record{Reference: ref, Status: referral.StatusWaitlisted, ReceivedAt: t0.Add(time.Duration(minutes) * time.Minute), Referral: referral.Referral{Area: "essex"}}
	}
	st := &fakeStore{managers: []allocation.CaseManager{{ID: "a", Name: "A", Capacity: 2, Caseload: 0, Active: true}},
		records: map[string]referral.Record{"DRV-3333-3333": waiting("DRV-3333-3333", 3), "DRV-1111-1111": waiting("DRV-1111-1111", 1), "DRV-2222-2222": waiting("DRV-2222-2222", 2)}}
	q := &fakeQueue{Name: dynamo.QueueNotify}
	h := &handler{store: st, queues: q, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now}
	if err := h.handle(context.Background(), events.SQSMessage{MessageId: "m", Body: `{"area":"essex"}`}); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]referral.Status{"DRV-1111-1111": referral.StatusAllocated, "DRV-2222-2222": referral.StatusAllocated, "DRV-3333-3333": referral.StatusWaitlisted} {
		if got := st.records[ref].Status; got != want {
			t.Errorf("%s: got %s, want %s", ref, got, want)
		}
	}
	// A new eligible referral does not overtake the one still waiting,
	// even when capacity has just been raised.
	st.managers[0].Capacity = 3
	st.records["DRV-4444-4444"] = referral.Record{Reference: "DRV-4444-4444", Status: referral.StatusEligible, ReceivedAt: t0.Add(4 * time.Minute), Referral: referral.Referral{Area: "essex"}}
	if err := h.handle(context.Background(), events.SQSMessage{MessageId: "n", Body: `{"reference":"DRV-4444-4444"}`}); err != nil {
		t.Fatal(err)
	}
	if a, b := st.records["DRV-3333-3333"].Status, st.records["DRV-4444-4444"].Status; a != referral.StatusAllocated || b != referral.StatusWaitlisted {
		t.Errorf("got the older %s and the newer %s, want the older allocated and the newer waiting", a, b)
	}
}
