package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/allocation"
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
	CaseManager(ctx context.Context, area, id string) (allocation.CaseManager, error)
	Claim(ctx context.Context, id string, now time.Time, lease time.Duration) error
	MarkSent(ctx context.Context, r notification.Receipt) error
	MarkFailed(ctx context.Context, r notification.Receipt, msgs ...dynamo.Message) error
	Release(ctx context.Context, id string) error
	Feedback(ctx context.Context, messageID string, state notification.State, why string, at time.Time) (notification.Receipt, error)
	FlagBounced(ctx context.Context, area, id string, at time.Time) error
	DeleteOutbox(ctx context.Context, m dynamo.Message) error
}

var _ store = (*dynamo.Store)(nil)

type mailer interface {
	Send(ctx context.Context, e notification.Email) (messageID string, err error)
}

type handler struct {
	store store
	mail  mailer
	// later is the notification queue itself (dynamo.QueueNotify): emails
	// to the area lead about other emails.
	later   dynamo.Sender
	metrics *metrics.Recorder
	baseURL string
	// tries is the queue's maxReceiveCount: the try on which a failed
	// email is recorded as failed and the area lead told.
	tries int
	log   *slog.Logger
	now   func() time.Time
}

// lease is how long a claim on a notification holds off other workers; a
// worker that dies mid-send is retried after it.
const lease = notification.ClaimLease

// Handle sends each notification of the batch on its own and reports the
// ones that failed. The batch may also hold SES's bounce and complaint
// events (the feedback queue), which are recorded.
func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.HandleBatch(ctx, h.log, ev, h.handle), nil
}

// outgoing is one email of an event, with what its receipt records.
type outgoing struct {
	email         notification.Email
	area          string
	caseManagerID string // when the recipient is a case manager
}

// handle sends an event's emails once each, however often the event is
// delivered: a receipt is claimed before sending and marked after.
func (h *handler) handle(ctx context.Context, msg events.SQSMessage) error {
	if fb, ok := parseFeedback(msg.Body); ok {
		return h.feedback(ctx, fb)
	}
	var ev notification.Event
	if err := json.Unmarshal([]byte(msg.Body), &ev); err != nil {
		return fmt.Errorf("unreadable notification event: %w", err)
	}
	if err := ev.Validate(); err != nil {
		return err
	}
	ctx = logctx.With(ctx, "reference", ev.Reference, "kind", string(ev.Kind))
	out, err := h.compose(ctx, ev)
	if errors.Is(err, errStale) {
		h.log.InfoContext(ctx, "case has moved on; stale notification dropped")
		return nil
	}
	if err != nil {
		return err
	}
	var failed, undeliverable []outgoing
	var errs, never []error
	for _, o := range out {
		err := h.send(ctx, ev, o)
		switch {
		case errors.Is(err, notification.ErrUndeliverable):
			undeliverable, never = append(undeliverable, o), append(never, err)
		case err != nil:
			failed, errs = append(failed, o), append(errs, err)
		}
	}
	if len(undeliverable) > 0 {
		// No try can send these, and no redrive: recorded and told now.
		h.giveUp(ctx, ev, undeliverable, errors.Join(never...))
	}
	if len(errs) == 0 {
		return nil
	}
	if n, _ := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"]); h.tries > 0 && n >= h.tries {
		h.giveUp(ctx, ev, failed, errors.Join(errs...))
	}
	return errors.Join(errs...)
}

func (h *handler) send(ctx context.Context, ev notification.Event, o outgoing) error {
	id := o.email.ID
	err := h.store.Claim(ctx, id, h.now(), lease)
	if errors.Is(err, notification.ErrAlreadySent) {
		h.log.InfoContext(ctx, "notification already sent; duplicate dropped", "receipt", id)
		return nil
	}
	if err != nil {
		return err
	}
	messageID, err := h.mail.Send(ctx, o.email)
	if err != nil {
		if rerr := h.store.Release(ctx, id); rerr != nil {
			h.log.WarnContext(ctx, "claim not released; retry waits for the lease", "error", rerr.Error())
		}
		return fmt.Errorf("notify %s of %s: %w", ev.Kind, ev.Reference, err)
	}
	r := notification.Receipt{ID: id, Kind: o.email.Kind, Reference: ev.Reference, Area: o.area, CaseManagerID: o.caseManagerID, MessageID: messageID, At: h.now().UTC()}
	if err := h.store.MarkSent(ctx, r); err != nil {
		// The email went; a redelivery after the lease could send it again.
		h.log.WarnContext(ctx, "email sent but receipt not marked", "error", err.Error())
	}
	h.metrics.Count(o.area, metrics.NotificationsSent, 1, ev.Reference)
	h.log.InfoContext(ctx, "notification sent", "status", string(ev.Status), "sesMessageId", messageID)
	return nil
}

// giveUp records the emails that failed on the message's last try, or
// that no try can send (their address is one SES cannot send to), and
// tells the area's leads (by an email of its own, through the queue). The
// event that tells them is committed with the last failure recorded (the
// outbox), so that neither a failed queue nor a crash loses it: on the
// last try no redelivery would. A message whose last try failed then goes
// to the dead-letter queue, whose alarm tells ops; an undeliverable email
// is not retried.
func (h *handler) giveUp(ctx context.Context, ev notification.Event, failed []outgoing, err error) {
	why := "not sent after every try: "
	if errors.Is(err, notification.ErrUndeliverable) {
		why = "not sent, and no try can send it: "
	}
	var tell []dynamo.Message
	if ev.Kind != notification.KindSendFailed && ev.Kind != notification.KindBounced && ev.Kind != notification.KindEscalation {
		// The others go to the leads already: there is no one further to tell.
		m, terr := dynamo.NewMessage(dynamo.QueueNotify, notification.Event{Kind: notification.KindSendFailed, Reference: ev.Reference,
			About: ev.Kind, CaseManagerID: ev.CaseManagerID, Since: ev.Since, Status: ev.Status}, h.now())
		if terr != nil {
			h.log.ErrorContext(ctx, "email failed and the area lead could not be told", "error", terr.Error())
		} else {
			tell = []dynamo.Message{m}
		}
	}
	for i, o := range failed {
		r := notification.Receipt{ID: o.email.ID, Kind: o.email.Kind, Reference: ev.Reference, Area: o.area, CaseManagerID: o.caseManagerID,
			At: h.now().UTC(), Why: why + err.Error()}
		var with []dynamo.Message
		if i == len(failed)-1 {
			with = tell
		}
		merr := h.store.MarkFailed(ctx, r, with...)
		switch {
		case merr != nil:
			h.log.ErrorContext(ctx, "email failed and its failure not recorded", "error", merr.Error())
			for _, m := range with { // not committed: told as before, by a plain send
				if serr := h.later.Send(ctx, m.Queue, m.Body); serr != nil {
					h.log.ErrorContext(ctx, "email failed and the area lead could not be told", "area", o.area, "error", serr.Error())
				}
			}
		case len(with) > 0:
			if derr := dynamo.Deliver(ctx, h.store, h.later, with...); derr != nil {
				h.log.WarnContext(ctx, "email failed; the area lead's event kept in the outbox for the relay", "area", o.area, "error", derr.Error())
			}
		}
		h.metrics.Count(o.area, metrics.NotificationsFailed, 1, ev.Reference)
	}
	h.log.ErrorContext(ctx, "notification failed for good; recorded as failed", "emails", len(failed), "error", err.Error())
}

// errStale: the event is about an allocation that has since moved to
// someone else, or been accepted.
var errStale = errors.New("allocation no longer current")

// compose writes the emails an event asks for, one per recipient.
func (h *handler) compose(ctx context.Context, ev notification.Event) ([]outgoing, error) {
	rec, err := h.store.Referral(ctx, ev.Reference)
	if err != nil {
		return nil, err
	}
	area := rec.Referral.Area
	// The area, by name; an area Drive does not serve has none (an
	// ineligible referral's outcome).
	a, areaErr := h.store.Area(ctx, area)
	if areaErr != nil && !errors.Is(areaErr, referral.ErrNotFound) {
		return nil, areaErr
	}
	n := notification.Notice{Kind: ev.Kind, Reference: rec.Reference, Area: a.Name, Link: h.baseURL + "/referrals/" + rec.Reference + "/status", About: ev.About}
	var out []outgoing
	add := func(to, caseManagerID string, n notification.Notice) error {
		e, err := notification.Compose(ev.ReceiptID(to), to, n)
		if err != nil {
			return err
		}
		out = append(out, outgoing{email: e, area: area, caseManagerID: caseManagerID})
		return nil
	}
	current := rec.CaseManager != nil && rec.CaseManager.ID == ev.CaseManagerID && (ev.Since.IsZero() || rec.CaseManager.Since.Equal(ev.Since))
	switch ev.Kind {
	case notification.KindOutcome:
		n.Status, n.Reasons = ev.Status, notification.Reasons(rec.Decision)
		if rec.CaseManager != nil && (ev.Status == referral.StatusAllocated || ev.Status == referral.StatusAccepted) {
			n.CaseManager.Name = rec.CaseManager.Name
		}
		return out, add(rec.Referral.Referrer.Email, "", n)
	case notification.KindReminder, notification.KindEscalation:
		if !current || rec.Status != referral.StatusAllocated {
			return nil, errStale
		}
		n.Waiting = h.now().Sub(rec.CaseManager.Since)
	case notification.KindAllocated:
		if rec.CaseManager == nil || rec.CaseManager.ID != ev.CaseManagerID {
			return nil, errStale
		}
	}
	m, err := h.store.CaseManager(ctx, area, ev.CaseManagerID)
	if err != nil && !(errors.Is(err, referral.ErrNotFound) && ev.Kind == notification.KindSendFailed) {
		return nil, err
	}
	n.CaseManager = notification.Contact{Name: m.Name, Email: m.Email}
	switch ev.Kind {
	case notification.KindAllocated:
		if err := add(m.Email, m.ID, n); err != nil {
			return nil, err
		}
		if areaErr != nil {
			return nil, areaErr
		}
		support := n
		support.Support = true
		for _, to := range supportContacts(rec.Referral, a) {
			if err := add(to, "", support); err != nil {
				return nil, err
			}
		}
	case notification.KindReallocated, notification.KindReminder:
		return out, add(m.Email, m.ID, n)
	case notification.KindEscalation, notification.KindSendFailed, notification.KindBounced:
		if areaErr != nil {
			return nil, areaErr
		}
		if len(a.Leads) == 0 {
			return nil, fmt.Errorf("area %s has no lead to tell of a %s email: add one to the area", area, ev.Kind)
		}
		for _, to := range a.Leads {
			if err := add(to, "", n); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// supportContacts are told of an allocation, so that the victims' safety
// is planned alongside: each victim's IDVA whose email the referral gives
// (else the area's IDVA service) and the area's MARAC coordinator.
func supportContacts(r referral.Referral, a eligibility.Area) []string {
	var to []string
	add := func(addr string) {
		if addr = strings.ToLower(strings.TrimSpace(addr)); addr != "" && !slices.Contains(to, addr) {
			to = append(to, addr)
		}
	}
	for _, v := range r.Victims {
		add(v.IDVAEmail)
	}
	if len(to) == 0 {
		add(a.IDVAService)
	}
	add(a.MARACCoordinator)
	return to
}
