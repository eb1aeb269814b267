// Package allocation chooses which case manager of an area takes a
// referral. It has no AWS dependencies; the store enforces capacity.
package allocation

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/driveprogramme/referrals/shared/mailaddr"
	"github.com/driveprogramme/referrals/shared/referral"
)

// ErrNoCapacity is returned by a store when the chosen case manager has no
// room left (another allocation took it first).
var ErrNoCapacity = errors.New("case manager has no free capacity")

// ErrBelowCaseload is returned by a store asked to set a case manager's
// capacity below the caseload they hold, inside a *BelowCaseloadError
// that says how many cases they hold. The rule is the programme's "never
// exceed capacity" (the team's domain facts, Allocation): a caseload
// falls only as cases end or are reallocated, never by lowering the cap.
var ErrBelowCaseload = errors.New("capacity below the case manager's caseload")

// BelowCaseloadError refuses a capacity below a caseload: Caseload is the
// number of cases the manager held when the change was refused, Capacity
// the capacity asked for. It matches ErrBelowCaseload (errors.Is).
type BelowCaseloadError struct{ Caseload, Capacity int }

func (e *BelowCaseloadError) Error() string {
	return fmt.Sprintf("%v: capacity %d, caseload %d", ErrBelowCaseload, e.Capacity, e.Caseload)
}

// Is reports whether target is ErrBelowCaseload.
func (e *BelowCaseloadError) Is(target error) bool { return target == ErrBelowCaseload }

// FieldError returns the capacity field's error for the case manager
// called name, in words for the admin or area lead who asked: the least
// capacity they may give, and the ways on (reallocate cases first, or
// make the manager inactive to stop new cases while they are away).
func (e *BelowCaseloadError) FieldError(name string) referral.FieldError {
	return referral.FieldError{Field: "capacity", Message: fmt.Sprintf(
		"Capacity must be at least %d, the number of cases %s holds now: reallocate cases first to lower it. "+
			"To stop new cases while they are away, make them inactive instead", e.Caseload, name)}
}

// CheckCapacity returns a *BelowCaseloadError when capacity is below
// caseload (ErrBelowCaseload), and nil when the caseload fits. Stores
// enforce it in the write itself, as a condition on the caseload stored;
// it is here for stores without conditions, such as tests' fakes.
func CheckCapacity(caseload, capacity int) error {
	if caseload > capacity {
		return &BelowCaseloadError{Caseload: caseload, Capacity: capacity}
	}
	return nil
}

// CaseManager is a member of staff who holds a caseload in one area.
type CaseManager struct {
	ID              string    `json:"id"`
	Area            string    `json:"area"`
	Name            string    `json:"name"`
	Email           string    `json:"email"`
	Capacity        int       `json:"capacity"`
	Caseload        int       `json:"caseload"`
	Active          bool      `json:"active"`
	LastAllocatedAt time.Time `json:"lastAllocatedAt"`
	// EmailBouncedAt is when an email to the case manager last bounced:
	// they may not be hearing of allocations. A new address clears it.
	EmailBouncedAt *time.Time `json:"emailBouncedAt,omitempty"`
	// ReturnsOn is, for a case manager inactive for leave, the day
	// (YYYY-MM-DD, the UK's) they take cases again: on that day they are
	// made active without anyone pressing a button (DueBack; the remind
	// function's schedule). "" for none.
	ReturnsOn string `json:"returnsOn,omitempty"`
}

// Validate checks a case manager's details, every problem at once. The
// email address must be one SES can send to (mailaddr.ForSES).
func (m CaseManager) Validate() referral.FieldErrors {
	var errs referral.FieldErrors
	if m.Name == "" {
		errs = append(errs, referral.FieldError{Field: "name", Message: "Enter the case manager's name"})
	} else if p := referral.TextProblem("name", "the case manager's name", m.Name, 100, true); p != "" {
		errs = append(errs, referral.FieldError{Field: "name", Message: p})
	}
	if p := mailaddr.Problem(m.Email, "the case manager's email address", "name@drive.example"); p != "" {
		errs = append(errs, referral.FieldError{Field: "email", Message: p})
	}
	if m.Capacity < 0 || m.Capacity > 50 {
		errs = append(errs, referral.FieldError{Field: "capacity", Message: "Enter the capacity as a whole number of cases from 0 to 50"})
	}
	if m.ReturnsOn != "" {
		if m.Active {
			errs = append(errs, referral.FieldError{Field: "returnsOn", Message: "A case manager who takes cases has no return date: leave it out"})
		} else if _, err := referral.ParseDate(m.ReturnsOn); err != nil {
			errs = append(errs, referral.FieldError{Field: "returnsOn", Message: "Enter the date they are back as a real date"})
		}
	}
	return errs
}

// Free returns how many more cases the manager can take.
func (m CaseManager) Free() int { return max(m.Capacity-m.Caseload, 0) }

// Candidates returns the active managers with room, best first: the most
// free capacity, then the one allocated to least recently, then by id so
// that the order is total and the same everywhere.
func Candidates(managers []CaseManager) []CaseManager {
	out := slices.DeleteFunc(slices.Clone(managers), func(m CaseManager) bool {
		return !m.Active || m.Free() == 0
	})
	slices.SortFunc(out, func(a, b CaseManager) int {
		return cmp.Or(
			cmp.Compare(b.Free(), a.Free()),
			a.LastAllocatedAt.Compare(b.LastAllocatedAt),
			cmp.Compare(a.ID, b.ID),
		)
	})
	return out
}

// CandidatesFor are the case managers who may be offered a referral that
// the case managers declined (referral.Record.Declined) have turned down:
// Candidates, without them (issue 14: a declined case never goes back to
// the manager who declined it). managers is not changed.
func CandidatesFor(managers []CaseManager, declined []string) []CaseManager {
	return slices.DeleteFunc(Candidates(managers), func(m CaseManager) bool { return slices.Contains(declined, m.ID) })
}
