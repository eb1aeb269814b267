package mailaddr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/mailaddr"
)

// addresses are tricky addresses: Want is the ASCII form SES is given, or
// "" for refused; Fix the words a refusal's Fix must hold ("" for a plain
// format error). shared/email's test runs its own through intake, the
// admin API and the adapter.
var addresses = []struct {
	Addr, Want, Fix string
}{
	{"sam.taylor@essex.police.uk", "sam.taylor@essex.police.uk", ""},
	{"Sam.Taylor@Essex.Police.UK", "Sam.Taylor@essex.police.uk", ""},
	{"o'brien+drive@force.police.uk", "o'brien+drive@force.police.uk", ""},
	{"a!#$%&'*+/=?^_`{|}~-z@x.example", "a!#$%&'*+/=?^_`{|}~-z@x.example", ""},
	{"idva@bücher.example", "idva@xn--bcher-kva.example", ""},
	{"idva@BÜCHER.example", "idva@xn--bcher-kva.example", ""},
	{"idva@straße.example", "idva@xn--strae-oqa.example", ""},
	{"team@xn--bcher-kva.example", "team@xn--bcher-kva.example", ""},
	{"cm@例え.テスト", "cm@xn--r8jz45g.xn--zckzah", ""},
	{"cm@sub-domain.drive.example", "cm@sub-domain.drive.example", ""},
	{strings.Repeat("a", 64) + "@x.example", strings.Repeat("a", 64) + "@x.example", ""},
	{"a@" + strings.Repeat("b", 63) + ".example", "a@" + strings.Repeat("b", 63) + ".example", ""},
	// Refused: what SES cannot send to.
	{strings.Repeat("a", 65) + "@x.example", "", "64 characters or fewer before the @"},
	{strings.Repeat("a", 250) + "@x.example", "", "64 characters or fewer before the @"},
	{"a@" + strings.Repeat("b", 64) + ".example", "", "63 characters or fewer between each dot"},
	{"a@" + strings.Repeat(strings.Repeat("b", 60)+".", 5) + "example", "", "253 characters or fewer after the @"},
	{"a@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "example", "a@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "example", ""},
	{strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 3) + "example", "", "254 characters or fewer"},
	{"josé@example.com", "", "only English letters"},
	{"用户@例子.广告", "", "only English letters"},
	{"sam at essex", "", ""},
	{"sam@essex", "", ""},
	{"sam@localhost", "", ""},
	{"sam@[192.0.2.1]", "", ""},
	{"sam@192.0.2.1", "", ""},
	{"Sam Taylor <sam@essex.police.uk>", "", ""},
	{`"sam taylor"@essex.police.uk`, "", ""},
	{"sam taylor@essex.police.uk", "", ""},
	{"sam@essex police.uk", "", ""},
	{".sam@essex.police.uk", "", ""},
	{"sam.@essex.police.uk", "", ""},
	{"sam..taylor@essex.police.uk", "", ""},
	{"sam@.essex.police.uk", "", ""},
	{"sam@essex..police.uk", "", ""},
	{"sam@essex.police.uk.", "", ""},
	{"sam@-essex.police.uk", "", ""},
	{"sam@essex_police.uk", "", ""},
	{"sam@@essex.police.uk", "", ""},
	{"@essex.police.uk", "", ""},
	{"sam@", "", ""},
	{"sam\x00@essex.police.uk", "", ""},
	{"sam\u200b@essex.police.uk", "", "only English letters"},
	{"sam@essex\u200b.police.uk", "", ""},
	{"sam@essex\u00ad.police.uk", "", ""},
	{"sam@essex.police.uk\u202e", "", ""},
	{"", "", ""},
}

func TestForSES(t *testing.T) {
	for _, tt := range addresses {
		t.Run(tt.Addr, func(t *testing.T) {
			got, err := mailaddr.ForSES(tt.Addr)
			var e *mailaddr.Error
			switch {
			case tt.Want != "" && (err != nil || got != tt.Want):
				t.Errorf("got %q, %v; want %q", got, err, tt.Want)
			case tt.Want == "" && !errors.As(err, &e):
				t.Errorf("got %q, %v; want refused", got, err)
			case tt.Want == "" && ((tt.Fix == "") != (e.Fix == "") || !strings.Contains(e.Fix, tt.Fix)):
				t.Errorf("got fix %q, want one holding %q", e.Fix, tt.Fix)
			}
		})
	}
}
