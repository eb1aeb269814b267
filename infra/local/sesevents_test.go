package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

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
	serial(t)
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

// TestNotificationOfAClosedCaseIsSkipped replays the incident of issue 12:
// a case's "allocated" emails were dead-lettered, the case was closed,
// and a redrive then sent them. Now the redriven event sends nothing, and
// a receipt says why.
func TestNotificationOfAClosedCaseIsSkipped(t *testing.T) {
	serial(t)
	ctx := context.Background()
	ref := submit(t, submission(t, "flow", nil))
	awaitStatus(t, ref, "allocated")
	rec, err := stack.Store.Referral(ctx, ref)
	if err != nil || rec.CaseManager == nil {
		t.Fatalf("got %+v (%v), want the referral allocated", rec, err)
	}
	cm := rec.CaseManager
	ev := notification.Event{Kind: notification.KindAllocated, Reference: ref, Status: referral.StatusAllocated, CaseManagerID: cm.ID, Since: cm.Since}
	cmEmail := "cm" + cm.ID[len("flow-cm"):] + "@flow.drive.example"
	eventually(t, 20*time.Second, "the allocation email sent", func() bool {
		got, err := stack.Store.Receipt(ctx, ev.ReceiptID(cmEmail))
		return err == nil && got.State == notification.StateSent
	})
	if code, out := call(t, cmEmail, "POST", "/cases/"+ref+"/accept", ""); code != 200 { // only an accepted case closes
		t.Fatalf("accept: %d %v", code, out)
	}
	if code, out := call(t, cmEmail, "POST", "/cases/"+ref+"/close", `{"reason": "completed"}`); code != 200 {
		t.Fatalf("closing: got %d %v, want 200", code, out)
	}
	// As if the allocation email had never gone (dead-lettered unsent).
	if _, err := dynamodb.NewFromConfig(stack.AWS).DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(stack.Table),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "NOTE#" + ev.ReceiptID(cmEmail)}, "SK": &types.AttributeValueMemberS{Value: "NOTE"}}}); err != nil {
		t.Fatal(err)
	}
	before := len(awaitEmails(t, ref, 2)) // the allocation and the outcome (flow has no IDVA or MARAC contacts)
	body, _ := json.Marshal(ev)
	if _, err := sqs.NewFromConfig(stack.AWS).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(stack.Queues["NotifyQueue"]), MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	var got notification.Receipt
	eventually(t, 20*time.Second, "a receipt recording the redriven allocation as skipped", func() bool {
		got, _ = stack.Store.Receipt(ctx, ev.StageID("skipped"))
		return got.State == notification.StateSkipped
	})
	if !strings.Contains(got.Why, "closed") {
		t.Errorf("got why %q, want it to say the referral was closed", got.Why)
	}
	if after := emailsAbout(t, ref); len(after) != before {
		t.Errorf("got %d emails about %s after the redrive, want %d: nothing sent for a closed case", len(after), ref, before)
	}
}
