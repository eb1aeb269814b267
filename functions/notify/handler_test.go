package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// fakeStore keeps receipts as the DynamoDB store does: claimed, then sent.
type fakeStore struct {
	receipts map[string]string // id → "sending" | "sent"
	released []string
}

func (f *fakeStore) Referral(_ context.Context, ref string) (referral.Record, error) {
	return referral.Record{Reference: ref, Status: referral.StatusAllocated, CaseManager: &referral.Assignee{ID: "essex-cm1"},
		Referral: referral.Referral{Area: "essex", Referrer: referral.Referrer{Email: "sam@essex.police.example"}}}, nil
}

func (f *fakeStore) CaseManager(_ context.Context, area, id string) (allocation.CaseManager, error) {
	return allocation.CaseManager{ID: id, Area: area, Email: id + "@drive.example"}, nil
}

func (f *fakeStore) Claim(_ context.Context, id string, _ time.Time, _ time.Duration) error {
	switch f.receipts[id] {
	case "sent":
		return notification.ErrAlreadySent
	case "sending":
		return notification.ErrInFlight
	}
	f.receipts[id] = "sending"
	return nil
}

func (f *fakeStore) MarkSent(_ context.Context, id string, _ time.Time) error {
	f.receipts[id] = "sent"
	return nil
}

func (f *fakeStore) Release(_ context.Context, id string) error {
	f.released = append(f.released, id)
	delete(f.receipts, id)
	return nil
}

type fakeMail struct {
	sent []notification.Email
	err  error
}

func (m *fakeMail) Send(_ context.Context, e notification.Email) error {
	if m.err != nil {
		return m.err
	}
	m.sent = append(m.sent, e)
	return nil
}

func batch(bodies ...string) []byte {
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", i), Body: b, EventSource: "aws:sqs"})
	}
	raw, _ := json.Marshal(ev)
	return raw
}

func run(t *testing.T, st *fakeStore, mail *fakeMail, bodies ...string) []string {
	t.Helper()
	h := &handler{store: st, mail: mail, baseURL: "https://drive.example", log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now}
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), batch(bodies...))
	if err != nil {
		t.Fatal(err)
	}
	var resp events.SQSEventResponse
	_ = json.Unmarshal(out, &resp)
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

const (
	allocated = `{"kind":"allocated","reference":"DRV-7K4M-Q9TX","status":"allocated","caseManagerId":"essex-cm1"}`
	outcome   = `{"kind":"outcome","reference":"DRV-7K4M-Q9TX","status":"allocated"}`
)

func TestSendsEachNotificationOnce(t *testing.T) {
	st, mail := &fakeStore{receipts: map[string]string{}}, &fakeMail{}
	if failed := run(t, st, mail, allocated, outcome, allocated, outcome); failed != nil {
		t.Fatalf("got failures %v, want none", failed)
	}
	if len(mail.sent) != 2 || mail.sent[0].To != "essex-cm1@drive.example" || mail.sent[1].To != "sam@essex.police.example" {
		t.Errorf("got %+v, want one email to the case manager and one to the referrer", mail.sent)
	}
}

func TestRetriesWhileAnotherWorkerSends(t *testing.T) {
	id := "allocated#DRV-7K4M-Q9TX#allocated#essex-cm1"
	st, mail := &fakeStore{receipts: map[string]string{id: "sending"}}, &fakeMail{}
	if failed := run(t, st, mail, allocated); len(failed) != 1 || len(mail.sent) != 0 {
		t.Errorf("got failures %v and %d emails, want the message retried and nothing sent", failed, len(mail.sent))
	}
}

func TestFailedSendReleasesTheClaim(t *testing.T) {
	st, mail := &fakeStore{receipts: map[string]string{}}, &fakeMail{err: errors.New("ses throttled")}
	if failed := run(t, st, mail, allocated); len(failed) != 1 || len(st.released) != 1 {
		t.Errorf("got failures %v, released %v; want the message retried and the claim released", failed, st.released)
	}
	mail.err = nil
	if failed := run(t, st, mail, allocated); failed != nil || len(mail.sent) != 1 {
		t.Errorf("retry: got failures %v and %d emails, want it sent once", failed, len(mail.sent))
	}
}

func TestBadEventsFail(t *testing.T) {
	for _, body := range []string{`not json`, `{"kind":"party","reference":"DRV-7K4M-Q9TX"}`, `{"kind":"allocated","reference":"DRV-7K4M-Q9TX"}`} {
		st, mail := &fakeStore{receipts: map[string]string{}}, &fakeMail{}
		if failed := run(t, st, mail, body, outcome); len(failed) != 1 || failed[0] != "m0" || len(mail.sent) != 1 {
			t.Errorf("%s: got failures %v and %d emails, want only the bad one failed", body, failed, len(mail.sent))
		}
	}
}

func TestReallocationTellsBothManagersAndDropsStaleAllocations(t *testing.T) {
	st, mail := &fakeStore{receipts: map[string]string{}}, &fakeMail{}
	// The case is now essex-cm1's: it moved from essex-cm2, whose first
	// allocation event arrives late.
	stale := `{"kind":"allocated","reference":"DRV-7K4M-Q9TX","status":"allocated","caseManagerId":"essex-cm2"}`
	moved := `{"kind":"reallocated","reference":"DRV-7K4M-Q9TX","status":"allocated","caseManagerId":"essex-cm2","since":"2026-11-23T10:00:00Z"}`
	if failed := run(t, st, mail, stale, moved, allocated); failed != nil {
		t.Fatalf("got failures %v, want none", failed)
	}
	if len(mail.sent) != 2 {
		t.Fatalf("got %+v, want two emails: the move to essex-cm2, the allocation to essex-cm1", mail.sent)
	}
	if got := mail.sent[0]; got.To != "essex-cm2@drive.example" || !strings.Contains(got.Subject, "reallocated") {
		t.Errorf("first email: got %+v, want essex-cm2 told the case was reallocated", got)
	}
	if got := mail.sent[1]; got.To != "essex-cm1@drive.example" || !strings.Contains(got.Subject, "allocated to you") {
		t.Errorf("second email: got %+v, want essex-cm1 told of the allocation", got)
	}
}
