package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/lambdaenv"
	"github.com/driveprogramme/referrals/shared/logctx"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

type store interface {
	Unaccepted(ctx context.Context, by time.Time) ([]notification.Unaccepted, error)
	MarkChased(ctx context.Context, u notification.Unaccepted, stage notification.Kind, msgs ...dynamo.Message) error
	DeleteOutbox(ctx context.Context, m dynamo.Message) error
}

var _ store = (*dynamo.Store)(nil)

type handler struct {
	store store
	// queues takes the notify queue's messages (dynamo.QueueNotify): each
	// chase's event, committed with its mark.
	queues dynamo.Sender
	chase  notification.Chase
	log    *slog.Logger
	now    func() time.Time
}

// Handle runs on a schedule: each allocation not accepted in time gets its
// reminder, then its escalation, queued for the notify function. Each
// chase is marked on the referral with its event in the outbox, in one
// transaction, and the event is then sent; an event not sent is the
// relay's, so a chase is never marked and lost, nor queued for an
// allocation that moved. The event's content is not used. An error fails
// the run; the next run picks up whatever was left, and notify's receipts
// keep an event queued twice from being emailed twice.
//
// Every call ends a second before the run's deadline (lambdaenv.Budget),
// so that a hung dependency ends the run with its summary logged and its
// error returned, rather than the run being killed.
func (h *handler) Handle(ctx context.Context, _ json.RawMessage) error {
	ctx, cancel := lambdaenv.Budget(ctx, time.Second)
	defer cancel()
	now := h.now()
	due, err := h.store.Unaccepted(ctx, now.Add(-h.chase.Remind))
	if err != nil {
		return err
	}
	var errs []error
	sent := 0
	for _, u := range due {
		stage := h.chase.Due(u, now)
		if stage == "" {
			continue
		}
		ctx := logctx.With(ctx, "reference", u.Reference)
		m, err := dynamo.NewMessage(dynamo.QueueNotify, u.Event(stage), now)
		if err != nil {
			errs = append(errs, fmt.Errorf("queue %s of %s: %w", stage, u.Reference, err))
			continue
		}
		err = h.store.MarkChased(ctx, u, stage, m)
		if errors.Is(err, referral.ErrConflict) {
			// Accepted or moved meanwhile: nothing to chase.
			h.log.InfoContext(ctx, "allocation changed while being chased", "stage", string(stage))
			continue
		}
		if err != nil {
			// Neither marked nor queued: the next run tries again.
			errs = append(errs, err)
			continue
		}
		if err := dynamo.Deliver(ctx, h.store, h.queues, m); err != nil {
			h.log.WarnContext(ctx, "chase marked, its event kept in the outbox for the relay", "stage", string(stage), "error", err.Error())
		}
		sent++
		h.log.InfoContext(ctx, "allocation not accepted in time; "+string(stage)+" queued", "stage", string(stage), "area", u.Area,
			"caseManagerId", u.CaseManagerID, "waitingSeconds", int(now.Sub(u.Since).Seconds()))
	}
	h.log.InfoContext(ctx, "chase run done", "unaccepted", len(due), "queued", sent, "failed", len(errs))
	return errors.Join(errs...)
}
