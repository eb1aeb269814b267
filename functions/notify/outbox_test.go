package main

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/notification"
)

// TestTheLeadIsToldThroughTheOutbox: on an email's last try its failure
// is recorded with the event that tells the area's leads, in one
// transaction (the outbox), so that a notify queue that fails then (when
// no redelivery will come) loses nothing: the event waits in the outbox
// for the relay. Sent, it leaves the outbox.
func TestTheLeadIsToldThroughTheOutbox(t *testing.T) {
	for _, queueFails := range []bool{false, true} {
		name := "the queue takes the event"
		if queueFails {
			name = "the queue fails"
		}
		t.Run(name, func(t *testing.T) {
			r := newRig()
			r.mail.err = errors.New("ses throttled")
			if queueFails {
				r.queue.Err = errors.New("sqs unavailable")
			}
			if failed := r.run(t, 3, outcome); len(failed) != 1 {
				t.Fatalf("failures %v, want the message dead-lettered after its last try", failed)
			}
			var events []notification.Event
			if queueFails {
				for _, m := range r.st.Messages() {
					var ev notification.Event
					if m.Queue != dynamo.QueueNotify || json.Unmarshal([]byte(m.Body), &ev) != nil {
						t.Fatalf("outbox holds %s %s, want an event to notify", m.Queue, m.Body)
					}
					events = append(events, ev)
				}
			} else {
				events = r.queue.Sent
				if len(r.st.Messages()) != 0 {
					t.Errorf("outbox holds %d messages after the event was sent, want none", len(r.st.Messages()))
				}
			}
			if len(events) != 1 || events[0].Kind != notification.KindSendFailed || events[0].About != notification.KindOutcome {
				t.Errorf("got %+v, want one send-failed event about the outcome", events)
			}
		})
	}
}
