package referral

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DateError is a date typed in the day, month and year boxes of a GOV.UK
// date input that cannot be read. Parts are the boxes to fix ("day",
// "month", "year"), for a page to highlight; the message names them.
type DateError struct {
	Parts   []string
	Message string
}

func (e *DateError) Error() string { return e.Message }

// DateFromParts reads a date typed in the day, month and year boxes of a
// GOV.UK date input, as people type them, and returns it as YYYY-MM-DD. It
// returns "" and no error when every box is empty (the date was not
// given). what names the date in messages, with a capital: "The date of
// the MARAC".
//
// It accepts what the GOV.UK Design System's date input guidance asks a
// service to accept (design-system.service.gov.uk/components/date-input,
// "accept month names written out in full or abbreviated form", and the
// research behind it): days 1 to 31, with or without a leading zero or an
// ordinal ending (2nd, 21st); months 1 to 12, or a name, full or cut short
// to three letters or more (Feb, february, Sept); a year of 4 numbers.
//
// Otherwise it returns a *DateError whose message follows that guidance:
// "… must include a month" for a box left empty, "… must be a real date"
// with the box that is wrong, and why.
func DateFromParts(what, day, month, year string) (string, error) {
	day, month, year = strings.TrimSpace(day), strings.TrimSpace(month), strings.TrimSpace(year)
	if day == "" && month == "" && year == "" {
		return "", nil
	}
	var missing []string
	for _, p := range [][2]string{{"day", day}, {"month", month}, {"year", year}} {
		if p[1] == "" {
			missing = append(missing, p[0])
		}
	}
	if len(missing) > 0 {
		return "", &DateError{Parts: missing, Message: what + " must include a " + strings.Join(missing, " and ")}
	}
	d, dayOK := parseDay(day)
	m, monthOK := parseMonth(month)
	y, yearOK := parseYear(year)
	var wrong []string
	var why string
	if !dayOK {
		wrong, why = append(wrong, "day"), "the day must be a number from 1 to 31, like 27 or 27th"
	}
	if !monthOK {
		wrong, why = append(wrong, "month"), "the month must be a number from 1 to 12 or its name, like 3, Mar or March"
	}
	if !yearOK {
		wrong, why = append(wrong, "year"), "the year must have 4 numbers, like 1984"
	}
	switch {
	case len(wrong) > 1:
		return "", &DateError{Parts: wrong, Message: what + " must be a real date: check the " + strings.Join(wrong, " and ")}
	case len(wrong) == 1:
		return "", &DateError{Parts: wrong, Message: what + " must be a real date: " + why}
	}
	if last := daysIn(y, m); d > last {
		return "", &DateError{Parts: []string{"day"}, Message: fmt.Sprintf("%s must be a real date: %s %d has %d days", what, m, y, last)}
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), d), nil
}

// parseDay reads 1 to 31, with any leading zero and any ordinal ending,
// in any case: 2, 02, 2nd, 2ND.
func parseDay(s string) (int, bool) {
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	for _, ending := range []string{"st", "nd", "rd", "th"} {
		if n := strings.TrimSuffix(s, ending); n != s && n != "" {
			s = n
			break
		}
	}
	d, ok := digits(s)
	return d, ok && d >= 1 && d <= 31
}

// parseMonth reads 1 to 12, with any leading zero, or an English month's
// name, in any case, in full or cut short to three letters or more, with
// or without a full stop: 2, 02, Feb, feb., february, Sept.
func parseMonth(s string) (time.Month, bool) {
	if n, ok := digits(s); ok {
		return time.Month(n), n >= 1 && n <= 12
	}
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	if len(s) < 3 {
		return 0, false
	}
	for m := time.January; m <= time.December; m++ {
		if strings.HasPrefix(strings.ToLower(m.String()), s) {
			return m, true
		}
	}
	return 0, false
}

// parseYear reads a year of exactly 4 numbers: "84" could be 1984 or 2084.
func parseYear(s string) (int, bool) {
	y, ok := digits(s)
	return y, ok && len(s) == 4
}

// digits reads a whole number written only in ASCII digits (strconv.Atoi
// would take a sign).
func digits(s string) (int, bool) {
	if s == "" || len(s) > 4 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// daysIn returns the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
