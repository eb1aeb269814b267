package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/queue"
	"github.com/driveprogramme/referrals/shared/referral"
)

type store interface {
	Referral(ctx context.Context, ref string) (referral.Record, error)
	CaseManagers(ctx context.Context, area string) ([]allocation.CaseManager, error)
	Allocate(ctx context.Context, rec referral.Record, m allocation.CaseManager, at time.Time, by string) error
	Waitlist(ctx context.Context, rec referral.Record, at time.Time, by string) error
}

var _ store = (*dynamo.Store)(nil)

type sender interface {
	Send(ctx context.Context, v any) error
}

type handler struct {
	store         store
	notifications sender
	log           *slog.Logger
	now           func() time.Time
}

// Handle allocates each referral of the batch on its own and reports the
// ones that failed.
func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.HandleBatch(ctx, h.log, ev, h.handle), nil
}

// attempts bounds how often one message re-reads a referral that another
// worker changed under it.
const attempts = 5

func (h *handler) handle(ctx context.Context, msg events.SQSMessage) error {
	var m referral.Message
	if err := json.Unmarshal([]byte(msg.Body), &m); err != nil || m.Reference == "" {
		return fmt.Errorf("unreadable message: want {\"reference\": ...}")
	}
	for range attempts {
		rec, err := h.store.Referral(ctx, m.Reference)
		if err != nil {
			return err
		}
		switch rec.Status {
		case referral.StatusAllocated, referral.StatusWaitlisted:
			// Done before (a redelivery, or a lost race): queue the
			// notifications again; the notifier sends each once.
			return h.announce(ctx, rec, msg.MessageId)
		case referral.StatusEligible:
			rec, err = h.allocate(ctx, rec)
			if errors.Is(err, referral.ErrConflict) {
				continue
			}
			if err != nil {
				return err
			}
			return h.announce(ctx, rec, msg.MessageId)
		default:
			h.log.WarnContext(ctx, "referral is not waiting for allocation; message dropped", "reference", rec.Reference,
				"status", string(rec.Status), "messageId", msg.MessageId)
			return nil
		}
	}
	return fmt.Errorf("allocate %s: still changing after %d attempts", m.Reference, attempts)
}

// allocate tries the area's candidates best first: the store's transaction
// refuses a manager who filled up meanwhile, and the next is tried. With
// nobody free the referral is waitlisted.
func (h *handler) allocate(ctx context.Context, rec referral.Record) (referral.Record, error) {
	managers, err := h.store.CaseManagers(ctx, rec.Referral.Area)
	if err != nil {
		return rec, err
	}
	now := h.now().UTC()
	for _, m := range allocation.Candidates(managers) {
		err := h.store.Allocate(ctx, rec, m, now, "allocation")
		if errors.Is(err, allocation.ErrNoCapacity) {
			continue
		}
		if err != nil {
			return rec, err
		}
		rec.Status, rec.CaseManager = referral.StatusAllocated, &referral.Assignee{ID: m.ID, Name: m.Name}
		return rec, nil
	}
	if err := h.store.Waitlist(ctx, rec, now, "allocation"); err != nil {
		return rec, err
	}
	rec.Status = referral.StatusWaitlisted
	return rec, nil
}

func (h *handler) announce(ctx context.Context, rec referral.Record, messageID string) error {
	events := []notification.Event{{Kind: notification.KindOutcome, Reference: rec.Reference, Status: rec.Status}}
	attrs := []any{"reference", rec.Reference, "status", string(rec.Status), "messageId", messageID}
	if rec.Status == referral.StatusAllocated && rec.CaseManager != nil {
		events = append(events, notification.Event{Kind: notification.KindAllocated, Reference: rec.Reference,
			Status: rec.Status, CaseManagerID: rec.CaseManager.ID})
		attrs = append(attrs, "caseManagerId", rec.CaseManager.ID)
	}
	for _, ev := range events {
		if err := h.notifications.Send(ctx, ev); err != nil {
			return fmt.Errorf("queue %s notification for %s: %w", ev.Kind, rec.Reference, err)
		}
	}
	h.log.InfoContext(ctx, "allocation done", attrs...)
	return nil
}
