package local_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestBodiesAreRefusedWholeOnEveryRoute: a client's mistake is a 4xx, never
// a 5xx, on every route with a body, and nothing of it is stored: a
// 450,000-character reason (which DynamoDB refused, answered 503), keys in
// another letter case (`{"Reason": "completed"}` closed a case), a key
// given twice, data after the JSON; a form over its limit gets a page.
func TestBodiesAreRefusedWholeOnEveryRoute(t *testing.T) {
	serial(t)
	ref := submit(t, submission(t, "bodies", nil))
	awaitStatus(t, ref, "allocated")
	cm, ld := "cm1@bodies.drive.example", lead("bodies") // "bodies" has one case manager
	before := len(logs.String())
	huge := func(n int) string { return `{"reason": "` + strings.Repeat("a", n) + `"}` }
	steps := []struct {
		who, method, path, body string
		want                    int
	}{
		{cm, "POST", "/cases/" + ref + "/accept", huge(450_000), 413},
		{cm, "POST", "/cases/" + ref + "/accept", huge(398_000), 413},
		{cm, "POST", "/cases/" + ref + "/accept", huge(101), 422},
		{cm, "POST", "/cases/" + ref + "/accept", `{"Reason": "ok"}`, 422},
		{cm, "POST", "/cases/" + ref + "/close", `{"Reason": "completed"}`, 422},
		{cm, "POST", "/cases/" + ref + "/close", `{"reason": "completed", "reason": "other"}`, 422},
		{cm, "POST", "/cases/" + ref + "/close", `{"reason": "completed"} {"reason": "other"}`, 400},
		{cm, "POST", "/cases/" + ref + "/decline", `{"Reason": "knows-the-family"}`, 422},
		{cm, "POST", "/cases/" + ref + "/decline", `{"reason": "other"}`, 422},
		{cm, "POST", "/cases/" + ref + "/decline", huge(450_000), 413},
		{officer, "POST", "/referrals/" + ref + "/withdraw", `{"Reason": "Victim moved away"}`, 422},
		{officer, "POST", "/referrals/" + ref + "/withdraw", huge(450_000), 413},
		{ld, "POST", "/cases/" + ref + "/reallocate", `{"reason": "Leaving", "CaseManager": "bodies-cm1"}`, 422},
		{admin, "PUT", "/areas/bodies", `{"Name": "Bodies", "minimumAge": 18, "dashThreshold": 14, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true}`, 422},
		{admin, "PUT", "/areas/bodies", `{"name": "Bodies", "minimumAge": 18, "dashThreshold": 14, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true, "idvaService": "` + strings.Repeat("a", 9000) + `@x.example"}`, 413},
		{admin, "PUT", "/areas/bodies/case-managers/bodies-cm1", `{"name": "Manager 1 of bodies", "email": "cm1@bodies.drive.example", "capacity": 0, "active": false}]`, 400},
	}
	for _, s := range steps {
		code, out := call(t, s.who, s.method, s.path, s.body)
		if code != s.want {
			t.Errorf("%s %s %.60s: got %d %v, want %d", s.method, s.path, s.body, code, out, s.want)
		}
	}
	// Nothing of it was stored: the case is as it was, its history short.
	code, out := call(t, cm, "GET", "/cases/"+ref, "")
	hist, _ := out["history"].([]any)
	if code != 200 || out["status"] != "allocated" || len(hist) != 3 {
		t.Errorf("the case after the refusals: got %d %v, want allocated with 3 history records", code, out)
	}
	m, err := stack.Store.CaseManager(t.Context(), "bodies", "bodies-cm1")
	if err != nil || m.Capacity != 2 || !m.Active {
		t.Errorf("bodies-cm1: got %+v %v, want capacity 2 and active, as seeded", m, err)
	}
	if a, err := stack.Store.Area(t.Context(), "bodies"); err != nil || a.IDVAService != "" || a.Version != 1 {
		t.Errorf("area bodies: got %+v %v, want version 1 without an IDVA service", a, err)
	}
	for _, l := range strings.Split(logs.String()[before:], "\n") {
		if strings.Contains(l, "request failed") {
			t.Errorf("a client's mistake was logged as our fault: %.300s", l)
		}
	}
	// The control: the case manager accepts with a reason of the right length.
	if code, out := call(t, cm, "POST", "/cases/"+ref+"/accept", huge(100)); code != 200 || out["status"] != "accepted" {
		t.Errorf("accept with a 100-character reason: got %d %v, want 200 accepted", code, out)
	}

	// The form has its limit too, answered with a page.
	form := completeForm(t, "bodies", "Bodiesform")
	form.Set("reason", strings.Repeat("a", 70<<10))
	if code, h, page := postForm(t, form); code != http.StatusRequestEntityTooLarge || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(page, "too long to send") {
		t.Errorf("a form over 64 KiB: got %d %s, want a 413 page saying the form is too long to send", code, h.Get("Content-Type"))
	}
}
