package phone_test

import (
	"errors"
	"testing"

	"github.com/driveprogramme/referrals/shared/phone"
)

func TestParse(t *testing.T) {
	tests := []struct {
		typed, want string // want "" for refused
	}{
		// UK numbers as officers type them.
		{"01632 960 001", "+441632960001"},
		{"01632960001", "+441632960001"},
		{"+44 1632 960 001", "+441632960001"},
		{"+44 (0)1632 960001", "+441632960001"},
		{"+44(0)1632-960-001", "+441632960001"},
		{"0044 1632 960001", "+441632960001"},
		{"0044 (0) 1632 960001", "+441632960001"},
		{"(01632) 960-001", "+441632960001"},
		{"01632.960.001", "+441632960001"},
		{"01632-960-001", "+441632960001"},
		{"07700 900 982", "+447700900982"},
		{"07700-900-982", "+447700900982"},
		{"+447700900982", "+447700900982"},
		{"020 7946 0000", "+442079460000"},
		{"0800 123 4567", "+448001234567"},
		{"tel:+44-1632-960001", "+441632960001"},
		// Extensions.
		{"01632 960001 ext 123", "+441632960001;ext=123"},
		{"01632 960001 ext. 123", "+441632960001;ext=123"},
		{"01632 960001 Ext 123", "+441632960001;ext=123"},
		{"01632 960001 extension 123", "+441632960001;ext=123"},
		{"01632 960001 x123", "+441632960001;ext=123"},
		{"01632 960001 X 123", "+441632960001;ext=123"},
		{"01632 960001 #123", "+441632960001;ext=123"},
		{"+44 1632 960001;ext=123", "+441632960001;ext=123"},
		// The Channel Islands and the Isle of Man share +44.
		{"01534 123456", "+441534123456"},
		{"+44 1624 123456", "+441624123456"},
		// Abroad: with + and the country code, and a valid number.
		{"+353 87 123 4567", "+353871234567"},
		{"+1 202 456 1111", "+12024561111"},
		// Not one complete phone number.
		{"999", ""},
		{"112", ""},
		{"960001", ""},
		{"0", ""},
		{"+44", ""},
		{"01632 96OOO1", ""}, // letter O: the library would read it as a keypad's 6
		{"0800 FLOWERS", ""},
		{"01632 960001 mobile", ""},
		{"01632 960001 and 07700 900982", ""},
		{"01632 960001 / 07700 900982", ""},
		{"07700 900 982 ext", ""},
		{"+1 202 555 01", ""},
		{"not a number", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			got, err := phone.Parse(tt.typed)
			if tt.want == "" {
				if !errors.Is(err, phone.ErrNotPhone) {
					t.Errorf("got %q, %v; want ErrNotPhone", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNational(t *testing.T) {
	tests := []struct{ stored, want string }{
		{"+441632960001", "01632 960001"},
		{"+447700900982", "07700 900982"},
		{"+442079460000", "020 7946 0000"},
		{"+441632960001;ext=123", "01632 960001 ext. 123"},
		{"+441534123456", "01534 123456"},
		{"+353871234567", "+353 87 123 4567"},
		{"+12024561111;ext=7", "+1 202-456-1111 ext. 7"},
		{"01632 960 001", "01632 960001"}, // stored as typed, before numbers were parsed
		{"call the desk", "call the desk"},
	}
	for _, tt := range tests {
		if got := phone.National(tt.stored); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.stored, got, tt.want)
		}
	}
}

// TestStoredFormRoundTrips: what Parse stores, Parse reads back the same,
// so a stored number is never changed by reading it again.
func TestStoredFormRoundTrips(t *testing.T) {
	for _, typed := range []string{"01632 960001 ext 123", "+353 87 123 4567", "07700 900982"} {
		stored, err := phone.Parse(typed)
		if err != nil {
			t.Fatalf("%q: %v", typed, err)
		}
		if again, err := phone.Parse(stored); err != nil || again != stored {
			t.Errorf("%q: stored %q, read again as %q, %v", typed, stored, again, err)
		}
	}
}
