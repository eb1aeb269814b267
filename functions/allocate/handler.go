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
	"github.com/driveprogramme/referrals/shared/logctx"
	"github.com/driveprogramme/referrals/shared/metrics"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/queue"
	"github.com/driveprogramme/referrals/shared/referral"
)

type store interface {
	Referral(ctx context.Context, ref string) (referral.Record, error)
	Waiting(ctx context.Context, area string) ([]string, error)
	CaseManagers(ctx context.Context, area string) ([]allocation.CaseManager, error)
	Allocate(ctx context.Context, rec referral.Record, m allocation.CaseManager, at time.Time, by string, msgs ...dynamo.Message) error
	Waitlist(ctx context.Context, rec referral.Record, at time.Time, by string, msgs ...dynamo.Message) error
	DeleteOutbox(ctx context.Context, m dynamo.Message) error
}

var _ store = (*dynamo.Store)(nil)

type handler struct {
	store store
	// queues takes the notify queue's messages (dynamo.QueueNotify):
	// each allocation's or waitlisting's emails, committed with it.
	queues  dynamo.Sender
	metrics *metrics.Recorder
	log     *slog.Logger
	now     func() time.Time
}

// Handle allocates each referral of the batch on its own and reports the
// ones that failed.
func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.HandleBatch(ctx, h.log, ev, h.handle), nil
}

// attempts bounds how often one message re-reads a referral that another
// worker changed under it.
const attempts = 5

// message is what the allocation queue carries: an eligible referral's
// reference, or an area whose capacity was freed.
type message struct {
	Reference string `json:"reference"`
	Area      string `json:"area"`
}

func (h *handler) handle(ctx context.Context, msg events.SQSMessage) error {
	var m message
	if err := json.Unmarshal([]byte(msg.Body), &m); err != nil || (m.Reference == "") == (m.Area == "") {
		return fmt.Errorf("unreadable message: want {\"reference\": ...} or {\"area\": ...}")
	}
	if m.Area != "" {
		return h.release(ctx, m.Area, msg.MessageId)
	}
	ctx = logctx.With(ctx, "reference", m.Reference)
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
			rec, err = h.allocate(ctx, rec, msg.MessageId)
			if errors.Is(err, referral.ErrConflict) {
				continue
			}
			return err
		default:
			h.log.WarnContext(ctx, "referral is not waiting for allocation; message dropped", "reference", rec.Reference,
				"status", string(rec.Status), "messageId", msg.MessageId)
			return nil
		}
	}
	return fmt.Errorf("allocate %s: still changing after %d attempts", m.Reference, attempts)
}

// allocate gives an eligible referral to a case manager, unless referrals
// are already waiting in its area: then it joins the back of the waitlist,
// so that nobody overtakes them. Either change is committed with its
// emails (the outbox) and they are then sent. After waitlisting, one
// release pass runs, in case capacity was freed while this referral was
// being placed.
func (h *handler) allocate(ctx context.Context, rec referral.Record, messageID string) (referral.Record, error) {
	waiting, err := h.store.Waiting(ctx, rec.Referral.Area)
	if err != nil {
		return rec, err
	}
	if len(waiting) == 0 {
		got, err := h.tryManagers(ctx, rec, messageID)
		if err != nil || got.Status == referral.StatusAllocated {
			return got, err
		}
	}
	now := h.now().UTC()
	waitlisted := rec
	waitlisted.Status = referral.StatusWaitlisted
	msgs, err := messages(waitlisted, now)
	if err != nil {
		return rec, err
	}
	if err := h.store.Waitlist(ctx, rec, now, "allocation", msgs...); err != nil {
		return rec, err
	}
	h.metrics.Count(rec.Referral.Area, metrics.Waitlisted, 1, rec.Reference)
	h.deliver(ctx, waitlisted, messageID, msgs)
	if err := h.release(ctx, rec.Referral.Area, ""); err != nil {
		h.log.WarnContext(ctx, "release after waitlisting failed; the next capacity change retries it", "area", rec.Referral.Area, "error", err.Error())
	}
	return waitlisted, nil
}

// tryManagers tries the area's candidates best first: the store's
// transaction refuses a manager who filled up meanwhile, and the next is
// tried. An allocation is committed with its emails (the outbox), which
// are then sent. It returns the record unchanged when nobody has room.
func (h *handler) tryManagers(ctx context.Context, rec referral.Record, messageID string) (referral.Record, error) {
	managers, err := h.store.CaseManagers(ctx, rec.Referral.Area)
	if err != nil {
		return rec, err
	}
	now := h.now().UTC()
	for _, m := range allocation.Candidates(managers) {
		got := rec
		got.Status, got.CaseManager = referral.StatusAllocated, &referral.Assignee{ID: m.ID, Name: m.Name, Since: now}
		msgs, err := messages(got, now)
		if err != nil {
			return rec, err
		}
		err = h.store.Allocate(ctx, rec, m, now, "allocation", msgs...)
		if errors.Is(err, allocation.ErrNoCapacity) {
			continue
		}
		if err != nil {
			return rec, err
		}
		h.metrics.Count(rec.Referral.Area, metrics.Allocated, 1, rec.Reference)
		h.metrics.Seconds(rec.Referral.Area, metrics.TimeToAllocation, now.Sub(rec.ReceivedAt), rec.Reference)
		h.deliver(ctx, got, messageID, msgs)
		return got, nil
	}
	return rec, nil
}

// release allocates an area's waitlisted referrals, oldest first, until
// nobody has room or nobody waits. Each is allocated at most once however
// many releases run at once: the store's transaction moves a referral out
// of waitlisted only once, and a release that loses moves on to the next.
func (h *handler) release(ctx context.Context, area, messageID string) error {
	for {
		waiting, err := h.store.Waiting(ctx, area)
		if err != nil || len(waiting) == 0 {
			return err
		}
		progressed := false
		for _, ref := range waiting {
			rec, err := h.store.Referral(ctx, ref)
			if err != nil {
				return err
			}
			if rec.Status != referral.StatusWaitlisted {
				continue // another release took it
			}
			got, err := h.tryManagers(ctx, rec, messageID)
			if errors.Is(err, referral.ErrConflict) {
				continue
			}
			if err != nil {
				return err
			}
			if got.Status != referral.StatusAllocated {
				return nil // nobody has room: the rest keep waiting, in order
			}
			progressed = true
		}
		if !progressed {
			return nil
		}
	}
}

// messages are the notification events an allocated or waitlisted
// referral causes, as outbox messages created at the time given: the
// referrer's outcome and, for an allocation, the case manager's and
// support contacts' email.
func messages(rec referral.Record, at time.Time) ([]dynamo.Message, error) {
	events := []notification.Event{{Kind: notification.KindOutcome, Reference: rec.Reference, Status: rec.Status}}
	if rec.Status == referral.StatusAllocated && rec.CaseManager != nil {
		events = append(events, notification.Event{Kind: notification.KindAllocated, Reference: rec.Reference,
			Status: rec.Status, CaseManagerID: rec.CaseManager.ID, Since: rec.CaseManager.Since})
	}
	msgs := make([]dynamo.Message, len(events))
	for i, ev := range events {
		m, err := dynamo.NewMessage(dynamo.QueueNotify, ev, at)
		if err != nil {
			return nil, fmt.Errorf("queue %s notification for %s: %w", ev.Kind, rec.Reference, err)
		}
		msgs[i] = m
	}
	return msgs, nil
}

// deliver sends the messages committed with rec's change; any not sent
// stay in the outbox for the relay, and the change stands.
func (h *handler) deliver(ctx context.Context, rec referral.Record, messageID string, msgs []dynamo.Message) {
	attrs := []any{"reference", rec.Reference, "status", string(rec.Status), "messageId", messageID}
	if rec.CaseManager != nil {
		attrs = append(attrs, "caseManagerId", rec.CaseManager.ID)
	}
	if err := dynamo.Deliver(ctx, h.store, h.queues, msgs...); err != nil {
		h.log.WarnContext(ctx, "allocation stored, its notifications kept in the outbox for the relay", append(attrs, "error", err.Error())...)
	}
	h.log.InfoContext(ctx, "allocation done", attrs...)
}

// announce queues again the notifications of a referral allocated or
// waitlisted before (a redelivery, or a lost race): a plain send, as
// nothing is written; the notifier sends each email once.
func (h *handler) announce(ctx context.Context, rec referral.Record, messageID string) error {
	msgs, err := messages(rec, h.now().UTC())
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := h.queues.Send(ctx, m.Queue, m.Body); err != nil {
			return fmt.Errorf("queue notification for %s: %w", rec.Reference, err)
		}
	}
	attrs := []any{"reference", rec.Reference, "status", string(rec.Status), "messageId", messageID}
	if rec.CaseManager != nil {
		attrs = append(attrs, "caseManagerId", rec.CaseManager.ID)
	}
	h.log.InfoContext(ctx, "allocation done", attrs...)
	return nil
}
