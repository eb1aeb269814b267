package report_test

import (
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/report"
)

func TestSummarise(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	now := t0.Add(48 * time.Hour)
	allocatedAfter := func(ref string, minutes int) report.Referral {
		return report.Referral{Reference: ref, Status: referral.StatusAllocated, ReceivedAt: t0, AllocatedAt: t0.Add(time.Duration(minutes) * time.Minute)}
	}
	refs := []report.Referral{
		allocatedAfter("a", 1), allocatedAfter("b", 2), allocatedAfter("c", 3), allocatedAfter("d", 4), allocatedAfter("e", 10),
		{Reference: "f", Status: referral.StatusIneligible, ReceivedAt: t0},
		{Reference: "g", Status: referral.StatusWaitlisted, ReceivedAt: t0.Add(time.Hour), WaitingFrom: t0.Add(time.Hour)},
		{Reference: "h", Status: referral.StatusWaitlisted, ReceivedAt: t0.Add(2 * time.Hour), WaitingFrom: t0.Add(2 * time.Hour)},
		{Reference: "i", Status: referral.StatusReceived, ReceivedAt: now},
		{Reference: "j", Status: referral.StatusClosed, ReceivedAt: t0, AllocatedAt: t0.Add(5 * time.Minute)},
		{Reference: "k", Status: referral.StatusLinked, ReceivedAt: t0}, // passed to j's team, not decided
	}
	managers := []allocation.CaseManager{{ID: "m1", Capacity: 8, Caseload: 6, Active: true}, {ID: "m2", Capacity: 0, Active: false}}
	s := report.Summarise("essex", refs, managers, now)

	if s.Referrals != 11 || s.ByStatus[referral.StatusLinked] != 1 || s.ByStatus[referral.StatusAllocated] != 5 || s.ByStatus[referral.StatusWaitlisted] != 2 {
		t.Errorf("got %d referrals by status %v", s.Referrals, s.ByStatus)
	}
	// 9 decided (i and the linked k are not), 1 ineligible.
	if s.EligibilityRate == nil || *s.EligibilityRate != 0.889 {
		t.Errorf("got eligibility rate %v, want 0.889 (8 of 9 decided)", s.EligibilityRate)
	}
	// Allocation times 1,2,3,4,5,10 minutes: median (rank 3) 3 min, p90 (rank 6) 10 min.
	if s.TimeToAllocation.Count != 6 || *s.TimeToAllocation.MedianSeconds != 180 || *s.TimeToAllocation.P90Seconds != 600 {
		t.Errorf("got %+v, want 6, median 180 s, p90 600 s", s.TimeToAllocation)
	}
	if s.Waitlist.Length != 2 || *s.Waitlist.OldestWaitSeconds != int64(47*time.Hour/time.Second) {
		t.Errorf("got waitlist %+v, want 2 waiting, the oldest for 47 hours", s.Waitlist)
	}
	if *s.CaseManagers[0].PercentOfCapacity != 75 || s.CaseManagers[1].PercentOfCapacity != nil {
		t.Errorf("got %+v, want 75%% and none for a capacity of 0", s.CaseManagers)
	}
}

func TestSummariseEmptyArea(t *testing.T) {
	s := report.Summarise("kent", nil, nil, time.Now())
	if s.EligibilityRate != nil || s.TimeToAllocation.MedianSeconds != nil || s.Waitlist.OldestWaitSeconds != nil || s.CaseManagers == nil {
		t.Errorf("got %+v, want nulls where nothing was measured and an empty list of managers", s)
	}
}
