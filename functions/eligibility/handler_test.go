package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/dynamo/dynamotest"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

type fakeStore struct {
	dynamotest.Outbox // committed with the decision, until sent

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

func (f *fakeStore) RecordDecision(_ context.Context, _ referral.Record, d referral.Decision, _ string, msgs ...dynamo.Message) error {
	if f.rec.Status != referral.StatusReceived {
		return referral.ErrConflict
	}
	f.decisions++
	f.Commit(msgs...)
	f.rec.Decision, f.rec.Status = &d, referral.StatusIneligible
	if d.Eligible {
		f.rec.Status = referral.StatusEligible
	}
	return nil
}

// fakeQueues are the allocation and notify queues: each keeps the
// messages sent to it, read back, unless err is set.
type fakeQueues struct {
	allocation []referral.Message
	notify     []notification.Event
	err        error
}

func (q *fakeQueues) Send(_ context.Context, queue, body string) error {
	if q.err != nil {
		return q.err
	}
	switch queue {
	case dynamo.QueueAllocation:
		var m referral.Message
		q.allocation = append(q.allocation, m)
		return json.Unmarshal([]byte(body), &q.allocation[len(q.allocation)-1])
	case dynamo.QueueNotify:
		var ev notification.Event
		q.notify = append(q.notify, ev)
		return json.Unmarshal([]byte(body), &q.notify[len(q.notify)-1])
	}
	return fmt.Errorf("eligibility has no queue %q", queue)
}

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
			q := &fakeQueues{}
			h := &handler{store: st, queues: q, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now}
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
			if len(q.allocation) != tt.wantAllocate || len(q.notify) != tt.wantNote {
				t.Errorf("got %d to allocation and %d notifications, want %d and %d", len(q.allocation), len(q.notify), tt.wantAllocate, tt.wantNote)
			}
			for _, m := range q.allocation {
				if m.Reference != "DRV-7K4M-Q9TX" {
					t.Errorf("got allocation message %+v, want the referral's reference", m)
				}
			}
			for _, ev := range q.notify {
				if ev.Kind != notification.KindOutcome || ev.Status != referral.StatusIneligible {
					t.Errorf("got notification %+v, want the ineligible outcome", ev)
				}
			}
			if len(st.Messages()) != 0 {
				t.Errorf("outbox holds %v after the send, want it empty", st.Messages())
			}
		})
	}
}

// TestDecisionKeptForTheRelayWhenTheSendFails: a decision is committed
// with the message that forwards it, so a queue that fails after the
// commit loses nothing: the record is done (not retried: the decision
// stands), and the message stays in the outbox for the relay.
func TestDecisionKeptForTheRelayWhenTheSendFails(t *testing.T) {
	essex := map[string]eligibility.Area{"essex": {ID: "essex", Name: "Essex", Rules: eligibility.DefaultRules}}
	submitted := referral.Referral{Area: "essex", Route: referral.RouteMARAC,
		Perpetrator: referral.Perpetrator{FirstName: "John", LastName: "Doe", DateOfBirth: "1984-03-02"},
		Victims:     []referral.Victim{{DashScore: ptr(16)}},
		Abuse:       referral.Abuse{IncidentsLast12Months: ptr(4), KnownVictims: ptr(2)}}
	tests := []struct {
		name      string
		areas     map[string]eligibility.Area
		wantQueue string
		wantBody  string
	}{
		{"eligible: to allocation", essex, dynamo.QueueAllocation, `{"reference":"DRV-7K4M-Q9TX"}`},
		{"ineligible: the referrer's outcome", nil, dynamo.QueueNotify, `{"kind":"outcome","reference":"DRV-7K4M-Q9TX","status":"ineligible"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{rec: referral.Record{Reference: "DRV-7K4M-Q9TX", Status: referral.StatusReceived, Referral: submitted, ReceivedAt: t0},
				areas: tt.areas}
			h := &handler{store: st, queues: &fakeQueues{err: errors.New("sqs unavailable")}, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now}
			ev, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: `{"reference":"DRV-7K4M-Q9TX"}`}}})
			out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			var resp events.SQSEventResponse
			_ = json.Unmarshal(out, &resp)
			if len(resp.BatchItemFailures) != 0 || st.decisions != 1 {
				t.Errorf("got failures %v and %d decisions, want none and 1", resp.BatchItemFailures, st.decisions)
			}
			if len(st.Messages()) != 1 {
				t.Fatalf("got %d messages in the outbox, want the decision's one", len(st.Messages()))
			}
			for _, m := range st.Messages() {
				if m.Queue != tt.wantQueue || m.Body != tt.wantBody {
					t.Errorf("outbox holds %s %s, want %s %s", m.Queue, m.Body, tt.wantQueue, tt.wantBody)
				}
			}
		})
	}
}
