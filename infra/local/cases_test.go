package local_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// call sends a JSON request signed in as who ("" for no token) and
// decodes the answer.
func call(t *testing.T, who, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(as(t.Context(), who), method, stack.URL+path, bytes.NewReader([]byte(body)))
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
	serial(t)
	// "life" has one manager of capacity 1.
	samePerson := func(m map[string]any) {
		p := m["perpetrator"].(map[string]any)
		p["firstName"], p["lastName"], p["pncId"] = "Lifetest", "Person", "26/9999999J"
	}
	first := submit(t, submission(t, "life", samePerson))
	awaitStatus(t, first, "allocated")
	second := submit(t, submission(t, "life", nil))
	awaitStatus(t, second, "waitlisted")
	third := submit(t, submission(t, "life", nil))
	awaitStatus(t, third, "waitlisted")

	cm := "cm1@life.drive.example"
	steps := []struct {
		who, method, path, body string
		want                    int
		status, words           string
	}{
		{cm, "POST", "/cases/" + first + "/accept", "", 200, "accepted", ""},
		// Sent again (a retry whose answer was lost): answered as the first, nothing changed.
		{cm, "POST", "/cases/" + first + "/accept", "", 200, "accepted", ""},
		{cm, "POST", "/cases/" + first + "/close", `{"reason": "bored"}`, 422, "", ""},
		{cm, "POST", "/cases/" + first + "/close", `{"reason": "moved-out-of-area", "note": "Moved in with his mother in Leeds"}`, 200, "closed", ""},
		{cm, "POST", "/cases/" + first + "/close", `{"reason": "completed"}`, 200, "closed", ""},
		// Another action on an ended referral is still refused.
		{cm, "POST", "/cases/" + first + "/accept", "", 409, "", "A referral that is closed cannot be accepted."},
		{officer, "POST", "/referrals/" + third + "/withdraw", `{"reason": "Victim moved away", "note": "Sent by mistake twice"}`, 200, "withdrawn", ""},
		{cm, "POST", "/cases/DRV-2222-2222/accept", "", 404, "", ""},
	}
	for _, s := range steps {
		code, out := call(t, s.who, s.method, s.path, s.body)
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
	code, out := call(t, cm, "GET", "/cases?caseManager=life-cm1", "")
	cases, _ := out["cases"].([]any)
	if code != 200 || len(cases) != 2 {
		t.Fatalf("got %d %v, want the manager's 2 cases (one closed)", code, out)
	}
	code, out = call(t, cm, "GET", "/cases/"+first, "")
	hist, _ := out["history"].([]any)
	var path []string
	for _, h := range hist {
		path = append(path, h.(map[string]any)["to"].(string))
	}
	if code != 200 || strings.Join(path, ">") != "received>eligible>allocated>accepted>closed" {
		t.Errorf("case history: got %d %v, want received>eligible>allocated>accepted>closed", code, path)
	}
	// Every row is in words and names who acted, never by email; the case
	// manager's note on closing is for staff: the officer sees the outcome.
	rows := func(out map[string]any) string {
		var lines []string
		for _, h := range out["history"].([]any) {
			lines = append(lines, fmt.Sprint(h.(map[string]any)["reason"], " | ", h.(map[string]any)["note"]))
		}
		return strings.Join(lines, "\n")
	}
	staffSees := rows(out)
	_, mine := call(t, officer, "GET", "/referrals/"+first, "")
	officerSees := rows(mine)
	_, withdrawn := call(t, officer, "GET", "/referrals/"+third, "")
	for _, want := range []string{"Referral received from PC Sam Taylor", "Decided: eligible", "Allocated to Manager 1 of life",
		"Accepted by Manager 1 of life", "Closed by Manager 1 of life: moved out of area"} {
		if !strings.Contains(staffSees, want) || !strings.Contains(officerSees, want) {
			t.Errorf("history lacks %q:\nthe manager's:\n%s\nthe officer's:\n%s", want, staffSees, officerSees)
		}
	}
	if !strings.Contains(staffSees, "Moved in with his mother in Leeds") || strings.Contains(officerSees, "Leeds") {
		t.Errorf("the close note: want it in the manager's history and not the officer's:\n%s\n%s", staffSees, officerSees)
	}
	if got := rows(withdrawn); !strings.Contains(got, "Put on the waiting list") || !strings.Contains(got, "Withdrawn by PC Sam Taylor: Victim moved away") {
		t.Errorf("the withdrawn referral's history:\n%s\nwant it waitlisted and withdrawn by PC Sam Taylor in words", got)
	}
	for _, said := range []string{staffSees, officerSees, rows(withdrawn)} {
		if strings.Contains(said, "@") || strings.Contains(said, "moved-out-of-area") || strings.Contains(said, "accept |") {
			t.Errorf("history shows an email or a code:\n%s", said)
		}
	}
	_, officersPage := getPage(t, "/referrals/"+first+"/status")
	cmsPage := pageAs(t, cm, "/referrals/"+first+"/status")
	for _, want := range []string{"Accepted by Manager 1 of life", "Closed by Manager 1 of life: moved out of area"} {
		if !strings.Contains(officersPage, want) || !strings.Contains(cmsPage, want) {
			t.Errorf("the status pages lack %q", want)
		}
	}
	if strings.Contains(officersPage, "Leeds") || !strings.Contains(cmsPage, "Leeds") {
		t.Error("the close note: want it on the case manager's status page and not on the officer's")
	}
}

func TestReallocationMovesTheCaseAndTellsBothManagers(t *testing.T) {
	serial(t)
	// "move" has three managers of capacity 1: the first referral goes to
	// move-cm1 (all equal; ties by id).
	a := submit(t, submission(t, "move", nil))
	awaitStatus(t, a, "allocated")
	if code, out := call(t, "cm1@move.drive.example", "POST", "/cases/"+a+"/accept", ""); code != 200 {
		t.Fatalf("accept: got %d %v", code, out)
	}
	caseload := func(id string) int {
		m, err := stack.Store.CaseManager(t.Context(), "move", id)
		if err != nil {
			t.Fatal(err)
		}
		return m.Caseload
	}
	steps := []struct {
		body    string
		want    int
		manager string
		words   string
	}{
		{`{"caseManager": "move-cm3"}`, 422, "", ""},
		{`{"reason": "Conflict of interest", "caseManager": "nobody"}`, 422, "", ""},
		{`{"reason": "Conflict of interest", "caseManager": "move-cm1"}`, 409, "", "The case is already with Manager 1 of move. Choose someone else, or the best candidate."},
		{`{"reason": "Conflict of interest", "caseManager": "move-cm3"}`, 200, "move-cm3", ""},
	}
	for _, s := range steps {
		code, out := call(t, lead("move"), "POST", "/cases/"+a+"/reallocate", s.body)
		cm, _ := out["caseManager"].(map[string]any)
		if code != s.want || (s.manager != "" && (cm["id"] != s.manager || out["status"] != "allocated")) || (s.words != "" && out["message"] != s.words) {
			t.Errorf("reallocate %s: got %d %v, want %d %s %q", s.body, code, out, s.want, s.manager, s.words)
		}
	}
	if c1, c3 := caseload("move-cm1"), caseload("move-cm3"); c1 != 0 || c3 != 1 {
		t.Errorf("caseloads after the move: move-cm1 %d, move-cm3 %d; want 0 and 1", c1, c3)
	}
	for id, want := range map[string]int{"move-cm1": 0, "move-cm3": 1} {
		if _, out := call(t, lead("move"), "GET", "/cases?caseManager="+id, ""); len(out["cases"].([]any)) != want {
			t.Errorf("%s lists %v, want %d cases", id, out["cases"], want)
		}
	}
	// Its new manager's list (their home page) says when it came to them,
	// not when it came to the old one (fresh tester of issue 14).
	if rec, err := stack.Store.Referral(t.Context(), a); err != nil || rec.CaseManager == nil {
		t.Errorf("after the move: got %+v %v", rec, err)
	} else if cases, err := stack.Store.CasesOf(t.Context(), "move-cm3"); err != nil || len(cases) != 1 || !cases[0].AllocatedAt.Equal(rec.CaseManager.Since) {
		t.Errorf("move-cm3's case: got %+v %v, want allocated at %v, when it moved to them", cases, err, rec.CaseManager.Since)
	}
	_, out := call(t, lead("move"), "GET", "/cases/"+a, "")
	var path []string
	for _, h := range out["history"].([]any) {
		path = append(path, h.(map[string]any)["to"].(string))
	}
	if got := strings.Join(path, ">"); got != "received>eligible>allocated>accepted>allocated" || out["caseManagerId"] != "move-cm3" {
		t.Errorf("case after the move: history %s, manager %v; want received>eligible>allocated>accepted>allocated with move-cm3", got, out["caseManagerId"])
	}
	// The history names people; the lead's reason for the move is for
	// staff: the officer who referred sees that it moved, not why.
	said := func(out map[string]any) string {
		var lines []string
		for _, h := range out["history"].([]any) {
			lines = append(lines, fmt.Sprint(h.(map[string]any)["reason"], " | ", h.(map[string]any)["note"]))
		}
		return strings.Join(lines, "\n")
	}
	if got := said(out); !strings.Contains(got, "Allocated to Manager 1 of move") || !strings.Contains(got, "Reallocated by Lead of move from Manager 1 of move to Manager 3 of move | Conflict of interest") || strings.Contains(got, "move-cm") {
		t.Errorf("the lead's history of the case:\n%s\nwant people named, not ids, and the lead's reason", got)
	}
	// The officer follows the referral, not the case (whose details are
	// for its case manager and the leads): GET /cases/{id} is 404 to them.
	if code, _ := call(t, officer, "GET", "/cases/"+a, ""); code != 404 {
		t.Errorf("GET /cases/%s as the officer who referred: got %d, want 404", a, code)
	}
	if _, mine := call(t, officer, "GET", "/referrals/"+a, ""); !strings.Contains(said(mine), "Reallocated by Lead of move from Manager 1 of move to Manager 3 of move") || strings.Contains(said(mine), "Conflict of interest") {
		t.Errorf("the officer's history of the case:\n%s\nwant the move without the lead's reason", said(mine))
	}
	_, officersPage := getPage(t, "/referrals/"+a+"/status")
	leadsPage := pageAs(t, lead("move"), "/referrals/"+a+"/status")
	for _, want := range []string{"Reallocated by Lead of move from Manager 1 of move to Manager 3 of move", `id="area">Move</dd>`} {
		if !strings.Contains(officersPage, want) || !strings.Contains(leadsPage, want) {
			t.Errorf("the status pages lack %s", want)
		}
	}
	if strings.Contains(officersPage, "Conflict of interest") || !strings.Contains(leadsPage, "Conflict of interest") {
		t.Error("the lead's reason for the move: want it on the lead's status page and not on the officer's")
	}
	// Both managers hear of it: move-cm1 that it moved, move-cm3 that it is
	// theirs (with the first allocation, the referrer's outcome and the
	// referrer's news that it was accepted: 5).
	var to []string
	for _, e := range awaitEmails(t, a, 5) {
		to = append(to, strings.Join(e.To, ",")+": "+e.Subject)
		assertNoPersonalData(t, "email", e.Subject+e.Body)
	}
	slices.Sort(to)
	want := []string{
		"cm1@move.drive.example: Drive referral " + a + " has been allocated to you",
		"cm1@move.drive.example: Drive referral " + a + " has been reallocated",
		"cm3@move.drive.example: Drive referral " + a + " has been allocated to you",
		"sam.taylor@essex.police.example: Drive referral " + a + ": accepted by the case manager",
		"sam.taylor@essex.police.example: Drive referral " + a + ": allocated to a case manager",
	}
	if !slices.Equal(to, want) {
		t.Errorf("emails:\n%s\nwant:\n%s", strings.Join(to, "\n"), strings.Join(want, "\n"))
	}

	// Fill the area: move-cm2 (never allocated to) then move-cm1.
	b := submit(t, submission(t, "move", nil))
	awaitStatus(t, b, "allocated")
	c := submit(t, submission(t, "move", nil))
	awaitStatus(t, c, "allocated")
	for _, s := range []struct {
		path, body string
		words      string
	}{
		{"/cases/" + a + "/reallocate", `{"reason": "Manager leaving"}`, "No other case manager in Move has free capacity. Raise a case manager's capacity or add a case manager, then try again."},
		{"/cases/" + a + "/reallocate", `{"reason": "Manager leaving", "caseManager": "move-cm1"}`, "Manager 1 of move has no free capacity. Choose someone else, or the best candidate."},
	} {
		if code, out := call(t, lead("move"), "POST", s.path, s.body); code != 409 || out["message"] != s.words {
			t.Errorf("%s %s: got %d %v, want 409 %q", s.path, s.body, code, out, s.words)
		}
	}
	if code, out := call(t, officer, "POST", "/referrals/"+c+"/withdraw", `{"reason": "Sent to the wrong area"}`); code != 200 {
		t.Fatalf("withdraw: got %d %v", code, out)
	}
	if code, out := call(t, lead("move"), "POST", "/cases/"+c+"/reallocate", `{"reason": "Manager leaving"}`); code != 409 || !strings.Contains(fmt.Sprint(out["message"]), "this referral is withdrawn") {
		t.Errorf("reallocating a withdrawn referral: got %d %v, want 409", code, out)
	}
	// The withdrawal freed move-cm1: the area's only free place.
	if code, out := call(t, lead("move"), "POST", "/cases/"+a+"/reallocate", `{"reason": "Manager leaving"}`); code != 200 || out["caseManager"].(map[string]any)["id"] != "move-cm1" {
		t.Errorf("reallocate to whoever has room: got %d %v, want move-cm1", code, out)
	}
	for id, want := range map[string]int{"move-cm1": 1, "move-cm2": 1, "move-cm3": 0} {
		if got := caseload(id); got != want {
			t.Errorf("%s caseload %d, want %d", id, got, want)
		}
	}
}
