package referral_test

import (
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

// TestFirstOpen: a new referral is linked to the earliest open referral
// of its perpetrator, ties broken by reference, whatever order they are
// read in; none when every one has ended or is itself linked.
func TestFirstOpen(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	s := func(ref string, status referral.Status, at time.Duration) referral.Summary {
		return referral.Summary{Reference: ref, Status: status, ReceivedAt: t0.Add(at)}
	}
	tests := []struct {
		name       string
		candidates []referral.Summary
		want       string // "" for none
	}{
		{"none", nil, ""},
		{"one received", []referral.Summary{s("DRV-BBBB-BBBB", referral.StatusReceived, 0)}, "DRV-BBBB-BBBB"},
		{"the earlier of two received at once", []referral.Summary{s("DRV-CCCC-CCCC", referral.StatusReceived, time.Millisecond), s("DRV-BBBB-BBBB", referral.StatusReceived, 0)}, "DRV-BBBB-BBBB"},
		{"the same moment: the lower reference", []referral.Summary{s("DRV-CCCC-CCCC", referral.StatusReceived, 0), s("DRV-BBBB-BBBB", referral.StatusReceived, 0)}, "DRV-BBBB-BBBB"},
		{"the same moment, read the other way", []referral.Summary{s("DRV-BBBB-BBBB", referral.StatusReceived, 0), s("DRV-CCCC-CCCC", referral.StatusReceived, 0)}, "DRV-BBBB-BBBB"},
		{"an earlier one ended", []referral.Summary{s("DRV-BBBB-BBBB", referral.StatusClosed, 0), s("DRV-CCCC-CCCC", referral.StatusAllocated, time.Hour)}, "DRV-CCCC-CCCC"},
		{"linked ones are never open", []referral.Summary{s("DRV-BBBB-BBBB", referral.StatusLinked, 0), s("DRV-CCCC-CCCC", referral.StatusWaitlisted, time.Hour)}, "DRV-CCCC-CCCC"},
		{"all ended", []referral.Summary{s("DRV-BBBB-BBBB", referral.StatusIneligible, 0), s("DRV-CCCC-CCCC", referral.StatusWithdrawn, time.Hour), s("DRV-DDDD-DDDD", referral.StatusLinked, 2*time.Hour)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := referral.FirstOpen(tt.candidates)
			if got.Reference != tt.want || ok != (tt.want != "") {
				t.Errorf("got %q %v, want %q", got.Reference, ok, tt.want)
			}
		})
	}
}

// TestClaimKeys: one key for the names and date of birth however typed,
// one more for a PNC ID however written; no personal data in clear.
func TestClaimKeys(t *testing.T) {
	r := func(first, last, pnc string) referral.Referral {
		return referral.Referral{Perpetrator: referral.Perpetrator{FirstName: first, LastName: last, DateOfBirth: "1979-06-15", PNCID: pnc}}
	}
	a, err := r("Seán", "O'Brien", "").ClaimKeys()
	if err != nil || len(a) != 1 {
		t.Fatalf("got %v %v, want one key", a, err)
	}
	b, _ := r("SEAN", "OBRIEN", "2004/0012345D").ClaimKeys()
	if len(b) != 2 || b[0] != a[0] {
		t.Errorf("got %v, want %s and a PNC ID key", b, a[0])
	}
	c, _ := r("Mark", "Smith", "2004/0012345D").ClaimKeys()
	if len(c) != 2 || c[0] == a[0] || c[1] != b[1] {
		t.Errorf("got %v, want another person's key and the same PNC ID key %s", c, b[1])
	}
	for _, k := range append(b, c...) {
		for _, clear := range []string{"sean", "obrien", "1979", "0012345", "smith"} {
			if strings.Contains(strings.ToLower(k), clear) {
				t.Errorf("key %q holds %q", k, clear)
			}
		}
	}
	if _, err := (referral.Referral{}).ClaimKeys(); err == nil {
		t.Error("no perpetrator: got keys, want an error")
	}
}
