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

	"github.com/driveprogramme/referrals/shared/referral"
)

// goneStore has no referral at all: removed by intake, or expired.
type goneStore struct{ *fakeStore }

func (goneStore) Referral(_ context.Context, ref string) (referral.Record, error) {
	return referral.Record{}, referral.ErrNotFound
}

// TestRedeliveryWithNothingToDoIsAcknowledged: a message for a referral
// decided and carried on long ago, or for none, is acknowledged without
// deciding or sending anything: failing it would put it in the DLQ, whose
// alarm would call a person for nothing (issue 12: "10 EligibilityDLQ
// messages were for referrals that had been decided").
func TestRedeliveryWithNothingToDoIsAcknowledged(t *testing.T) {
	decided := &referral.Decision{Eligible: true, DecidedAt: t0}
	tests := []struct {
		name  string
		store store
	}{
		{"no such referral", goneStore{&fakeStore{}}},
	}
	for _, s := range []referral.Status{referral.StatusAllocated, referral.StatusWaitlisted, referral.StatusAccepted, referral.StatusClosed, referral.StatusWithdrawn} {
		tests = append(tests, struct {
			name  string
			store store
		}{"already " + string(s), &fakeStore{rec: referral.Record{Reference: "DRV-7K4M-Q9TX", Status: s, ReceivedAt: t0, Decision: decided,
			Referral: referral.Referral{Area: "essex"}}}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeQueues{}
			h := &handler{store: tt.store, queues: q,
				log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: func() time.Time { return t0 }}
			raw, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: `{"reference":"DRV-7K4M-Q9TX"}`}}})
			out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			var resp events.SQSEventResponse
			_ = json.Unmarshal(out, &resp)
			if len(resp.BatchItemFailures) != 0 {
				t.Errorf("got failures %v, want the message acknowledged", resp.BatchItemFailures)
			}
			if n := len(q.allocation) + len(q.notify); n != 0 {
				t.Errorf("got %d messages sent, want none", n)
			}
			if f, ok := tt.store.(*fakeStore); ok && f.decisions != 0 {
				t.Errorf("got %d decisions, want none", f.decisions)
			}
		})
	}
}
