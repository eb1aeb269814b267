package referral

import (
	"time"
	// The Lambda runtime image (provided.al2023) may have no zoneinfo, and
	// without it Europe/London cannot be loaded: the database is embedded.
	// It costs about 100 KB of each zipped function; every function links
	// this package, and a copy left to each main would be one more thing a
	// new function could forget.
	_ "time/tzdata"
)

// London is the UK's time zone, in which the dates of a referral (a MARAC,
// a date of birth) are written and "today" is judged: the programme works
// in England and Wales.
var London = london()

func london() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		// Unreachable: time/tzdata is embedded above. TestLondon checks.
		return time.UTC
	}
	return l
}

// Today returns the calendar day in the UK at the instant now, as midnight
// UTC of that day: the form ParseDate gives, so that dates compare as days.
// Between midnight and 1am in British Summer Time the UK is a day ahead of
// UTC; judged in UTC, a MARAC held today would be "in the future".
func Today(now time.Time) time.Time {
	y, m, d := now.In(London).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
