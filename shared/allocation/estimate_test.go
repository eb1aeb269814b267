package allocation_test

import (
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
)

const day = 24 * time.Hour

func TestEstimateWait(t *testing.T) {
	tests := []struct {
		name     string
		position int
		pace     allocation.Pace
		want     allocation.Estimate
		words    string
	}{
		{"no history", 0, allocation.Pace{}, allocation.Estimate{Kind: allocation.NoHistory}, "Not known: the area has no cases yet to learn from"},
		{"zero rate", 0, allocation.Pace{Observed: 90 * day}, allocation.Estimate{Kind: allocation.NoClosures}, "Not known until a case closes"},
		{"capacity free now", 0, allocation.Pace{Free: 1}, allocation.Estimate{Kind: allocation.PlaceFree}, "A place is free now"},
		{"free now for the first two, not the third", 2, allocation.Pace{Free: 2, Closures: 9, Observed: 90 * day},
			allocation.Estimate{Kind: allocation.After, Wait: 10 * day}, "About 10 days"},
		{"first in line, a closure every 10 days", 0, allocation.Pace{Closures: 9, Observed: 90 * day},
			allocation.Estimate{Kind: allocation.After, Wait: 10 * day}, "About 10 days"},
		{"third in line waits for three closures", 2, allocation.Pace{Closures: 9, Observed: 90 * day},
			allocation.Estimate{Kind: allocation.After, Wait: 30 * day}, "About 4 weeks"},
		{"a young area's shorter history", 1, allocation.Pace{Closures: 2, Observed: 10 * day},
			allocation.Estimate{Kind: allocation.After, Wait: 10 * day}, "About 10 days"},
		{"free places do not help a zero rate further back", 3, allocation.Pace{Free: 1, Observed: 90 * day},
			allocation.Estimate{Kind: allocation.NoClosures}, "Not known until a case closes"},
		{"slow area", 5, allocation.Pace{Closures: 1, Observed: 90 * day},
			allocation.Estimate{Kind: allocation.After, Wait: 540 * day}, "About 18 months"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allocation.EstimateWait(tt.position, tt.pace)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if w := got.Words(); w != tt.words {
				t.Errorf("got words %q, want %q", w, tt.words)
			}
		})
	}
}

func TestPaceOf(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	managers := []allocation.CaseManager{
		{ID: "a", Active: true, Capacity: 3, Caseload: 1},
		{ID: "b", Active: false, Capacity: 5},             // on leave: no room counted
		{ID: "c", Active: true, Capacity: 2, Caseload: 4}, // over: no room, not negative
	}
	tests := []struct {
		name  string
		cases []allocation.Held
		want  allocation.Pace
	}{
		{"no cases: no history", nil, allocation.Pace{Free: 2}},
		{"closures in the window only", []allocation.Held{
			{AllocatedAt: now.Add(-400 * day), EndedAt: now.Add(-200 * day)}, // before the window
			{AllocatedAt: now.Add(-300 * day), EndedAt: now.Add(-30 * day)},
			{AllocatedAt: now.Add(-100 * day), EndedAt: now.Add(-day)},
			{AllocatedAt: now.Add(-50 * day)}, // open
		}, allocation.Pace{Closures: 2, Observed: allocation.PaceWindow, Free: 2}},
		{"a young area counts since its first allocation", []allocation.Held{
			{AllocatedAt: now.Add(-20 * day), EndedAt: now.Add(-5 * day)},
			{AllocatedAt: now.Add(-10 * day)},
		}, allocation.Pace{Closures: 1, Observed: 20 * day, Free: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allocation.PaceOf(tt.cases, managers, now); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestChanges(t *testing.T) {
	old := allocation.CaseManager{ID: "essex-alex", Name: "Alex Morgan", Email: "alex@drive.example", Capacity: 3, Active: true}
	leave := old
	leave.Active, leave.ReturnsOn = false, "2027-03-02"
	raised := old
	raised.Capacity = 5
	tests := []struct {
		name string
		old  *allocation.CaseManager
		m    allocation.CaseManager
		want []string
	}{
		{"added", nil, old, []string{"added:→3 cases, Takes cases"}},
		{"nothing", &old, old, nil},
		{"capacity", &old, raised, []string{"capacity:3→5"}},
		{"leave", &old, leave, []string{"active:Takes cases→On leave until 2 March 2027"}},
		{"back", &leave, allocation.Back(leave), []string{"active:On leave until 2 March 2027→Takes cases"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range allocation.Changes(tt.old, tt.m) {
				if c.CaseManagerID != "essex-alex" || c.CaseManagerName != "Alex Morgan" {
					t.Errorf("got change of %s (%s), want essex-alex (Alex Morgan)", c.CaseManagerID, c.CaseManagerName)
				}
				got = append(got, c.What+":"+c.From+"→"+c.To)
			}
			if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDueBack(t *testing.T) {
	// 00:30 on 2 March UK time (BST not yet: GMT) is 2 March.
	now := time.Date(2027, 3, 2, 0, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		m    allocation.CaseManager
		want bool
	}{
		{"back today", allocation.CaseManager{ReturnsOn: "2027-03-02"}, true},
		{"back yesterday (a run missed)", allocation.CaseManager{ReturnsOn: "2027-03-01"}, true},
		{"back tomorrow", allocation.CaseManager{ReturnsOn: "2027-03-03"}, false},
		{"inactive with no date", allocation.CaseManager{}, false},
		{"already active", allocation.CaseManager{Active: true, ReturnsOn: "2027-03-01"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allocation.DueBack(tt.m, now); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
