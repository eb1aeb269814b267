package referral_test

import (
	"strings"
	"testing"
)

// TestPostcodes: the postcodes of the UK, the Channel Islands and the Isle
// of Man, and the BFPO numbers of forces addresses, however typed; the
// message says what the field takes.
func TestPostcodes(t *testing.T) {
	tests := []struct {
		typed, want string // want "" for refused
	}{
		{"co11aa", "CO1 1AA"},
		{" sw1a  2aa ", "SW1A 2AA"},
		{"CF10 1EP", "CF10 1EP"},
		{"je2 3ab", "JE2 3AB"},
		{"GY1 1AA", "GY1 1AA"},
		{"im1 1aa", "IM1 1AA"},
		{"BF1 2AU", "BF1 2AU"},
		{"BFPO 1234", "BFPO 1234"},
		{"bfpo1234", "BFPO 1234"},
		{"BFPO  57", "BFPO 57"},
		{"bfpo 1", "BFPO 1"},
		{"BFPO", ""},
		{"BFPO 12345", ""},
		{"BFPO ABC", ""},
		{"12345", ""},
		{"nowhere", ""},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			r := example(t)
			r.Perpetrator.Postcode, r.Victims[0].Postcode = tt.typed, tt.typed
			r.Normalise()
			errs := r.Validate(today)
			if tt.want != "" && (errs != nil || r.Perpetrator.Postcode != tt.want || r.Victims[0].Postcode != tt.want) {
				t.Errorf("got %q, %v; want %q", r.Perpetrator.Postcode, errs, tt.want)
			}
			if tt.want == "" && (len(errs) != 2 || !strings.Contains(errs[0].Message, "like BFPO 1234") || !strings.HasSuffix(errs[1].Message, "or leave it blank")) {
				t.Errorf("got %v, want both postcodes refused, saying a postcode or a BFPO number", errs)
			}
		})
	}
}
