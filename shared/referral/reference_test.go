package referral_test

import (
	"testing"

	"github.com/driveprogramme/referrals/shared/referral"
)

func TestNewReferenceRoundTrips(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		ref, err := referral.NewReference()
		if err != nil {
			t.Fatal(err)
		}
		if len(ref) != len("DRV-XXXX-XXXX") {
			t.Fatalf("got %q, want the form DRV-XXXX-XXXX", ref)
		}
		if got, ok := referral.ParseReference(ref); !ok || got != ref {
			t.Fatalf("ParseReference(%q) = %q, %v", ref, got, ok)
		}
		if seen[ref] {
			t.Fatalf("reference %s drawn twice in 1000", ref)
		}
		seen[ref] = true
	}
}

func TestParseReference(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"drv-7k4m-q9tx", "DRV-7K4M-Q9TX", true},
		{" 7K4M Q9TX ", "DRV-7K4M-Q9TX", true},
		{"DRV-7K4M-Q9T0", "", false}, // 0 is not in the alphabet
		{"DRV-7K4M", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := referral.ParseReference(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseReference(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
