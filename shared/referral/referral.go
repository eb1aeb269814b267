// Package referral holds a police officer's referral of a perpetrator to
// Drive: what is submitted, how it is validated, its reference and its life
// as a sequence of status transitions. It has no AWS dependencies.
package referral

import (
	"strings"
	"time"
	"unicode"
)

// Route is how a referral reached Drive.
type Route string

// The referral routes of the domain.
const (
	RouteMARAC  Route = "marac"
	RoutePolice Route = "police"
	RouteOther  Route = "other"
)

// Referral is what a referrer submits. The JSON names are the public contract.
type Referral struct {
	Area        string      `json:"area"`
	Route       Route       `json:"route"`
	MARACDate   string      `json:"maracDate,omitempty"`
	Referrer    Referrer    `json:"referrer"`
	Perpetrator Perpetrator `json:"perpetrator"`
	Victims     []Victim    `json:"victims"`
	Abuse       Abuse       `json:"abuse"`
}

// Referrer is the officer or professional making the referral.
type Referrer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Force string `json:"force"`
}

// Perpetrator is the person referred to Drive.
type Perpetrator struct {
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	DateOfBirth string `json:"dateOfBirth"`
	Postcode    string `json:"postcode"`
}

// Victim is a victim-survivor. DashScore is optional: a referral can rest on
// a MARAC or on serial abuse without a completed checklist.
type Victim struct {
	FirstName     string `json:"firstName"`
	LastName      string `json:"lastName"`
	DashScore     *int   `json:"dashScore,omitempty"`
	SafeToContact *bool  `json:"safeToContact"`
}

// Abuse records the kinds of abuse and how much of it is known.
type Abuse struct {
	Physical              bool `json:"physical"`
	Sexual                bool `json:"sexual"`
	StalkingHarassment    bool `json:"stalkingHarassment"`
	CoerciveControl       bool `json:"coerciveControl"`
	IncidentsLast12Months *int `json:"incidentsLast12Months"`
	KnownVictims          *int `json:"knownVictims"`
}

// Normalise trims white space everywhere and puts codes in their canonical
// case, so that what is stored and compared is what the referrer meant.
func (r *Referral) Normalise() {
	r.Area = strings.ToLower(strings.TrimSpace(r.Area))
	r.Route = Route(strings.ToLower(strings.TrimSpace(string(r.Route))))
	r.MARACDate = strings.TrimSpace(r.MARACDate)
	r.Referrer.Name = strings.TrimSpace(r.Referrer.Name)
	r.Referrer.Email = strings.TrimSpace(r.Referrer.Email)
	r.Referrer.Force = strings.TrimSpace(r.Referrer.Force)
	p := &r.Perpetrator
	p.FirstName, p.LastName = strings.TrimSpace(p.FirstName), strings.TrimSpace(p.LastName)
	p.DateOfBirth = strings.TrimSpace(p.DateOfBirth)
	p.Postcode = normalisePostcode(p.Postcode)
	for i := range r.Victims {
		v := &r.Victims[i]
		v.FirstName, v.LastName = strings.TrimSpace(v.FirstName), strings.TrimSpace(v.LastName)
	}
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

// AgeOn returns the perpetrator's age in whole years on the given day, and
// false when the date of birth is not a valid date.
func (r Referral) AgeOn(day time.Time) (int, bool) {
	dob, err := ParseDate(r.Perpetrator.DateOfBirth)
	if err != nil {
		return 0, false
	}
	y, m, d := day.Date()
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

// normalisePostcode upper-cases a postcode and puts the one space where it
// belongs, before the last three characters, however it was typed.
func normalisePostcode(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) < 5 {
		return s
	}
	return s[:len(s)-3] + " " + s[len(s)-3:]
}

// PerpetratorKey identifies the perpetrator across referrals: the letters
// of the names, lower-cased, and the date of birth, so that "O'Brien" and
// "OBRIEN" match. It is empty when there is no name or date of birth.
func (r Referral) PerpetratorKey() string {
	p := r.Perpetrator
	letters := func(s string) string {
		return strings.Map(func(c rune) rune {
			if unicode.IsLetter(c) {
				return unicode.ToLower(c)
			}
			return -1
		}, s)
	}
	first, last := letters(p.FirstName), letters(p.LastName)
	if first == "" || last == "" || p.DateOfBirth == "" {
		return ""
	}
	return first + "|" + last + "|" + p.DateOfBirth
}
