package eligibility_test

import (
	"testing"

	"github.com/driveprogramme/referrals/shared/eligibility"
)

func BenchmarkDecide(b *testing.B) {
	r := base()
	area := &eligibility.Area{ID: "essex", Name: "Essex", Rules: eligibility.DefaultRules}
	b.ReportAllocs()
	for b.Loop() {
		_ = eligibility.Decide(r, area, nil, at)
	}
}
