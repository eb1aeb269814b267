package main

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/referral"
)

// TestRedeliveryWithNothingToDoIsAcknowledged: a message for a referral
// already placed, ended, or gone is acknowledged, never failed into the
// DLQ; one already placed has its notifications queued again (the
// notifier sends each once).
func TestRedeliveryWithNothingToDoIsAcknowledged(t *testing.T) {
	placed := func(s referral.Status) referral.Record {
		rec := decided("DRV-1111-1111", 0, 1)
		rec.Status = s
		if s != referral.StatusWaitlisted {
			rec.CaseManager = &referral.Assignee{ID: "a", Name: "A"}
		}
		return rec
	}
	tests := []struct {
		name    string
		records []referral.Record
		want    []string // notifications queued
	}{
		{"no such referral", nil, nil},
		{"already allocated", []referral.Record{placed(referral.StatusAllocated)}, []string{"allocated:allocated:a", "outcome:allocated:"}},
		{"already waitlisted", []referral.Record{placed(referral.StatusWaitlisted)}, []string{"outcome:waitlisted:"}},
		{"already accepted", []referral.Record{placed(referral.StatusAccepted)}, nil},
		{"closed", []referral.Record{placed(referral.StatusClosed)}, nil},
		{"withdrawn", []referral.Record{placed(referral.StatusWithdrawn)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{records: map[string]referral.Record{},
				managers: []allocation.CaseManager{{ID: "a", Name: "A", Area: "essex", Capacity: 0, Active: true}}}
			for _, r := range tt.records {
				st.records[r.Reference] = r
			}
			q := &fakeQueue{Name: dynamo.QueueNotify}
			h := &handler{store: st, queues: q, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now}
			deliver(t, h, "DRV-1111-1111") // fails the test on a batch item failure
			if got := kinds(q, "DRV-1111-1111"); len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Errorf("got notifications %v, want %v", got, tt.want)
			}
		})
	}
}
