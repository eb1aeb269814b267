package allocation_test

import (
	"slices"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/referral"
)

func TestInOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 13, 11, 11, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name string
		a, b allocation.Arrival
		want int
	}{
		{"eligible first comes first, though received later",
			allocation.Arrival{Reference: "B", EligibleAt: at(0), ReceivedAt: at(-5)},
			allocation.Arrival{Reference: "A", EligibleAt: at(20), ReceivedAt: at(-60)}, -1},
		{"eligible at once: received first comes first",
			allocation.Arrival{Reference: "B", EligibleAt: at(0), ReceivedAt: at(-5)},
			allocation.Arrival{Reference: "A", EligibleAt: at(0), ReceivedAt: at(-6)}, 1},
		{"same times: by reference",
			allocation.Arrival{Reference: "A", EligibleAt: at(0), ReceivedAt: at(0)},
			allocation.Arrival{Reference: "B", EligibleAt: at(0), ReceivedAt: at(0)}, -1},
		{"itself", allocation.Arrival{Reference: "A", EligibleAt: at(0)}, allocation.Arrival{Reference: "A", EligibleAt: at(0)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allocation.InOrder(tt.a, tt.b); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
			if got := allocation.InOrder(tt.b, tt.a); got != -tt.want {
				t.Errorf("swapped: got %d, want %d", got, -tt.want)
			}
		})
	}
	// The burst of issue 12: seven referrals of one area, decided in the
	// order they arrived, sort into that order whatever order they are read.
	var burst []allocation.Arrival
	for i, ref := range []string{"R5", "R7", "R1", "R6", "R3", "R2", "R4"} {
		n := int(ref[1] - '0')
		burst = append(burst, allocation.Arrival{Reference: ref, EligibleAt: at(n), ReceivedAt: at(n - 1 - i%2)})
	}
	slices.SortFunc(burst, allocation.InOrder)
	var got []string
	for _, a := range burst {
		got = append(got, a.Reference)
	}
	if want := []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestArrivalOf(t *testing.T) {
	received := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	decided := received.Add(time.Minute)
	tests := []struct {
		name string
		rec  referral.Record
		want time.Time
	}{
		{"decided: eligible when decided", referral.Record{ReceivedAt: received, Decision: &referral.Decision{Eligible: true, DecidedAt: decided}}, decided},
		{"no decision: when received", referral.Record{ReceivedAt: received}, received},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allocation.ArrivalOf(tt.rec).EligibleAt; !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
