package referral

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// FieldError is one problem with one field, named by its JSON path.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FieldErrors lists every problem found in a submission.
type FieldErrors []FieldError

func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Message
	}
	return "invalid referral: " + strings.Join(parts, "; ")
}

// ErrMalformed is returned by Parse when the body is not a JSON object.
var ErrMalformed = errors.New("malformed JSON")

// Parse decodes a JSON referral strictly. A body that is not JSON returns an
// error wrapping ErrMalformed; JSON with unknown fields or values of the
// wrong type returns FieldErrors naming them.
func Parse(body []byte) (Referral, error) {
	var r Referral
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(&r)
	if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
		err = errors.New("unexpected data after the referral object")
		return Referral{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return r, nil
	case errors.As(err, &typeErr):
		return Referral{}, FieldErrors{{Field: typeErr.Field, Message: fmt.Sprintf("Enter %s, not %s", describeKind(typeErr.Type.Kind().String()), typeErr.Value)}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Referral{}, FieldErrors{{Field: name, Message: fmt.Sprintf("%q is not a field of a referral: remove it or check its spelling", name)}}
	default:
		return Referral{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
}

func describeKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "float"):
		return "a whole number"
	case kind == "bool":
		return "true or false"
	case kind == "string":
		return "text"
	case kind == "slice":
		return "a list"
	default:
		return "an object"
	}
}

var (
	areaPattern     = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)
	postcodePattern = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$`)
)

const maxName = 100

// Validate checks a normalised referral and returns every problem at once,
// each with a message that says how to fix it. today is the referrer's date,
// against which dates must not be in the future.
func (r Referral) Validate(today time.Time) FieldErrors {
	var errs FieldErrors
	add := func(field, msg string) { errs = append(errs, FieldError{field, msg}) }

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

	checkText(add, "referrer.name", "your name", r.Referrer.Name)
	checkText(add, "referrer.force", "your police force or agency", r.Referrer.Force)
	checkEmail(add, "referrer.email", r.Referrer.Email)

	p := r.Perpetrator
	checkText(add, "perpetrator.firstName", "the perpetrator's first name", p.FirstName)
	checkText(add, "perpetrator.lastName", "the perpetrator's last name", p.LastName)
	checkDate(add, "perpetrator.dateOfBirth", "the perpetrator's date of birth", p.DateOfBirth, today)
	switch {
	case p.Postcode == "":
		add("perpetrator.postcode", "Enter the perpetrator's postcode")
	case !postcodePattern.MatchString(p.Postcode):
		add("perpetrator.postcode", "Enter a real UK postcode, like CO1 1AA")
	}

	if len(r.Victims) == 0 {
		add("victims", "Add at least one victim-survivor")
	}
	for i, v := range r.Victims {
		at := fmt.Sprintf("victims[%d].", i)
		checkText(add, at+"firstName", "the victim-survivor's first name", v.FirstName)
		checkText(add, at+"lastName", "the victim-survivor's last name", v.LastName)
		if v.DashScore != nil && (*v.DashScore < 0 || *v.DashScore > 24) {
			add(at+"dashScore", "DASH score must be a whole number from 0 to 24")
		}
		if v.SafeToContact == nil {
			add(at+"safeToContact", "Say whether it is safe to contact the victim-survivor (true or false)")
		}
	}

	checkCount(add, "abuse.incidentsLast12Months", "the number of incidents in the last 12 months", r.Abuse.IncidentsLast12Months, 0)
	checkCount(add, "abuse.knownVictims", "the number of known victims", r.Abuse.KnownVictims, 1)
	return errs
}

func checkText(add func(string, string), field, what, value string) {
	switch {
	case value == "":
		add(field, "Enter "+what)
	case len([]rune(value)) > maxName:
		add(field, fmt.Sprintf("Enter %s in %d characters or fewer", what, maxName))
	}
}

func checkEmail(add func(string, string), field, value string) {
	if value == "" {
		add(field, "Enter your email address")
		return
	}
	a, err := mail.ParseAddress(value)
	if err != nil || a.Address != value || len(value) > 254 || !strings.Contains(value[strings.LastIndex(value, "@"):], ".") {
		add(field, "Enter an email address in the correct format, like name@force.police.uk")
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
		add(field, fmt.Sprintf("Enter %s as a real date in the format YYYY-MM-DD, like 1984-03-02", what))
	case d.After(today):
		add(field, fmt.Sprintf("Enter %s: it must be today or in the past", what))
	case d.Year() < 1900:
		add(field, fmt.Sprintf("Enter %s: the year must be after 1900", what))
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
