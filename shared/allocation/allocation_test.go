package allocation_test

import (
	"slices"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
)

func TestCandidates(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		managers []allocation.CaseManager
		want     []string
	}{
		{"most free first", []allocation.CaseManager{
			{ID: "a", Capacity: 10, Caseload: 8, Active: true},
			{ID: "b", Capacity: 10, Caseload: 2, Active: true},
			{ID: "c", Capacity: 5, Caseload: 0, Active: true},
		}, []string{"b", "c", "a"}},
		{"full and inactive left out", []allocation.CaseManager{
			{ID: "a", Capacity: 3, Caseload: 3, Active: true},
			{ID: "b", Capacity: 10, Caseload: 0, Active: false},
			{ID: "c", Capacity: 2, Caseload: 5, Active: true},
		}, nil},
		{"ties to least recently allocated", []allocation.CaseManager{
			{ID: "a", Capacity: 4, Caseload: 1, Active: true, LastAllocatedAt: t0.Add(time.Hour)},
			{ID: "b", Capacity: 4, Caseload: 1, Active: true, LastAllocatedAt: t0},
		}, []string{"b", "a"}},
		{"full tie broken by id", []allocation.CaseManager{
			{ID: "z", Capacity: 4, Active: true}, {ID: "m", Capacity: 4, Active: true},
		}, []string{"m", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range allocation.Candidates(tt.managers) {
				got = append(got, m.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
