package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/logctx"
	"github.com/driveprogramme/referrals/shared/metrics"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/queue"
	"github.com/driveprogramme/referrals/shared/referral"
)

type store interface {
	Referral(ctx context.Context, ref string) (referral.Record, error)
	Area(ctx context.Context, id string) (eligibility.Area, error)
	RecordDecision(ctx context.Context, rec referral.Record, d referral.Decision, by string) error
	SamePerpetrator(ctx context.Context, r referral.Referral) ([]referral.Summary, error)
}

var _ store = (*dynamo.Store)(nil)

type sender interface {
	Send(ctx context.Context, v any) error
}

type handler struct {
	store         store
	allocations   sender
	notifications sender
	metrics       *metrics.Recorder
	log           *slog.Logger
	now           func() time.Time
}

// Handle decides each referral of the batch on its own and reports the
// ones that failed.
func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.HandleBatch(ctx, h.log, ev, h.handle), nil
}

// handle decides a received referral once and forwards every decided one:
// a redelivered message finds the decision made and forwards it again,
// which the next steps take as a no-op.
func (h *handler) handle(ctx context.Context, msg events.SQSMessage) error {
	var m referral.Message
	if err := json.Unmarshal([]byte(msg.Body), &m); err != nil || m.Reference == "" {
		return fmt.Errorf("unreadable message: want {\"reference\": ...}")
	}
	ctx = logctx.With(ctx, "reference", m.Reference)
	rec, err := h.store.Referral(ctx, m.Reference)
	if errors.Is(err, referral.ErrNotFound) {
		// Nothing to decide: the referral was removed (intake removes one
		// it could not queue, though the message may have gone) or has
		// expired. Failing it would only fill the DLQ.
		h.log.WarnContext(ctx, "no such referral; message dropped", "reference", m.Reference, "messageId", msg.MessageId)
		return nil
	}
	if err != nil {
		return err
	}
	if rec.Status == referral.StatusReceived {
		if rec, err = h.decide(ctx, rec); err != nil {
			return err
		}
	}
	switch rec.Status {
	case referral.StatusEligible:
		err = h.allocations.Send(ctx, referral.Message{Reference: rec.Reference})
	case referral.StatusIneligible:
		err = h.notifications.Send(ctx, notification.Event{Kind: notification.KindOutcome, Reference: rec.Reference, Status: rec.Status})
	default:
		// Allocated, waitlisted, accepted, ended: decided and carried on
		// long ago (a late redelivery). Nothing to do: acknowledged.
	}
	if err != nil {
		return fmt.Errorf("forward %s: %w", rec.Reference, err)
	}
	h.log.InfoContext(ctx, "eligibility decided", "reference", rec.Reference, "status", string(rec.Status), "messageId", msg.MessageId)
	return nil
}

func (h *handler) decide(ctx context.Context, rec referral.Record) (referral.Record, error) {
	var area *eligibility.Area
	a, err := h.store.Area(ctx, rec.Referral.Area)
	switch {
	case err == nil:
		area = &a
	case !errors.Is(err, referral.ErrNotFound):
		return rec, err
	}
	open, err := h.openEarlier(ctx, rec)
	if err != nil {
		return rec, err
	}
	d := eligibility.Decide(rec.Referral, area, open, h.now().UTC())
	err = h.store.RecordDecision(ctx, rec, d, "eligibility")
	if errors.Is(err, referral.ErrConflict) {
		return h.store.Referral(ctx, rec.Reference)
	}
	if err != nil {
		return rec, err
	}
	rec.Decision, rec.Status = &d, referral.StatusIneligible
	if d.Eligible {
		rec.Status = referral.StatusEligible
	}
	name := metrics.Ineligible
	if d.Eligible {
		name = metrics.Eligible
	}
	h.metrics.Count(rec.Referral.Area, name, 1, rec.Reference)
	return rec, nil
}

// openEarlier lists the open referrals of the same perpetrator that came
// before this one. Only earlier ones count, so that of two referrals
// decided at once exactly one goes on.
func (h *handler) openEarlier(ctx context.Context, rec referral.Record) ([]string, error) {
	all, err := h.store.SamePerpetrator(ctx, rec.Referral)
	if err != nil {
		return nil, err
	}
	var open []string
	for _, s := range all {
		if s.Reference != rec.Reference && s.Open() && s.Before(rec) {
			open = append(open, s.Reference)
		}
	}
	return open, nil
}
