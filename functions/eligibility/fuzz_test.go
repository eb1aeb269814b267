package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/referral"
)

// FuzzMessage: whatever body an eligibility queue record has, the handler
// does not panic, reports at most that record failed, and a body that is
// not {"reference": "..."} is reported failed (to be retried, then kept
// in the dead-letter queue for a person) with nothing decided or sent.
func FuzzMessage(f *testing.F) {
	f.Fuzz(func(t *testing.T, body string) {
		st := &fakeStore{rec: referral.Record{Reference: "DRV-7K4M-Q9TX", Status: referral.StatusReceived, ReceivedAt: t0,
			Referral: referral.Referral{Area: "essex", Route: referral.RouteMARAC,
				Perpetrator: referral.Perpetrator{FirstName: "John", LastName: "Doe", DateOfBirth: "1984-03-02"}}},
			areas: map[string]eligibility.Area{"essex": {ID: "essex", Name: "Essex", Rules: eligibility.DefaultRules}}}
		q := &fakeQueues{}
		h := &handler{store: st, queues: q, log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
			now: func() time.Time { return t0.Add(time.Minute) }}
		resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: body}}})
		if err != nil {
			t.Fatalf("got %v, want the batch answered record by record", err)
		}
		failed := len(resp.BatchItemFailures)
		if failed > 1 || (failed == 1 && resp.BatchItemFailures[0].ItemIdentifier != "m1") {
			t.Fatalf("got failures %v, want at most m1", resp.BatchItemFailures)
		}
		var m referral.Message
		if json.Unmarshal([]byte(body), &m) != nil || m.Reference == "" {
			if failed != 1 || st.decisions != 0 || len(q.allocation)+len(q.notify)+len(st.Messages()) != 0 {
				t.Fatalf("unreadable %q: got %d failures, %d decisions, %d sent; want it failed, nothing done",
					body, failed, st.decisions, len(q.allocation)+len(q.notify)+len(st.Messages()))
			}
		}
	})
}
