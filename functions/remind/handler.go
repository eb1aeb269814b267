package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
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
	OnLeave(ctx context.Context, day string) ([]allocation.CaseManager, error)
	ChangeCaseManager(ctx context.Context, m allocation.CaseManager, by, byName string, at time.Time) ([]allocation.Change, dynamo.Message, error)
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
	return errors.Join(append(errs, h.endLeave(ctx, now))...)
}

// endLeave makes every case manager whose leave ends today (or ended on
// a day no run saw) active again, through the same operation as the
// area page and the API (dynamo.Store.ChangeCaseManager): a recorded
// change, by Drive, with the release of their area's waitlist, which is
// then sent. So a return from leave on its date needs nobody to press a
// button: the schedule runs every 10 minutes. A change that lost a race
// with a lead's (referral.ErrConflict) is left for the next run to read
// again.
func (h *handler) endLeave(ctx context.Context, now time.Time) error {
	back, err := h.store.OnLeave(ctx, referral.Today(now).Format(time.DateOnly))
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range back {
		if !allocation.DueBack(m, now) {
			continue
		}
		_, release, err := h.store.ChangeCaseManager(ctx, allocation.Back(m), ByDrive, ByDriveName, now.UTC())
		if errors.Is(err, referral.ErrConflict) {
			h.log.InfoContext(ctx, "case manager changed while their leave was ending; the next run reads them again", "area", m.Area, "caseManagerId", m.ID)
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := dynamo.Deliver(ctx, h.store, h.queues, release); err != nil {
			h.log.WarnContext(ctx, "case manager back from leave, the waitlist's release kept in the outbox for the relay", "area", m.Area, "error", err.Error())
		}
		h.log.InfoContext(ctx, "case manager back from leave", "area", m.Area, "caseManagerId", m.ID)
	}
	return errors.Join(errs...)
}

// How a change record names the schedule's own changes.
const (
	ByDrive     = "drive"
	ByDriveName = "Drive, on the date they are back"
)
