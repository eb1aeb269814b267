package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/referral"
)

// decided is an eligible referral of Essex received and found eligible at
// the seconds given after 13:11:11.
func decided(ref string, received, eligible int) referral.Record {
	t0 := time.Date(2026, 11, 23, 13, 11, 11, 0, time.UTC)
	return referral.Record{Reference: ref, Status: referral.StatusEligible, ReceivedAt: t0.Add(time.Duration(received) * time.Second),
		Referral: referral.Referral{Area: "essex"},
		Decision: &referral.Decision{Eligible: true, DecidedAt: t0.Add(time.Duration(eligible) * time.Second)}}
}

// deliver hands the allocation messages for refs to the handler as one
// batch, in the order given, as SQS (not FIFO) may.
func deliver(t *testing.T, h *handler, refs ...string) {
	t.Helper()
	var ev events.SQSEvent
	for i, ref := range refs {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", i), Body: `{"reference":"` + ref + `"}`})
	}
	raw, _ := json.Marshal(ev)
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.SQSEventResponse
	_ = json.Unmarshal(out, &resp)
	if len(resp.BatchItemFailures) > 0 {
		t.Fatalf("got failures %v, want none", resp.BatchItemFailures)
	}
}

// TestOrderIsKept: places go to the referrals of an area in the order
// they were found eligible (then received), whatever order their
// messages come in (issue 12, fault 5).
func TestOrderIsKept(t *testing.T) {
	tests := []struct {
		name      string
		records   []referral.Record
		capacity  int
		delivered []string // the messages, in the order they come
		allocated []string
		waiting   []string
	}{
		{
			name: "an eligible referral whose message is late is not overtaken",
			// DRV-1: eligible at 13:11:11, its message not yet handled;
			// DRV-2 received 20 s later.
			records:  []referral.Record{decided("DRV-1111-1111", -2, 0), decided("DRV-2222-2222", 20, 21)},
			capacity: 1, delivered: []string{"DRV-2222-2222"},
			allocated: []string{"DRV-1111-1111"}, waiting: []string{"DRV-2222-2222"},
		},
		{
			name: "a burst of seven for five places: the first five arrivals",
			records: []referral.Record{decided("DRV-1111-1111", 0, 1), decided("DRV-2222-2222", 1, 2), decided("DRV-3333-3333", 2, 3),
				decided("DRV-4444-4444", 3, 4), decided("DRV-5555-5555", 4, 5), decided("DRV-6666-6666", 5, 6), decided("DRV-7777-7777", 6, 7)},
			capacity:  5,
			delivered: []string{"DRV-6666-6666", "DRV-7777-7777", "DRV-1111-1111", "DRV-3333-3333", "DRV-5555-5555", "DRV-2222-2222", "DRV-4444-4444"},
			allocated: []string{"DRV-1111-1111", "DRV-2222-2222", "DRV-3333-3333", "DRV-4444-4444", "DRV-5555-5555"},
			waiting:   []string{"DRV-6666-6666", "DRV-7777-7777"},
		},
		{
			name:     "found eligible first comes first, though received later",
			records:  []referral.Record{decided("DRV-1111-1111", 0, 30), decided("DRV-2222-2222", 10, 11)},
			capacity: 1, delivered: []string{"DRV-1111-1111", "DRV-2222-2222"},
			allocated: []string{"DRV-2222-2222"}, waiting: []string{"DRV-1111-1111"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{records: map[string]referral.Record{},
				managers: []allocation.CaseManager{{ID: "a", Name: "A", Area: "essex", Capacity: tt.capacity, Active: true}}}
			for _, r := range tt.records {
				st.records[r.Reference] = r
			}
			h := &handler{store: st, queues: &fakeQueue{Name: dynamo.QueueNotify}, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now}
			deliver(t, h, tt.delivered...)
			for _, ref := range tt.allocated {
				if got := st.records[ref].Status; got != referral.StatusAllocated {
					t.Errorf("%s: got %s, want allocated", ref, got)
				}
			}
			for _, ref := range tt.waiting {
				if got := st.records[ref].Status; got != referral.StatusWaitlisted {
					t.Errorf("%s: got %s, want waitlisted", ref, got)
				}
			}
		})
	}
}
