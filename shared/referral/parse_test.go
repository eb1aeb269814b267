package referral_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/driveprogramme/referrals/shared/referral"
)

// TestParseIsStrict: a referral's body is decoded as every route's is
// (strictjson): keys in their exact case, each once, one object.
func TestParseIsStrict(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		malformed bool
		fields    []string
	}{
		{"key in another letter case", `{"Area": "essex"}`, false, []string{"Area"}},
		{"nested key in another letter case", `{"perpetrator": {"FirstName": "J"}}`, false, []string{"perpetrator.FirstName"}},
		{"key given twice", `{"area": "essex", "area": "kent"}`, false, []string{"area"}},
		{"nested key given twice", `{"victims": [{"firstName": "A", "firstName": "B"}]}`, false, []string{"victims[0].firstName"}},
		{"a list, not an object", `[]`, true, nil},
		{"null, not an object", `null`, true, nil},
		{"empty", ``, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := referral.Parse([]byte(tt.body))
			if got := errors.Is(err, referral.ErrMalformed); got != tt.malformed {
				t.Fatalf("got malformed %v (%v), want %v", got, err, tt.malformed)
			}
			var fe referral.FieldErrors
			errors.As(err, &fe)
			var got []string
			for _, e := range fe {
				got = append(got, e.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("got fields %v (%v), want %v", got, err, tt.fields)
			}
		})
	}
}
