package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/notification"
)

// TestUndeliverableIsRecordedAtOnce: an email no try can send (SES cannot
// send to its address) is recorded failed and the leads told on the first
// try, and the message is not retried into a dead-letter queue that no
// redrive could empty.
func TestUndeliverableIsRecordedAtOnce(t *testing.T) {
	r := newRig()
	r.mail.err = fmt.Errorf("send outcome email: %w: write it with 64 characters or fewer before the @", notification.ErrUndeliverable)
	if failed := r.run(t, 1, outcome); failed != nil {
		t.Fatalf("got failures %v, want the message done with", failed)
	}
	var recorded []notification.Receipt
	for _, rc := range r.st.receipts {
		if rc.State == notification.StateFailed {
			recorded = append(recorded, rc)
		}
	}
	if len(recorded) != 1 || recorded[0].Kind != notification.KindOutcome || !strings.Contains(recorded[0].Why, "no try can send it") {
		t.Errorf("receipts %v, want the outcome email recorded as failed, saying no try can send it", r.st.receipts)
	}
	if len(r.queue.Sent) != 1 || r.queue.Sent[0].Kind != notification.KindSendFailed || r.queue.Sent[0].About != notification.KindOutcome {
		t.Errorf("queued %+v, want one send-failed event about the outcome", r.queue.Sent)
	}
}
