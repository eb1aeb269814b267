package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
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
	Claim(ctx context.Context, r notification.Receipt, lease, reconcile time.Duration) error
	MarkSent(ctx context.Context, r notification.Receipt) error
	MarkUnknown(ctx context.Context, r notification.Receipt) error
	MarkFailed(ctx context.Context, r notification.Receipt) error
	MarkSkipped(ctx context.Context, r notification.Receipt) error
	Enqueue(ctx context.Context, msgs ...dynamo.Message) error
	Release(ctx context.Context, id string) error
	Confirm(ctx context.Context, id, messageID string, at time.Time) (notification.Receipt, error)
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
	// reconcile is how long after an attempt whose outcome is unknown the
	// email may be sent again, when SES has sent no event of it
	// (notification.ReconcileWindow unless the stack says otherwise).
	reconcile time.Duration
	log       *slog.Logger
	now       func() time.Time
	// atOnce is how many records of a batch are handled side by side
	// (recordsAtOnce in the function; 0 or 1: one at a time).
	atOnce int
}

// recordsAtOnce is how many records of a batch notify handles side by
// side: each is one event's emails or one SES event, and two records meet
// only on a receipt, which its claim guards as it does between
// invocations. A record mostly waits on DynamoDB and SES, so a batch of
// ten takes about three records' time, not ten; the bound keeps a batch
// to a few requests at once (queue.HandleBatchConcurrently).
const recordsAtOnce = 4

// lease is how long a claim on a notification holds off other workers; a
// worker that dies mid-send is retried after it.
const lease = notification.ClaimLease

// Handle sends each notification of the batch on its own, up to atOnce
// side by side, and reports the ones that failed. The batch may also hold SES's bounce and complaint
// events (the feedback queue), which are recorded.
func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.HandleBatchConcurrently(ctx, h.log, ev, h.atOnce, h.handle), nil
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
	last := h.lastTry(msg)
	out, err := h.compose(ctx, ev)
	var stale staleError
	if errors.As(err, &stale) {
		return h.skip(ctx, ev, stale)
	}
	if err != nil {
		if last {
			h.composeFailed(ctx, ev, err)
		}
		return err
	}
	var failed, undeliverable []outgoing
	var errs, never []error
	for i, o := range out {
		if i > 0 {
			// The referral is read again before each further email, so
			// that a case closed or moved while the first ones were sent
			// stops the rest (notification.Stale).
			if err := h.stillCurrent(ctx, ev); err != nil {
				if errors.As(err, &stale) {
					if serr := h.skip(ctx, ev, stale); serr != nil {
						errs = append(errs, serr)
					}
					break
				}
				failed, errs = append(failed, o), append(errs, err)
				continue
			}
		}
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
		h.giveUp(ctx, ev, undeliverable, never)
	}
	if len(errs) == 0 {
		return nil
	}
	if last {
		h.giveUp(ctx, ev, failed, errs)
	}
	return errors.Join(errs...)
}

// lastTry reports whether this is the message's last delivery before the
// dead-letter queue (its receive count has reached maxReceiveCount).
func (h *handler) lastTry(msg events.SQSMessage) bool {
	n, _ := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
	return h.tries > 0 && n >= h.tries
}

// skip records that an event's emails were not sent because the referral
// has moved on, and why (notification.Stale): one receipt for the event.
// The message is then done; if the receipt cannot be written it is
// retried, so that a skip is never silent.
func (h *handler) skip(ctx context.Context, ev notification.Event, stale staleError) error {
	r := notification.Receipt{ID: ev.StageID("skipped"), Kind: ev.Kind, Reference: ev.Reference, Area: stale.area, CaseManagerID: ev.CaseManagerID,
		At: h.now().UTC(), Why: "not sent: " + stale.why}
	if err := h.store.MarkSkipped(ctx, r); err != nil {
		return fmt.Errorf("record stale %s notification of %s as skipped: %w", ev.Kind, ev.Reference, err)
	}
	h.log.InfoContext(ctx, "case has moved on; notification skipped and recorded", "why", stale.why)
	return nil
}

// composeFailed records, on the message's last try, that an event's
// emails could not even be composed (the referral or area could not be
// read, say): one failed receipt for the event, as no email exists yet,
// and the area's leads told, as giveUp does for emails.
func (h *handler) composeFailed(ctx context.Context, ev notification.Event, err error) {
	r := notification.Receipt{ID: ev.StageID("compose"), Kind: ev.Kind, Reference: ev.Reference, CaseManagerID: ev.CaseManagerID,
		At: h.now().UTC(), Why: "not composed after every try: " + err.Error()}
	if merr := h.store.MarkFailed(ctx, r); merr != nil {
		h.log.ErrorContext(ctx, "notification not composed and its failure not recorded", "error", merr.Error())
	}
	h.metrics.Count("", metrics.NotificationsFailed, 1, ev.Reference)
	h.log.ErrorContext(ctx, "notification not composed after every try; recorded as failed", "error", err.Error())
	h.tell(ctx, ev, "", false)
}

func (h *handler) send(ctx context.Context, ev notification.Event, o outgoing) error {
	id := o.email.ID
	r := notification.Receipt{ID: id, Kind: o.email.Kind, Reference: ev.Reference, Area: o.area, CaseManagerID: o.caseManagerID, At: h.now().UTC()}
	// The claim is the record of this attempt, written before SES is called.
	err := h.store.Claim(ctx, r, lease, h.reconcileWindow())
	if errors.Is(err, notification.ErrAlreadySent) {
		h.log.InfoContext(ctx, "notification already sent; duplicate dropped", "receipt", id)
		return nil
	}
	if err != nil {
		return err
	}
	messageID, err := h.mail.Send(ctx, o.email)
	if errors.Is(err, notification.ErrOutcomeUnknown) {
		// SES may have taken it: not released, so that no retry sends it
		// again until SES's Send event has had time to say.
		r.Why = "SES may have taken it; waiting for SES's Send event before any resend"
		if merr := h.store.MarkUnknown(ctx, r); merr != nil {
			h.log.WarnContext(ctx, "outcome unknown and not recorded; the claim holds it as the same", "error", merr.Error())
		}
		h.log.WarnContext(ctx, "email outcome unknown; not resent before SES's event or the reconcile window", "receipt", id, "error", err.Error())
		return fmt.Errorf("notify %s of %s: %w", ev.Kind, ev.Reference, err)
	}
	if err != nil {
		// SES refused it: nothing was sent, and the retry may send.
		if rerr := h.store.Release(ctx, id); rerr != nil {
			h.log.WarnContext(ctx, "claim not released; retry waits for the lease", "error", rerr.Error())
		}
		return fmt.Errorf("notify %s of %s: %w", ev.Kind, ev.Reference, err)
	}
	r.MessageID, r.At = messageID, h.now().UTC()
	if err := h.store.MarkSent(ctx, r); err != nil {
		// The email went; SES's Send event marks it, and until then a
		// retry finds the claim and waits.
		h.log.WarnContext(ctx, "email sent but receipt not marked", "error", err.Error())
	}
	h.metrics.Count(o.area, metrics.NotificationsSent, 1, ev.Reference)
	h.log.InfoContext(ctx, "notification sent", "status", string(ev.Status), "sesMessageId", messageID)
	return nil
}

func (h *handler) reconcileWindow() time.Duration {
	if h.reconcile > 0 {
		return h.reconcile
	}
	return notification.ReconcileWindow
}

// giveUp records the emails that failed on the message's last try, or
// that no try can send (their address is one SES cannot send to), and
// tells the area's leads (by an email of its own, through the queue). A
// message whose last try failed then goes to the dead-letter queue, whose
// alarm tells ops; an undeliverable email is not retried. An email that
// SES may have taken (its outcome unknown, not yet reconciled) stays
// unknown rather than failed, so that a redrive sends it only if SES has
// sent no event of it by then.
func (h *handler) giveUp(ctx context.Context, ev notification.Event, failed []outgoing, errs []error) {
	area, unknowns := "", 0
	for i, o := range failed {
		err, why := errs[i], "not sent after every try: "
		if errors.Is(err, notification.ErrUndeliverable) {
			why = "not sent, and no try can send it: "
		}
		area = o.area
		r := notification.Receipt{ID: o.email.ID, Kind: o.email.Kind, Reference: ev.Reference, Area: o.area, CaseManagerID: o.caseManagerID,
			At: h.now().UTC(), Why: why + err.Error()}
		mark := h.store.MarkFailed
		if errors.Is(err, notification.ErrOutcomeUnknown) || errors.Is(err, notification.ErrInFlight) {
			unknowns++
			r.Why = "may have been sent (SES's answer was lost) and SES has not yet said; a redrive sends it only if SES sends no event of it: " + err.Error()
			mark = h.store.MarkUnknown
		}
		if merr := mark(ctx, r); merr != nil {
			h.log.ErrorContext(ctx, "email failed and its failure not recorded", "error", merr.Error())
		}
		h.metrics.Count(o.area, metrics.NotificationsFailed, 1, ev.Reference)
	}
	h.log.ErrorContext(ctx, "notification failed for good; recorded", "emails", len(failed), "unknown", unknowns, "error", errors.Join(errs...).Error())
	h.tell(ctx, ev, area, unknowns == len(failed))
}

// tell asks for an email to the area's leads about an event whose emails
// failed (or, unsure, may have been sent unconfirmed), unless the event is
// itself one to the leads. The event is kept in the outbox first and then
// sent (dynamo.Deliver), so that a failed queue leaves it for the relay.
// It is written after the receipts are marked: a crash between the two
// leaves the message on its last try, which the dead-letter queue and its
// alarm then hold for a person.
func (h *handler) tell(ctx context.Context, ev notification.Event, area string, unsure bool) {
	if ev.Kind == notification.KindSendFailed || ev.Kind == notification.KindBounced || ev.Kind == notification.KindEscalation || ev.Kind == notification.KindDeclined {
		return // these go to the leads already: there is no one further to tell
	}
	m, err := dynamo.NewMessage(dynamo.QueueNotify, notification.Event{Kind: notification.KindSendFailed, Reference: ev.Reference,
		About: ev.Kind, CaseManagerID: ev.CaseManagerID, Since: ev.Since, Status: ev.Status, Unsure: unsure}, h.now())
	if err == nil {
		err = h.store.Enqueue(ctx, m)
	}
	if err != nil {
		h.log.ErrorContext(ctx, "email failed and the area lead could not be told", "area", area, "error", err.Error())
		return
	}
	if err := dynamo.Deliver(ctx, h.store, h.later, m); err != nil {
		h.log.WarnContext(ctx, "email failed; the area lead's event kept in the outbox for the relay", "area", area, "error", err.Error())
	}
}

// stillCurrent reads the event's referral again and returns a staleError
// if it has moved on since the event (notification.Stale), or the read's
// error.
func (h *handler) stillCurrent(ctx context.Context, ev notification.Event) error {
	rec, err := h.store.Referral(ctx, ev.Reference)
	if err != nil {
		return fmt.Errorf("read %s again before its next email: %w", ev.Reference, err)
	}
	if why := notification.Stale(ev, rec); why != "" {
		return staleError{why: why, area: rec.Referral.Area}
	}
	return nil
}

// staleError: the referral has moved on since the event (notification.Stale).
type staleError struct{ why, area string }

func (e staleError) Error() string { return "notification stale: " + e.why }

// compose writes the emails an event asks for, one per recipient.
func (h *handler) compose(ctx context.Context, ev notification.Event) ([]outgoing, error) {
	rec, err := h.store.Referral(ctx, ev.Reference)
	if err != nil {
		return nil, err
	}
	area := rec.Referral.Area
	// Composed from the referral as it is now, when it is sent.
	if why := notification.Stale(ev, rec); why != "" {
		return nil, staleError{why: why, area: area}
	}
	// The area, by name; an area Drive does not serve has none (an
	// ineligible referral's outcome).
	a, areaErr := h.store.Area(ctx, area)
	if areaErr != nil && !errors.Is(areaErr, referral.ErrNotFound) {
		return nil, areaErr
	}
	n := notification.Notice{Kind: ev.Kind, Reference: rec.Reference, Area: a.Name, About: ev.About, Unsure: ev.Unsure}
	var out []outgoing
	// Each email links to the page where its reader acts, by who the
	// reader is (linkFor): the officer to the referral's status, Drive's
	// staff to the case page; an IDVA or MARAC coordinator has no account
	// (Support: no link).
	add := func(r reader, to, caseManagerID string, n notification.Notice) error {
		switch {
		case r == supportReader:
			n.Link = ""
		case n.Link == "":
			n.Link = h.baseURL + linkFor(r, rec.Reference)
		}
		e, err := notification.Compose(ev.ReceiptID(to), to, n)
		if err != nil {
			return err
		}
		out = append(out, outgoing{email: e, area: area, caseManagerID: caseManagerID})
		return nil
	}
	switch ev.Kind {
	case notification.KindOutcome:
		n.Status, n.Reasons = ev.Status, notification.Reasons(rec.Decision)
		if rec.CaseManager != nil && (ev.Status == referral.StatusAllocated || ev.Status == referral.StatusAccepted) {
			n.CaseManager.Name = rec.CaseManager.Name
		}
		// To the officer who made the referral, at the email their sign-in
		// verified: the address typed in the referral is a contact for
		// staff, and must not choose who learns the outcome.
		if rec.SubmittedBy == nil || rec.SubmittedBy.Email == "" {
			h.log.WarnContext(ctx, "outcome not emailed: the referral records no signed-in officer's email", "reference", rec.Reference)
			return out, nil
		}
		return out, add(officerReader, rec.SubmittedBy.Email, "", n)
	case notification.KindLinked:
		// To whoever works on the referral now: the case manager holding
		// it, else the area's leads. References only.
		n.Linked, n.Link = ev.Linked, h.baseURL+"/cases/"+ev.Linked // its details, for the open one's team (auth.MaySeeLinked)
		team, err := h.team(ctx, rec)
		if err != nil {
			return nil, err
		}
		for _, t := range team {
			if err := add(staffReader, t.to, t.caseManagerID, n); err != nil {
				return nil, err
			}
		}
		return out, nil
	case notification.KindEnded:
		ended, err := h.ended(ctx, ev, rec, a, areaErr, n, add)
		return append(out, ended...), err
	case notification.KindReminder, notification.KindEscalation:
		n.Waiting = h.now().Sub(rec.CaseManager.Since) // Stale: held by this case manager
	}
	m, err := h.store.CaseManager(ctx, area, ev.CaseManagerID)
	if err != nil && !(errors.Is(err, referral.ErrNotFound) && ev.Kind == notification.KindSendFailed) {
		return nil, err
	}
	n.CaseManager = notification.Contact{Name: m.Name, Email: m.Email}
	switch ev.Kind {
	case notification.KindAllocated:
		if err := add(staffReader, m.Email, m.ID, n); err != nil {
			return nil, err
		}
		if areaErr != nil {
			return nil, areaErr
		}
		support := n
		support.Support = true
		to, redirected := a.SupportContacts(rec.Referral)
		if len(redirected) > 0 {
			h.log.InfoContext(ctx, "IDVA address not allowed by the area: its IDVA service told instead", "reference", rec.Reference, "area", area, "victims", redirected)
		}
		for _, to := range to {
			if err := add(supportReader, to, "", support); err != nil {
				return nil, err
			}
		}
	case notification.KindReallocated, notification.KindReminder:
		return out, add(staffReader, m.Email, m.ID, n)
	case notification.KindEscalation, notification.KindSendFailed, notification.KindBounced, notification.KindDeclined:
		n.Reason = ev.Reason
		if areaErr != nil {
			return nil, areaErr
		}
		if len(a.Leads) == 0 {
			return nil, fmt.Errorf("area %s has no lead to tell of a %s email: add one to the area", area, ev.Kind)
		}
		for _, to := range a.Leads {
			if err := add(staffReader, to, "", n); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// reader is who an email is for, which decides where its link goes.
type reader int

const (
	// staffReader: a case manager or an area lead, who act on the case
	// page.
	staffReader reader = iota
	// officerReader: the officer who made the referral, who follows it on
	// its status page (the case page is 404 to them).
	officerReader
	// supportReader: a victim's IDVA or the area's MARAC coordinator, who
	// has no account: their emails carry no link (notification.Notice's
	// Support).
	supportReader
)

// linkFor is the page an email about referral ref links its reader r to:
// the page where they act. Staff (a case manager's allocation, reminder,
// a withdrawal of their case; a lead's escalation, decline, failed email,
// bounce) go to the case page, which has Accept, Decline, Close and
// Reallocate; the officer to the referral's status page.
func linkFor(r reader, ref string) string {
	if r == officerReader {
		return "/referrals/" + ref + "/status"
	}
	return "/cases/" + ref
}

// member is one of those who work on a referral: an address, and the
// case manager's id when it is one.
type member struct{ to, caseManagerID string }

// team returns who works on referral open now, to be told of a referral
// linked to it: the case manager holding it, else its area's leads. An
// area with no lead is an error, so that the event is retried and, on
// its last try, the failure recorded.
func (h *handler) team(ctx context.Context, open referral.Record) ([]member, error) {
	if referral.HoldsCapacity(open.Status) && open.CaseManager != nil {
		m, err := h.store.CaseManager(ctx, open.Referral.Area, open.CaseManager.ID)
		if err != nil {
			return nil, err
		}
		return []member{{m.Email, m.ID}}, nil
	}
	a, err := h.store.Area(ctx, open.Referral.Area)
	if err != nil {
		return nil, err
	}
	if len(a.Leads) == 0 {
		return nil, fmt.Errorf("area %s has no lead to tell of a linked referral: add one to the area", open.Referral.Area)
	}
	var team []member
	for _, to := range a.Leads {
		team = append(team, member{to: to})
	}
	return team, nil
}

// ended addresses the emails of a referral closed or withdrawn
// (notification.KindEnded): the referrer; once it was allocated (the
// event names its case manager), the support contacts told of the
// allocation (eligibility.Area.SupportContacts), so that safety planning knows the
// intervention has stopped; and on a withdrawal the case manager holding
// it. Each carries the reference and a close's reason code only.
//
// A referral linked to an open one (referral.StatusLinked) is withdrawn
// by its officer (issue 13): the officer is told it was withdrawn after
// it was passed on; whoever works on the open referral now (team) is told
// of it with both references and a link to its page, which they may read
// (auth.Principal.MaySeeLinked). Those emails are returned, addressed in
// the open referral's area; the others are added through add.
func (h *handler) ended(ctx context.Context, ev notification.Event, rec referral.Record, a eligibility.Area, areaErr error,
	n notification.Notice, add func(r reader, to, caseManagerID string, n notification.Notice) error) ([]outgoing, error) {
	n.Status, n.Reason = ev.Status, ev.Reason
	n.Passed = rec.LinkedTo != ""
	// The officer at the email their sign-in verified, as for an outcome.
	if rec.SubmittedBy != nil && rec.SubmittedBy.Email != "" {
		if err := add(officerReader, rec.SubmittedBy.Email, "", n); err != nil {
			return nil, err
		}
	}
	if rec.LinkedTo != "" && ev.Status == referral.StatusWithdrawn {
		return h.linkWithdrawn(ctx, ev, rec, n)
	}
	if ev.CaseManagerID == "" {
		return nil, nil
	}
	if areaErr != nil {
		return nil, areaErr
	}
	support := n
	support.Support = true
	to, _ := a.SupportContacts(rec.Referral) // which IDVA addresses the area allows was recorded at intake
	for _, to := range to {
		if err := add(supportReader, to, "", support); err != nil {
			return nil, err
		}
	}
	if ev.Status == referral.StatusWithdrawn {
		m, err := h.store.CaseManager(ctx, rec.Referral.Area, ev.CaseManagerID)
		if errors.Is(err, referral.ErrNotFound) {
			return nil, nil // no longer a case manager of the area: nobody to tell
		}
		if err != nil {
			return nil, err
		}
		return nil, add(staffReader, m.Email, m.ID, n)
	}
	return nil, nil
}

// linkWithdrawn addresses the email telling whoever works on the open
// referral rec was linked to (team) that rec has been withdrawn: both
// references and a link to rec's page, in the open referral's area. None
// when the open referral no longer exists.
func (h *handler) linkWithdrawn(ctx context.Context, ev notification.Event, rec referral.Record, n notification.Notice) ([]outgoing, error) {
	open, err := h.store.Referral(ctx, rec.LinkedTo)
	if errors.Is(err, referral.ErrNotFound) {
		return nil, nil // its retention ended: nobody works on it
	}
	if err != nil {
		return nil, err
	}
	team, err := h.team(ctx, open)
	if err != nil {
		return nil, err
	}
	n.LinkedTo, n.Passed, n.Link = open.Reference, false, h.baseURL+"/cases/"+rec.Reference
	var out []outgoing
	for _, t := range team {
		e, err := notification.Compose(ev.ReceiptID(t.to), t.to, n)
		if err != nil {
			return nil, err
		}
		out = append(out, outgoing{email: e, area: open.Referral.Area, caseManagerID: t.caseManagerID})
	}
	return out, nil
}
