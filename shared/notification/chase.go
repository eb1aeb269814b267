package notification

import "time"

// Unaccepted is an allocation its case manager has not yet accepted.
type Unaccepted struct {
	Reference     string
	Area          string
	CaseManagerID string
	Since         time.Time // when it was allocated
	Chased        Kind      // the last chase sent: "", KindReminder or KindEscalation
}

// Chase is how long an allocation may wait for its case manager: Remind
// after allocation the case manager is reminded; Escalate after that the
// area's leads are told.
type Chase struct {
	Remind, Escalate time.Duration
}

// Due returns the chase an unaccepted allocation is due at now, in order
// (a reminder before any escalation), or "" when none is.
func (c Chase) Due(u Unaccepted, now time.Time) Kind {
	waited := now.Sub(u.Since)
	switch {
	case u.Chased == "" && waited >= c.Remind:
		return KindReminder
	case u.Chased == KindReminder && waited >= c.Remind+c.Escalate:
		return KindEscalation
	}
	return ""
}

// Event is the notification event of chase k.
func (u Unaccepted) Event(k Kind) Event {
	return Event{Kind: k, Reference: u.Reference, CaseManagerID: u.CaseManagerID, Since: u.Since}
}
