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
	Queue(ctx context.Context, area string) ([]allocation.Arrival, error)
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
		return h.release(ctx, m.Area, "", msg.MessageId)
	}
	ctx = logctx.With(ctx, "reference", m.Reference)
	for range attempts {
		rec, err := h.store.Referral(ctx, m.Reference)
		if errors.Is(err, referral.ErrNotFound) {
			// Nothing to allocate: the referral has expired (its
			// retention ended) since the message was sent.
			h.log.WarnContext(ctx, "no such referral; message dropped", "reference", m.Reference, "messageId", msg.MessageId)
			return nil
		}
		if err != nil {
			return err
		}
		switch rec.Status {
		case referral.StatusAllocated, referral.StatusWaitlisted:
			// Done before (a redelivery, or placed by another referral's
			// release): queue the notifications again; the notifier
			// sends each once.
			return h.announce(ctx, rec, msg.MessageId)
		case referral.StatusEligible:
			rec, err = h.allocate(ctx, rec, msg.MessageId)
			if errors.Is(err, referral.ErrConflict) {
				continue
			}
			return err
		default:
			// Accepted, closed, withdrawn: allocated long ago, or ended
			// before its turn. Nothing to do, and nothing a person need see.
			h.log.InfoContext(ctx, "referral is not waiting for allocation; message dropped", "reference", rec.Reference,
				"status", string(rec.Status), "messageId", msg.MessageId)
			return nil
		}
	}
	return fmt.Errorf("allocate %s: still changing after %d attempts", m.Reference, attempts)
}

// allocate places an eligible referral in its turn (allocation.InOrder):
// a release pass gives the area's free places to the referrals waiting
// for one, first first, this one among them, so that no referral
// overtakes one found eligible before it, waitlisted or not yet placed
// (its own message may be late, or failing). If the pass leaves this one
// unplaced, nobody had room for it: it is waitlisted, and one more pass
// runs, in case capacity was freed meanwhile. Every change is committed
// with its emails (the outbox), which are then sent. It returns the
// referral as it is now, or an error wrapping referral.ErrConflict when it
// changed under us.
func (h *handler) allocate(ctx context.Context, rec referral.Record, messageID string) (referral.Record, error) {
	area := rec.Referral.Area
	if err := h.release(ctx, area, rec.Reference, messageID); err != nil {
		return rec, err
	}
	cur, err := h.store.Referral(ctx, rec.Reference)
	if err != nil || cur.Status != referral.StatusEligible {
		return cur, err
	}
	now := h.now().UTC()
	waitlisted := cur
	waitlisted.Status = referral.StatusWaitlisted
	msgs, err := messages(waitlisted, now)
	if err != nil {
		return cur, err
	}
	if err := h.store.Waitlist(ctx, cur, now, "allocation", msgs...); err != nil {
		return cur, err
	}
	h.metrics.Count(area, metrics.Waitlisted, 1, rec.Reference)
	h.deliver(ctx, waitlisted, messageID, msgs)
	if err := h.release(ctx, area, rec.Reference, messageID); err != nil {
		h.log.WarnContext(ctx, "release after waitlisting failed; the next capacity change retries it", "area", area, "error", err.Error())
	}
	return waitlisted, nil
}

// tryManagers tries the area's candidates best first: the store's
// transaction refuses a manager who filled up meanwhile, and the next is
// tried. An allocation is committed with its emails (the outbox), which
// are then sent. It returns the record unchanged when nobody has room.
//
// A case manager who declined the referral is never offered it
// (allocation.CandidatesFor); passedOver says that one of them had room,
// so that the area is not full for the referrals after it.
func (h *handler) tryManagers(ctx context.Context, rec referral.Record, messageID string) (got referral.Record, passedOver bool, err error) {
	managers, err := h.store.CaseManagers(ctx, rec.Referral.Area)
	if err != nil {
		return rec, false, err
	}
	now := h.now().UTC()
	candidates := allocation.CandidatesFor(managers, rec.Declined)
	passedOver = len(candidates) < len(allocation.Candidates(managers))
	for _, m := range candidates {
		got := rec
		got.Status, got.CaseManager = referral.StatusAllocated, &referral.Assignee{ID: m.ID, Name: m.Name, Since: now}
		msgs, err := messages(got, now)
		if err != nil {
			return rec, passedOver, err
		}
		err = h.store.Allocate(ctx, rec, m, now, "allocation", msgs...)
		if errors.Is(err, allocation.ErrNoCapacity) {
			continue
		}
		if err != nil {
			return rec, passedOver, err
		}
		h.metrics.Count(rec.Referral.Area, metrics.Allocated, 1, rec.Reference)
		h.metrics.Seconds(rec.Referral.Area, metrics.TimeToAllocation, now.Sub(rec.ReceivedAt), rec.Reference)
		h.deliver(ctx, got, messageID, msgs)
		return got, passedOver, nil
	}
	return rec, passedOver, nil
}

// release gives an area's free places to the referrals waiting for one,
// eligible or waitlisted, first first (allocation.InOrder), until nobody
// has room or nobody waits. A referral is passed over only once it no
// longer waits (allocated by another release, or ended); one that changed
// under us is read again and offered again, so that a later one never
// takes a place while an earlier one still waits. Each is allocated at
// most once however many releases run at once: the store's transaction
// moves a referral out of eligible or waitlisted only once. Each placement
// is committed with its emails and sends them (tryManagers). A fault at a
// referral after own (the one whose message this is; "" for a freed
// place) is logged, not returned: own is done, and later releases retry.
func (h *handler) release(ctx context.Context, area, own, messageID string) error {
	for {
		queue, err := h.store.Queue(ctx, area)
		if err != nil || len(queue) == 0 {
			return err
		}
		progressed, ownDone := false, false
		for _, a := range queue {
			placed, full, err := h.offer(ctx, a.Reference, messageID)
			if err != nil && ownDone {
				h.log.WarnContext(ctx, "release stopped at a referral that could not be offered a place", "area", area,
					"waiting", a.Reference, "error", err.Error())
				return nil
			}
			if err != nil {
				return err
			}
			ownDone = ownDone || a.Reference == own
			if full {
				return nil // nobody has room: the rest keep waiting, in order
			}
			progressed = progressed || placed
		}
		if !progressed {
			return nil
		}
	}
}

// offer allocates the referral ref if it still waits for a place. placed
// says this call allocated it; full, that it waits and nobody had room.
func (h *handler) offer(ctx context.Context, ref, messageID string) (placed, full bool, err error) {
	for range attempts {
		rec, err := h.store.Referral(ctx, ref)
		if errors.Is(err, referral.ErrNotFound) {
			return false, false, nil
		}
		if err != nil {
			return false, false, err
		}
		if rec.Status != referral.StatusEligible && rec.Status != referral.StatusWaitlisted {
			return false, false, nil
		}
		got, passedOver, err := h.tryManagers(ctx, rec, messageID)
		if errors.Is(err, referral.ErrConflict) {
			continue // changed under us: read it again
		}
		if err != nil {
			return false, false, err
		}
		// Unplaced only because the managers with room declined it: the
		// area is not full for the referrals after it.
		placed := got.Status == referral.StatusAllocated
		return placed, !placed && !passedOver, nil
	}
	return false, false, fmt.Errorf("offer a place to %s: still changing after %d attempts", ref, attempts)
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
	attrs := logAttrs(rec, messageID)
	if err := dynamo.Deliver(ctx, h.store, h.queues, msgs...); err != nil {
		h.log.WarnContext(ctx, "allocation stored, its notifications kept in the outbox for the relay", append(attrs, "error", err.Error())...)
	}
	h.log.InfoContext(ctx, "allocation done", attrs...)
}

// logAttrs are what an allocation's log lines say of it: ids and status,
// never personal details.
func logAttrs(rec referral.Record, messageID string) []any {
	attrs := []any{"reference", rec.Reference, "status", string(rec.Status), "messageId", messageID}
	if rec.CaseManager != nil {
		attrs = append(attrs, "caseManagerId", rec.CaseManager.ID)
	}
	return attrs
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
	h.log.InfoContext(ctx, "allocation done", logAttrs(rec, messageID)...)
	return nil
}
