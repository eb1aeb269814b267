package referral_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/phone"
	"github.com/driveprogramme/referrals/shared/referral"
)

var today = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func example(t *testing.T) referral.Referral {
	t.Helper()
	body, err := os.ReadFile("testdata/referral.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := referral.Parse(body)
	if err != nil {
		t.Fatalf("parse example: %v", err)
	}
	r.Normalise()
	r.NormalisePhones(phone.Parse)
	return r
}

func TestValidateExampleIsValid(t *testing.T) {
	if errs := example(t).Validate(today); errs != nil {
		t.Fatalf("got %v, want no errors", errs)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*referral.Referral)
		want   []string // fields in error
	}{
		{"missing date of birth", func(r *referral.Referral) { r.Perpetrator.DateOfBirth = "" }, []string{"perpetrator.dateOfBirth"}},
		{"impossible date", func(r *referral.Referral) { r.Perpetrator.DateOfBirth = "1984-02-30" }, []string{"perpetrator.dateOfBirth"}},
		{"future MARAC", func(r *referral.Referral) { r.MARACDate = "2026-11-24" }, []string{"maracDate"}},
		{"MARAC route without date", func(r *referral.Referral) { r.MARACDate = "" }, []string{"maracDate"}},
		{"police route without MARAC date", func(r *referral.Referral) { r.MARACDate, r.Route = "", referral.RoutePolice }, nil},
		{"unknown route", func(r *referral.Referral) { r.Route = "phone" }, []string{"route"}},
		{"bad area", func(r *referral.Referral) { r.Area = "Essex!" }, []string{"area"}},
		{"bad email", func(r *referral.Referral) { r.Referrer.Email = "sam at essex" }, []string{"referrer.email"}},
		{"bad postcode", func(r *referral.Referral) { r.Perpetrator.Postcode = "12345" }, []string{"perpetrator.postcode"}},
		{"DASH out of range", func(r *referral.Referral) { n := 25; r.Victims[0].DashScore = &n }, []string{"victims[0].dashScore"}},
		{"no victims", func(r *referral.Referral) { r.Victims = nil }, []string{"victims"}},
		{"safe to contact unanswered", func(r *referral.Referral) { r.Victims[0].SafeToContact = nil }, []string{"victims[0].safeToContact"}},
		{"counts missing", func(r *referral.Referral) { r.Abuse.KnownVictims, r.Abuse.IncidentsLast12Months = nil, nil }, []string{"abuse.incidentsLast12Months", "abuse.knownVictims"}},
		{"name too long", func(r *referral.Referral) { r.Perpetrator.FirstName = strings.Repeat("a", 101) }, []string{"perpetrator.firstName"}},
		{"everything empty", func(r *referral.Referral) { *r = referral.Referral{} }, []string{
			"area", "route", "referrer.name", "referrer.force", "referrer.email", "referrer.phone", "perpetrator.firstName",
			"perpetrator.dateOfBirth", "perpetrator.postcode", "victims", "abuse.incidentsLast12Months", "abuse.knownVictims", "victimAwareOfReferral"}},
		{"bad phone", func(r *referral.Referral) { r.Referrer.Phone = "999" }, []string{"referrer.phone"}},
		{"phone with +44", func(r *referral.Referral) { r.Referrer.Phone = "+44 1632 960 001" }, nil},
		{"phone with brackets and dashes", func(r *referral.Referral) { r.Referrer.Phone = "(01632) 960-001" }, nil},
		{"bad PNC ID", func(r *referral.Referral) { r.Perpetrator.PNCID = "1234" }, []string{"perpetrator.pncId"}},
		{"PNC ID with a wrong check letter", func(r *referral.Referral) { r.Perpetrator.PNCID = "04/12345E" }, []string{"perpetrator.pncId"}},
		{"PNC ID without leading zeros", func(r *referral.Referral) { r.Perpetrator.PNCID = "04/12345D" }, nil},
		{"PNC ID with a four-digit year and no slash", func(r *referral.Referral) { r.Perpetrator.PNCID = "20040012345d" }, nil},
		{"PNC ID from the future", func(r *referral.Referral) { r.Perpetrator.PNCID = referral.FormatPNC(2027, 12345) }, []string{"perpetrator.pncId"}},
		{"PNC ID from before the perpetrator was born", func(r *referral.Referral) { r.Perpetrator.PNCID = referral.FormatPNC(1979, 12345) }, []string{"perpetrator.pncId"}},
		{"unknown gender", func(r *referral.Referral) { r.Perpetrator.Gender = "m" }, []string{"perpetrator.gender"}},
		{"unknown risk criterion, and one given twice", func(r *referral.Referral) {
			r.RiskCriteria = []string{"gut-feeling", referral.CriterionRepeat, referral.CriterionRepeat}
		}, []string{"riskCriteria[0]", "riskCriteria[2]"}},
		{"safe to contact but not how", func(r *referral.Referral) { r.Victims[0].ContactMethod = "" }, []string{"victims[0].contactMethod"}},
		{"not safe to contact needs no method", func(r *referral.Referral) {
			r.Victims[0].ContactMethod, r.Victims[0].SafeToContact = "", new(bool)
		}, nil},
		{"IDVA allocated without a name", func(r *referral.Referral) { r.Victims[0].IDVAName = "" }, []string{"victims[0].idvaName"}},
		{"IDVA email not an address", func(r *referral.Referral) { r.Victims[0].IDVAEmail = "morgan at idva" }, []string{"victims[0].idvaEmail"}},
		{"victim date of birth in the future", func(r *referral.Referral) { r.Victims[0].DateOfBirth = "2030-01-01" }, []string{"victims[0].dateOfBirth"}},
		{"victim postcode wrong", func(r *referral.Referral) { r.Victims[0].Postcode = "nowhere" }, []string{"victims[0].postcode"}},
		{"more ages than children", func(r *referral.Referral) { r.Children.Ages = []int{1, 2, 3} }, []string{"children.ages"}},
		{"an adult counted as a child", func(r *referral.Referral) { r.Children.Ages = []int{4, 19} }, []string{"children.ages[1]"}},
		{"victim unaware, no lawful basis", func(r *referral.Referral) { r.VictimAwareOfReferral = new(bool) }, []string{"lawfulBasis"}},
		{"victim unaware, lawful basis given", func(r *referral.Referral) {
			r.VictimAwareOfReferral, r.LawfulBasis = new(bool), "Crime and Disorder Act 1998 s115; risk of serious harm"
		}, nil},
		{"reason too long", func(r *referral.Referral) { r.Reason = strings.Repeat("x", 2001) }, []string{"reason"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := example(t)
			tt.change(&r)
			r.Normalise()
			r.NormalisePhones(phone.Parse)
			var got []string
			for _, e := range r.Validate(today) {
				if e.Message == "" {
					t.Errorf("field %s has an empty message", e.Field)
				}
				got = append(got, e.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got fields %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		malformed bool
		field     string
	}{
		{"not JSON", `{"area": `, true, ""},
		{"trailing data", `{} {}`, true, ""},
		{"wrong type", `{"victims": [{"dashScore": "high"}]}`, false, "victims.dashScore"},
		{"unknown field", `{"aera": "essex"}`, false, "aera"},
		{"unknown nested field", `{"victims": [{"firstName": "J"}, {"age": 30}]}`, false, "victims[1].age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := referral.Parse([]byte(tt.body))
			if got := errors.Is(err, referral.ErrMalformed); got != tt.malformed {
				t.Fatalf("got malformed %v (%v), want %v", got, err, tt.malformed)
			}
			var fe referral.FieldErrors
			if tt.field != "" && (!errors.As(err, &fe) || fe[0].Field != tt.field) {
				t.Errorf("got %v, want a field error on %s", err, tt.field)
			}
		})
	}
}

func TestNormalisePostcode(t *testing.T) {
	for in, want := range map[string]string{"co11aa": "CO1 1AA", " sw1a  2aa ": "SW1A 2AA", "CF10 1EP": "CF10 1EP",
		// Not a postcode (Validate refuses it), but never cut inside a character.
		"co1 äaa": "CO1 ÄAA", "co1 1\x80a": "CO1 1\uFFFDA"} {
		r := referral.Referral{Perpetrator: referral.Perpetrator{Postcode: in}}
		r.Normalise()
		if r.Perpetrator.Postcode != want {
			t.Errorf("postcode %q: got %q, want %q", in, r.Perpetrator.Postcode, want)
		}
	}
}

func TestAgeOn(t *testing.T) {
	r := referral.Referral{Perpetrator: referral.Perpetrator{DateOfBirth: "2008-11-24"}}
	if age, _ := r.AgeOn(today); age != 17 {
		t.Errorf("day before 18th birthday: got %d, want 17", age)
	}
	if age, _ := r.AgeOn(today.AddDate(0, 0, 1)); age != 18 {
		t.Errorf("on 18th birthday: got %d, want 18", age)
	}
}

func TestParseNamesEveryUnknownField(t *testing.T) {
	_, err := referral.Parse([]byte(`{"aera": "x", "perpetrator": {"nickname": "J", "firstName": "J"}, "victims": [{"age": 3}], "abuse": {"kicking": true}}`))
	var fe referral.FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want field errors", err)
	}
	var got []string
	for _, e := range fe {
		got = append(got, e.Field)
	}
	want := []string{"abuse.kicking", "aera", "perpetrator.nickname", "victims[0].age"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestIdempotencyKeyIsScopedToTheSubmitter(t *testing.T) {
	a, b := referral.Submitter{Subject: "officer-a"}, referral.Submitter{Subject: "officer-b"}
	tests := []struct {
		name string
		x, y string
		same bool
	}{
		{"one officer, one key", a.IdempotencyKey("referral-1"), a.IdempotencyKey("referral-1"), true},
		{"two officers, one key", a.IdempotencyKey("referral-1"), b.IdempotencyKey("referral-1"), false},
		{"one officer, two keys", a.IdempotencyKey("referral-1"), a.IdempotencyKey("referral-2"), false},
		{"a subject that looks like a key", referral.Submitter{Subject: "a:b"}.IdempotencyKey("c"), referral.Submitter{Subject: "a"}.IdempotencyKey("b:c"), false},
	}
	for _, tt := range tests {
		if got := tt.x == tt.y; got != tt.same {
			t.Errorf("%s: got %q and %q the same %v, want %v", tt.name, tt.x, tt.y, got, tt.same)
		}
	}
	if got := a.IdempotencyKey(""); got != "" {
		t.Errorf("no key: got %q, want none", got)
	}
}
