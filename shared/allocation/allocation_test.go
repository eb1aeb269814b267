package allocation_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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

// TestCheckCapacity: a capacity may not fall below the caseload held (the
// rule "never exceed capacity"); the refusal says how many cases are held.
func TestCheckCapacity(t *testing.T) {
	tests := []struct {
		name               string
		caseload, capacity int
		refused            bool
	}{
		{"raised", 2, 5, false},
		{"lowered to the caseload", 2, 2, false},
		{"none held, none allowed", 0, 0, false},
		{"lowered below the caseload", 2, 1, true},
		{"to zero while holding one", 1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := allocation.CheckCapacity(tt.caseload, tt.capacity)
			if got := errors.Is(err, allocation.ErrBelowCaseload); got != tt.refused {
				t.Fatalf("got %v, want refused %v", err, tt.refused)
			}
			if !tt.refused {
				return
			}
			var below *allocation.BelowCaseloadError
			if !errors.As(err, &below) || below.Caseload != tt.caseload || below.Capacity != tt.capacity {
				t.Fatalf("got %#v, want caseload %d and capacity %d", err, tt.caseload, tt.capacity)
			}
			fe := below.FieldError("Sam Okafor")
			want := fmt.Sprintf("Capacity must be at least %d, the number of cases Sam Okafor holds now", tt.caseload)
			if fe.Field != "capacity" || !strings.HasPrefix(fe.Message, want) || !strings.Contains(fe.Message, "inactive") {
				t.Errorf("got %+v, want the capacity field starting %q", fe, want)
			}
		})
	}
}
