package local_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/driveprogramme/referrals/shared/email"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// localConfigurationSet is the name the local stack gives the template's
// EmailConfigurationSet.
const localConfigurationSet = "drive-local-EmailConfigurationSet"

// TestFeedbackSendEventMarksALostSendSent: an email whose SendEmail
// answer was lost (its receipt left unknown) is not claimed again within
// the reconcile window; the local SES, as SES does, publishes a Send
// event carrying the receipt's tag to the feedback topic, and the notify
// function marks the receipt sent with SES's message id, after which no
// retry sends it. It measures how long after SES took the email the
// receipt was marked sent: the README's figure.
func TestFeedbackSendEventMarksALostSendSent(t *testing.T) {
	ctx := context.Background()
	ev := notification.Event{Kind: notification.KindOutcome, Reference: "DRV-7K4M-Q9TX", Status: referral.StatusIneligible}
	to := "sam.taylor@essex.police.example"
	id := ev.ReceiptID(to)
	r := notification.Receipt{ID: id, Kind: ev.Kind, Reference: ev.Reference, At: time.Now().UTC()}
	if err := stack.Store.Claim(ctx, r, notification.ClaimLease, notification.ReconcileWindow); err != nil {
		t.Fatal(err)
	}
	r.Why = "SES may have taken it"
	if err := stack.Store.MarkUnknown(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.At = r.At.Add(notification.ClaimLease + time.Second)
	if err := stack.Store.Claim(ctx, r, notification.ClaimLease, notification.ReconcileWindow); !errors.Is(err, notification.ErrInFlight) {
		t.Fatalf("claiming an unknown email within the window: got %v, want ErrInFlight", err)
	}
	if got, err := stack.Store.Receipt(ctx, id); err != nil || got.State != notification.StateUnknown || got.Attempts != 1 || got.AttemptAt.IsZero() {
		t.Fatalf("got receipt %+v (%v), want unknown, with one attempt and its time", got, err)
	}

	// SES took it (the answer the notify function waited for was lost).
	e, err := notification.Compose(id, to, notification.Notice{Kind: ev.Kind, Reference: ev.Reference, Status: ev.Status, Link: stack.URL})
	if err != nil {
		t.Fatal(err)
	}
	sender := email.New(sesv2.NewFromConfig(stack.AWS), "referrals@drive.example", localConfigurationSet)
	took := time.Now()
	messageID, err := sender.Send(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	var got notification.Receipt
	eventually(t, 30*time.Second, "the receipt marked sent by SES's Send event", func() bool {
		got, _ = stack.Store.Receipt(ctx, id)
		return got.State == notification.StateSent
	})
	t.Logf("SES took the email; its receipt was marked sent by the Send event %v later", time.Since(took).Round(time.Millisecond))
	if got.MessageID != messageID {
		t.Errorf("got message id %q on the receipt, want SES's %q", got.MessageID, messageID)
	}
	r.At = r.At.Add(notification.ReconcileWindow)
	if err := stack.Store.Claim(ctx, r, notification.ClaimLease, notification.ReconcileWindow); !errors.Is(err, notification.ErrAlreadySent) {
		t.Errorf("claiming it after the window: got %v, want ErrAlreadySent", err)
	}
}
