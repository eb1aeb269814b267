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

func TestMonthly(t *testing.T) {
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	refs := []report.Referral{
		{Reference: "a", ReceivedAt: at(2026, 1, 5), AllocatedAt: at(2026, 1, 6)},
		{Reference: "b", ReceivedAt: at(2026, 1, 31), AllocatedAt: at(2026, 2, 3)},
		{Reference: "c", ReceivedAt: at(2026, 3, 1)},
		{Reference: "d", ReceivedAt: at(2025, 12, 31)}, // before the range
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, referral.London)
	to := time.Date(2026, 4, 1, 0, 0, 0, 0, referral.London)
	got := report.Monthly(refs, from, to)
	if len(got) != 3 {
		t.Fatalf("got %d months, want 3 (January to March)", len(got))
	}
	for i, want := range []struct {
		received, allocated int
		median              int64
	}{{2, 2, 86400}, {0, 0, 0}, {1, 0, 0}} {
		m := got[i]
		if m.Received != want.received || m.TimeToAllocation.Count != want.allocated {
			t.Errorf("%s: got %d received, %d allocated; want %d, %d", m.Start.Format("January"), m.Received, m.TimeToAllocation.Count, want.received, want.allocated)
		}
		if want.allocated > 0 && *m.TimeToAllocation.MedianSeconds != want.median {
			t.Errorf("%s: got median %d s, want %d", m.Start.Format("January"), *m.TimeToAllocation.MedianSeconds, want.median)
		}
	}
	if report.Monthly(refs, to, from) != nil {
		t.Errorf("got months for a range that ends before it starts, want none")
	}
}

func TestWaitlistOf(t *testing.T) {
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	queue := []allocation.Arrival{
		{Reference: "a", Status: referral.StatusEligible, EligibleAt: now.Add(-100 * time.Hour)}, // being allocated, not waiting
		{Reference: "b", Status: referral.StatusWaitlisted, EligibleAt: now.Add(-3 * time.Hour)},
		{Reference: "c", Status: referral.StatusWaitlisted, EligibleAt: now.Add(-1 * time.Hour)},
	}
	w := report.WaitlistOf(queue, now)
	if w.Length != 2 || w.OldestWaitSeconds == nil || *w.OldestWaitSeconds != 3*3600 {
		t.Errorf("got %+v, want 2 waiting, the oldest for 3 hours", w)
	}
	if w := report.WaitlistOf(nil, now); w.Length != 0 || w.OldestWaitSeconds != nil {
		t.Errorf("got %+v for no queue, want 0 and no wait", w)
	}
}

func TestSafeCell(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+cmd", "'+cmd"}, {"-2", "'-2"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"\rx", "'\rx"},
		{"DRV-7K4M-Q9TX", "DRV-7K4M-Q9TX"}, {"2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"}, {"", ""}, {"a=b", "a=b"},
	} {
		if got := report.SafeCell(tt.in); got != tt.want {
			t.Errorf("SafeCell(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
