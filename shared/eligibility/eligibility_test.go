package eligibility_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/privacytest"
	"github.com/driveprogramme/referrals/shared/referral"
)

var at = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func base() referral.Referral {
	return referral.Referral{
		Area: "essex", Route: referral.RoutePolice,
		Perpetrator: referral.Perpetrator{FirstName: "John", LastName: "Doe", DateOfBirth: "1984-03-02"},
		Victims:     []referral.Victim{{FirstName: "Jane", DashScore: ptr(9)}},
		Abuse:       referral.Abuse{IncidentsLast12Months: ptr(1), KnownVictims: ptr(1)},
	}
}

func TestDecide(t *testing.T) {
	essex := &eligibility.Area{ID: "essex", Name: "Essex", Rules: eligibility.DefaultRules}
	strict := &eligibility.Area{ID: "essex", Name: "Essex", Rules: eligibility.Rules{MinimumAge: 21, DashThreshold: 16, IncidentsThreshold: 5, KnownVictimsThreshold: 3}}
	tests := []struct {
		name       string
		area       *eligibility.Area
		change     func(*referral.Referral)
		eligible   bool
		failed     []string
		reasonHint string
	}{
		{"low risk, single victim", essex, func(*referral.Referral) {}, false, []string{eligibility.RuleRiskOrSerial}, "DASH score 9 is below this area's threshold of 14"},
		{"high DASH", essex, func(r *referral.Referral) { r.Victims[0].DashScore = ptr(14) }, true, nil, "DASH score 14 is at or above"},
		{"highest DASH of several victims counts", essex, func(r *referral.Referral) {
			r.Victims = append(r.Victims, referral.Victim{DashScore: ptr(20)})
		}, true, nil, "DASH score 20"},
		{"MARAC route", essex, func(r *referral.Referral) { r.Route = referral.RouteMARAC }, true, nil, "comes from a MARAC"},
		{"MARAC does not qualify in strict area", strict, func(r *referral.Referral) { r.Route = referral.RouteMARAC }, false, []string{eligibility.RuleRiskOrSerial}, ""},
		{"professional judgement", essex, func(r *referral.Referral) {
			r.RiskCriteria = []string{referral.CriterionProfessionalJudgement}
		}, true, nil, "professional judgement of high risk"},
		{"serial", essex, func(r *referral.Referral) { r.Abuse.KnownVictims = ptr(2) }, true, nil, "(serial abuse)"},
		{"repeat", essex, func(r *referral.Referral) { r.Abuse.IncidentsLast12Months = ptr(3) }, true, nil, "(repeat abuse)"},
		{"repeat below strict threshold", strict, func(r *referral.Referral) { r.Abuse.IncidentsLast12Months = ptr(4) }, false, []string{eligibility.RuleRiskOrSerial}, "4 incidents in the last 12 months is below this area's threshold of 5"},
		{"no DASH score", essex, func(r *referral.Referral) { r.Victims[0].DashScore = nil }, false, []string{eligibility.RuleRiskOrSerial}, "no DASH score was given"},
		{"under age", essex, func(r *referral.Referral) {
			r.Perpetrator.DateOfBirth = "2009-01-01"
			r.Victims[0].DashScore = ptr(20)
		}, false, []string{eligibility.RuleMinimumAge}, "under this area's minimum age of 18"},
		{"area minimum age", strict, func(r *referral.Referral) {
			r.Perpetrator.DateOfBirth = "2006-01-01"
			r.Victims[0].DashScore = ptr(20)
		}, false, []string{eligibility.RuleMinimumAge}, "minimum age of 21"},
		{"area not served: every rule still reported", nil, func(r *referral.Referral) { r.Area = "kent" }, false,
			[]string{eligibility.RuleAreaServed, eligibility.RuleRiskOrSerial}, `Drive does not serve the area "kent"`},
		{"already open", essex, func(r *referral.Referral) { r.Victims[0].DashScore = ptr(20) }, false,
			[]string{eligibility.RuleNotOpen}, "already has an open Drive referral or case"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.change(&r)
			open := map[string][]string{"already open": {"DRV-7K4M-Q9TX"}}[tt.name]
			d := eligibility.Decide(r, tt.area, open, at)
			if d.Eligible != tt.eligible {
				t.Errorf("got eligible %v, want %v (%+v)", d.Eligible, tt.eligible, d.Outcomes)
			}
			if len(d.Outcomes) != 4 {
				t.Errorf("got %d outcomes, want one per rule (4)", len(d.Outcomes))
			}
			var failed []string
			all := ""
			for _, o := range d.Outcomes {
				all += o.Reason + "\n"
				if !o.Passed {
					failed = append(failed, o.Rule)
				}
			}
			if strings.Join(failed, ",") != strings.Join(tt.failed, ",") {
				t.Errorf("got failed rules %v, want %v", failed, tt.failed)
			}
			if !strings.Contains(all, tt.reasonHint) {
				t.Errorf("got reasons %q, want one containing %q", all, tt.reasonHint)
			}
			if found := privacytest.Find(all, privacytest.Referral(r)...); len(found) > 0 {
				t.Errorf("reasons %q carry personal data: %v", all, found)
			}
			for _, ref := range open {
				if strings.Contains(all, ref) {
					t.Errorf("reasons %q name the open referral %s, which may be another officer's", all, ref)
				}
			}
		})
	}
}

// TestAgeIsJudgedOnTheUKDay: a perpetrator who turns 18 today is 18 from
// midnight in the UK, which in British Summer Time is 23:00 UTC the day
// before, and on the nights the clocks change.
func TestAgeIsJudgedOnTheUKDay(t *testing.T) {
	essex := &eligibility.Area{ID: "essex", Name: "Essex", Rules: eligibility.DefaultRules}
	for _, tt := range []struct {
		name, birth string
		at          time.Time
	}{
		{"00:30 BST", "2008-06-11", time.Date(2026, 6, 10, 23, 30, 0, 0, time.UTC)},
		{"00:30 BST after the clocks go forward", "2008-03-30", time.Date(2026, 3, 29, 23, 30, 0, 0, time.UTC)},
		{"00:30 BST on the night the clocks go back", "2008-10-25", time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			r.Perpetrator.DateOfBirth, r.Victims[0].DashScore = tt.birth, ptr(20)
			if d := eligibility.Decide(r, essex, nil, tt.at); !d.Eligible {
				t.Errorf("got %+v, want eligible on the 18th birthday", d.Outcomes)
			}
		})
	}
}

// TestSupportContacts: a victim's IDVA is told at the address the
// referral gives only in a domain the area allows (by default the IDVA
// service's); otherwise the area's IDVA service is told, and the victim
// is listed as redirected.
func TestSupportContacts(t *testing.T) {
	service := eligibility.Area{Name: "Essex", IDVAService: "idva@essex-idva.example", MARACCoordinator: "marac@essex.example"}
	listed := service
	listed.IDVADomains = []string{"safelives.example", "xn--idv-gla.example"}
	tests := []struct {
		name       string
		area       eligibility.Area
		idvas      []string
		want       string
		redirected []int
	}{
		{"no IDVA named", service, []string{""}, "idva@essex-idva.example,marac@essex.example", nil},
		{"in the IDVA service's domain", service, []string{"Morgan@Essex-IDVA.example"}, "morgan@essex-idva.example,marac@essex.example", nil},
		{"in another domain, by default", service, []string{"morgan@gmail.example"}, "idva@essex-idva.example,marac@essex.example", []int{1}},
		{"in a subdomain", service, []string{"morgan@x.essex-idva.example"}, "idva@essex-idva.example,marac@essex.example", []int{1}},
		{"in a lookalike", service, []string{"morgan@essex-idva.example.evil"}, "idva@essex-idva.example,marac@essex.example", []int{1}},
		{"in a listed domain", listed, []string{"morgan@safelives.example"}, "morgan@safelives.example,marac@essex.example", nil},
		{"in a listed domain, typed in Unicode", listed, []string{"morgan@idvá.example"}, "morgan@idvá.example,marac@essex.example", nil},
		{"in the IDVA service's domain, not listed", listed, []string{"morgan@essex-idva.example"}, "idva@essex-idva.example,marac@essex.example", []int{1}},
		{"one allowed, one not", listed, []string{"a@safelives.example", "", "b@evil.example"}, "a@safelives.example,idva@essex-idva.example,marac@essex.example", []int{3}},
		{"not an address", service, []string{"morgan at essex-idva.example"}, "idva@essex-idva.example,marac@essex.example", []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r referral.Referral
			for _, e := range tt.idvas {
				r.Victims = append(r.Victims, referral.Victim{IDVAEmail: e})
			}
			to, redirected := tt.area.SupportContacts(r)
			if got := strings.Join(to, ","); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if fmt.Sprint(redirected) != fmt.Sprint(tt.redirected) {
				t.Errorf("got redirected %v, want %v", redirected, tt.redirected)
			}
			if note := tt.area.IDVANote(redirected); (note != "") != (len(tt.redirected) > 0) {
				t.Errorf("got note %q for redirected %v", note, redirected)
			}
		})
	}
}

func TestIDVADomainsAreValidated(t *testing.T) {
	a := eligibility.Area{Name: "Essex", Rules: eligibility.DefaultRules}
	for _, tt := range []struct {
		domains []string
		ok      bool
	}{
		{[]string{"safelives.example", "xn--idv-gla.example"}, true},
		{[]string{"idva@safelives.example"}, false},
		{[]string{"SafeLives.example"}, false},
		{[]string{"localhost"}, false},
		{[]string{"idvá.example"}, false},
		{[]string{""}, false},
	} {
		a.IDVADomains = tt.domains
		errs := a.Validate()
		if got := len(errs) == 0; got != tt.ok {
			t.Errorf("%q: got valid %v (%v), want %v", tt.domains, got, errs, tt.ok)
		}
	}
}
