package local_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	var r *bytes.Reader
	if body != "" {
		r = bytes.NewReader([]byte(body))
	} else {
		r = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, stack.URL+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestCaseLifeFreesCapacityForTheOldestWaiting(t *testing.T) {
	// "life" has one manager of capacity 1.
	samePerson := func(m map[string]any) {
		p := m["perpetrator"].(map[string]any)
		p["firstName"], p["lastName"], p["pncId"] = "Lifetest", "Person", "26/9999999L"
	}
	first := submit(t, submission(t, "life", samePerson))
	awaitStatus(t, first, "allocated")
	second := submit(t, submission(t, "life", nil))
	awaitStatus(t, second, "waitlisted")
	third := submit(t, submission(t, "life", nil))
	awaitStatus(t, third, "waitlisted")

	steps := []struct {
		method, path, body string
		want               int
		status, words      string
	}{
		{"POST", "/cases/" + first + "/accept", "", 200, "accepted", ""},
		{"POST", "/cases/" + first + "/accept", "", 409, "", "A referral that is accepted cannot be accepted."},
		{"POST", "/cases/" + first + "/close", `{"reason": "bored"}`, 422, "", ""},
		{"POST", "/cases/" + first + "/close", `{"reason": "completed", "note": "Intervention finished"}`, 200, "closed", ""},
		{"POST", "/cases/" + first + "/close", `{"reason": "completed"}`, 409, "", "A referral that is closed cannot be closed."},
		{"POST", "/referrals/" + third + "/withdraw", `{"reason": "Victim moved away"}`, 200, "withdrawn", ""},
		{"POST", "/cases/DRV-2222-2222/accept", "", 404, "", ""},
	}
	for _, s := range steps {
		code, out := call(t, s.method, s.path, s.body)
		if code != s.want || (s.status != "" && out["status"] != s.status) || (s.words != "" && out["message"] != s.words) {
			t.Errorf("%s %s %s: got %d %v, want %d %s %q", s.method, s.path, s.body, code, out, s.want, s.status, s.words)
		}
	}
	// Once closed, the perpetrator can be referred again.
	if code, out := post(t, submission(t, "life", samePerson), "application/json"); code != http.StatusAccepted {
		t.Errorf("same perpetrator after the case closed: got %d %v, want 202", code, out)
	}
	// Closing the first freed its manager's place: the oldest waiting took it.
	awaitStatus(t, second, "allocated")
	if _, v3 := status(t, third); v3.Status != "withdrawn" {
		t.Errorf("the withdrawn referral is %s, want withdrawn (not allocated)", v3.Status)
	}
	m, _ := stack.Store.CaseManager(t.Context(), "life", "life-cm1")
	if m.Caseload != 1 {
		t.Errorf("got caseload %d, want 1 (second allocated after first closed)", m.Caseload)
	}
	code, out := call(t, "GET", "/cases?caseManager=life-cm1", "")
	cases, _ := out["cases"].([]any)
	if code != 200 || len(cases) != 2 {
		t.Fatalf("got %d %v, want the manager's 2 cases (one closed)", code, out)
	}
	code, out = call(t, "GET", "/cases/"+first, "")
	hist, _ := out["history"].([]any)
	var path []string
	for _, h := range hist {
		path = append(path, h.(map[string]any)["to"].(string))
	}
	if code != 200 || strings.Join(path, ">") != "received>eligible>allocated>accepted>closed" {
		t.Errorf("case history: got %d %v, want received>eligible>allocated>accepted>closed", code, path)
	}
}
