package dynamo

import (
	"slices"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

// TestSubmitterKeysSortNewestLast: a referral made by a signed-in officer
// is keyed by their subject, and its sort key orders by received time
// (then reference) as strings, so that a Query reads newest first; one
// without a subject has no keys (it is in no officer's list).
func TestSubmitterKeysSortNewestLast(t *testing.T) {
	by := &referral.Submitter{Subject: "officer-1"}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.FixedZone("BST", 3600))
	got := SubmitterKeys(referral.Record{Reference: "DRV-7K4M-Q9TX", ReceivedAt: at, SubmittedBy: by})
	want := []string{"GSI3PK", "SUB#officer-1", "GSI3SK", "2026-03-01T08:00:00.000000000Z#DRV-7K4M-Q9TX"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	later := SubmitterKeys(referral.Record{Reference: "DRV-2222-2222", ReceivedAt: at.Add(time.Millisecond), SubmittedBy: by})
	if later[3] <= got[3] {
		t.Errorf("a referral a millisecond later: got sort key %q, not after %q", later[3], got[3])
	}
	for _, rec := range []referral.Record{{Reference: "DRV-7K4M-Q9TX"}, {Reference: "DRV-7K4M-Q9TX", SubmittedBy: &referral.Submitter{Name: "PC Sam Taylor"}}} {
		if got := SubmitterKeys(rec); got != nil {
			t.Errorf("%+v: got keys %q, want none", rec.SubmittedBy, got)
		}
	}
}
