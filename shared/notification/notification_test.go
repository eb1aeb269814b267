package notification_test

import (
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

func record() referral.Record {
	return referral.Record{
		Reference: "DRV-7K4M-Q9TX",
		Referral: referral.Referral{
			Referrer:    referral.Referrer{Name: "PC Sam Taylor", Email: "sam@essex.police.example"},
			Perpetrator: referral.Perpetrator{FirstName: "John", LastName: "Doe", DateOfBirth: "1984-03-02", Postcode: "CO1 1AA"},
			Victims:     []referral.Victim{{FirstName: "Jane", LastName: "Roe"}},
		},
		Decision:    &referral.Decision{Outcomes: []referral.Outcome{{Rule: "r1", Passed: true, Reason: "passed rule"}, {Rule: "r2", Reason: "DASH score 9 is below this area's threshold of 14"}}},
		CaseManager: &referral.Assignee{ID: "cm1", Name: "Alex Morgan"},
	}
}

func TestEmailsCarryNoPersonalDetails(t *testing.T) {
	rec := record()
	link := "https://drive.example/referrals/" + rec.Reference
	emails := map[string]notification.Email{
		"case manager": notification.ToCaseManager("alex@drive.example", rec.Reference, link),
		"reallocated":  notification.ToPreviousCaseManager("alex@drive.example", rec.Reference),
		"allocated":    notification.ToReferrer(rec, referral.StatusAllocated, link),
		"waitlisted":   notification.ToReferrer(rec, referral.StatusWaitlisted, link),
		"ineligible":   notification.ToReferrer(rec, referral.StatusIneligible, link),
	}
	for name, e := range emails {
		t.Run(name, func(t *testing.T) {
			text := e.Subject + "\n" + e.Body
			if !strings.Contains(e.Subject, rec.Reference) || (name != "reallocated" && !strings.Contains(e.Body, link)) {
				t.Errorf("got %q, want the reference in the subject and the link in the body", text)
			}
			for _, pii := range []string{"John", "Doe", "Jane", "Roe", "1984", "CO1"} {
				if strings.Contains(text, pii) {
					t.Errorf("email contains %q:\n%s", pii, text)
				}
			}
		})
	}
	if body := emails["ineligible"].Body; !strings.Contains(body, "DASH score 9 is below") || strings.Contains(body, "passed rule") {
		t.Errorf("ineligible email should list the failed reasons only, got:\n%s", body)
	}
	if to := emails["allocated"].To; to != rec.Referral.Referrer.Email {
		t.Errorf("outcome goes to %q, want the referrer %q", to, rec.Referral.Referrer.Email)
	}
}

func TestEventValidate(t *testing.T) {
	tests := []struct {
		ev map[string]string
		ok bool
	}{
		{map[string]string{"kind": "outcome", "ref": "DRV-7K4M-Q9TX"}, true},
		{map[string]string{"kind": "allocated", "ref": "DRV-7K4M-Q9TX", "cm": "cm1"}, true},
		{map[string]string{"kind": "allocated", "ref": "DRV-7K4M-Q9TX"}, false},
		{map[string]string{"kind": "reallocated", "ref": "DRV-7K4M-Q9TX", "cm": "cm1"}, true},
		{map[string]string{"kind": "reallocated", "ref": "DRV-7K4M-Q9TX"}, false},
		{map[string]string{"kind": "party", "ref": "DRV-7K4M-Q9TX"}, false},
		{map[string]string{"kind": "outcome", "ref": "nope"}, false},
	}
	for _, tt := range tests {
		ev := notification.Event{Kind: notification.Kind(tt.ev["kind"]), Reference: tt.ev["ref"], CaseManagerID: tt.ev["cm"]}
		if err := ev.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: got %v, want ok=%v", ev, err, tt.ok)
		}
	}
}

func TestEventIDTellsAllocationsApart(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	first := notification.Event{Kind: notification.KindAllocated, Reference: "DRV-7K4M-Q9TX", Status: referral.StatusAllocated, CaseManagerID: "cm1", Since: t0}
	again := first
	again.Since = t0.Add(time.Hour) // reallocated away and back
	if first.ID() == again.ID() {
		t.Errorf("two allocations to the same manager share the id %q: the second would never be sent", first.ID())
	}
}
