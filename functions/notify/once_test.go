package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// TestComposeFailureIsRecordedOnTheLastTryAndTheLeadTold: an event whose
// emails cannot be composed (the referral cannot be read) is retried, and
// on its last try recorded as failed and the area's leads told, as a
// failed send is, before it goes to the dead-letter queue.
func TestComposeFailureIsRecordedOnTheLastTryAndTheLeadTold(t *testing.T) {
	r := newRig()
	r.st.recErr = errors.New("get referral DRV-7K4M-Q9TX: operation error DynamoDB: GetItem: context deadline exceeded")
	for try := 1; try <= 3; try++ {
		if failed := r.run(t, try, allocated); len(failed) != 1 {
			t.Fatalf("try %d: got failures %v, want the message retried (and dead-lettered at the last)", try, failed)
		}
		if try < 3 && (len(r.st.receipts) != 0 || len(r.queue.Sent) != 0) {
			t.Fatalf("try %d: got receipts %v and queued %v, want nothing recorded or told before the last try", try, r.st.receipts, r.queue.Sent)
		}
	}
	var ev notification.Event
	_ = json.Unmarshal([]byte(allocated), &ev)
	got := r.st.receipts[ev.StageID("compose")]
	if len(r.st.receipts) != 1 || got.State != notification.StateFailed || got.Kind != notification.KindAllocated || got.Reference != ev.Reference ||
		!strings.Contains(got.Why, "not composed") || !strings.Contains(got.Why, "deadline exceeded") {
		t.Errorf("got receipts %+v, want one failed receipt for the event, saying it was not composed and why", r.st.receipts)
	}
	if len(r.queue.Sent) != 1 || r.queue.Sent[0].Kind != notification.KindSendFailed || r.queue.Sent[0].About != notification.KindAllocated {
		t.Fatalf("got queued %+v, want one send-failed event about the allocation", r.queue.Sent)
	}
	// The lead's email goes once the store answers again.
	r.st.recErr = nil
	tell, _ := json.Marshal(r.queue.Sent[0])
	if failed := r.run(t, 1, string(tell)); failed != nil {
		t.Fatalf("got failures %v, want the lead told", failed)
	}
	if got := strings.Join(r.mail.to(), ","); got != "send-failed lead@drive.example" {
		t.Errorf("sent %s, want the lead told", got)
	}
}

// TestStaleEmailsAreSkippedWithAReceipt: an email is composed from the
// referral as it is when it is sent; one the referral has moved on from
// is not sent, and a receipt says why.
func TestStaleEmailsAreSkippedWithAReceipt(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		change func(*referral.Record)
		why    string
	}{
		{"allocation of a case closed since", allocated, func(rec *referral.Record) { rec.Status = referral.StatusClosed }, "closed"},
		{"allocation of a referral withdrawn since", allocated, func(rec *referral.Record) { rec.Status = referral.StatusWithdrawn }, "withdrawn"},
		{"allocation moved to another manager", allocated, func(rec *referral.Record) {
			rec.CaseManager = &referral.Assignee{ID: "essex-cm2", Since: since.Add(time.Hour)}
		}, "another case manager"},
		{"outcome of a referral withdrawn since", outcome, func(rec *referral.Record) { rec.Status = referral.StatusWithdrawn }, "withdrawn"},
		{"reminder of an allocation accepted since", event(notification.KindReminder, "essex-cm1"), func(rec *referral.Record) { rec.Status = referral.StatusAccepted }, "accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			tt.change(&r.st.rec)
			if failed := r.run(t, 1, tt.body); failed != nil {
				t.Fatalf("got failures %v, want the message done with", failed)
			}
			if len(r.mail.sent) != 0 {
				t.Errorf("sent %v, want nothing sent", r.mail.to())
			}
			var ev notification.Event
			_ = json.Unmarshal([]byte(tt.body), &ev)
			got := r.st.receipts[ev.StageID("skipped")]
			if got.State != notification.StateSkipped || got.Kind != ev.Kind || got.Area != "essex" || !strings.Contains(got.Why, tt.why) {
				t.Errorf("got receipt %+v, want it skipped, saying %q", got, tt.why)
			}
		})
	}
}

// sendEvent is SES's Send event for an email, as its configuration set
// publishes it, carrying the email's tags.
func sendEvent(t *testing.T, kind, messageID string, e notification.Email) string {
	t.Helper()
	tag, err := notification.ReceiptTag(e.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"eventType": kind,
		"mail": map[string]any{"timestamp": "2026-11-23T11:00:00.000Z", "source": "drive@drive.example", "messageId": messageID,
			"destination": []string{e.To},
			"tags":        map[string][]string{"ses:configuration-set": {"drive"}, "kind": {string(e.Kind)}, notification.ReceiptTagName: {tag}}},
		"send": map[string]any{},
	})
	return string(b)
}

// TestARefusedSendIsReleasedAndResent: SES answered with an error
// (throttled): nothing was sent, so the claim is released and the retry
// sends.
func TestARefusedSendIsReleasedAndResent(t *testing.T) {
	r := newRig()
	r.mail.err = fmt.Errorf("send outcome email: %w", &smithy.OperationError{ServiceID: "SESv2", OperationName: "SendEmail",
		Err: &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "Maximum sending rate exceeded."}})
	if failed := r.run(t, 1, outcome); len(failed) != 1 || len(r.st.released) != 1 {
		t.Fatalf("got failures %v, released %v; want the message retried and the claim released", failed, r.st.released)
	}
	r.mail.err = nil
	if failed := r.run(t, 2, outcome); failed != nil || len(r.mail.sent) != 1 {
		t.Fatalf("got failures %v, sent %v; want the outcome sent by the retry", failed, r.mail.to())
	}
	if got := r.st.receipts[r.mail.sent[0].ID]; got.State != notification.StateSent || got.Attempts != 1 {
		t.Errorf("got receipt %+v, want sent", got)
	}
}

// TestALostAnswerIsNotResentBlindly: SES took the email but its answer
// was lost (a timeout on our side). The receipt is marked unknown, not
// released; a retry within the reconcile window does not send again;
// SES's Send event, carrying the receipt's tag, marks it sent; without
// one, the email is sent again once the window has passed.
func TestALostAnswerIsNotResentBlindly(t *testing.T) {
	t.Run("the Send event arrives", func(t *testing.T) {
		r := newRig()
		r.mail.lost = true
		if failed := r.run(t, 1, outcome); len(failed) != 1 || len(r.st.released) != 0 {
			t.Fatalf("got failures %v, released %v; want the message retried and the claim kept", failed, r.st.released)
		}
		took := r.mail.sent[0]
		if got := r.st.receipts[took.ID]; got.State != notification.StateUnknown || got.AttemptAt.IsZero() || got.Attempts != 1 {
			t.Fatalf("got receipt %+v, want unknown with the attempt's time", got)
		}
		r.mail.lost = false
		r.now = r.now.Add(time.Minute)
		if failed := r.run(t, 2, outcome); len(failed) != 1 || len(r.mail.sent) != 1 {
			t.Fatalf("within the window: got failures %v, sent %d; want the message retried later and nothing sent again", failed, len(r.mail.sent))
		}
		if failed := r.run(t, 1, sendEvent(t, "Send", "ses-late-1", took)); failed != nil {
			t.Fatalf("got failures %v on the Send event", failed)
		}
		if got := r.st.receipts[took.ID]; got.State != notification.StateSent || got.MessageID != "ses-late-1" {
			t.Fatalf("got receipt %+v, want sent with SES's message id from the event", got)
		}
		r.now = r.now.Add(time.Hour)
		if failed := r.run(t, 3, outcome); failed != nil || len(r.mail.sent) != 1 {
			t.Errorf("after the Send event: got failures %v, sent %d; want the message done and the email sent once", failed, len(r.mail.sent))
		}
		// A bounce of it is then matched, by the message id the event gave.
		if failed := r.run(t, 1, sesEvent("Bounce", "ses-late-1", "Transient")); failed != nil {
			t.Fatal(failed)
		}
		if got := r.st.receipts[took.ID]; got.State != notification.StateSoftBounce {
			t.Errorf("got receipt %+v after a bounce, want soft-bounce", got)
		}
	})
	t.Run("no event within the window", func(t *testing.T) {
		r := newRig()
		r.mail.lost = true
		r.run(t, 1, outcome)
		r.mail.lost = false
		r.now = r.now.Add(notification.ReconcileWindow + time.Second)
		if failed := r.run(t, 2, outcome); failed != nil || len(r.mail.sent) != 2 {
			t.Fatalf("after the window: got failures %v, sent %d; want it sent again", failed, len(r.mail.sent))
		}
		if got := r.st.receipts[r.mail.sent[1].ID]; got.State != notification.StateSent || got.Attempts != 2 {
			t.Errorf("got receipt %+v, want sent on the second attempt", got)
		}
	})
	t.Run("a worker died mid-send", func(t *testing.T) {
		r := newRig()
		var ev notification.Event
		_ = json.Unmarshal([]byte(outcome), &ev)
		id := ev.ReceiptID("sam@essex.police.example")
		r.st.receipts[id] = notification.Receipt{ID: id, State: notification.StateSending, AttemptAt: r.now, Attempts: 1}
		r.st.leases[id] = r.now.Add(lease)
		r.now = r.now.Add(lease + time.Second)
		if failed := r.run(t, 2, outcome); len(failed) != 1 || len(r.mail.sent) != 0 {
			t.Fatalf("lease lapsed, within the window: got failures %v, sent %d; want nothing sent yet", failed, len(r.mail.sent))
		}
		r.now = r.now.Add(notification.ReconcileWindow)
		if failed := r.run(t, 3, outcome); failed != nil || len(r.mail.sent) != 1 {
			t.Errorf("after the window: got failures %v, sent %d; want it sent", failed, len(r.mail.sent))
		}
	})
	t.Run("the last try comes within the window", func(t *testing.T) {
		r := newRig()
		r.mail.lost = true
		r.run(t, 1, outcome)
		r.mail.lost = false
		if failed := r.run(t, 3, outcome); len(failed) != 1 || len(r.mail.sent) != 1 {
			t.Fatalf("got failures %v, sent %d; want it dead-lettered unsent", failed, len(r.mail.sent))
		}
		got := r.st.receipts[r.mail.sent[0].ID]
		if got.State != notification.StateUnknown || !strings.Contains(got.Why, "may have been sent") {
			t.Errorf("got receipt %+v, want it left unknown, saying it may have been sent", got)
		}
		if len(r.queue.Sent) != 1 || r.queue.Sent[0].Kind != notification.KindSendFailed || !r.queue.Sent[0].Unsure {
			t.Fatalf("got queued %+v, want the lead told that it may not have arrived", r.queue.Sent)
		}
		tell, _ := json.Marshal(r.queue.Sent[0])
		if failed := r.run(t, 1, string(tell)); failed != nil {
			t.Fatal(failed)
		}
		if last := r.mail.sent[len(r.mail.sent)-1]; last.To != "lead@drive.example" || !strings.Contains(last.Text, "may not have arrived") {
			t.Errorf("got the lead's email %+v, want it to say the email may not have arrived", last)
		}
	})
}
