package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

type fakeStore struct {
	rec       referral.Record
	areas     map[string]eligibility.Area
	others    []referral.Summary
	decisions int
}

func (f *fakeStore) SamePerpetrator(context.Context, referral.Referral) ([]referral.Summary, error) {
	return append([]referral.Summary{{Reference: f.rec.Reference, Status: f.rec.Status, ReceivedAt: f.rec.ReceivedAt}}, f.others...), nil
}

func (f *fakeStore) Referral(context.Context, string) (referral.Record, error) { return f.rec, nil }

func (f *fakeStore) Area(_ context.Context, id string) (eligibility.Area, error) {
	a, ok := f.areas[id]
	if !ok {
		return a, referral.ErrNotFound
	}
	return a, nil
}

func (f *fakeStore) RecordDecision(_ context.Context, _ referral.Record, d referral.Decision, _ string) error {
	if f.rec.Status != referral.StatusReceived {
		return referral.ErrConflict
	}
	f.decisions++
	f.rec.Decision, f.rec.Status = &d, referral.StatusIneligible
	if d.Eligible {
		f.rec.Status = referral.StatusEligible
	}
	return nil
}

type fakeQueue struct{ sent []any }

func (q *fakeQueue) Send(_ context.Context, v any) error { q.sent = append(q.sent, v); return nil }

func ptr[T any](v T) *T { return &v }

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestDecideAndForward(t *testing.T) {
	submitted := referral.Referral{Area: "essex", Route: referral.RouteMARAC,
		Perpetrator: referral.Perpetrator{FirstName: "John", LastName: "Doe", DateOfBirth: "1984-03-02"},
		Victims:     []referral.Victim{{DashScore: ptr(16)}},
		Abuse:       referral.Abuse{IncidentsLast12Months: ptr(4), KnownVictims: ptr(2)}}
	essex := map[string]eligibility.Area{"essex": {ID: "essex", Name: "Essex", Rules: eligibility.DefaultRules}}
	tests := []struct {
		name                   string
		status                 referral.Status
		areas                  map[string]eligibility.Area
		wantStatus             referral.Status
		wantAllocate, wantNote int
		wantDecisions          int
		others                 []referral.Summary
	}{
		{"eligible goes to allocation", referral.StatusReceived, essex, referral.StatusEligible, 1, 0, 1, nil},
		{"area not served: ineligible, referrer told", referral.StatusReceived, nil, referral.StatusIneligible, 0, 1, 1, nil},
		{"redelivered after the decision: forwarded again, not decided again", referral.StatusEligible, essex, referral.StatusEligible, 1, 0, 0, nil},
		{"already allocated: nothing to do", referral.StatusAllocated, essex, referral.StatusAllocated, 0, 0, 0, nil},
		{"an earlier open referral of the perpetrator: ineligible", referral.StatusReceived, essex, referral.StatusIneligible, 0, 1, 1,
			[]referral.Summary{{Reference: "DRV-2222-2222", Status: referral.StatusAllocated, ReceivedAt: t0.Add(-time.Hour)}}},
		{"an earlier ineligible one does not count", referral.StatusReceived, essex, referral.StatusEligible, 1, 0, 1,
			[]referral.Summary{{Reference: "DRV-2222-2222", Status: referral.StatusIneligible, ReceivedAt: t0.Add(-time.Hour)}}},
		{"a later one does not count", referral.StatusReceived, essex, referral.StatusEligible, 1, 0, 1,
			[]referral.Summary{{Reference: "DRV-2222-2222", Status: referral.StatusReceived, ReceivedAt: t0.Add(time.Second)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{rec: referral.Record{Reference: "DRV-7K4M-Q9TX", Status: tt.status, Referral: submitted, ReceivedAt: t0}, areas: tt.areas, others: tt.others}
			alloc, notes := &fakeQueue{}, &fakeQueue{}
			h := &handler{store: st, allocations: alloc, notifications: notes, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now}
			ev, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: `{"reference":"DRV-7K4M-Q9TX"}`}}})
			out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			var resp events.SQSEventResponse
			_ = json.Unmarshal(out, &resp)
			if len(resp.BatchItemFailures) != 0 || st.rec.Status != tt.wantStatus || st.decisions != tt.wantDecisions {
				t.Errorf("got failures %v, status %s, %d decisions; want none, %s, %d", resp.BatchItemFailures, st.rec.Status, st.decisions, tt.wantStatus, tt.wantDecisions)
			}
			if len(alloc.sent) != tt.wantAllocate || len(notes.sent) != tt.wantNote {
				t.Errorf("got %d to allocation and %d notifications, want %d and %d", len(alloc.sent), len(notes.sent), tt.wantAllocate, tt.wantNote)
			}
			for _, n := range notes.sent {
				if ev := n.(notification.Event); ev.Kind != notification.KindOutcome || ev.Status != referral.StatusIneligible {
					t.Errorf("got notification %+v, want the ineligible outcome", ev)
				}
			}
		})
	}
}
