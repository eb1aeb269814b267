package allocation

import (
	"cmp"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

// Arrival is a referral waiting for a place in its area's caseloads:
// found eligible and not yet allocated (status eligible or waitlisted).
type Arrival struct {
	Reference string
	Status    referral.Status
	// EligibleAt is when the referral was found eligible.
	EligibleAt time.Time
	// ReceivedAt is when intake received it.
	ReceivedAt time.Time
}

// ArrivalOf returns the arrival of a record; a record without a decision
// (none should wait without one) counts as eligible when received.
func ArrivalOf(rec referral.Record) Arrival {
	a := Arrival{Reference: rec.Reference, Status: rec.Status, EligibleAt: rec.ReceivedAt, ReceivedAt: rec.ReceivedAt}
	if rec.Decision != nil && !rec.Decision.DecidedAt.IsZero() {
		a.EligibleAt = rec.Decision.DecidedAt
	}
	return a
}

// InOrder compares two arrivals for the order in which an area's places
// are given: negative when a comes first. The referral found eligible
// first comes first; of two found eligible at the same moment, the one
// received first; then, so that the order is total and the same
// everywhere, the lower reference.
//
// The rule: "With no capacity, the referral waits in order and is
// allocated when a case closes or capacity is added" (the team's domain
// notes, Allocation), and issue 12's "Order is kept": allocation honours
// arrival order, eligibility time then received time, and a referral
// never overtakes an older eligible one in its area except through a
// lead's recorded reallocation. Eligibility time comes first because a
// referral cannot be given a place before it is found eligible: one
// received earlier but decided later (an area's rules changed, a
// redelivery) was not waiting meanwhile.
func InOrder(a, b Arrival) int {
	return cmp.Or(
		a.EligibleAt.Compare(b.EligibleAt),
		a.ReceivedAt.Compare(b.ReceivedAt),
		cmp.Compare(a.Reference, b.Reference),
	)
}
