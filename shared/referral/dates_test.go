package referral_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/referral"
)

func TestDateFromParts(t *testing.T) {
	const what = "The date of the MARAC"
	tests := []struct {
		day, month, year string
		want             string // the date, or the message's words
		parts            []string
	}{
		// What the GOV.UK guidance asks a service to accept.
		{"2", "2", "2026", "2026-02-02", nil},
		{"02", "02", "2026", "2026-02-02", nil},
		{" 2 ", " Feb ", " 2026 ", "2026-02-02", nil},
		{"2nd", "Feb", "2026", "2026-02-02", nil},
		{"2ND", "FEB", "2026", "2026-02-02", nil},
		{"1st", "february", "2026", "2026-02-01", nil},
		{"21st", "February", "2026", "2026-02-21", nil},
		{"3rd", "Mar.", "2026", "2026-03-03", nil},
		{"11th", "sept", "2025", "2025-09-11", nil},
		{"30th", "Sep", "2025", "2025-09-30", nil},
		{"22nd", "Sept.", "2025", "2025-09-22", nil},
		{"31", "dec", "1999", "1999-12-31", nil},
		{"29", "feb", "2024", "2024-02-29", nil},
		{"4", "jun", "1984", "1984-06-04", nil},
		{"4", "jul", "1984", "1984-07-04", nil},
		{"4", "augu", "1984", "1984-08-04", nil},
		{"", "", "", "", nil},
		// Each part that is missing or wrong is named.
		{"", "Feb", "2026", "must include a day", []string{"day"}},
		{"2", "", "2026", "must include a month", []string{"month"}},
		{"2", "Feb", "", "must include a year", []string{"year"}},
		{"", "", "2026", "must include a day and month", []string{"day", "month"}},
		{"x", "Feb", "2026", "the day must be a number from 1 to 31", []string{"day"}},
		{"32", "Feb", "2026", "the day must be a number from 1 to 31", []string{"day"}},
		{"0", "Feb", "2026", "the day must be a number from 1 to 31", []string{"day"}},
		{"-1", "Feb", "2026", "the day must be a number from 1 to 31", []string{"day"}},
		{"st", "Feb", "2026", "the day must be a number from 1 to 31", []string{"day"}},
		{"2", "Fe", "2026", "the month must be a number from 1 to 12 or its name", []string{"month"}},
		{"2", "Ju", "2026", "the month must be a number from 1 to 12 or its name", []string{"month"}},
		{"2", "13", "2026", "the month must be a number from 1 to 12 or its name", []string{"month"}},
		{"2", "Febuary", "2026", "the month must be a number from 1 to 12 or its name", []string{"month"}},
		{"2", "Feb", "26", "the year must have 4 numbers", []string{"year"}},
		{"2", "Feb", "20266", "the year must have 4 numbers", []string{"year"}},
		{"2", "Feb", "２０２６", "the year must have 4 numbers", []string{"year"}},
		{"30", "Feb", "2026", "must be a real date: February 2026 has 28 days", []string{"day"}},
		{"31", "April", "2026", "must be a real date: April 2026 has 30 days", []string{"day"}},
		{"x", "y", "2026", "must be a real date: check the day and month", []string{"day", "month"}},
	}
	for _, tt := range tests {
		t.Run(tt.day+"/"+tt.month+"/"+tt.year, func(t *testing.T) {
			got, err := referral.DateFromParts(what, tt.day, tt.month, tt.year)
			var de *referral.DateError
			switch {
			case tt.parts == nil && (err != nil || got != tt.want):
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			case tt.parts != nil && !errors.As(err, &de):
				t.Errorf("got %q, %v; want a DateError", got, err)
			case tt.parts != nil && (!strings.HasPrefix(de.Message, what+" must ") || !strings.Contains(de.Message, tt.want) || !slices.Equal(de.Parts, tt.parts)):
				t.Errorf("got %q on %v, want %q on %v", de.Message, de.Parts, tt.want, tt.parts)
			}
		})
	}
}
