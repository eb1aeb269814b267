package httpapi_test

import (
	"testing"

	"github.com/driveprogramme/referrals/shared/httpapi"
)

func TestID(t *testing.T) {
	for typed, want := range map[string]string{
		"essex": "essex", "Essex": "essex", " ESSEX ": "essex", "West Sussex": "west-sussex", "west  sussex": "west-sussex",
		"essex-cm1": "essex-cm1", "Essex-CM1": "essex-cm1", "": "", "   ": "", "\t": "",
	} {
		if got := httpapi.ID(typed); got != want {
			t.Errorf("%q: got %q, want %q", typed, got, want)
		}
	}
}
