// Package report summarises an area's referrals for Drive's funders and
// evaluators: how many, in which status, how many eligible, how fast they
// reach a case manager, how long the waitlist is, and how full each
// caseload is. It has no AWS dependencies.
package report

import (
	"math"
	"slices"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/referral"
)

// Referral is what the summary and the download (CSV) need of one
// referral, and nothing that identifies anyone. AllocatedAt is zero when
// it was never allocated (or its allocation was declined and it waits
// again).
type Referral struct {
	Reference   string
	Area        string
	Route       referral.Route
	Status      referral.Status
	ReceivedAt  time.Time
	AllocatedAt time.Time
	WaitingFrom time.Time
	// RulesVersion and Rules are the eligibility decision's: the version
	// of the area's rules, and each rule's outcome in the order decided.
	RulesVersion int
	Rules        []Rule
	// Path is the statuses the referral went through with their times,
	// oldest first; empty when not known (the download reads it from the
	// referral's history).
	Path []Step
	// CloseReason is the code a closed case was closed with
	// (referral.CloseReasons), or "".
	CloseReason string
	// Evaluated says that the referral has ended and its evaluation
	// record was read: what is kept once its personal data expires.
	Evaluated bool
}

// Rule is one eligibility rule's outcome.
type Rule struct {
	Rule   string
	Passed bool
}

// Step is a status a referral reached, and when.
type Step struct {
	Status referral.Status
	At     time.Time
}

// Summary is the report's answer. Durations are in whole seconds.
type Summary struct {
	Area        string    `json:"area"`
	GeneratedAt time.Time `json:"generatedAt"`
	// From and To are the range of times received the summary counts
	// ([From, To)); absent when it has no bound.
	From             *time.Time              `json:"from,omitempty"`
	To               *time.Time              `json:"to,omitempty"`
	Referrals        int                     `json:"referrals"`
	ByStatus         map[referral.Status]int `json:"byStatus"`
	EligibilityRate  *float64                `json:"eligibilityRate"`
	TimeToAllocation Spread                  `json:"timeToAllocation"`
	Waitlist         Waitlist                `json:"waitlist"`
	CaseManagers     []Load                  `json:"caseManagers"`
}

// Spread is the median and 90th percentile of a set of durations.
type Spread struct {
	Count         int    `json:"count"`
	MedianSeconds *int64 `json:"medianSeconds"`
	P90Seconds    *int64 `json:"p90Seconds"`
}

// Waitlist is how many wait and for how long the first has waited.
type Waitlist struct {
	Length            int    `json:"length"`
	OldestWaitSeconds *int64 `json:"oldestWaitSeconds"`
}

// Load is a case manager's caseload against capacity.
type Load struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Active            bool     `json:"active"`
	Caseload          int      `json:"caseload"`
	Capacity          int      `json:"capacity"`
	PercentOfCapacity *float64 `json:"percentOfCapacity"`
}

// Summarise builds the area's summary at time now. Rates and percentiles
// are null where there is nothing to measure (no decision yet, nobody
// allocated, a capacity of 0), never a misleading zero.
func Summarise(area string, refs []Referral, managers []allocation.CaseManager, now time.Time) Summary {
	s := Summary{Area: area, GeneratedAt: now, Referrals: len(refs), ByStatus: map[referral.Status]int{}, CaseManagers: []Load{}}
	decided, ineligible := 0, 0
	var toAllocation []time.Duration
	var oldest time.Time
	for _, r := range refs {
		s.ByStatus[r.Status]++
		// A linked referral was passed to the open one's team, not
		// decided: counting it would raise the eligibility rate.
		if r.Status != referral.StatusReceived && r.Status != referral.StatusLinked {
			decided++
		}
		if r.Status == referral.StatusIneligible {
			ineligible++
		}
		if !r.AllocatedAt.IsZero() {
			toAllocation = append(toAllocation, r.AllocatedAt.Sub(r.ReceivedAt))
		}
		if r.Status == referral.StatusWaitlisted {
			s.Waitlist.Length++
			since := r.WaitingFrom
			if since.IsZero() {
				since = r.ReceivedAt
			}
			if oldest.IsZero() || since.Before(oldest) {
				oldest = since
			}
		}
	}
	if decided > 0 {
		s.EligibilityRate = ptr(round(float64(decided-ineligible) / float64(decided)))
	}
	s.TimeToAllocation = spread(toAllocation)
	if !oldest.IsZero() {
		s.Waitlist.OldestWaitSeconds = ptr(int64(now.Sub(oldest) / time.Second))
	}
	for _, m := range managers {
		l := Load{ID: m.ID, Name: m.Name, Active: m.Active, Caseload: m.Caseload, Capacity: m.Capacity}
		if m.Capacity > 0 {
			l.PercentOfCapacity = ptr(round(100 * float64(m.Caseload) / float64(m.Capacity)))
		}
		s.CaseManagers = append(s.CaseManagers, l)
	}
	return s
}

// WaitlistOf is the waitlist now, from the area's queue
// (allocation.Arrival, as the store's Queue gives it): how many are
// waitlisted, and how long the first has waited since found eligible.
// The queue's eligible referrals, being allocated, do not count.
func WaitlistOf(queue []allocation.Arrival, now time.Time) Waitlist {
	var w Waitlist
	var oldest time.Time
	for _, a := range queue {
		if a.Status != referral.StatusWaitlisted {
			continue
		}
		w.Length++
		if oldest.IsZero() || a.EligibleAt.Before(oldest) {
			oldest = a.EligibleAt
		}
	}
	if !oldest.IsZero() {
		w.OldestWaitSeconds = ptr(int64(now.Sub(oldest) / time.Second))
	}
	return w
}

// Month is one calendar month's figures (in London's time): the
// referrals received in it, and the time to allocation of those of them
// that were allocated.
type Month struct {
	// Start is the month's first moment.
	Start            time.Time `json:"start"`
	Received         int       `json:"received"`
	TimeToAllocation Spread    `json:"timeToAllocation"`
}

// Monthly returns a Month for each calendar month (in London's time)
// from the one holding from to the one holding the moment before to,
// oldest first, counting refs by the month they were received in. It
// returns none when to is not after from.
func Monthly(refs []Referral, from, to time.Time) []Month {
	if !to.After(from) {
		return nil
	}
	first := monthOf(from)
	last := monthOf(to.Add(-time.Nanosecond))
	var out []Month
	index := map[time.Time]int{}
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		index[m] = len(out)
		out = append(out, Month{Start: m})
	}
	times := make([][]time.Duration, len(out))
	for _, r := range refs {
		i, ok := index[monthOf(r.ReceivedAt)]
		if !ok {
			continue
		}
		out[i].Received++
		if !r.AllocatedAt.IsZero() {
			times[i] = append(times[i], r.AllocatedAt.Sub(r.ReceivedAt))
		}
	}
	for i := range out {
		out[i].TimeToAllocation = spread(times[i])
	}
	return out
}

func monthOf(t time.Time) time.Time {
	l := t.In(referral.London)
	return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, referral.London)
}

// spread uses the nearest-rank method: the p-th percentile is the value
// at rank ceil(p/100 * n), so it is always a measured time.
func spread(ds []time.Duration) Spread {
	sp := Spread{Count: len(ds)}
	if len(ds) == 0 {
		return sp
	}
	slices.Sort(ds)
	rank := func(p float64) *int64 {
		i := int(math.Ceil(p/100*float64(len(ds)))) - 1
		return ptr(int64(ds[max(i, 0)] / time.Second))
	}
	sp.MedianSeconds, sp.P90Seconds = rank(50), rank(90)
	return sp
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }

func ptr[T any](v T) *T { return &v }
