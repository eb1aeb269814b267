package main

import (
	"math"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/infra/local"
)

func TestPercentileIsTheNearestRank(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6} // 1..10, unsorted
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {0, 1}, {10, 1}, {11, 2}} {
		if got := percentile(ds, tc.p); got != tc.want {
			t.Errorf("percentile(1..10, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile(none) = %v, want 0", got)
	}
}

func TestPerReferralSharesTheUsage(t *testing.T) {
	u := local.Usage{WriteUnits: 40, ReadUnits: 20, SQSRequests: 10, SESEmails: 8, APIRequests: 2, LogBytes: 2 << 30,
		Invocations: map[string]int{"A": 4, "B": 2}, Duration: map[string]time.Duration{"A": 8 * time.Second, "B": 2 * time.Second}}
	lines := perReferral(London, u, 2, map[string]int{"A": 256, "B": 1024})
	want := map[string]float64{
		"DynamoDB write request units": 20, "DynamoDB read request units": 10, "SES emails": 4, "HTTP API requests": 1,
		"Lambda requests": 3, "Lambda duration (arm64)": (8*0.25 + 2*1) / 2.0, "CloudWatch Logs ingested": 1,
	}
	for _, l := range lines {
		if w, ok := want[l.What]; ok && math.Abs(l.Quantity-w) > 1e-9 {
			t.Errorf("%s: %v per referral, want %v", l.What, l.Quantity, w)
		}
		delete(want, l.What)
	}
	if len(want) > 0 {
		t.Errorf("no line for %v", want)
	}
}
