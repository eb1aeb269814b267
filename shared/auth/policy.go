package auth

import (
	"context"
	"fmt"
	"slices"

	"github.com/driveprogramme/referrals/shared/referral"
)

// Staff is what Drive's own records say of a member of staff, found by the
// email address their token carries: the case manager they are, and the
// areas they lead. The identity provider says what role someone has;
// Drive says which cases and areas that role covers.
type Staff struct {
	CaseManagerID   string   `json:"caseManagerId,omitempty"`
	CaseManagerArea string   `json:"caseManagerArea,omitempty"`
	Leads           []string `json:"leads,omitempty"`
}

// Directory finds staff by email address.
type Directory interface {
	Staff(ctx context.Context, email string) (Staff, error)
}

// Principal is a signed-in person with what their role covers.
type Principal struct {
	Identity
	Staff
}

// Resolve looks up what a case manager's or area lead's role covers. A
// role the records do not back (no case manager with that email, no area
// led) covers nothing.
func Resolve(ctx context.Context, id Identity, dir Directory) (Principal, error) {
	p := Principal{Identity: id}
	if id.Email == "" || !(id.Has(CaseManager) || id.Has(AreaLead)) {
		return p, nil
	}
	s, err := dir.Staff(ctx, id.Email)
	if err != nil {
		return p, fmt.Errorf("resolve staff: %w", err)
	}
	if id.Has(CaseManager) {
		p.CaseManagerID, p.CaseManagerArea = s.CaseManagerID, s.CaseManagerArea
	}
	if id.Has(AreaLead) {
		p.Leads = s.Leads
	}
	return p, nil
}

// MayRefer: officers make referrals.
func (p Principal) MayRefer() bool { return p.Has(Officer) }

// Made reports whether this officer made the referral.
func (p Principal) Made(rec referral.Record) bool {
	return p.Has(Officer) && rec.SubmittedBy != nil && rec.SubmittedBy.Subject == p.Subject
}

// LeadsArea reports whether p leads the area.
func (p Principal) LeadsArea(area string) bool {
	return p.Has(AreaLead) && slices.Contains(p.Leads, area)
}

// Holds reports whether the referral's case is allocated to p.
func (p Principal) Holds(rec referral.Record) bool {
	return p.Has(CaseManager) && p.CaseManagerID != "" && rec.CaseManager != nil && rec.CaseManager.ID == p.CaseManagerID
}

// IsColleague reports whether p is a case manager of the referral's area
// other than the one holding it: told why they cannot act on the case
// rather than that it does not exist.
func (p Principal) IsColleague(rec referral.Record) bool {
	return p.Has(CaseManager) && p.CaseManagerID != "" && p.CaseManagerArea == rec.Referral.Area && !p.Holds(rec)
}

// MaySee: the officer who made a referral, the case manager holding it
// and the leads of its area.
func (p Principal) MaySee(rec referral.Record) bool {
	return p.Made(rec) || p.Holds(rec) || p.LeadsArea(rec.Referral.Area)
}

// MaySeeLinked: a referral linked to an open one (rec.LinkedTo is
// open's reference) is seen, with its staff notes, by those who work on
// the open one, the case manager holding it and its area's leads, as well
// as by those MaySee lets see it: the new information is theirs to use.
func (p Principal) MaySeeLinked(rec, open referral.Record) bool {
	return rec.LinkedTo != "" && rec.LinkedTo == open.Reference && (p.Holds(open) || p.LeadsArea(open.Referral.Area))
}

// MaySeeStaffNotes: staff's notes on a referral's history (a lead's
// reason for a reallocation) are for the case manager holding it and the
// leads of its area, not for the officer who made it (issue 11).
func (p Principal) MaySeeStaffNotes(rec referral.Record) bool {
	return p.Holds(rec) || p.LeadsArea(rec.Referral.Area)
}

// MaySeeCasesOf: a case manager their own; a lead their area's managers'.
func (p Principal) MaySeeCasesOf(caseManagerID, area string) bool {
	return (p.Has(CaseManager) && p.CaseManagerID != "" && p.CaseManagerID == caseManagerID) || p.LeadsArea(area)
}

// MayManageAreas: admins create and change areas.
func (p Principal) MayManageAreas() bool { return p.Has(Admin) }

// MayReadArea: admins, and the area's leads.
func (p Principal) MayReadArea(area string) bool { return p.Has(Admin) || p.LeadsArea(area) }

// MayManageCaseManagers: admins any area's, leads their own area's.
func (p Principal) MayManageCaseManagers(area string) bool { return p.Has(Admin) || p.LeadsArea(area) }

// MayReadReport: the area's leads.
func (p Principal) MayReadReport(area string) bool { return p.LeadsArea(area) }

// MaySeeDetails: a referral's personal details (the case page, and GET
// /cases/{id}) are for the case manager holding it and the leads of its
// area (issue 14); the officer who made it sees its progress only.
func (p Principal) MaySeeDetails(rec referral.Record) bool {
	return p.Holds(rec) || p.LeadsArea(rec.Referral.Area)
}
