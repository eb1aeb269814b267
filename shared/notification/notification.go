// Package notification names the events that cause Drive's emails and
// composes the emails (templates.go). Events are thin (a kind and a
// reference): the notifier reads the rest from the store. No email carries
// a perpetrator's or victim's personal details. It has no AWS dependencies.
package notification

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

// Errors a receipt store returns when claiming a notification.
var (
	// ErrAlreadySent: the notification was sent before; drop the message.
	ErrAlreadySent = errors.New("notification already sent")
	// ErrInFlight: another worker is sending it now, or an earlier try's
	// outcome is unknown and SES has not yet said whether it took the
	// email (ReconcileWindow): retry later.
	ErrInFlight = errors.New("notification being sent by another worker, or its last send's outcome not yet known")
)

// ErrOutcomeUnknown is wrapped by a mailer's error when SES may have
// taken the email although the call failed: the request was written but
// no answer came (a timeout, a connection reset). The email must not be
// sent again until ReconcileWindow has passed without SES reporting it
// sent. An error that does not wrap it is a definite refusal (SES
// answered with an error): nothing was sent, and a retry may send.
var ErrOutcomeUnknown = errors.New("SES may have taken the email: outcome unknown")

// ReconcileWindow is how long after an attempt whose outcome is unknown
// (or whose worker died mid-send) Drive waits for SES's Send event before
// it sends the email again. SES publishes Send events within seconds of
// taking an email; the window allows for the feedback queue being slow
// under load. A Send event later than this, or lost, still lets a
// duplicate through: README, "Emails once". It fits the notify queue's
// retries at the default MaxReceiveCount (infra/local template test).
const ReconcileWindow = 2 * time.Minute

// ErrUndeliverable is wrapped by a mailer's error when no try can ever
// send the email (SES cannot send to its address): record it as failed
// now, rather than retry it into a dead-letter queue that no redrive can
// empty.
var ErrUndeliverable = errors.New("email cannot be sent to this address")

// ClaimLease is how long a worker's claim on a notification holds off the
// others. It is longer than the notify function's timeout, so that an
// email being sent is never sent again alongside, and shorter than the
// span of a message's retries ((maxReceiveCount − 1) × the queue's
// visibility timeout), so that an email whose worker died mid-send is
// sent by a later try instead of ending in the dead-letter queue.
// template.yaml is checked against both (infra/local template test).
const ClaimLease = 30 * time.Second

// Kind is what happened, and so whom a notification is for.
type Kind string

// The kinds of notification.
const (
	// KindAllocated tells a case manager a referral is theirs, and the
	// victim's IDVA (or the area's IDVA service) and the area's MARAC
	// coordinator who the case manager is.
	KindAllocated Kind = "allocated"
	// KindOutcome tells the referrer what became of their referral:
	// allocated, waitlisted, ineligible (with the reasons) or accepted;
	// or linked: passed to the team already working with the person
	// (issue 13), naming no other referral.
	KindOutcome Kind = "outcome"
	// KindReallocated tells a case manager a case has moved from them to
	// another case manager (the new one is told by KindAllocated).
	KindReallocated Kind = "reallocated"
	// KindReminder tells a case manager an allocation still waits for them
	// to accept it.
	KindReminder Kind = "reminder"
	// KindEscalation tells the area's leads an allocation has not been
	// accepted after the reminder.
	KindEscalation Kind = "escalation"
	// KindSendFailed tells the area's leads an email of kind About could
	// not be sent after every try.
	KindSendFailed Kind = "send-failed"
	// KindBounced tells the area's leads a case manager's address bounces.
	KindBounced Kind = "bounced"
	// KindLinked tells the case manager holding an open referral, or its
	// area's leads while nobody holds it, that another referral of the
	// same person (Linked) was linked to it: references only.
	KindLinked Kind = "linked"
	// KindDeclined tells the area's leads that the case manager a case
	// was allocated to declined it, with the reason code only, and that it
	// has gone back to allocation (issue 14).
	KindDeclined Kind = "declined"
	// KindEnded tells those who must know that work on a referral has
	// stopped, closed or withdrawn (issue 14): the referrer; once it was
	// allocated, the victim's IDVA (or the area's IDVA service) and the
	// MARAC coordinator, so that safety planning knows; and on a
	// withdrawal the case manager holding it. A close carries its reason
	// code; a withdrawal's reason is the officer's own words, and no
	// email carries it. A linked referral's withdrawal is told to its
	// officer and to whoever works on the open referral it was linked to
	// (its case manager, else its area's leads), by reference only.
	KindEnded Kind = "ended"
)

// Kinds lists every kind, for tests and the template checks.
var Kinds = []Kind{KindAllocated, KindOutcome, KindReallocated, KindReminder, KindEscalation, KindSendFailed, KindBounced, KindDeclined, KindEnded, KindLinked}

// Event is the message on the notification queue.
type Event struct {
	Kind          Kind            `json:"kind"`
	Reference     string          `json:"reference"`
	Status        referral.Status `json:"status,omitempty"`
	CaseManagerID string          `json:"caseManagerId,omitempty"`
	// Since is when the allocation the event is about was made: a case
	// reallocated back to a manager is a new allocation, told again.
	Since time.Time `json:"since,omitzero"`
	// About is the kind of the email a send-failed or bounced event is
	// about.
	About Kind `json:"about,omitempty"`
	// Unsure is set on a send-failed event when SES may have taken the
	// email (its answer was lost and no Send event has come): the leads
	// are told it may not have arrived, rather than that it was not sent.
	Unsure bool `json:"unsure,omitempty"`
	// Linked is, on a linked event, the reference of the referral linked
	// to Reference's.
	Linked string `json:"linked,omitempty"`
	// Reason is the reason code of a decline (referral.DeclineReasons) or
	// a close (referral.CloseReasons): a code, never free text, so that no
	// email carries a person's words.
	Reason string `json:"reason,omitempty"`
}

// ID identifies a notification, so that a redelivered event is sent once.
func (e Event) ID() string {
	parts := []string{string(e.Kind), e.Reference, string(e.Status), e.CaseManagerID}
	if !e.Since.IsZero() {
		parts = append(parts, e.Since.UTC().Format(time.RFC3339Nano))
	}
	if e.About != "" {
		parts = append(parts, string(e.About))
	}
	if e.Linked != "" {
		parts = append(parts, e.Linked)
	}
	return strings.Join(parts, "#")
}

// StageID identifies a receipt about the event as a whole rather than one
// email: "compose" when its emails could not be composed, "skipped" when
// they were not sent because the referral had moved on (Stale).
func (e Event) StageID(stage string) string {
	return e.ID() + "#" + stage
}

// ReceiptID identifies the email of event e to one recipient: an event
// may be emailed to several people, each once. The address is hashed, so
// that receipts and logs do not hold it.
func (e Event) ReceiptID(to string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(to)))
	return e.ID() + "#" + hex.EncodeToString(sum[:6])
}

// Validate says what is wrong with an event read from the queue.
func (e Event) Validate() error {
	if _, ok := referral.ParseReference(e.Reference); !ok {
		return fmt.Errorf("event has no valid reference: %q", e.Reference)
	}
	switch e.Kind {
	case KindAllocated, KindReallocated, KindReminder, KindEscalation, KindBounced, KindDeclined:
		if e.CaseManagerID == "" {
			return fmt.Errorf("%s event has no case manager", e.Kind)
		}
	case KindOutcome:
	case KindLinked:
		if _, ok := referral.ParseReference(e.Linked); !ok {
			return fmt.Errorf("%s event has no valid linked reference: %q", e.Kind, e.Linked)
		}
	case KindEnded:
		if e.Status != referral.StatusClosed && e.Status != referral.StatusWithdrawn {
			return fmt.Errorf("%s event is neither closed nor withdrawn: %q", e.Kind, e.Status)
		}
	case KindSendFailed:
		if e.About == "" {
			return fmt.Errorf("%s event does not say which email failed", e.Kind)
		}
	default:
		return fmt.Errorf("unknown event kind %q", e.Kind)
	}
	return nil
}

// Email is a message to one person, in plain text and HTML.
type Email struct {
	// ID is the receipt that makes sending idempotent (Event.ReceiptID).
	ID      string `json:"id"`
	Kind    Kind   `json:"kind"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// State is where an email is in its life.
type State string

// The states of an email.
const (
	StateSending State = "sending"
	StateSent    State = "sent"
	StateFailed  State = "failed" // every try failed
	// StateUnknown: SES may have taken it (a timeout after the request
	// was written); sent when SES's Send event arrives, sent again only
	// after ReconcileWindow without one.
	StateUnknown State = "unknown"
	// StateSkipped: not sent, because the referral had moved on (Why
	// says how: Stale).
	StateSkipped    State = "skipped"
	StateBounced    State = "bounced"     // the address does not exist or refuses mail for good
	StateSoftBounce State = "soft-bounce" // refused for now (a full mailbox); SES has given up
	StateComplained State = "complained"  // the recipient marked it as spam
)

// Receipt is what Drive keeps of an email: never its address or words.
type Receipt struct {
	ID        string `json:"id"`
	Kind      Kind   `json:"kind"`
	Reference string `json:"reference"`
	Area      string `json:"area,omitempty"`
	// CaseManagerID is set when the recipient is a case manager, so that
	// a bounce flags them.
	CaseManagerID string    `json:"caseManagerId,omitempty"`
	State         State     `json:"state"`
	MessageID     string    `json:"messageId,omitempty"` // SES's
	At            time.Time `json:"at"`
	Why           string    `json:"why,omitempty"` // what went wrong, without personal data
	// Attempts is how many times SES was called for it; AttemptAt when
	// last (recorded before the call).
	Attempts  int       `json:"attempts,omitempty"`
	AttemptAt time.Time `json:"attemptAt,omitzero"`
}
