package referral

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"
)

// Status is where a referral is in its life.
type Status string

// The statuses of the domain, in the order a referral usually meets them.
const (
	StatusReceived   Status = "received"
	StatusEligible   Status = "eligible"
	StatusIneligible Status = "ineligible"
	StatusAllocated  Status = "allocated"
	StatusWaitlisted Status = "waitlisted"
	// StatusLinked: a referral of a perpetrator who already had an open
	// referral, linked to it and passed to the team working with them
	// rather than decided on its own (issue 13). Nothing more happens to
	// it but its officer's withdrawal (ActionWithdraw).
	StatusLinked Status = "linked"
)

// Statuses lists every status, in the order of a referral's life: for the
// pages' and tests' tables of them.
var Statuses = []Status{StatusReceived, StatusEligible, StatusIneligible, StatusWaitlisted, StatusAllocated, StatusAccepted, StatusClosed, StatusWithdrawn, StatusLinked}

// Sentinel errors that stores and handlers use to say what went wrong.
var (
	// ErrNotFound: no referral (or area, or case manager) with that key.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the record is not in the state the change requires, for
	// example a decision on a referral that was already decided.
	ErrConflict = errors.New("conflicting state")
)

// Record is a referral as the system keeps it: what was submitted, and what
// has happened to it since.
type Record struct {
	Reference   string     `json:"reference"`
	Status      Status     `json:"status"`
	ReceivedAt  time.Time  `json:"receivedAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	Referral    Referral   `json:"referral"`
	Decision    *Decision  `json:"decision,omitempty"`
	CaseManager *Assignee  `json:"caseManager,omitempty"`
	WaitingFrom *time.Time `json:"waitingFrom,omitempty"`
	// SubmittedBy is the signed-in officer who made the referral: only they
	// see and withdraw it (with the leads of its area and its case manager).
	SubmittedBy *Submitter `json:"submittedBy,omitempty"`
	// LinkedTo is, for a linked referral, the reference of the open
	// referral of the same perpetrator it was passed to.
	LinkedTo string `json:"linkedTo,omitempty"`
	// Declined are the ids of the case managers who declined the case
	// (ActionDecline): allocation never offers it to them again.
	Declined []string `json:"declined,omitempty"`
}

// Submitter is who made a referral, as their verified token said.
type Submitter struct {
	Subject string `json:"subject"`
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
}

// IdempotencyKey returns the key under which s's Idempotency-Key key is
// kept: scoped to s's subject, so that one officer's key never answers
// with, or refuses because of, another's referral (payment APIs such as
// Stripe's scope keys to the account the same way). The subject is
// hashed so that the kept key has a fixed-length prefix whatever the
// identity provider's subjects look like. It returns "" for an empty key.
func (s Submitter) IdempotencyKey(key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s.Subject))
	return base64.RawURLEncoding.EncodeToString(sum[:]) + ":" + key
}

// Decision is the outcome of the eligibility rules, with the outcome of
// every rule in words an officer understands.
type Decision struct {
	Eligible  bool      `json:"eligible"`
	Outcomes  []Outcome `json:"reasons"`
	DecidedAt time.Time `json:"decidedAt"`
	// RulesVersion is the version of the area's rules the decision used
	// (0 when Drive does not serve the area).
	RulesVersion int `json:"rulesVersion"`
}

// Outcome is one rule's result.
type Outcome struct {
	Rule   string `json:"rule"`
	Passed bool   `json:"passed"`
	Reason string `json:"reason"`
}

// Failed returns the outcomes of the rules that did not pass.
func (d Decision) Failed() []Outcome {
	var failed []Outcome
	for _, o := range d.Outcomes {
		if !o.Passed {
			failed = append(failed, o)
		}
	}
	return failed
}

// Assignee is the case manager a referral is allocated to.
type Assignee struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Since is when the referral was allocated (or reallocated) to them.
	Since time.Time `json:"since,omitzero"`
}

// Transition is one change of status: the history is a list of them.
type Transition struct {
	At   time.Time `json:"at"`
	From Status    `json:"from,omitempty"`
	To   Status    `json:"to"`
	By   string    `json:"by"`
	// Reason says what happened in words for everyone who may see the
	// referral, naming people by name ("Allocated to Tom Hughes").
	Reason string `json:"reason"`
	// Note is staff's own reason for the change, such as a lead's for a
	// reallocation: for Drive's staff, never for the referring officer
	// (ForReferrer).
	Note string `json:"note,omitempty"`
	// StaffOnly marks a row that is staff's alone, such as another
	// referral being linked to this one: the officer who made the
	// referral does not see it (ForReferrer).
	StaffOnly bool `json:"staffOnly,omitempty"`
}

// ForReferrer returns a history as the officer who made the referral
// sees it: every change, without staff's notes and staff-only rows, and a
// case manager's decline as a neutral row (PassedOn), without who
// declined or why: that is between Drive's staff (fresh tester of issue
// 14: the officer read "Declined by Tom Hughes: knows the family"). hist
// is not changed.
func ForReferrer(hist []Transition) []Transition {
	out := make([]Transition, 0, len(hist))
	for _, tr := range hist {
		if tr.StaffOnly {
			continue
		}
		if tr.From == StatusAllocated && tr.To == StatusEligible { // a decline, the one way back
			tr.Reason, tr.By = PassedOn, ""
		}
		tr.Note = ""
		out = append(out, tr)
	}
	return out
}

// PassedOn is how the referring officer's history words a case
// manager's decline (ForReferrer).
const PassedOn = "Passed to another case manager"

// Message is what the intake and eligibility queues carry: the reference
// only, never the referral's details.
type Message struct {
	Reference string `json:"reference"`
}

// Summary is a referral's reference, status and arrival, as listed when
// looking for other referrals of the same perpetrator.
type Summary struct {
	Reference  string    `json:"reference"`
	Area       string    `json:"area"`
	Status     Status    `json:"status"`
	ReceivedAt time.Time `json:"receivedAt"`
}

// Open reports whether the referral is still live: not found ineligible,
// not closed, not withdrawn.
func (s Summary) Open() bool {
	return s.Status != StatusIneligible && s.Status != StatusClosed && s.Status != StatusWithdrawn && s.Status != StatusLinked
}

// Before reports whether s arrived before rec (ties broken by reference,
// so that of two referrals exactly one is first).
func (s Summary) Before(rec Record) bool {
	if !s.ReceivedAt.Equal(rec.ReceivedAt) {
		return s.ReceivedAt.Before(rec.ReceivedAt)
	}
	return s.Reference < rec.Reference
}
