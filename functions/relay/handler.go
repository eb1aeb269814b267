package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/metrics"
)

type store interface {
	Outbox(ctx context.Context, before time.Time) ([]dynamo.Message, error)
	DeleteOutbox(ctx context.Context, m dynamo.Message) error
}

var _ store = (*dynamo.Store)(nil)

type handler struct {
	store  store
	queues dynamo.Sender
	// grace is how old a message must be before the relay sends it: its
	// writer sends it within milliseconds of the commit, and the relay
	// should not race it (a message sent twice is harmless, but wasted).
	grace   time.Duration
	metrics *metrics.Recorder
	log     *slog.Logger
	now     func() time.Time
}

// allAreas is the Area dimension of the relay's metrics: the outbox
// serves every area, and the alarms read the total without it.
const allAreas = "all"

// margin is the time a run keeps in hand before its deadline: it stops
// sending then, and leaves the rest to the next run, rather than be
// killed mid-send (a message sent but not deleted is only sent again).
const margin = 3 * time.Second

// Handle runs on a schedule: it sends each message the outbox has held
// longer than the grace, oldest first, to its queue, and deletes it once
// sent; a message whose send fails stays for the next run. It records how
// many it relayed and how many failed, and the age of the oldest message
// still pending after the run (0 when none), which the template alarms
// on. The event's content is not used. A run in which any message failed
// returns an error, so that the function's Errors alarm fires too.
func (h *handler) Handle(ctx context.Context, _ json.RawMessage) error {
	now := h.now()
	due, err := h.store.Outbox(ctx, now.Add(-h.grace))
	if err != nil {
		h.log.ErrorContext(ctx, "outbox not read", "error", err.Error())
		return err
	}
	var errs []error
	var pending []dynamo.Message
	relayed := 0
	for i, m := range due {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < margin {
			pending = append(pending, due[i:]...)
			h.log.WarnContext(ctx, "outbox run out of time; the next run sends the rest", "left", len(due)-i)
			break
		}
		if err := dynamo.Deliver(ctx, h.store, h.queues, m); err != nil {
			errs = append(errs, err)
			pending = append(pending, m)
			h.log.ErrorContext(ctx, "outbox message not relayed; the next run tries again", "queue", m.Queue, "key", m.Key, "error", err.Error())
			continue
		}
		relayed++
		h.log.InfoContext(ctx, "outbox message relayed", "queue", m.Queue, "key", m.Key, "ageSeconds", int(now.Sub(m.CreatedAt).Seconds()))
	}
	var oldest time.Duration
	if len(pending) > 0 {
		oldest = now.Sub(pending[0].CreatedAt)
	}
	h.metrics.Count(allAreas, metrics.OutboxRelayed, relayed, "")
	h.metrics.Count(allAreas, metrics.OutboxFailed, len(errs), "")
	h.metrics.Seconds(allAreas, metrics.OutboxOldestAge, oldest, "")
	h.log.InfoContext(ctx, "outbox run done", "due", len(due), "relayed", relayed, "failed", len(errs), "oldestPendingSeconds", int(oldest.Seconds()))
	return errors.Join(errs...)
}
