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
	CaseManager(ctx context.Context, area, id string) (allocation.CaseManager, error)
	Claim(ctx context.Context, id string, now time.Time, lease time.Duration) error
	MarkSent(ctx context.Context, id string, at time.Time) error
	Release(ctx context.Context, id string) error
}

var _ store = (*dynamo.Store)(nil)

type mailer interface {
	Send(ctx context.Context, e notification.Email) error
}

type handler struct {
	store   store
	mail    mailer
	baseURL string
	log     *slog.Logger
	now     func() time.Time
}

// lease is how long a claim on a notification holds off other workers; a
// worker that dies mid-send is retried after it.
const lease = notification.ClaimLease

// Handle sends each notification of the batch on its own and reports the
// ones that failed.
func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.HandleBatch(ctx, h.log, ev, h.handle), nil
}

// handle sends an event's email once, however often the event is
// delivered: a receipt is claimed before sending and marked after.
func (h *handler) handle(ctx context.Context, msg events.SQSMessage) error {
	var ev notification.Event
	if err := json.Unmarshal([]byte(msg.Body), &ev); err != nil {
		return fmt.Errorf("unreadable notification event: %w", err)
	}
	if err := ev.Validate(); err != nil {
		return err
	}
	e, err := h.compose(ctx, ev)
	if errors.Is(err, errStale) {
		h.log.InfoContext(ctx, "case has moved on; stale notification dropped", "reference", ev.Reference, "kind", string(ev.Kind), "messageId", msg.MessageId)
		return nil
	}
	if err != nil {
		return err
	}
	id := ev.ID()
	err = h.store.Claim(ctx, id, h.now(), lease)
	if errors.Is(err, notification.ErrAlreadySent) {
		h.log.InfoContext(ctx, "notification already sent; duplicate dropped", "reference", ev.Reference, "kind", string(ev.Kind), "messageId", msg.MessageId)
		return nil
	}
	if err != nil {
		return err
	}
	if err := h.mail.Send(ctx, e); err != nil {
		if rerr := h.store.Release(ctx, id); rerr != nil {
			h.log.WarnContext(ctx, "claim not released; retry waits for the lease", "reference", ev.Reference, "error", rerr.Error())
		}
		return fmt.Errorf("notify %s of %s: %w", ev.Kind, ev.Reference, err)
	}
	if err := h.store.MarkSent(ctx, id, h.now()); err != nil {
		// The email went; a redelivery after the lease could send it again.
		h.log.WarnContext(ctx, "email sent but receipt not marked", "reference", ev.Reference, "error", err.Error())
	}
	h.log.InfoContext(ctx, "notification sent", "reference", ev.Reference, "kind", string(ev.Kind), "status", string(ev.Status), "messageId", msg.MessageId)
	return nil
}

// errStale: the event tells a case manager of an allocation that has
// since moved to someone else.
var errStale = errors.New("allocation no longer current")

func (h *handler) compose(ctx context.Context, ev notification.Event) (notification.Email, error) {
	rec, err := h.store.Referral(ctx, ev.Reference)
	if err != nil {
		return notification.Email{}, err
	}
	link := h.baseURL + "/referrals/" + rec.Reference + "/status"
	if ev.Kind == notification.KindOutcome {
		return notification.ToReferrer(rec, ev.Status, link), nil
	}
	if ev.Kind == notification.KindAllocated && (rec.CaseManager == nil || rec.CaseManager.ID != ev.CaseManagerID) {
		return notification.Email{}, errStale
	}
	m, err := h.store.CaseManager(ctx, rec.Referral.Area, ev.CaseManagerID)
	if err != nil {
		return notification.Email{}, err
	}
	if ev.Kind == notification.KindReallocated {
		return notification.ToPreviousCaseManager(m.Email, rec.Reference), nil
	}
	return notification.ToCaseManager(m.Email, rec.Reference, link), nil
}
