package privacytest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/privacytest"
	"github.com/driveprogramme/referrals/shared/referral"
)

func TestFind(t *testing.T) {
	phone := privacytest.Phone("the perpetrator's phone", "07700 900 982")
	tests := []struct {
		name   string
		text   string
		detail privacytest.Detail
		found  bool
	}{
		// The fault that failed make test at random: a fragment of a phone
		// number inside a random hex request id.
		{"a fragment inside a hex id", `{"level":"INFO","msg":"referral received","requestId":"c1f407007700c9a2"}`, privacytest.Text("a fragment", "07700"), false},
		{"the number inside a hex id", `{"requestId":"9a07700900982c"}`, phone, false},
		{"the number inside a longer number", `{"n":"1077009009821"}`, phone, false},
		{"the number as typed in a log line", `{"level":"INFO","msg":"x","phone":"07700 900 982"}`, phone, true},
		{"the number in digits", `time=… msg=sent to=07700900982`, phone, true},
		{"the number in national form", `call 07700 900982 today`, phone, true},
		{"the number in E.164", `{"phone":"+447700900982"}`, phone, true},
		{"the number in international form", `Phone: +44 7700 900982.`, phone, true},
		{"a name as a word", `msg="case closed" note="Closed after Jane moved away"`, privacytest.Text("a name", "Jane"), true},
		{"a name in another case", `JANE`, privacytest.Text("a name", "Jane"), true},
		{"a name at the start and end", `Jane`, privacytest.Text("a name", "Jane"), true},
		{"a name with a suffix after a hyphen", `"lastName":"Doe-ab"`, privacytest.Text("a name", "Doe"), true},
		{"a name inside a longer word", `Janet and Doesburg`, privacytest.Text("a name", "Jane"), false},
		{"a short name inside a hex id", `id=4ed9`, privacytest.Text("a name", "Eddy"), false},
		{"a name escaped in HTML", `<p>O&#39;Brien</p>`, privacytest.Text("a name", "O'Brien"), true},
		{"a name with an accent", `Seán Ó Briain`, privacytest.Text("a name", "Seán"), true},
		{"a date of birth as typed", `"dateOfBirth":"1984-03-02"`, privacytest.Date("a date of birth", "1984-03-02"), true},
		{"a date of birth as a page prints it", `Born 2 March 1984`, privacytest.Date("a date of birth", "1984-03-02"), true},
		{"a date of birth as a timestamp", `"dob":"1984-03-02T00:00:00Z"`, privacytest.Date("a date of birth", "1984-03-02"), true},
		{"another date", `"at":"2026-03-02T10:15:30Z"`, privacytest.Date("a date of birth", "1984-03-02"), false},
		{"a postcode without its space", `postcode=co11aa`, privacytest.Postcode("a postcode", "CO1 1AA"), true},
		{"a postcode's district only", `CO1 is Colchester`, privacytest.Postcode("a postcode", "CO1 1AA"), false},
		{"a PNC ID with a 4-digit year", `pnc=2004/1234567A`, privacytest.PNC("a PNC ID", "04/1234567A"), true},
		{"a PNC ID without leading zeros", `04/12345D`, privacytest.PNC("a PNC ID", "04/0012345D"), true},
		{"another PNC ID", `04/1234567B`, privacytest.PNC("a PNC ID", "04/1234567A"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := privacytest.Find(tt.text, tt.detail)
			if (len(got) > 0) != tt.found {
				t.Errorf("got %v in %q, want found %v (forms %q)", got, tt.text, tt.found, tt.detail.Forms)
			}
		})
	}
}

func TestShortValuesAreNotNeedles(t *testing.T) {
	if d := privacytest.Text("a name", "Al"); len(d.Forms) != 0 {
		t.Errorf("got forms %q for a 2-letter value, want none: it cannot be told from other text", d.Forms)
	}
}

func TestReferral(t *testing.T) {
	r := referral.Referral{
		Reason:      "Escalating threats",
		Perpetrator: referral.Perpetrator{FirstName: "John", LastName: "Doe", DateOfBirth: "1984-03-02", Postcode: "CO1 1AA", Phone: "07700 900 982", PNCID: "04/1234567A"},
		Victims:     []referral.Victim{{FirstName: "Jane", LastName: "Roe", ContactMethod: "texts only"}},
	}
	var got []string
	for _, d := range privacytest.Referral(r) {
		got = append(got, d.What)
	}
	want := []string{"the perpetrator's first name", "the perpetrator's last name", "the perpetrator's date of birth", "the perpetrator's postcode",
		"the perpetrator's phone", "the perpetrator's PNC ID", "victim 1's first name", "victim 1's last name", "victim 1's contact method", "the reason for the referral"}
	if !slices.Equal(got, want) {
		t.Errorf("got details %q, want %q", got, want)
	}
	line := `{"level":"INFO","msg":"referral received","requestId":"407007700c9","note":"victim texts only"}`
	found := privacytest.Find(line, privacytest.Referral(r)...)
	if len(found) != 1 || found[0].Detail.What != "victim 1's contact method" || !strings.Contains(found[0].String(), "texts only") {
		t.Errorf("got %v, want only the contact method found", found)
	}
}
