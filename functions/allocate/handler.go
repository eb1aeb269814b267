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
	metrics       *metrics.Recorder
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
			// Nothing to allocate: the referral was removed (intake
			// removes one it could not queue) or has expired.
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
			if err != nil {
				return err
			}
			return h.announce(ctx, rec, msg.MessageId)
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
// runs, in case capacity was freed meanwhile. It returns the referral as
// it is now, or an error wrapping referral.ErrConflict when it changed
// under us.
func (h *handler) allocate(ctx context.Context, rec referral.Record, messageID string) (referral.Record, error) {
	area := rec.Referral.Area
	if err := h.release(ctx, area, rec.Reference, messageID); err != nil {
		return rec, err
	}
	cur, err := h.store.Referral(ctx, rec.Reference)
	if err != nil || cur.Status != referral.StatusEligible {
		return cur, err
	}
	if err := h.store.Waitlist(ctx, cur, h.now().UTC(), "allocation"); err != nil {
		return cur, err
	}
	h.metrics.Count(area, metrics.Waitlisted, 1, rec.Reference)
	if err := h.release(ctx, area, rec.Reference, messageID); err != nil {
		h.log.WarnContext(ctx, "release after waitlisting failed; the next capacity change retries it", "area", area, "error", err.Error())
	}
	return h.store.Referral(ctx, rec.Reference)
}

// tryManagers tries the area's candidates best first: the store's
// transaction refuses a manager who filled up meanwhile, and the next is
// tried. It returns the record unchanged when nobody has room.
func (h *handler) tryManagers(ctx context.Context, rec referral.Record) (referral.Record, error) {
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
		rec.Status, rec.CaseManager = referral.StatusAllocated, &referral.Assignee{ID: m.ID, Name: m.Name, Since: now}
		h.metrics.Count(rec.Referral.Area, metrics.Allocated, 1, rec.Reference)
		h.metrics.Seconds(rec.Referral.Area, metrics.TimeToAllocation, now.Sub(rec.ReceivedAt), rec.Reference)
		return rec, nil
	}
	return rec, nil
}

// release gives an area's free places to the referrals waiting for one,
// eligible or waitlisted, first first (allocation.InOrder), until nobody
// has room or nobody waits. A referral is passed over only once it no
// longer waits (allocated by another release, or ended); one that changed
// under us is read again and offered again, so that a later one never
// takes a place while an earlier one still waits. Each is allocated at
// most once however many releases run at once: the store's transaction
// moves a referral out of eligible or waitlisted only once. Every referral
// it places is announced, except own, whose caller announces it.
func (h *handler) release(ctx context.Context, area, own, messageID string) error {
	for {
		queue, err := h.store.Queue(ctx, area)
		if err != nil || len(queue) == 0 {
			return err
		}
		progressed, ownDone := false, false
		for _, a := range queue {
			got, placed, full, err := h.offer(ctx, a.Reference)
			if err != nil && ownDone {
				// A fault behind own is not own's: later releases retry it.
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
			if !placed {
				continue // no longer waiting
			}
			progressed = true
			if got.Reference == own {
				continue
			}
			if err := h.announce(ctx, got, messageID); err != nil {
				return err
			}
		}
		if !progressed {
			return nil
		}
	}
}

// offer allocates the referral ref if it still waits for a place. placed
// says this call allocated it; full, that it waits and nobody had room.
func (h *handler) offer(ctx context.Context, ref string) (rec referral.Record, placed, full bool, err error) {
	for range attempts {
		rec, err = h.store.Referral(ctx, ref)
		if errors.Is(err, referral.ErrNotFound) {
			return rec, false, false, nil
		}
		if err != nil {
			return rec, false, false, err
		}
		if rec.Status != referral.StatusEligible && rec.Status != referral.StatusWaitlisted {
			return rec, false, false, nil
		}
		got, err := h.tryManagers(ctx, rec)
		if errors.Is(err, referral.ErrConflict) {
			continue // changed under us: read it again
		}
		if err != nil {
			return rec, false, false, err
		}
		if got.Status != referral.StatusAllocated {
			return got, false, true, nil
		}
		return got, true, false, nil
	}
	return rec, false, false, fmt.Errorf("offer a place to %s: still changing after %d attempts", ref, attempts)
}

func (h *handler) announce(ctx context.Context, rec referral.Record, messageID string) error {
	events := []notification.Event{{Kind: notification.KindOutcome, Reference: rec.Reference, Status: rec.Status}}
	attrs := []any{"reference", rec.Reference, "status", string(rec.Status), "messageId", messageID}
	if rec.Status == referral.StatusAllocated && rec.CaseManager != nil {
		events = append(events, notification.Event{Kind: notification.KindAllocated, Reference: rec.Reference,
			Status: rec.Status, CaseManagerID: rec.CaseManager.ID, Since: rec.CaseManager.Since})
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
