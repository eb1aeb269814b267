package local_test

import (
	"strings"
	"testing"
)

// TestIdsAreTidiedBeforeTheAccessCheck: an id in a query or a path is
// read in any case and spacing before the access check compares it with
// the caller's areas or id ("?area=Report" is the lead's own area), and a
// query that names nothing is the caller's mistake (400), not a refusal.
func TestIdsAreTidiedBeforeTheAccessCheck(t *testing.T) {
	serial(t)
	ref := submit(t, submission(t, "matrix", nil))
	awaitStatus(t, ref, "allocated")
	rec, err := stack.Store.Referral(t.Context(), ref)
	if err != nil || rec.CaseManager == nil {
		t.Fatalf("%s: %v %+v", ref, err, rec)
	}
	holder := strings.Replace(rec.CaseManager.ID, "matrix-cm", "cm", 1) + "@matrix.drive.example"
	steps := []struct {
		who, path string
		want      int
	}{
		{lead("report"), "/reports/summary?area=report", 200},
		{lead("report"), "/reports/summary?area=Report", 200},
		{lead("report"), "/reports/summary?area=%20REPORT%20", 200},
		{lead("report"), "/reports/summary?area=", 400},
		{lead("report"), "/reports/summary?area=%20%20", 400},
		{lead("report"), "/reports/summary", 400},
		{lead("report"), "/reports/summary?area=report&area=matrix", 400},
		{lead("report"), "/reports/summary?area=Matrix", 403},
		{lead("matrix"), "/areas/Matrix", 200},
		{lead("matrix"), "/areas/MATRIX/case-managers", 200},
		{lead("matrix"), "/areas/Matrix/case-managers/Matrix-CM1", 200},
		{lead("matrix"), "/areas/Report", 403},
		{holder, "/cases?caseManager=" + strings.ToUpper(rec.CaseManager.ID), 200},
		{holder, "/cases?caseManager=%20" + rec.CaseManager.ID + "%20", 200},
		{holder, "/cases?caseManager=", 400},
		{lead("matrix"), "/cases?caseManager=" + strings.ToUpper(rec.CaseManager.ID), 200},
		{holder, "/cases/" + strings.ToLower(ref), 200},
		{lead("matrix"), "/cases/" + strings.ToLower(strings.ReplaceAll(ref, "-", " ")), 200},
	}
	for _, s := range steps {
		code, out := call(t, s.who, "GET", s.path, "")
		if code != s.want {
			t.Errorf("GET %s as %s: got %d %v, want %d", s.path, s.who, code, out, s.want)
		}
		if s.want == 400 && !strings.HasPrefix(out["message"].(string), "Say wh") {
			t.Errorf("GET %s: got %v, want a message saying what to send", s.path, out)
		}
		if s.want == 200 && strings.HasPrefix(s.path, "/reports/") && out["area"] != "report" {
			t.Errorf("GET %s: got the report of %v, want report's", s.path, out["area"])
		}
	}
}
