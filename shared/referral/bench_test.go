package referral_test

import (
	"os"
	"testing"

	"github.com/driveprogramme/referrals/shared/phone"
	"github.com/driveprogramme/referrals/shared/referral"
)

// BenchmarkParseValidate is intake's CPU work per referral, the phone
// numbers' parsing included.
func BenchmarkParseValidate(b *testing.B) {
	body, err := os.ReadFile("testdata/referral.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := referral.Parse(body)
		if err != nil {
			b.Fatal(err)
		}
		r.Normalise()
		r.NormalisePhones(phone.Parse)
		if errs := r.Validate(today); errs != nil {
			b.Fatal(errs)
		}
	}
}
