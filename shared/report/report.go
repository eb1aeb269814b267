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

// Referral is what the summary needs of one referral. AllocatedAt is
// zero when it was never allocated.
type Referral struct {
	Reference   string
	Status      referral.Status
	ReceivedAt  time.Time
	AllocatedAt time.Time
	WaitingFrom time.Time
}

// Summary is the report's answer. Durations are in whole seconds.
type Summary struct {
	Area             string                  `json:"area"`
	GeneratedAt      time.Time               `json:"generatedAt"`
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
