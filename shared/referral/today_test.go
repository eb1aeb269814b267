package referral_test

import (
	"slices"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

func TestLondon(t *testing.T) {
	if got := referral.London.String(); got != "Europe/London" {
		t.Fatalf("got zone %q, want Europe/London", got)
	}
	for _, tt := range []struct {
		at   time.Time
		want int // offset in hours
	}{
		{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), 0},
		{time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC), 1},
	} {
		if _, off := tt.at.In(referral.London).Zone(); off != tt.want*3600 {
			t.Errorf("%s: got offset %ds, want %dh", tt.at, off, tt.want)
		}
	}
}

// The clocks go forward at 01:00 UTC on 29 March 2026 and back at 01:00
// UTC on 25 October 2026.
func TestToday(t *testing.T) {
	utc := func(mo time.Month, d, h, min int) time.Time { return time.Date(2026, mo, d, h, min, 0, 0, time.UTC) }
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"00:30 BST in summer, still yesterday in UTC", utc(6, 10, 23, 30), "2026-06-11"},
		{"23:30 BST in summer", utc(6, 11, 22, 30), "2026-06-11"},
		{"00:30 GMT in winter", utc(1, 10, 0, 30), "2026-01-10"},
		{"spring forward: 23:59 GMT the night before", utc(3, 28, 23, 59), "2026-03-28"},
		{"spring forward: 00:30 GMT, before the change", utc(3, 29, 0, 30), "2026-03-29"},
		{"spring forward: 02:30 BST, after the change", utc(3, 29, 1, 30), "2026-03-29"},
		{"spring forward: 00:30 BST the next night", utc(3, 29, 23, 30), "2026-03-30"},
		{"fall back: 00:30 BST, before the change", utc(10, 24, 23, 30), "2026-10-25"},
		{"fall back: the first 01:30 (BST)", utc(10, 25, 0, 30), "2026-10-25"},
		{"fall back: the second 01:30 (GMT)", utc(10, 25, 1, 30), "2026-10-25"},
		{"fall back: 23:30 GMT that evening", utc(10, 25, 23, 30), "2026-10-25"},
		{"an instant in another zone", time.Date(2026, 6, 11, 8, 30, 0, 0, time.FixedZone("AEST", 10*3600)), "2026-06-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := referral.Today(tt.now).Format(time.DateOnly); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestDatesAreJudgedInUKTime: a MARAC held today, or a perpetrator
// turning 18 today, at 00:30 British Summer Time, and on the days the
// clocks change.
func TestDatesAreJudgedInUKTime(t *testing.T) {
	tests := []struct {
		name     string
		now      time.Time
		date     string // the MARAC's date and the 18th birthday
		tomorrow string
	}{
		{"00:30 BST", time.Date(2026, 6, 10, 23, 30, 0, 0, time.UTC), "2026-06-11", "2026-06-12"},
		{"00:30 BST the day after the clocks go forward", time.Date(2026, 3, 29, 23, 30, 0, 0, time.UTC), "2026-03-30", "2026-03-31"},
		{"00:30 BST on the day the clocks go back", time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), "2026-10-25", "2026-10-26"},
		{"00:30 GMT on the day the clocks go forward", time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), "2026-03-29", "2026-03-30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := example(t)
			r.MARACDate = tt.date
			if errs := r.Validate(tt.now); errs != nil {
				t.Errorf("MARAC held today: got %v, want no errors", errs)
			}
			r.MARACDate = tt.tomorrow
			var got []string
			for _, e := range r.Validate(tt.now) {
				got = append(got, e.Field)
			}
			if !slices.Equal(got, []string{"maracDate"}) {
				t.Errorf("MARAC tomorrow: got errors on %v, want maracDate", got)
			}
			birth, _ := referral.ParseDate(tt.date)
			r.Perpetrator.DateOfBirth = birth.AddDate(-18, 0, 0).Format(time.DateOnly)
			if age, _ := r.AgeOn(tt.now); age != 18 {
				t.Errorf("on the 18th birthday: got age %d, want 18", age)
			}
		})
	}
}
