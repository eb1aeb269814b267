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
	RecordDecision(ctx context.Context, rec referral.Record, d referral.Decision, by string, msgs ...dynamo.Message) error
	SamePerpetrator(ctx context.Context, r referral.Referral) ([]referral.Summary, error)
	DeleteOutbox(ctx context.Context, m dynamo.Message) error
}

var _ store = (*dynamo.Store)(nil)

type handler struct {
	store store
	// queues takes the allocation queue's and the notify queue's messages
	// (dynamo.QueueAllocation, dynamo.QueueNotify).
	queues  dynamo.Sender
	metrics *metrics.Recorder
	log     *slog.Logger
	now     func() time.Time
	// atOnce is how many records of a batch are handled side by side
	// (recordsAtOnce in the function; 0 or 1: one at a time).
	atOnce int
}

// recordsAtOnce is how many records of a batch eligibility decides side by
// side. Each is a referral of its own; two referrals of one perpetrator
// decided at once are told apart by their arrival (openEarlier) and the
// decision's conditional write, as between invocations, which Lambda runs
// side by side anyway. A record mostly waits on DynamoDB, so a batch of
// ten takes about three records' time, not ten
// (queue.HandleBatchConcurrently).
const recordsAtOnce = 4

// Handle decides each referral of the batch on its own, up to atOnce side
// by side, and reports the ones that failed.
func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.HandleBatchConcurrently(ctx, h.log, ev, h.atOnce, h.handle), nil
}

// handle decides a received referral once and forwards every decided one.
// A decision and where it goes next are committed together (the outbox),
// then sent; a send that fails leaves the message to the relay, and the
// record is done. A redelivered message finds the decision made and
// forwards it again, which the next steps take as a no-op.
func (h *handler) handle(ctx context.Context, msg events.SQSMessage) error {
	var m referral.Message
	if err := json.Unmarshal([]byte(msg.Body), &m); err != nil || m.Reference == "" {
		return fmt.Errorf("unreadable message: want {\"reference\": ...}")
	}
	ctx = logctx.With(ctx, "reference", m.Reference)
	rec, err := h.store.Referral(ctx, m.Reference)
	if errors.Is(err, referral.ErrNotFound) {
		// Nothing to decide: the referral has expired (its retention
		// ended) since the message was sent. Failing it would only fill
		// the DLQ.
		h.log.WarnContext(ctx, "no such referral; message dropped", "reference", m.Reference, "messageId", msg.MessageId)
		return nil
	}
	if err != nil {
		return err
	}
	if rec.Status == referral.StatusReceived {
		decided, committed, err := h.decide(ctx, rec)
		if err != nil {
			return err
		}
		if committed != nil {
			if err := dynamo.Deliver(ctx, h.store, h.queues, *committed); err != nil {
				h.log.WarnContext(ctx, "decision stored, its message kept in the outbox for the relay", "reference", rec.Reference, "error", err.Error())
			}
			h.log.InfoContext(ctx, "eligibility decided", "reference", rec.Reference, "status", string(decided.Status), "messageId", msg.MessageId)
			return nil
		}
		rec = decided
	}
	// Decided before: forward it again (a plain send; nothing is written).
	fwd, ok, err := forward(rec, h.now())
	if err != nil || !ok {
		return err
	}
	if err := h.queues.Send(ctx, fwd.Queue, fwd.Body); err != nil {
		return fmt.Errorf("forward %s: %w", rec.Reference, err)
	}
	h.log.InfoContext(ctx, "eligibility decided", "reference", rec.Reference, "status", string(rec.Status), "messageId", msg.MessageId)
	return nil
}

// forward is the message a decided referral sends on: an eligible one to
// allocation, an ineligible one's outcome to its referrer. ok is false
// for a referral past either.
func forward(rec referral.Record, at time.Time) (m dynamo.Message, ok bool, err error) {
	switch rec.Status {
	case referral.StatusEligible:
		m, err = dynamo.NewMessage(dynamo.QueueAllocation, referral.Message{Reference: rec.Reference}, at)
	case referral.StatusIneligible:
		m, err = dynamo.NewMessage(dynamo.QueueNotify, notification.Event{Kind: notification.KindOutcome, Reference: rec.Reference, Status: rec.Status}, at)
	default:
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("forward %s: %w", rec.Reference, err)
	}
	return m, true, nil
}

// decide decides a received referral and records the decision with its
// forward in the outbox, in one transaction. It returns the decided
// record and the message committed; no message when another worker had
// decided it meanwhile (the record as that one left it).
func (h *handler) decide(ctx context.Context, rec referral.Record) (referral.Record, *dynamo.Message, error) {
	var area *eligibility.Area
	a, err := h.store.Area(ctx, rec.Referral.Area)
	switch {
	case err == nil:
		area = &a
	case !errors.Is(err, referral.ErrNotFound):
		return rec, nil, err
	}
	open, err := h.openEarlier(ctx, rec)
	if err != nil {
		return rec, nil, err
	}
	if len(open) > 0 {
		// For staff: the decision's words name no other referral.
		h.log.InfoContext(ctx, "perpetrator has an earlier open referral", "reference", rec.Reference, "openReferences", open)
	}
	now := h.now().UTC()
	d := eligibility.Decide(rec.Referral, area, open, now)
	decided := rec
	decided.Decision, decided.Status = &d, referral.StatusIneligible
	if d.Eligible {
		decided.Status = referral.StatusEligible
	}
	m, _, err := forward(decided, now)
	if err != nil {
		return rec, nil, err
	}
	err = h.store.RecordDecision(ctx, rec, d, "eligibility", m)
	if errors.Is(err, referral.ErrConflict) {
		got, err := h.store.Referral(ctx, rec.Reference)
		return got, nil, err
	}
	if err != nil {
		return rec, nil, err
	}
	name := metrics.Ineligible
	if d.Eligible {
		name = metrics.Eligible
	}
	h.metrics.Count(rec.Referral.Area, name, 1, rec.Reference)
	return decided, &m, nil
}

// openEarlier lists the open referrals of the same perpetrator that came
// before this one. Only earlier ones count, so that of two referrals
// decided at once exactly one goes on. Referrals of one person sent at the
// same moment no longer meet here: intake's claims leave one open and
// link the rest to it (referral.ClaimKeys); this rule still guards
// against one stored before claims existed. A referral of the same PNC ID
// whose names and date of birth differ does not count (referral.SamePerson).
func (h *handler) openEarlier(ctx context.Context, rec referral.Record) ([]string, error) {
	all, err := h.store.SamePerpetrator(ctx, rec.Referral)
	if err != nil {
		return nil, err
	}
	var open []string
	for _, s := range all {
		if s.Reference == rec.Reference || !s.Open() || !s.Before(rec) {
			continue
		}
		// The same PNC ID for someone else is not this person
		// (referral.SamePerson): intake did not link it either.
		other, err := h.store.Referral(ctx, s.Reference)
		if errors.Is(err, referral.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if referral.SamePerson(rec.Referral, other.Referral) {
			open = append(open, s.Reference)
		}
	}
	return open, nil
}
