package main

import (
	"net/url"
	"strings"
	"testing"
)

// TestFormReadsDatesAsTyped: the form's date boxes take month names and
// ordinal days, and an error names the box that is wrong.
func TestFormReadsDatesAsTyped(t *testing.T) {
	tests := []struct {
		day, month, year string
		want, words      string
	}{
		{"2nd", "Feb", "2026", "2026-02-02", ""},
		{"2", "february", "2026", "2026-02-02", ""},
		{"11th", "Sept", "2025", "2025-09-11", ""},
		{"2", "Fbe", "2026", "", "the month must be"},
		{"2", "Feb", "26", "", "the year must have 4 numbers"},
		{"", "Feb", "2026", "", "must include a day"},
	}
	for _, tt := range tests {
		t.Run(tt.day+" "+tt.month+" "+tt.year, func(t *testing.T) {
			v := url.Values{"maracDate-day": {tt.day}, "maracDate-month": {tt.month}, "maracDate-year": {tt.year},
				"perpetrator.dateOfBirth-day": {tt.day}, "perpetrator.dateOfBirth-month": {tt.month}, "perpetrator.dateOfBirth-year": {tt.year}}
			r, errs := fromForm(v)
			if r.MARACDate != tt.want || r.Perpetrator.DateOfBirth != tt.want {
				t.Errorf("got %q and %q, want %q", r.MARACDate, r.Perpetrator.DateOfBirth, tt.want)
			}
			var msgs []string
			for _, e := range errs {
				if e.Field == "maracDate" || e.Field == "perpetrator.dateOfBirth" {
					msgs = append(msgs, e.Message)
				}
			}
			if tt.words == "" && len(msgs) > 0 {
				t.Errorf("got errors %q, want none", msgs)
			}
			if tt.words != "" && (len(msgs) != 2 || !strings.Contains(msgs[0], tt.words) || !strings.HasPrefix(msgs[1], "The perpetrator's date of birth")) {
				t.Errorf("got errors %q, want both dates' to say %q", msgs, tt.words)
			}
		})
	}
}
