// Package eligibility decides whether a referral is one Drive takes on, by
// the rules of the referral's area, and says why in words an officer
// understands. It has no AWS dependencies.
package eligibility

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/driveprogramme/referrals/shared/mailaddr"
	"github.com/driveprogramme/referrals/shared/referral"
)

// Rules are an area's thresholds. DefaultRules are the programme's defaults.
type Rules struct {
	MinimumAge            int  `json:"minimumAge"`
	DashThreshold         int  `json:"dashThreshold"`
	IncidentsThreshold    int  `json:"incidentsThreshold"`
	KnownVictimsThreshold int  `json:"knownVictimsThreshold"`
	MARACQualifies        bool `json:"maracQualifies"`
}

// DefaultRules are Drive's default eligibility rules (../shared/DOMAIN.md).
var DefaultRules = Rules{MinimumAge: 18, DashThreshold: 14, IncidentsThreshold: 3, KnownVictimsThreshold: 2, MARACQualifies: true}

// Area is a place Drive serves, with its rules. Version counts the
// changes to the rules, so that a decision says which rules it used.
type Area struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Rules   Rules  `json:"rules"`
	Version int    `json:"version"`
	// Leads are the email addresses of the area's leads: signed in with
	// the area-lead role, they see the area's referrals and cases,
	// reallocate, manage its case managers and read its report.
	Leads []string `json:"leads,omitempty"`
	// IDVAService and MARACCoordinator are told, with the case manager's
	// work contact, when a referral of the area is allocated, so that the
	// victim's safety is planned alongside: the IDVA service when the
	// referral names no IDVA's email, the MARAC coordinator always.
	IDVAService      string `json:"idvaService,omitempty"`
	MARACCoordinator string `json:"maracCoordinator,omitempty"`
	// IDVADomains are the email domains (lower case, ASCII) of the IDVAs
	// who may be told of an allocation at the address a referral gives:
	// the case manager's name and work email go there, so an address
	// typed in a form must not choose who learns them. Empty: the IDVA
	// service's own domain. Set by the admin.
	IDVADomains []string `json:"idvaDomains,omitempty"`
}

// maxIDVADomains is the most domains an area's allow-list holds.
const maxIDVADomains = 20

// domainOf returns addr's domain in ASCII, lower case, or "" when SES
// could not send to addr (mailaddr.ForSES).
func domainOf(addr string) string {
	out, err := mailaddr.ForSES(strings.TrimSpace(addr))
	if err != nil {
		return ""
	}
	return strings.ToLower(out[strings.LastIndexByte(out, '@')+1:])
}

// AllowedIDVADomains returns the domains whose IDVAs may be told at the
// address a referral gives: IDVADomains, or else the IDVA service's
// domain, or none.
func (a Area) AllowedIDVADomains() []string {
	if len(a.IDVADomains) > 0 {
		return a.IDVADomains
	}
	if d := domainOf(a.IDVAService); d != "" {
		return []string{d}
	}
	return nil
}

// AllowsIDVA reports whether addr may be told of an allocation as a
// victim's IDVA: its domain, exactly (not a subdomain), is one of
// AllowedIDVADomains.
func (a Area) AllowsIDVA(addr string) bool {
	d := domainOf(addr)
	return d != "" && slices.Contains(a.AllowedIDVADomains(), d)
}

// SupportContacts returns who is told of an allocation of r, so that the
// victims' safety is planned alongside: each victim's IDVA whose address
// the area allows (AllowsIDVA); the area's IDVA service when a victim's
// IDVA address is not allowed, or when no victim's is given; and the
// area's MARAC coordinator. redirected lists the victims (counted from 1)
// whose IDVA address was not allowed, for the referral's history.
// Addresses are lower case and each is listed once.
func (a Area) SupportContacts(r referral.Referral) (to []string, redirected []int) {
	add := func(addr string) {
		if addr = strings.ToLower(strings.TrimSpace(addr)); addr != "" && !slices.Contains(to, addr) {
			to = append(to, addr)
		}
	}
	for i, v := range r.Victims {
		switch {
		case strings.TrimSpace(v.IDVAEmail) == "":
		case a.AllowsIDVA(v.IDVAEmail):
			add(v.IDVAEmail)
		default:
			redirected = append(redirected, i+1)
		}
	}
	if len(to) == 0 || len(redirected) > 0 {
		add(a.IDVAService)
	}
	add(a.MARACCoordinator)
	return to, redirected
}

// IDVANote says, for staff, which victims' IDVA addresses the area does
// not allow and where the allocation is told instead; "" when none.
// redirected is SupportContacts'.
func (a Area) IDVANote(redirected []int) string {
	if len(redirected) == 0 {
		return ""
	}
	nums := make([]string, len(redirected))
	for i, n := range redirected {
		nums[i] = strconv.Itoa(n)
	}
	who := "victim-survivor " + strings.Join(nums, ", ")
	if len(redirected) > 1 {
		who = "victim-survivors " + strings.Join(nums, ", ")
	}
	instead := "the area's IDVA service"
	if a.IDVAService == "" {
		instead = "nobody (the area has no IDVA service's address: an admin should add one)"
	}
	return fmt.Sprintf("The IDVA email address given for %s is not in a domain %s allows for IDVAs (%s), so the allocation is told to %s instead.",
		who, a.Name, strings.Join(a.AllowedIDVADomains(), ", "), instead)
}

// Validate checks an area's name, thresholds and email addresses, every
// problem at once; each address must be one SES can send to
// (mailaddr.ForSES).
func (a Area) Validate() referral.FieldErrors {
	var errs referral.FieldErrors
	check := func(ok bool, field, msg string) {
		if !ok {
			errs = append(errs, referral.FieldError{Field: field, Message: msg})
		}
	}
	if a.Name == "" {
		check(false, "name", "Enter the area's name")
	} else if p := referral.TextProblem("name", "the area's name", a.Name, 100, true); p != "" {
		check(false, "name", p)
	}
	check(a.Rules.MinimumAge >= 16 && a.Rules.MinimumAge <= 30, "minimumAge", "Enter the minimum age as a whole number from 16 to 30")
	check(a.Rules.DashThreshold >= 1 && a.Rules.DashThreshold <= 24, "dashThreshold", "Enter the DASH threshold as a whole number from 1 to 24")
	check(a.Rules.IncidentsThreshold >= 1 && a.Rules.IncidentsThreshold <= 99, "incidentsThreshold", "Enter the incidents threshold as a whole number from 1 to 99")
	check(a.Rules.KnownVictimsThreshold >= 2 && a.Rules.KnownVictimsThreshold <= 99, "knownVictimsThreshold", "Enter the known-victims threshold as a whole number from 2 to 99")
	check(len(a.Leads) <= 10, "leads", "An area has at most 10 leads")
	for i, l := range a.Leads {
		p := mailaddr.Problem(l, fmt.Sprintf("lead %d's email address", i+1), "lead@drive.example")
		check(p == "", "leads", p)
	}
	check(len(a.IDVADomains) <= maxIDVADomains, "idvaDomains", fmt.Sprintf("An area allows at most %d IDVA email domains", maxIDVADomains))
	for i, d := range a.IDVADomains {
		if got := domainOf("idva@" + d); got == "" || got != d {
			check(false, "idvaDomains", fmt.Sprintf("Enter IDVA email domain %d as the part after the @ of an email address, in lower case, like idva-service.org.uk", i+1))
		}
	}
	for _, c := range []struct{ field, what, value string }{
		{"idvaService", "the IDVA service's email address", a.IDVAService},
		{"maracCoordinator", "the MARAC coordinator's email address", a.MARACCoordinator},
	} {
		if c.value != "" {
			p := mailaddr.Problem(c.value, c.what, "name@service.example")
			check(p == "", c.field, p)
		}
	}
	return errs
}

// Rule names, stable for reports and tests.
const (
	RuleAreaServed   = "area-served"
	RuleMinimumAge   = "minimum-age"
	RuleRiskOrSerial = "high-risk-or-serial"
	RuleNotOpen      = "no-open-referral"
)

// RuleOrder is the rules in the order Decide applies them: the columns
// of the report's download (report.CSV).
var RuleOrder = []string{RuleAreaServed, RuleMinimumAge, RuleRiskOrSerial, RuleNotOpen}

// Decide applies the rules of area to a referral received at the given
// time. area is nil when Drive does not serve the referral's area; then the
// defaults apply to the other rules so that the officer learns everything
// at once. open lists the references of earlier referrals of the same
// perpetrator that are still open.
func Decide(r referral.Referral, area *Area, open []string, at time.Time) referral.Decision {
	rules := DefaultRules
	served := referral.Outcome{Rule: RuleAreaServed, Passed: area != nil}
	if area != nil {
		rules = area.Rules
		served.Reason = fmt.Sprintf("Drive serves %s", area.Name)
	} else {
		served.Reason = fmt.Sprintf("Drive does not serve the area %q", r.Area)
	}
	outcomes := []referral.Outcome{served, minimumAge(r, rules, at), riskOrSerial(r, rules), notOpen(open)}
	eligible := true
	for _, o := range outcomes {
		eligible = eligible && o.Passed
	}
	d := referral.Decision{Eligible: eligible, Outcomes: outcomes, DecidedAt: at}
	if area != nil {
		d.RulesVersion = area.Version
	}
	return d
}

// minimumAge never puts the date of birth or the exact age in its reason:
// reasons are emailed to the referrer.
func minimumAge(r referral.Referral, rules Rules, at time.Time) referral.Outcome {
	o := referral.Outcome{Rule: RuleMinimumAge}
	age, ok := r.AgeOn(at)
	switch {
	case !ok:
		o.Reason = "The perpetrator's date of birth is not a valid date"
	case age < rules.MinimumAge:
		o.Reason = fmt.Sprintf("The perpetrator is under this area's minimum age of %d", rules.MinimumAge)
	default:
		o.Passed = true
		o.Reason = fmt.Sprintf("The perpetrator is %d or over", rules.MinimumAge)
	}
	return o
}

// riskOrSerial passes on high risk (DASH, MARAC) or on serial or repeat
// abuse, and names every criterion it weighed.
func riskOrSerial(r referral.Referral, rules Rules) referral.Outcome {
	var met, unmet []string
	if dash, ok := r.MaxDASH(); !ok {
		unmet = append(unmet, "no DASH score was given")
	} else if dash >= rules.DashThreshold {
		met = append(met, fmt.Sprintf("DASH score %d is at or above this area's threshold of %d", dash, rules.DashThreshold))
	} else {
		unmet = append(unmet, fmt.Sprintf("DASH score %d is below this area's threshold of %d", dash, rules.DashThreshold))
	}
	if slices.Contains(r.RiskCriteria, referral.CriterionProfessionalJudgement) {
		met = append(met, "the referrer documents a professional judgement of high risk")
	}
	if rules.MARACQualifies {
		if r.Route == referral.RouteMARAC {
			met = append(met, "the referral comes from a MARAC")
		} else {
			unmet = append(unmet, "the referral does not come from a MARAC")
		}
	}
	if n := deref(r.Abuse.KnownVictims); n >= rules.KnownVictimsThreshold {
		met = append(met, fmt.Sprintf("%d known victims meets this area's threshold of %d (serial abuse)", n, rules.KnownVictimsThreshold))
	} else {
		unmet = append(unmet, fmt.Sprintf("%d known victims is below this area's threshold of %d", n, rules.KnownVictimsThreshold))
	}
	if n := deref(r.Abuse.IncidentsLast12Months); n >= rules.IncidentsThreshold {
		met = append(met, fmt.Sprintf("%d incidents in the last 12 months meets this area's threshold of %d (repeat abuse)", n, rules.IncidentsThreshold))
	} else {
		unmet = append(unmet, fmt.Sprintf("%d incidents in the last 12 months is below this area's threshold of %d", n, rules.IncidentsThreshold))
	}
	if len(met) > 0 {
		return referral.Outcome{Rule: RuleRiskOrSerial, Passed: true, Reason: "High risk or serial abuse: " + join(met)}
	}
	return referral.Outcome{Rule: RuleRiskOrSerial, Reason: "Neither high risk nor serial or repeat abuse: " + join(unmet)}
}

// notOpen passes when the perpetrator has no other open referral or case:
// one perpetrator, one case manager.
func notOpen(open []string) referral.Outcome {
	if len(open) == 0 {
		return referral.Outcome{Rule: RuleNotOpen, Passed: true, Reason: "The perpetrator has no other open Drive referral or case"}
	}
	// The reason names no reference: the open referral may be another
	// officer's, and the decision is the referring officer's to read
	// (issue 13: the duplicate check is not an oracle).
	return referral.Outcome{Rule: RuleNotOpen, Reason: "The perpetrator already has an open Drive referral or case, made at about the same time as this one. Contact the Drive team in the area to pass on what you know"}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func join(parts []string) string {
	out := ""
	for i, p := range parts {
		switch {
		case i == 0:
		case i == len(parts)-1:
			out += " and "
		default:
			out += ", "
		}
		out += p
	}
	return out
}
