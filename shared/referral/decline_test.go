package referral_test

import (
	"testing"

	"github.com/driveprogramme/referrals/shared/referral"
)

func TestDecline(t *testing.T) {
	tests := []struct {
		name       string
		e          referral.Ending
		wantFields []string
		wantReason string
	}{
		{"a known reason", referral.Ending{Reason: "knows-the-family"}, nil, "Declined by Tom Hughes: knows the family"},
		{"other with a note", referral.Ending{Reason: "other", Note: "Moving area"}, nil, "Declined by Tom Hughes: another reason"},
		{"other without a note", referral.Ending{Reason: "other"}, []string{"note"}, ""},
		{"no reason", referral.Ending{}, []string{"reason"}, ""},
		{"a reason of its own words", referral.Ending{Reason: "I am on holiday"}, []string{"reason"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range tt.e.ValidateDecline() {
				got = append(got, e.Field)
			}
			if len(got) != len(tt.wantFields) || (len(got) > 0 && got[0] != tt.wantFields[0]) {
				t.Errorf("got errors on %v, want on %v", got, tt.wantFields)
			}
			if tt.wantReason == "" {
				return
			}
			if reason, _ := referral.EndingWords(referral.ActionDecline, "Tom Hughes", tt.e); reason != tt.wantReason {
				t.Errorf("got history %q, want %q", reason, tt.wantReason)
			}
		})
	}
	for from, want := range map[referral.Status]bool{referral.StatusAllocated: true, referral.StatusAccepted: false, referral.StatusEligible: false} {
		to, err := referral.Next(referral.ActionDecline, from)
		if (err == nil) != want || (want && to != referral.StatusEligible) {
			t.Errorf("decline from %s: got %s %v, want allowed %v, to eligible", from, to, err, want)
		}
	}
}
