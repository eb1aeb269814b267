package allocation

import (
	"fmt"
	"math"
	"time"
)

// PaceWindow is how far back an area's closures are counted for an
// estimate of the wait: long enough to smooth a quiet month, short enough
// to follow a change of staffing. Drive's interventions last about ten
// months (the team's domain facts), so a small area closes a case every
// few weeks; 90 days holds several.
const PaceWindow = 90 * 24 * time.Hour

// Held is one case as the pace counts it: when it was allocated, and when
// it ended (closed or withdrawn), zero while it is open.
type Held struct {
	AllocatedAt, EndedAt time.Time
}

// Pace is an area's recent rate of freed places and its room now, from
// which the wait of each referral on its waiting list is estimated.
type Pace struct {
	// Closures is how many of the area's cases ended within Observed.
	Closures int
	// Observed is how long the closures were counted over: PaceWindow,
	// or less when the area's first allocation is more recent; zero when
	// the area has no cases to learn from (no history).
	Observed time.Duration
	// Free is how many places are free now among the active case
	// managers.
	Free int
}

// PaceOf returns the pace of an area at time now, from its cases (every
// case the area's case managers hold or held) and its case managers:
// closures counted over PaceWindow (or since the first allocation, if
// later), and the free places of the active managers.
func PaceOf(cases []Held, managers []CaseManager, now time.Time) Pace {
	var p Pace
	from := now.Add(-PaceWindow)
	first := time.Time{}
	for _, c := range cases {
		if !c.AllocatedAt.IsZero() && (first.IsZero() || c.AllocatedAt.Before(first)) {
			first = c.AllocatedAt
		}
		if !c.EndedAt.IsZero() && c.EndedAt.After(from) && !c.EndedAt.After(now) {
			p.Closures++
		}
	}
	if !first.IsZero() {
		if first.After(from) {
			from = first
		}
		p.Observed = max(now.Sub(from), 0)
	}
	for _, m := range managers {
		if m.Active {
			p.Free += m.Free()
		}
	}
	return p
}

// EstimateKind says what an estimate could say.
type EstimateKind int

const (
	// PlaceFree: a place is free now, so the referral is allocated at the
	// next release (within minutes).
	PlaceFree EstimateKind = iota
	// After: the referral is estimated to wait Wait more.
	After
	// NoHistory: the area has no cases to learn a pace from.
	NoHistory
	// NoClosures: no case of the area ended in the window (or since its
	// first allocation), so the pace is zero and no wait can be estimated.
	NoClosures
)

// Estimate is the estimated time to allocation of a referral on an
// area's waiting list.
type Estimate struct {
	Kind EstimateKind
	// Wait is the estimated time still to wait, for Kind After.
	Wait time.Duration
}

// EstimateWait returns the estimated time to allocation of the referral
// at position (0 for the first) of its area's waiting list, in the order
// places are given (InOrder), at pace p. The first p.Free wait for
// nobody; each after them waits for one more case to close, at the rate
// the area's cases closed over p.Observed: the (position-Free+1)-th
// closure from now is expected after (position-Free+1)·Observed/Closures.
// It is a rate, not a promise: a raised capacity or a new case manager
// shortens it, leave lengthens it. No history or no closures give no
// estimate rather than a misleading one.
func EstimateWait(position int, p Pace) Estimate {
	if position < p.Free {
		return Estimate{Kind: PlaceFree}
	}
	if p.Observed <= 0 {
		return Estimate{Kind: NoHistory}
	}
	if p.Closures <= 0 {
		return Estimate{Kind: NoClosures}
	}
	need := int64(position - max(p.Free, 0) + 1)
	return Estimate{Kind: After, Wait: time.Duration(need * int64(p.Observed) / int64(p.Closures))}
}

// Words is the estimate as a page says it: "A place is free now", "About
// 3 weeks", "Not known: …".
func (e Estimate) Words() string {
	switch e.Kind {
	case PlaceFree:
		return "A place is free now"
	case NoHistory:
		return "Not known: the area has no cases yet to learn from"
	case NoClosures:
		return "Not known until a case closes"
	}
	return "About " + Duration(e.Wait)
}

// Duration is a length of time in rounded words, as a person says it:
// "less than an hour", "5 hours", "1 day", "3 weeks", "4 months".
func Duration(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d < time.Hour:
		return "less than an hour"
	case d < day:
		return plural(int(d/time.Hour), "hour")
	case d < 14*day:
		return plural(int(math.Round(float64(d)/float64(day))), "day")
	case d < 60*day:
		return plural(int(math.Round(float64(d)/float64(7*day))), "week")
	}
	return plural(int(math.Round(float64(d)/float64(30*day))), "month")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
