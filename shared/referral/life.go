package referral

import (
	"fmt"
	"slices"
)

// The statuses after allocation.
const (
	StatusAccepted  Status = "accepted"
	StatusClosed    Status = "closed"
	StatusWithdrawn Status = "withdrawn"
)

// Action is something a person does to a referral or case.
type Action string

// The actions of a referral's life after intake.
const (
	ActionAccept   Action = "accept"
	ActionClose    Action = "close"
	ActionWithdraw Action = "withdraw"
	// ActionReallocate moves a case to another case manager of its area,
	// who must accept it again.
	ActionReallocate Action = "reallocate"
)

// transitions says, for each action, the statuses it may start from and
// the status it leads to.
var transitions = map[Action]struct {
	from []Status
	to   Status
}{
	ActionAccept:     {[]Status{StatusAllocated}, StatusAccepted},
	ActionClose:      {[]Status{StatusAllocated, StatusAccepted}, StatusClosed},
	ActionWithdraw:   {[]Status{StatusReceived, StatusEligible, StatusWaitlisted, StatusAllocated, StatusAccepted}, StatusWithdrawn},
	ActionReallocate: {[]Status{StatusAllocated, StatusAccepted}, StatusAllocated},
}

// Next returns the status an action leads to from status from, or an
// error wrapping ErrConflict that says, in words, why it cannot be done.
func Next(a Action, from Status) (Status, error) {
	t, ok := transitions[a]
	if !ok {
		return "", fmt.Errorf("unknown action %q", a)
	}
	if !slices.Contains(t.from, from) {
		return "", fmt.Errorf("%w: a referral that is %s cannot be %s", ErrConflict, from, pastTense[a])
	}
	return t.to, nil
}

var pastTense = map[Action]string{ActionAccept: "accepted", ActionClose: "closed", ActionWithdraw: "withdrawn", ActionReallocate: "reallocated"}

// HoldsCapacity reports whether a referral in this status counts against
// its case manager's caseload.
func HoldsCapacity(s Status) bool { return s == StatusAllocated || s == StatusAccepted }

// CloseReasons are the reason codes a case can be closed with.
var CloseReasons = []string{"completed", "withdrawn", "moved-out-of-area", "duplicate", "custody", "other"}

// Ending is the reason given for closing a case or withdrawing a referral.
type Ending struct {
	Reason string `json:"reason"`
	Note   string `json:"note,omitempty"`
}

// ValidateClose checks a closing reason: a known code, and a note when the
// code is "other".
func (e Ending) ValidateClose() FieldErrors {
	var errs FieldErrors
	if !slices.Contains(CloseReasons, e.Reason) {
		errs = append(errs, FieldError{"reason", "Choose a reason for closing: one of completed, withdrawn, moved-out-of-area, duplicate, custody or other"})
	}
	if e.Reason == "other" && e.Note == "" {
		errs = append(errs, FieldError{"note", "Say why the case is closing"})
	}
	if len([]rune(e.Note)) > maxNote {
		errs = append(errs, FieldError{"note", fmt.Sprintf("Enter the note in %d characters or fewer", maxNote)})
	}
	return errs
}

// ValidateWithdraw checks a withdrawal: a reason in words.
func (e Ending) ValidateWithdraw() FieldErrors {
	var errs FieldErrors
	if e.Reason == "" {
		errs = append(errs, FieldError{"reason", "Say why the referral is being withdrawn"})
	}
	if len([]rune(e.Reason)) > maxName || len([]rune(e.Note)) > maxNote {
		errs = append(errs, FieldError{"note", fmt.Sprintf("Enter the reason in %d characters and the note in %d or fewer", maxName, maxNote)})
	}
	return errs
}

// Reallocation is why, and optionally to whom, a case moves to another
// case manager.
type Reallocation struct {
	Reason      string `json:"reason"`
	CaseManager string `json:"caseManager,omitempty"`
}

// Validate checks a reallocation: a reason in words.
func (r Reallocation) Validate() FieldErrors {
	var errs FieldErrors
	if r.Reason == "" {
		errs = append(errs, FieldError{"reason", "Say why the case is being reallocated, for example that its case manager is leaving or has a conflict of interest"})
	}
	if len([]rune(r.Reason)) > maxNote {
		errs = append(errs, FieldError{"reason", fmt.Sprintf("Enter the reason in %d characters or fewer", maxNote)})
	}
	return errs
}
