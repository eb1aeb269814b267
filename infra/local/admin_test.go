package local_test

import (
	"testing"
)

func TestAdminAreasAndCaseManagers(t *testing.T) {
	serial(t)
	steps := []struct {
		method, path, body string
		want               int
		check              func(map[string]any) bool
	}{
		{"PUT", "/areas/kent", `{"name": "Kent", "minimumAge": 18, "dashThreshold": 14, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true}`, 200,
			func(o map[string]any) bool { return o["version"] == 1.0 && o["name"] == "Kent" }},
		{"PUT", "/areas/kent", `{"name": "Kent", "minimumAge": 18, "dashThreshold": 12, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": false}`, 200,
			func(o map[string]any) bool { return o["version"] == 2.0 && o["dashThreshold"] == 12.0 }},
		{"PUT", "/areas/kent", `{"name": "", "minimumAge": 5, "dashThreshold": 30, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true}`, 422,
			func(o map[string]any) bool { e, _ := o["errors"].([]any); return len(e) == 3 }},
		{"PUT", "/areas/kent", `{"name": "Kent", "colour": "green"}`, 422, nil},
		{"PUT", "/areas/kent", `{"Name": "Kent", "minimumAge": 18, "dashThreshold": 12, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": false}`, 422, nil},
		{"GET", "/areas/kent", "", 200, func(o map[string]any) bool { return o["version"] == 2.0 }},
		{"GET", "/areas/narnia", "", 404, nil},
		{"PUT", "/areas/kent/case-managers/kent-cm1", `{"name": "Robin Hale", "email": "robin.hale@drive.example", "capacity": 0, "active": true}`, 200,
			func(o map[string]any) bool { return o["capacity"] == 0.0 && o["caseload"] == 0.0 }},
		{"PUT", "/areas/kent/case-managers/kent-cm2", `{"name": "", "email": "nope", "capacity": 99, "active": true}`, 422,
			func(o map[string]any) bool { e, _ := o["errors"].([]any); return len(e) == 3 }},
		{"PUT", "/areas/flow/case-managers/kent-cm1", `{"name": "Robin Hale", "email": "robin.hale@drive.example", "capacity": 5, "active": true}`, 409, nil},
		{"PUT", "/areas/narnia/case-managers/x1", `{"name": "A", "email": "a@drive.example", "capacity": 5, "active": true}`, 404, nil},
		{"GET", "/areas/kent/case-managers", "", 200, func(o map[string]any) bool { c, _ := o["caseManagers"].([]any); return len(c) == 1 }},
	}
	for _, s := range steps {
		code, out := call(t, admin, s.method, s.path, s.body)
		if code != s.want || (s.check != nil && !s.check(out)) {
			t.Errorf("%s %s %s: got %d %v, want %d", s.method, s.path, s.body, code, out, s.want)
		}
	}
	// Each change through the API is recorded as the admin's, from and to,
	// with the creation: the area page's list of changes.
	log, err := stack.Store.ChangeLog(t.Context(), "kent", 50)
	found := map[string]string{}
	for _, c := range log {
		if c.CaseManagerID == "" {
			found[c.What] = c.From + " to " + c.To + " by " + c.By
		}
	}
	for what, want := range map[string]string{"Created": " to Kent by " + admin, "DASH threshold": "14 to 12 by " + admin, "A MARAC referral qualifies": "Yes to No by " + admin} {
		if err != nil || found[what] != want {
			t.Errorf("change log of kent: %s: got %q (%v), want %q", what, found[what], err, want)
		}
	}
	// Kent's manager has no room: a referral waits, and its decision names
	// the rules' version it used.
	ref := submit(t, submission(t, "kent", nil))
	v := awaitStatus(t, ref, "waitlisted")
	if v.Decision == nil || v.Decision.RulesVersion != 2 {
		t.Errorf("got decision %+v, want rules version 2", v.Decision)
	}
	// Raising the capacity frees a place: the waiting referral is allocated.
	if code, out := call(t, admin, "PUT", "/areas/kent/case-managers/kent-cm1", `{"name": "Robin Hale", "email": "robin.hale@drive.example", "capacity": 3, "active": true}`); code != 200 {
		t.Fatalf("raise capacity: got %d %v", code, out)
	}
	awaitStatus(t, ref, "allocated")
}

func TestReportSummary(t *testing.T) {
	serial(t)
	// "report" has one manager of capacity 1: one referral allocated, one waiting.
	first := submit(t, submission(t, "report", nil))
	awaitStatus(t, first, "allocated")
	second := submit(t, submission(t, "report", nil))
	awaitStatus(t, second, "waitlisted")
	code, out := call(t, lead("report"), "GET", "/reports/summary?area=report", "")
	by, _ := out["byStatus"].(map[string]any)
	tta, _ := out["timeToAllocation"].(map[string]any)
	wl, _ := out["waitlist"].(map[string]any)
	ms, _ := out["caseManagers"].([]any)
	if code != 200 || out["referrals"] != 2.0 || by["allocated"] != 1.0 || by["waitlisted"] != 1.0 || out["eligibilityRate"] != 1.0 ||
		tta["count"] != 1.0 || tta["medianSeconds"] == nil || wl["length"] != 1.0 || wl["oldestWaitSeconds"] == nil ||
		len(ms) != 1 || ms[0].(map[string]any)["percentOfCapacity"] != 100.0 {
		t.Errorf("got %d %v", code, out)
	}
	if code, _ := call(t, lead("report"), "GET", "/reports/summary?area=narnia", ""); code != 403 {
		t.Errorf("an area the lead does not lead: got %d, want 403", code)
	}
}
