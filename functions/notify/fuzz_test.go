package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/notification"
)

// FuzzMessage: whatever body a notify queue record has (a notification
// event, or SES feedback raw or in SNS's envelope), the handler does not
// panic and reports at most that record failed; a body that is neither
// feedback nor a valid event is reported failed with no email sent and
// nothing queued.
func FuzzMessage(f *testing.F) {
	f.Fuzz(func(t *testing.T, body string) {
		r := newRig()
		h := &handler{store: r.st, mail: r.mail, later: r.queue, baseURL: "https://drive.example", tries: 3,
			log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: func() time.Time { return r.now }}
		resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: body,
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}}}})
		if err != nil {
			t.Fatalf("got %v, want the batch answered record by record", err)
		}
		failed := len(resp.BatchItemFailures)
		if failed > 1 || (failed == 1 && resp.BatchItemFailures[0].ItemIdentifier != "m1") {
			t.Fatalf("got failures %v, want at most m1", resp.BatchItemFailures)
		}
		if _, ok := parseFeedback(body); ok {
			return
		}
		var ev notification.Event
		if json.Unmarshal([]byte(body), &ev) != nil || ev.Validate() != nil {
			if failed != 1 || len(r.mail.sent) != 0 || len(r.queue.Sent) != 0 {
				t.Fatalf("unreadable %q: got %d failures, %d sent, %d queued; want it failed, nothing done",
					body, failed, len(r.mail.sent), len(r.queue.Sent))
			}
		}
	})
}
