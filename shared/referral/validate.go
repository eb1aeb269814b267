package referral

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/driveprogramme/referrals/shared/strictjson"
)

// FieldError is one problem with one field, named by its JSON path, like
// victims[0].firstName: strictjson's, so that a decoding problem and a
// validation problem are one type for every route.
type FieldError = strictjson.FieldError

// FieldErrors lists every problem found in a submission; its Error joins
// them as "field: message; ...".
type FieldErrors = strictjson.FieldErrors

// ErrMalformed is returned by Parse when the body is not one JSON object.
var ErrMalformed = strictjson.ErrMalformed

// Parse decodes a JSON referral strictly, as every route's body is decoded
// (strictjson.Decode). A body that is not one JSON object returns an error
// wrapping ErrMalformed; JSON with unknown fields (letter case counts) or a
// field given twice returns FieldErrors naming every one, and a value of
// the wrong type one naming it.
func Parse(body []byte) (Referral, error) {
	var r Referral
	if err := strictjson.Decode(body, &r, "a referral"); err != nil {
		return Referral{}, err
	}
	return r, nil
}

var (
	areaPattern     = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)
	postcodePattern = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$`)
)

// Lengths: names and short text, notes, and the free-text reason.
const (
	maxName   = 100
	maxNote   = 500
	maxReason = 2000
	// maxChildren is the most children a referral counts, and ages.
	maxChildren = 20
)

// The values of the coded fields, for validation and for the form.
var (
	RiskCriteria  = []string{CriterionVisibleHighRisk, CriterionProfessionalJudgement, CriterionPotentialEscalation, CriterionRepeat}
	Genders       = []string{"male", "female", "non-binary", "not-known"}
	Relationships = []string{"partner", "ex-partner", "family-member", "other"}
)

// Validate checks a normalised referral and returns every problem at once,
// each with a message that says how to fix it. Dates must not be after the
// UK day of the instant today (Today), whatever its time zone.
func (r Referral) Validate(today time.Time) FieldErrors {
	today = Today(today)
	var errs FieldErrors
	add := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }

	switch {
	case r.Area == "":
		add("area", "Enter the Drive area, like essex")
	case !areaPattern.MatchString(r.Area):
		add("area", "Enter the Drive area as lowercase letters and hyphens, like west-sussex")
	}
	switch r.Route {
	case RouteMARAC, RoutePolice, RouteOther:
	case "":
		add("route", "Select the referral route: marac, police or other")
	default:
		add("route", "Referral route must be marac, police or other")
	}
	if r.Route == RouteMARAC || r.MARACDate != "" {
		checkDate(add, "maracDate", "the date of the MARAC", r.MARACDate, today)
	}

	checkOptional(add, "crimeReference", "the crime or incident reference", r.CrimeReference, 50)
	if len(r.RiskCriteria) > len(RiskCriteria) {
		add("riskCriteria", fmt.Sprintf("Select up to %d risk criteria, each once", len(RiskCriteria)))
	}
	for i, c := range r.RiskCriteria[:min(len(r.RiskCriteria), len(RiskCriteria))] {
		if !slices.Contains(RiskCriteria, c) || slices.Index(r.RiskCriteria, c) != i {
			add(fmt.Sprintf("riskCriteria[%d]", i), "Risk criteria must each be one of "+strings.Join(RiskCriteria, ", ")+", given once")
		}
	}
	checkOptional(add, "reason", "the reason for the referral", r.Reason, maxReason)

	checkText(add, "referrer.name", "your name", r.Referrer.Name)
	checkText(add, "referrer.force", "your police force or agency", r.Referrer.Force)
	checkAddress(add, "referrer.email", "your email address", "name@force.police.uk", r.Referrer.Email, false)
	checkPhone(add, "referrer.phone", "your phone number", r.Referrer.Phone, true)
	checkOptional(add, "referrer.role", "your role", r.Referrer.Role, maxName)
	checkOptional(add, "referrer.collarNumber", "your collar number", r.Referrer.CollarNumber, 20)

	p := r.Perpetrator
	checkPersonName(add, "perpetrator.", "the perpetrator's", p.FirstName, p.LastName)
	checkDate(add, "perpetrator.dateOfBirth", "the perpetrator's date of birth", p.DateOfBirth, today)
	switch {
	case p.Postcode == "":
		add("perpetrator.postcode", "Enter the perpetrator's postcode")
	case !validPostcode(p.Postcode):
		add("perpetrator.postcode", "Enter "+postcodeWords)
	}
	if len(p.Aliases) > 10 {
		add("perpetrator.aliases", "Enter up to 10 other names")
	}
	for i, a := range p.Aliases {
		checkName(add, fmt.Sprintf("perpetrator.aliases[%d]", i), "the other name", a)
	}
	checkChoice(add, "perpetrator.gender", "The perpetrator's gender", p.Gender, Genders)
	checkOptional(add, "perpetrator.addressLine1", "the first line of the address", p.AddressLine1, maxName)
	checkOptional(add, "perpetrator.addressLine2", "the second line of the address", p.AddressLine2, maxName)
	checkOptional(add, "perpetrator.town", "the town or city", p.Town, maxName)
	checkPhone(add, "perpetrator.phone", "the perpetrator's phone number", p.Phone, false)
	checkPNC(add, "perpetrator.pncId", p.PNCID, p.DateOfBirth, today)

	if len(r.Victims) == 0 {
		add("victims", "Add at least one victim-survivor")
	}
	for i, v := range r.Victims {
		at := fmt.Sprintf("victims[%d].", i)
		checkPersonName(add, at, "the victim-survivor's", v.FirstName, v.LastName)
		if v.DashScore != nil && (*v.DashScore < 0 || *v.DashScore > 24) {
			add(at+"dashScore", "DASH score must be a whole number from 0 to 24")
		}
		if v.SafeToContact == nil {
			add(at+"safeToContact", "Say whether it is safe to contact the victim-survivor")
		}
		if v.SafeToContact != nil && *v.SafeToContact && v.ContactMethod == "" {
			add(at+"contactMethod", "Say how it is safe to contact the victim-survivor, like 'mobile, texts only after 6pm'")
		}
		checkOptional(add, at+"contactMethod", "how to contact the victim-survivor", v.ContactMethod, maxNote)
		if v.DateOfBirth != "" {
			checkDate(add, at+"dateOfBirth", "the victim-survivor's date of birth", v.DateOfBirth, today)
		}
		checkOptional(add, at+"addressLine1", "the first line of the address", v.AddressLine1, maxName)
		checkOptional(add, at+"addressLine2", "the second line of the address", v.AddressLine2, maxName)
		checkOptional(add, at+"town", "the town or city", v.Town, maxName)
		if v.Postcode != "" && !validPostcode(v.Postcode) {
			add(at+"postcode", "Enter "+postcodeWords+", or leave it blank")
		}
		checkChoice(add, at+"relationshipToPerpetrator", "The relationship to the perpetrator", v.RelationshipToPerpetrator, Relationships)
		if v.IDVAAllocated != nil && *v.IDVAAllocated && v.IDVAName == "" {
			add(at+"idvaName", "Enter the name of the IDVA allocated")
		}
		checkName(add, at+"idvaName", "the IDVA's name", v.IDVAName)
		checkAddress(add, at+"idvaEmail", "the IDVA's work email address", "name@idva.example", v.IDVAEmail, true)
	}
	if len(r.Victims) > 10 {
		add("victims", "Enter up to 10 victim-survivors")
	}

	c := r.Children
	if c.Count != nil && (*c.Count < 0 || *c.Count > maxChildren) {
		add("children.count", fmt.Sprintf("Enter the number of children as a whole number from 0 to %d", maxChildren))
	}
	switch {
	case len(c.Ages) > maxChildren:
		add("children.ages", fmt.Sprintf("Enter the ages of up to %d children", maxChildren))
	case c.Count != nil && len(c.Ages) > *c.Count:
		add("children.ages", "Enter no more ages than the number of children")
	}
	for i, age := range c.Ages[:min(len(c.Ages), maxChildren)] {
		if age < 0 || age > 17 {
			add(fmt.Sprintf("children.ages[%d]", i), "Enter each child's age as a whole number from 0 to 17")
		}
	}

	checkCount(add, "abuse.incidentsLast12Months", "the number of incidents in the last 12 months", r.Abuse.IncidentsLast12Months, 0)
	checkCount(add, "abuse.knownVictims", "the number of known victims", r.Abuse.KnownVictims, 1)

	if len(r.OtherAgencies) > 20 {
		add("otherAgencies", "Enter up to 20 other agencies")
	}
	for i, a := range r.OtherAgencies {
		checkName(add, fmt.Sprintf("otherAgencies[%d]", i), "the agency's name", a)
	}
	switch {
	case r.VictimAwareOfReferral == nil:
		add("victimAwareOfReferral", "Say whether the victim-survivor knows about this referral")
	case !*r.VictimAwareOfReferral && r.LawfulBasis == "":
		add("lawfulBasis", "Enter the lawful basis for sharing this information without the victim-survivor's consent")
	}
	checkOptional(add, "lawfulBasis", "the lawful basis", r.LawfulBasis, maxNote)
	return errs
}

func checkChoice(add func(string, string), field, what, value string, allowed []string) {
	if value != "" && !slices.Contains(allowed, value) {
		add(field, fmt.Sprintf("%s must be one of %s", what, strings.Join(allowed, ", ")))
	}
}

// checkPhone accepts a number in the stored form that NormalisePhones
// gives to what people type.
func checkPhone(add func(string, string), field, what, value string, required bool) {
	switch {
	case value == "" && required:
		add(field, "Enter "+what)
	case value != "" && !storedPhone.MatchString(value):
		add(field, fmt.Sprintf("Enter %s in a format like 01632 960 001 or 07700 900 982 ext 123, or with + and the country code for a number outside the UK", what))
	}
}

func checkDate(add func(string, string), field, what, value string, today time.Time) {
	if value == "" {
		add(field, "Enter "+what)
		return
	}
	d, err := ParseDate(value)
	switch {
	case err != nil:
		add(field, capitalise(what)+" must be a real date")
	case d.After(today):
		add(field, capitalise(what)+" must be today or in the past")
	case d.Year() < 1900:
		add(field, capitalise(what)+" must be after 1900")
	}
}

func checkCount(add func(string, string), field, what string, value *int, min int) {
	switch {
	case value == nil:
		add(field, "Enter "+what)
	case *value < min || *value > 999:
		add(field, fmt.Sprintf("Enter %s as a whole number from %d to 999", what, min))
	}
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
