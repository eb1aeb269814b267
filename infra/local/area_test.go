package local_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// areaPage reads the area page as who, in their signed-in browser, and
// returns its status and body.
func areaPage(t *testing.T, who, area string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", stack.URL+"/areas/"+area, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := browser(t, who).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// postArea sends one of the area page's forms as who, with the token the
// page carries, following the redirect; it returns the page answered.
func postArea(t *testing.T, who, area string, form url.Values) (int, string) {
	t.Helper()
	_, page := areaPage(t, who, area)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the area page of %s has no form token", area)
	}
	form.Set("csrf", m[1])
	resp, err := browser(t, who).PostForm(stack.URL+"/areas/"+area, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusSeeOther {
		return resp.StatusCode, string(body)
	}
	// POST, redirect, GET: the page, with its banner once.
	if got := resp.Header.Get("Location"); got != "/areas/"+area {
		t.Fatalf("after the form: sent to %q, want the area page", got)
	}
	return areaPage(t, who, area)
}

// waitingList is the references on the page's waiting list, in order.
func waitingList(page string) []string {
	i := strings.Index(page, `id="waiting"`)
	j := strings.Index(page, `id="managers-heading"`)
	if i < 0 || j < i {
		return nil
	}
	var out []string
	for _, m := range regexp.MustCompile(`href="/cases/(DRV-[A-Z0-9-]+)"`).FindAllStringSubmatch(page[i:j], -1) {
		out = append(out, m[1])
	}
	return out
}

// TestLeadChangesACapacityAndTheWaitlistMoves: "areapage" has one case
// manager with room for one. Two more referrals wait, in order, each
// with an estimate and the hint saying how it was computed. The lead
// raises the capacity on the area page: the banner says so, the change
// is recorded (who, from, to), and the first waiting referral is
// allocated, leaving the second. Another area's lead and the area's case
// manager are told there is no such page.
func TestLeadChangesACapacityAndTheWaitlistMoves(t *testing.T) {
	serial(t)
	first := submit(t, submission(t, "areapage", nil))
	awaitStatus(t, first, "allocated")
	second := submit(t, submission(t, "areapage", nil))
	awaitStatus(t, second, "waitlisted")
	third := submit(t, submission(t, "areapage", nil))
	awaitStatus(t, third, "waitlisted")

	code, page := areaPage(t, lead("areapage"), "areapage")
	if code != 200 {
		t.Fatalf("lead's area page: got %d", code)
	}
	if got := waitingList(page); strings.Join(got, " ") != second+" "+third {
		t.Errorf("waiting list: got %v, want [%s %s]", got, second, third)
	}
	for _, want := range []string{"How the wait is estimated", "Estimated time to allocation", `href="/cases/` + first + `"`, "Waiting for acceptance", "100%"} {
		if !strings.Contains(page, want) {
			t.Errorf("lead's area page: no %q", want)
		}
	}
	for _, who := range []string{lead("flow"), "cm1@areapage.drive.example"} {
		if code, page := areaPage(t, who, "areapage"); code != 404 || strings.Contains(page, second) {
			t.Errorf("%s: got %d, want 404 showing nothing of the area", who, code)
		}
	}

	code, page = postArea(t, lead("areapage"), "areapage", url.Values{"action": {"capacity"}, "capacity.caseManager": {"areapage-cm1"}, "capacity.capacity": {"2"}})
	if code != 200 || !strings.Contains(page, "The capacity has been changed") {
		t.Fatalf("raising the capacity: got %d, want the page with its banner", code)
	}
	if !strings.Contains(page, `<td class="govuk-table__cell">Lead of areapage</td><td class="govuk-table__cell">Manager 1 of areapage</td><td class="govuk-table__cell">Capacity</td><td class="govuk-table__cell">1</td><td class="govuk-table__cell">2`) {
		t.Errorf("the change is not shown as recorded (who, what, from, to)")
	}
	awaitStatus(t, second, "allocated")
	eventually(t, 10*time.Second, "the waiting list to move", func() bool {
		_, page = areaPage(t, lead("areapage"), "areapage")
		return strings.Join(waitingList(page), " ") == third
	})
	if s := awaitStatus(t, third, "waitlisted"); s.Status != "waitlisted" {
		t.Errorf("the third: got %s, want still waitlisted", s.Status)
	}
}

// TestLeadMovesALeaversCases: "leaver" has two case managers with room
// for two each. Three referrals, one at a time, go to cm1, cm2, cm1. cm1
// leaves: the lead moves their cases from the area page. One goes to
// cm2 (their last place) through the reallocation transaction; the other
// cannot move, and the page says why. cm1 no longer takes cases.
func TestLeadMovesALeaversCases(t *testing.T) {
	serial(t)
	var refs []string
	for range 3 {
		ref := submit(t, submission(t, "leaver", nil))
		awaitStatus(t, ref, "allocated")
		refs = append(refs, ref)
	}
	holders := map[string][]string{}
	for _, ref := range refs {
		rec, err := stack.Store.Referral(t.Context(), ref)
		if err != nil || rec.CaseManager == nil {
			t.Fatalf("%s: %v", ref, err)
		}
		holders[rec.CaseManager.ID] = append(holders[rec.CaseManager.ID], ref)
	}
	if len(holders["leaver-cm1"]) != 2 || len(holders["leaver-cm2"]) != 1 {
		t.Fatalf("got holders %v, want two cases with cm1 and one with cm2", holders)
	}
	code, page := postArea(t, lead("leaver"), "leaver", url.Values{"action": {"move"}, "move.caseManager": {"leaver-cm1"}})
	if code != 200 || !strings.Contains(page, "The leaver&#39;s cases have been moved") {
		t.Fatalf("moving: got %d, want the page with its banner", code)
	}
	for _, want := range []string{"1 of 2 open cases moved from Manager 1 of leaver", "moved to Manager 2 of leaver", "could not move: no other active case manager has room"} {
		if !strings.Contains(page, want) {
			t.Errorf("after the move: no %q on the page", want)
		}
	}
	moved, stayed := 0, 0
	for _, ref := range holders["leaver-cm1"] {
		rec, err := stack.Store.Referral(t.Context(), ref)
		if err != nil || rec.CaseManager == nil {
			t.Fatalf("%s: %v", ref, err)
		}
		switch rec.CaseManager.ID {
		case "leaver-cm2":
			moved++
		case "leaver-cm1":
			stayed++
		}
	}
	if moved != 1 || stayed != 1 {
		t.Errorf("got %d moved and %d stayed, want one each", moved, stayed)
	}
	for id, want := range map[string]int{"leaver-cm1": 1, "leaver-cm2": 2} {
		m, err := stack.Store.CaseManager(t.Context(), "leaver", id)
		if err != nil || m.Caseload != want || (id == "leaver-cm1" && m.Active) {
			t.Errorf("%s: got caseload %d active %v (%v), want %d", id, m.Caseload, m.Active, err, want)
		}
	}
}

// TestLeaveEndsOnItsDayWithNobodyPressingAButton: "leave" has one case
// manager. The lead raises their capacity and sets them on leave from the
// area page, so a new referral waits. When their date back comes (here set
// to today in the store, as if the days had passed), RemindFunction's
// scheduled run makes them active again, recorded as by Drive, and the
// waiting referral is allocated to them. A run before the day changes
// nothing.
func TestLeaveEndsOnItsDayWithNobodyPressingAButton(t *testing.T) {
	serial(t)
	first := submit(t, submission(t, "leave", nil))
	awaitStatus(t, first, "allocated")
	if code, _ := postArea(t, lead("leave"), "leave", url.Values{"action": {"capacity"}, "capacity.caseManager": {"leave-cm1"}, "capacity.capacity": {"2"}}); code != 200 {
		t.Fatalf("raising the capacity: got %d", code)
	}
	back := referral.Today(time.Now()).AddDate(0, 0, 7)
	code, page := postArea(t, lead("leave"), "leave", url.Values{"action": {"leave"}, "leave.caseManager": {"leave-cm1"},
		"leave.returnsOn-day": {back.Format("2")}, "leave.returnsOn-month": {back.Format("1")}, "leave.returnsOn-year": {back.Format("2006")}})
	if code != 200 || !strings.Contains(page, "On leave until "+back.Format("2 January 2006")) {
		t.Fatalf("setting leave: got %d, want the page saying until when", code)
	}
	second := submit(t, submission(t, "leave", nil))
	awaitStatus(t, second, "waitlisted")

	remind := func() {
		t.Helper()
		if _, err := stack.Invoke(t.Context(), "RemindFunction", []byte(`{"source": "aws.scheduler"}`)); err != nil {
			t.Fatalf("remind: %v", err)
		}
	}
	remind()
	if m, err := stack.Store.CaseManager(t.Context(), "leave", "leave-cm1"); err != nil || m.Active {
		t.Fatalf("before the day: got active %v (%v), want still on leave", m.Active, err)
	}
	// The day comes.
	m, err := stack.Store.CaseManager(t.Context(), "leave", "leave-cm1")
	if err != nil {
		t.Fatal(err)
	}
	m.ReturnsOn = referral.Today(time.Now()).Format(time.DateOnly)
	if _, _, err := stack.Store.ChangeCaseManager(t.Context(), m, "test", "the test's clock", time.Now()); err != nil {
		t.Fatal(err)
	}
	remind()
	if m, err := stack.Store.CaseManager(t.Context(), "leave", "leave-cm1"); err != nil || !m.Active || m.ReturnsOn != "" {
		t.Fatalf("on the day: got active %v back %q (%v), want active", m.Active, m.ReturnsOn, err)
	}
	awaitStatus(t, second, "allocated")
	if _, page := areaPage(t, lead("leave"), "leave"); !strings.Contains(page, `<td class="govuk-table__cell">Drive, on the date they are back</td>`) {
		t.Errorf("the return is not shown as recorded by Drive")
	}
}
