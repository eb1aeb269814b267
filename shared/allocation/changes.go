package allocation

import (
	"strconv"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

// What a Change records.
const (
	ChangedAdded    = "added"
	ChangedName     = "name"
	ChangedEmail    = "email"
	ChangedCapacity = "capacity"
	ChangedActive   = "active"
	ChangedMoved    = "cases moved"
)

// Change is one recorded change to an area's case managers: who made it
// (their account, for the audit, and their name, for the page), when,
// to whom, and what from what to what. Every change is recorded (issue
// 15; the domain facts' "every transition is an audit record: who, when,
// from, to").
type Change struct {
	At              time.Time `json:"at"`
	By              string    `json:"by"`
	ByName          string    `json:"byName,omitempty"`
	CaseManagerID   string    `json:"caseManagerId"`
	CaseManagerName string    `json:"caseManagerName"`
	// What is one of the Changed… constants.
	What string `json:"what"`
	// From and To are the values in words ("5", "Takes cases", "On leave
	// until 2 March 2027").
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Details are a move's outcome, one line a case: where it went, or why
	// it could not move.
	Details []string `json:"details,omitempty"`
}

// Changes returns what changes when case manager old becomes m (old nil:
// m is added), one Change a field that differs, with What, From and To
// set and the case manager named; the caller says who and when. It
// returns none when nothing differs. The caseload is not a change a
// person makes (allocations count it), so it is never one.
func Changes(old *CaseManager, m CaseManager) []Change {
	c := func(what, from, to string) Change {
		return Change{CaseManagerID: m.ID, CaseManagerName: m.Name, What: what, From: from, To: to}
	}
	if old == nil {
		return []Change{c(ChangedAdded, "", strconv.Itoa(m.Capacity)+" cases, "+Availability(m))}
	}
	var out []Change
	if old.Name != m.Name {
		out = append(out, c(ChangedName, old.Name, m.Name))
	}
	if old.Email != m.Email {
		out = append(out, c(ChangedEmail, old.Email, m.Email))
	}
	if old.Capacity != m.Capacity {
		out = append(out, c(ChangedCapacity, strconv.Itoa(old.Capacity), strconv.Itoa(m.Capacity)))
	}
	if from, to := Availability(*old), Availability(m); from != to {
		out = append(out, c(ChangedActive, from, to))
	}
	return out
}

// Availability is whether m takes new cases, in words: "Takes cases",
// "On leave until 2 March 2027", or "Inactive".
func Availability(m CaseManager) string {
	switch {
	case m.Active:
		return "Takes cases"
	case m.ReturnsOn != "":
		if d, err := referral.ParseDate(m.ReturnsOn); err == nil {
			return "On leave until " + d.Format("2 January 2006")
		}
		return "On leave until " + m.ReturnsOn
	}
	return "Inactive"
}

// DueBack reports whether m, inactive for leave, is due back on the UK's
// day at now: their return date (ReturnsOn) is today or past.
func DueBack(m CaseManager, now time.Time) bool {
	if m.Active || m.ReturnsOn == "" {
		return false
	}
	d, err := referral.ParseDate(m.ReturnsOn)
	return err == nil && !d.After(referral.Today(now))
}

// Back returns m back from leave: active, with no return date.
func Back(m CaseManager) CaseManager {
	m.Active, m.ReturnsOn = true, ""
	return m
}
