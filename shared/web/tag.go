package web

import "github.com/driveprogramme/referrals/shared/referral"

// Tag is how a page shows a status: in words, in the GOV.UK tag colour of
// its kind, so that the same kind always looks the same.
type Tag struct{ Words, Colour string }

// The kinds of status, each with its GOV.UK tag colour
// (design-system.service.gov.uk/components/tag: use colour to tell kinds
// apart, always with words).
const (
	kindNew      = "govuk-tag--blue"       // just arrived
	kindProgress = "govuk-tag--light-blue" // being worked on by Drive
	kindWaiting  = "govuk-tag--yellow"     // waiting for someone
	kindDone     = "govuk-tag--green"      // taken on
	kindRefused  = "govuk-tag--red"        // refused
	kindEnded    = "govuk-tag--grey"       // over
)

var statusTags = map[referral.Status]Tag{
	referral.StatusReceived:   {"Received", kindNew},
	referral.StatusEligible:   {"Eligible: being allocated", kindProgress},
	referral.StatusWaitlisted: {"On the waiting list", kindWaiting},
	referral.StatusAllocated:  {"Allocated to a case manager", kindWaiting},
	referral.StatusAccepted:   {"Accepted by the case manager", kindDone},
	referral.StatusIneligible: {"Not eligible", kindRefused},
	referral.StatusClosed:     {"Closed", kindEnded},
	referral.StatusWithdrawn:  {"Withdrawn", kindEnded},
	referral.StatusLinked:     {"Passed to the team already working with this person", kindProgress},
}

// TagOf is a status's tag; a status the table lacks is shown as it is,
// grey, rather than as nothing.
func TagOf(s referral.Status) Tag {
	if t, ok := statusTags[s]; ok {
		return t
	}
	return Tag{string(s), kindEnded}
}
