package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/referral"
)

// FuzzMessage: whatever body an allocation queue record has, the handler
// does not panic, reports at most that record failed, and a body that is
// neither {"reference": ...} nor {"area": ...} is reported failed with
// nothing allocated or sent.
func FuzzMessage(f *testing.F) {
	f.Fuzz(func(t *testing.T, body string) {
		st := &fakeStore{records: map[string]referral.Record{refA: eligible(refA)},
			managers: []allocation.CaseManager{{ID: "essex-cm1", Area: "essex", Name: "Tom Hughes", Capacity: 1, Active: true}}}
		q := &fakeQueue{Name: dynamo.QueueNotify}
		h := &handler{store: st, queues: q, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now}
		resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: body}}})
		if err != nil {
			t.Fatalf("got %v, want the batch answered record by record", err)
		}
		failed := len(resp.BatchItemFailures)
		if failed > 1 || (failed == 1 && resp.BatchItemFailures[0].ItemIdentifier != "m1") {
			t.Fatalf("got failures %v, want at most m1", resp.BatchItemFailures)
		}
		var m message
		if json.Unmarshal([]byte(body), &m) != nil || (m.Reference == "") == (m.Area == "") {
			if failed != 1 || len(st.tried) != 0 || len(q.Sent) != 0 {
				t.Fatalf("unreadable %q: got %d failures, %d allocations tried, %d sent; want it failed, nothing done",
					body, failed, len(st.tried), len(q.Sent))
			}
		}
	})
}
