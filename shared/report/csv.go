package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

// Header is the download's first row: the reference, area and route, the
// status now, the first time the referral reached each status, the
// version of the rules it was decided under and each rule's outcome
// (eligibility.RuleOrder, as given to CSV), and the close reason's code.
// No column holds personal data: evaluators and funders ask for exactly
// this (issue 15).
func Header(rules []string) []string {
	h := []string{"reference", "area", "route", "status"}
	for _, s := range referral.Statuses {
		h = append(h, string(s)+"_at")
	}
	h = append(h, "rules_version")
	for _, r := range rules {
		h = append(h, "rule_"+strings.ReplaceAll(r, "-", "_"))
	}
	return append(h, "close_reason")
}

// CSV writes refs as the download: Header(rules), then one row per
// referral, times in UTC as RFC 3339, a rule's outcome as "passed",
// "failed" or "" (not decided). Every cell is made safe for spreadsheets
// (SafeCell). It returns the writer's error.
func CSV(w io.Writer, refs []Referral, rules []string) error {
	out := csv.NewWriter(w)
	row := func(cells []string) error {
		for i := range cells {
			cells[i] = SafeCell(cells[i])
		}
		return out.Write(cells)
	}
	if err := row(Header(rules)); err != nil {
		return fmt.Errorf("write the report's download: %w", err)
	}
	for _, r := range refs {
		cells := []string{r.Reference, r.Area, string(r.Route), string(r.Status)}
		for _, s := range referral.Statuses {
			at := ""
			if i := slices.IndexFunc(r.Path, func(p Step) bool { return p.Status == s }); i >= 0 {
				at = r.Path[i].At.UTC().Format(time.RFC3339)
			}
			cells = append(cells, at)
		}
		version := ""
		if len(r.Rules) > 0 {
			version = fmt.Sprint(r.RulesVersion)
		}
		cells = append(cells, version)
		for _, name := range rules {
			outcome := ""
			if i := slices.IndexFunc(r.Rules, func(o Rule) bool { return o.Rule == name }); i >= 0 {
				outcome = "failed"
				if r.Rules[i].Passed {
					outcome = "passed"
				}
			}
			cells = append(cells, outcome)
		}
		cells = append(cells, r.CloseReason)
		if err := row(cells); err != nil {
			return fmt.Errorf("write the report's download: %w", err)
		}
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return fmt.Errorf("write the report's download: %w", err)
	}
	return nil
}

// SafeCell returns a cell that a spreadsheet will not run as a formula:
// one starting with =, +, -, @, a tab or a carriage return gets a single
// quote before it (OWASP's CSV injection advice). The download's cells
// are codes and times, but a code or reference is never trusted to stay
// so.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
