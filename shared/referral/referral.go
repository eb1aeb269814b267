// Package referral holds a police officer's referral of a perpetrator to
// Drive: what is submitted, how it is validated, its reference and its life
// as a sequence of status transitions. It has no AWS dependencies.
package referral

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Route is how a referral reached Drive.
type Route string

// The referral routes of the domain.
const (
	RouteMARAC  Route = "marac"
	RoutePolice Route = "police"
	RouteOther  Route = "other"
)

// Referral is what a referrer submits. The JSON names are the public
// contract; openapi.yaml says which are required and why.
type Referral struct {
	Area                  string      `json:"area"`
	Route                 Route       `json:"route"`
	MARACDate             string      `json:"maracDate,omitempty"`
	CrimeReference        string      `json:"crimeReference,omitempty"`
	RiskCriteria          []string    `json:"riskCriteria,omitempty"`
	Reason                string      `json:"reason,omitempty"`
	Referrer              Referrer    `json:"referrer"`
	Perpetrator           Perpetrator `json:"perpetrator"`
	Victims               []Victim    `json:"victims"`
	Children              Children    `json:"children"`
	Abuse                 Abuse       `json:"abuse"`
	OtherAgencies         []string    `json:"otherAgencies,omitempty"`
	VictimAwareOfReferral *bool       `json:"victimAwareOfReferral"`
	LawfulBasis           string      `json:"lawfulBasis,omitempty"`
}

// The MARAC risk criteria a referral can rest on.
const (
	CriterionVisibleHighRisk       = "visible-high-risk"
	CriterionProfessionalJudgement = "professional-judgement"
	CriterionPotentialEscalation   = "potential-escalation"
	CriterionRepeat                = "repeat"
)

// Referrer is the officer or professional making the referral.
type Referrer struct {
	Name         string `json:"name"`
	Email        string `json:"email"`
	Force        string `json:"force"`
	Role         string `json:"role,omitempty"`
	CollarNumber string `json:"collarNumber,omitempty"`
	Phone        string `json:"phone"`
}

// Perpetrator is the person referred to Drive. They must never learn of
// the referral from this system.
type Perpetrator struct {
	FirstName    string   `json:"firstName"`
	LastName     string   `json:"lastName"`
	Aliases      []string `json:"aliases,omitempty"`
	DateOfBirth  string   `json:"dateOfBirth"`
	Gender       string   `json:"gender,omitempty"`
	AddressLine1 string   `json:"addressLine1,omitempty"`
	AddressLine2 string   `json:"addressLine2,omitempty"`
	Town         string   `json:"town,omitempty"`
	Postcode     string   `json:"postcode"`
	Phone        string   `json:"phone,omitempty"`
	PNCID        string   `json:"pncId,omitempty"`
}

// Victim is a victim-survivor. DashScore is optional: a referral can rest on
// a MARAC or on serial abuse without a completed checklist.
type Victim struct {
	FirstName                 string `json:"firstName"`
	LastName                  string `json:"lastName"`
	DateOfBirth               string `json:"dateOfBirth,omitempty"`
	AddressLine1              string `json:"addressLine1,omitempty"`
	AddressLine2              string `json:"addressLine2,omitempty"`
	Town                      string `json:"town,omitempty"`
	Postcode                  string `json:"postcode,omitempty"`
	RelationshipToPerpetrator string `json:"relationshipToPerpetrator,omitempty"`
	DashScore                 *int   `json:"dashScore,omitempty"`
	SafeToContact             *bool  `json:"safeToContact"`
	ContactMethod             string `json:"contactMethod,omitempty"`
	IDVAAllocated             *bool  `json:"idvaAllocated,omitempty"`
	IDVAName                  string `json:"idvaName,omitempty"`
	// IDVAEmail is the IDVA's work address: told of the allocation with
	// the case manager's contact (else the area's IDVA service is).
	IDVAEmail string `json:"idvaEmail,omitempty"`
}

// Children describes the children in the household.
type Children struct {
	Count                     *int  `json:"count,omitempty"`
	Ages                      []int `json:"ages,omitempty"`
	ChildrensServicesInvolved *bool `json:"childrensServicesInvolved,omitempty"`
}

// Abuse records the kinds of abuse and how much of it is known.
type Abuse struct {
	Physical              bool `json:"physical"`
	Sexual                bool `json:"sexual"`
	StalkingHarassment    bool `json:"stalkingHarassment"`
	CoerciveControl       bool `json:"coerciveControl"`
	ThreatsToKill         bool `json:"threatsToKill"`
	IncidentsLast12Months *int `json:"incidentsLast12Months"`
	KnownVictims          *int `json:"knownVictims"`
}

// Normalise tidies every text field (see CleanText: white space trimmed,
// invisible format characters removed, Unicode composed) and puts codes and
// identifiers in their canonical form (the PNC ID as ParsePNC gives it), so
// that what is stored and compared is what the referrer meant.
func (r *Referral) Normalise() {
	cleanStrings(reflect.ValueOf(r).Elem())
	r.Area = strings.ToLower(r.Area)
	r.Route = Route(strings.ToLower(string(r.Route)))
	r.Perpetrator.Postcode = normalisePostcode(r.Perpetrator.Postcode)
	r.Perpetrator.PNCID = normalisePNC(r.Perpetrator.PNCID, r.Perpetrator.DateOfBirth)
	for i := range r.Victims {
		r.Victims[i].Postcode = normalisePostcode(r.Victims[i].Postcode)
	}
	r.Perpetrator.Aliases = slices.DeleteFunc(r.Perpetrator.Aliases, func(s string) bool { return s == "" })
	r.OtherAgencies = slices.DeleteFunc(r.OtherAgencies, func(s string) bool { return s == "" })
}

// MaxDASH returns the highest DASH score among the victims, and false when
// none was given.
func (r Referral) MaxDASH() (int, bool) {
	best, found := 0, false
	for _, v := range r.Victims {
		if v.DashScore != nil && (!found || *v.DashScore > best) {
			best, found = *v.DashScore, true
		}
	}
	return best, found
}

// AgeOn returns the perpetrator's age in whole years on the UK day of the
// instant at (Today), and false when the date of birth is not a valid date.
func (r Referral) AgeOn(at time.Time) (int, bool) {
	dob, err := ParseDate(r.Perpetrator.DateOfBirth)
	if err != nil {
		return 0, false
	}
	y, m, d := Today(at).Date()
	age := y - dob.Year()
	if m < dob.Month() || (m == dob.Month() && d < dob.Day()) {
		age--
	}
	return age, true
}

// ParseDate parses a calendar date written as YYYY-MM-DD.
func ParseDate(s string) (time.Time, error) {
	return time.Parse(time.DateOnly, s)
}

// Fingerprint identifies the content of a normalised referral, so that a
// retried request can be told from a different one sent with the same
// idempotency key.
func (r Referral) Fingerprint() string {
	b, _ := json.Marshal(r) // a struct of strings, numbers and slices always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ContactShown returns r as Drive's staff read it: how to contact each
// victim-survivor only for those the referrer said are safe to contact;
// for one not safe to contact, or not known, no method is shown, as the
// case page shows none (fresh tester of issue 14: GET /cases/{id} gave
// it). r is not changed.
func (r Referral) ContactShown() Referral {
	r.Victims = slices.Clone(r.Victims)
	for i, v := range r.Victims {
		if v.SafeToContact == nil || !*v.SafeToContact {
			r.Victims[i].ContactMethod = ""
		}
	}
	return r
}
