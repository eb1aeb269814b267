package referral

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
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
	// ActionDecline is the case manager's refusal of a case allocated to
	// them, with a reason (DeclineReasons): it goes back to allocation,
	// never to them again (Record.Declined), and the area's leads are told
	// (issue 14).
	ActionDecline Action = "decline"
)

// transitions says, for each action, the statuses it may start from and
// the status it leads to.
//
// A linked referral (StatusLinked) may be withdrawn by the officer who
// made it, as any referral of theirs may: it was passed to the team of
// the open referral of the same person, and an officer who finds it was
// sent in error, or no longer stands, must be able to say so. It is then
// withdrawn like any other, and the open referral's team is told (issue
// 13). It is not decided, allocated or closed on its own.
//
// A case is closed only once accepted: a case manager who has not
// accepted a case allocated to them accepts or declines it first (the
// fresh tester of issue 14 closed one "completed" in one click, and its
// lead was never told; a decline tells the leads and finds it another
// case manager). DOMAIN.md's life is allocated → accepted → … → closed.
var transitions = map[Action]struct {
	from []Status
	to   Status
}{
	ActionAccept:     {[]Status{StatusAllocated}, StatusAccepted},
	ActionClose:      {[]Status{StatusAccepted}, StatusClosed},
	ActionWithdraw:   {[]Status{StatusReceived, StatusEligible, StatusWaitlisted, StatusAllocated, StatusAccepted, StatusLinked}, StatusWithdrawn},
	ActionReallocate: {[]Status{StatusAllocated, StatusAccepted}, StatusAllocated},
	ActionDecline:    {[]Status{StatusAllocated}, StatusEligible},
}

// Next returns the status an action leads to from status from, or an
// error wrapping ErrConflict that says, in words, why it cannot be done.
func Next(a Action, from Status) (Status, error) {
	t, ok := transitions[a]
	if !ok {
		return "", fmt.Errorf("unknown action %q", a)
	}
	if a == ActionClose && from == StatusAllocated {
		return "", fmt.Errorf("%w: a case that is allocated and not yet accepted cannot be closed. Accept or decline it first", ErrConflict)
	}
	if !slices.Contains(t.from, from) {
		return "", fmt.Errorf("%w: a referral that is %s cannot be %s", ErrConflict, from, pastTense[a])
	}
	return t.to, nil
}

var pastTense = map[Action]string{ActionAccept: "accepted", ActionClose: "closed", ActionWithdraw: "withdrawn", ActionReallocate: "reallocated", ActionDecline: "declined"}

// HoldsCapacity reports whether a referral in this status counts against
// its case manager's caseload.
func HoldsCapacity(s Status) bool { return s == StatusAllocated || s == StatusAccepted }

// CloseReasons are the reason codes a case can be closed with.
var CloseReasons = []string{"completed", "withdrawn", "moved-out-of-area", "duplicate", "custody", "other"}

// DeclineReasons are the reason codes a case manager declines a case
// with (issue 14): a conflict of interest, knowing the family, no
// capacity after all, or another reason, said in a note.
var DeclineReasons = []string{"conflict-of-interest", "knows-the-family", "no-capacity", "other"}

// ValidateDecline checks a reason for declining: a known code
// (DeclineReasons), and a note when the code is "other", within its
// length (TextProblem).
func (e Ending) ValidateDecline() FieldErrors {
	return e.validateCode(DeclineReasons, "declining", "Say why you are declining the case")
}

// validateCode checks a reason that is one of codes, for the action
// named (doing, as in "Choose a reason for closing"), with a note, asked
// for in noteMessage's words, when the code is "other"; the note within
// its length (TextProblem).
func (e Ending) validateCode(codes []string, doing, noteMessage string) FieldErrors {
	var errs FieldErrors
	if !slices.Contains(codes, e.Reason) {
		last := len(codes) - 1
		errs = append(errs, FieldError{Field: "reason",
			Message: "Choose a reason for " + doing + ": one of " + strings.Join(codes[:last], ", ") + " or " + codes[last]})
	}
	if e.Reason == "other" && e.Note == "" {
		errs = append(errs, FieldError{Field: "note", Message: noteMessage})
	}
	return checkFree(errs, "note", "the note", e.Note, maxNote, false)
}

// Ending is the reason given for accepting or closing a case or
// withdrawing a referral.
type Ending struct {
	Reason string `json:"reason"`
	Note   string `json:"note,omitempty"`
}

// maxCaseManagerID is the longest case manager id (the admin API's rule).
const maxCaseManagerID = 40

// Normalise cleans the reason and note as a referral's free text is
// cleaned (CleanText): trimmed, composed, without format characters.
func (e *Ending) Normalise() { e.Reason, e.Note = CleanText(e.Reason), CleanText(e.Note) }

// ValidateAccept checks an acceptance's optional reason and note: each
// free text within its length (TextProblem), since both are kept in the
// case's history.
func (e Ending) ValidateAccept() FieldErrors {
	var errs FieldErrors
	errs = checkFree(errs, "reason", "the reason", e.Reason, maxName, false)
	return checkFree(errs, "note", "the note", e.Note, maxNote, false)
}

// ValidateClose checks a closing reason: a known code, and a note when the
// code is "other".
func (e Ending) ValidateClose() FieldErrors {
	return e.validateCode(CloseReasons, "closing", "Say why the case is closing")
}

// ValidateWithdraw checks a withdrawal: a reason in words, and the reason
// and note each free text within its length.
func (e Ending) ValidateWithdraw() FieldErrors {
	var errs FieldErrors
	if e.Reason == "" {
		errs = append(errs, FieldError{Field: "reason", Message: "Say why the referral is being withdrawn"})
	}
	errs = checkFree(errs, "reason", "the reason", e.Reason, maxName, false)
	return checkFree(errs, "note", "the note", e.Note, maxNote, false)
}

// Reallocation is why, and optionally to whom, a case moves to another
// case manager.
type Reallocation struct {
	Reason      string `json:"reason"`
	CaseManager string `json:"caseManager,omitempty"`
}

// Normalise cleans the reason as free text (CleanText).
func (r *Reallocation) Normalise() { r.Reason = CleanText(r.Reason) }

// Validate checks a reallocation: a reason in words, within its length,
// and a case manager's id no longer than an id can be.
func (r Reallocation) Validate() FieldErrors {
	var errs FieldErrors
	if r.Reason == "" {
		errs = append(errs, FieldError{Field: "reason", Message: "Say why the case is being reallocated, for example that its case manager is leaving or has a conflict of interest"})
	}
	errs = checkFree(errs, "reason", "the reason", r.Reason, maxNote, false)
	if utf8.RuneCountInString(r.CaseManager) > maxCaseManagerID {
		errs = append(errs, FieldError{Field: "caseManager", Message: fmt.Sprintf("Enter the case manager's id, in %d characters or fewer, like essex-alex-morgan", maxCaseManagerID)})
	}
	return errs
}

// checkFree adds to errs what is wrong with the free text s of field
// (TextProblem), when it was given; what names the field in a message.
func checkFree(errs FieldErrors, field, what, s string, max int, name bool) FieldErrors {
	if p := TextProblem(field, what, s, max, name); s != "" && p != "" {
		errs = append(errs, FieldError{Field: field, Message: p})
	}
	return errs
}
