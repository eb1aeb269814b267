// Package notification composes the emails Drive sends and names the events
// that cause them. Events are thin (a kind and a reference): the notifier
// reads the rest from the store. No email carries a perpetrator's or
// victim's personal details. It has no AWS dependencies.
package notification

import (
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
	// ErrInFlight: another worker is sending it now; retry later.
	ErrInFlight = errors.New("notification being sent by another worker")
)

// ClaimLease is how long a worker's claim on a notification holds off the
// others. It is longer than the notify function's timeout, so that an
// email being sent is never sent again alongside, and shorter than the
// span of a message's retries ((maxReceiveCount − 1) × the queue's
// visibility timeout), so that an email whose worker died mid-send is
// sent by a later try instead of ending in the dead-letter queue.
// template.yaml is checked against both (infra/local template test).
const ClaimLease = 30 * time.Second

// Kind says whom a notification is for.
type Kind string

// The kinds of notification.
const (
	// KindAllocated tells a case manager a referral is theirs.
	KindAllocated Kind = "allocated"
	// KindOutcome tells the referrer what became of their referral.
	KindOutcome Kind = "outcome"
	// KindReallocated tells a case manager a case has moved from them to
	// another case manager.
	KindReallocated Kind = "reallocated"
)

// Event is the message on the notification queue.
type Event struct {
	Kind          Kind            `json:"kind"`
	Reference     string          `json:"reference"`
	Status        referral.Status `json:"status"`
	CaseManagerID string          `json:"caseManagerId,omitempty"`
	// Since is when the allocation the event is about was made: a case
	// reallocated back to a manager is a new allocation, told again.
	Since time.Time `json:"since,omitzero"`
}

// ID identifies a notification, so that a redelivered event is sent once.
func (e Event) ID() string {
	parts := []string{string(e.Kind), e.Reference, string(e.Status), e.CaseManagerID}
	if !e.Since.IsZero() {
		parts = append(parts, e.Since.UTC().Format(time.RFC3339Nano))
	}
	return strings.Join(parts, "#")
}

// Validate says what is wrong with an event read from the queue.
func (e Event) Validate() error {
	if _, ok := referral.ParseReference(e.Reference); !ok {
		return fmt.Errorf("event has no valid reference: %q", e.Reference)
	}
	switch {
	case (e.Kind == KindAllocated || e.Kind == KindReallocated) && e.CaseManagerID == "":
		return fmt.Errorf("%s event has no case manager", e.Kind)
	case e.Kind == KindAllocated, e.Kind == KindOutcome, e.Kind == KindReallocated:
		return nil
	default:
		return fmt.Errorf("unknown event kind %q", e.Kind)
	}
}

// Email is a message to one person.
type Email struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// ToCaseManager tells a case manager that a referral was allocated to them:
// the reference and a link only; the details are seen after signing in.
func ToCaseManager(to, ref, link string) Email {
	return Email{
		To:      to,
		Subject: "Drive referral " + ref + " has been allocated to you",
		Body: fmt.Sprintf(`A Drive referral has been allocated to you.

Reference: %s

Sign in to see the referral and accept it:
%s

This email does not contain any personal details. Do not forward it.
`, ref, link),
	}
}

// ToPreviousCaseManager tells a case manager that a case has moved from
// them to another case manager: the reference only.
func ToPreviousCaseManager(to, ref string) Email {
	return Email{
		To:      to,
		Subject: "Drive referral " + ref + " has been reallocated",
		Body: fmt.Sprintf(`A Drive case you held has been reallocated to another case manager.
It no longer counts towards your caseload.

Reference: %s

Your area lead can tell you more. This email does not contain any
personal details. Do not forward it.
`, ref),
	}
}

// ToReferrer tells the referrer the outcome of their referral (allocated,
// waitlisted or ineligible with the reasons), without personal details.
func ToReferrer(rec referral.Record, status referral.Status, link string) Email {
	var subject, what string
	switch status {
	case referral.StatusAllocated:
		subject = "allocated to a case manager"
		who := "a case manager"
		if rec.CaseManager != nil {
			who = "case manager " + rec.CaseManager.Name
		}
		what = "The referral is eligible for Drive and has been allocated to " + who + ", who will start work on it."
	case referral.StatusWaitlisted:
		subject = "on the waiting list"
		what = "The referral is eligible for Drive. No case manager in the area has space at the moment, so it is on the waiting list and will be allocated in order of arrival as soon as one does."
	case referral.StatusIneligible:
		subject = "not eligible"
		var reasons []string
		if rec.Decision != nil {
			for _, o := range rec.Decision.Failed() {
				reasons = append(reasons, "- "+o.Reason)
			}
		}
		what = "The referral does not meet Drive's eligibility rules for the area:\n\n" + strings.Join(reasons, "\n") +
			"\n\nIf you have information that changes this, you can make a new referral."
	default:
		subject = string(status)
		what = "The referral's status is now " + string(status) + "."
	}
	return Email{
		To:      rec.Referral.Referrer.Email,
		Subject: "Drive referral " + rec.Reference + ": " + subject,
		Body: fmt.Sprintf(`Thank you for your referral to Drive.

Reference: %s

%s

See the referral's status:
%s
`, rec.Reference, what, link),
	}
}
