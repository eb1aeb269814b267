package eligibility

import (
	"strconv"
	"strings"
)

// Change is one field of an area that changed: what, in words ("DASH
// threshold"), and its value before and after, in words. Every change to
// an area is recorded with who made it and when (issue 15; the domain
// facts' "every transition is an audit record: who, when, from, to").
type Change struct {
	What, From, To string
}

// Changes returns what changes when area old becomes a (old nil: a is
// created), one Change a field that differs, in the order the area's
// settings page shows them. It returns none when nothing differs. The
// version is not a change a person makes (each change raises it).
func Changes(old *Area, a Area) []Change {
	if old == nil {
		return []Change{{What: "Created", To: a.Name}}
	}
	var out []Change
	add := func(what, from, to string) {
		if from != to {
			out = append(out, Change{What: what, From: from, To: to})
		}
	}
	num := strconv.Itoa
	yes := func(b bool) string {
		if b {
			return "Yes"
		}
		return "No"
	}
	list := func(s []string) string { return strings.Join(s, ", ") }
	add("Name", old.Name, a.Name)
	add("Minimum age", num(old.Rules.MinimumAge), num(a.Rules.MinimumAge))
	add("DASH threshold", num(old.Rules.DashThreshold), num(a.Rules.DashThreshold))
	add("Incidents threshold", num(old.Rules.IncidentsThreshold), num(a.Rules.IncidentsThreshold))
	add("Known victims threshold", num(old.Rules.KnownVictimsThreshold), num(a.Rules.KnownVictimsThreshold))
	add("A MARAC referral qualifies", yes(old.Rules.MARACQualifies), yes(a.Rules.MARACQualifies))
	add("Leads", list(old.Leads), list(a.Leads))
	add("IDVA service", old.IDVAService, a.IDVAService)
	add("MARAC coordinator", old.MARACCoordinator, a.MARACCoordinator)
	add("IDVA email domains", list(old.IDVADomains), list(a.IDVADomains))
	return out
}
