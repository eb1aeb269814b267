package local_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

// TestLinkedReferralsOfficerHearsAndMayWithdraw (issue 13, found by a
// fresh tester): the officer who made a referral linked to an open one
// hears its outcome by email, at the address their sign-in verified and
// naming no other referral, as every other referral's officer does; and
// may withdraw it (409 before). The withdrawal is in both histories (the
// open one's row for staff only), and whoever works on the open one is
// told, by reference only. The open referral is not changed.
func TestLinkedReferralsOfficerHearsAndMayWithdraw(t *testing.T) {
	serial(t)
	same := func(m map[string]any) {
		p := m["perpetrator"].(map[string]any)
		p["firstName"], p["lastName"], p["dateOfBirth"], p["pncId"] = "Withdrawlink", "Person", "1981-02-03", ""
	}
	open := submit(t, submission(t, "dup", same))
	awaitStatus(t, open, "allocated")
	code, out := call(t, otherOfficer, http.MethodPost, "/referrals", string(submission(t, "dup-other", same)))
	linked, _ := out["reference"].(string)
	if code != http.StatusAccepted || out["status"] != "linked" || linked == "" {
		t.Fatalf("the same person again: got %d %v, want 202 linked", code, out)
	}

	// Its officer's outcome, to their verified address, naming no other
	// referral.
	var outcome []string
	eventually(t, 20*time.Second, "the linked referral's officer is emailed its outcome", func() bool {
		outcome = nil
		for _, e := range emailsAbout(t, linked) {
			if slices.Contains(e.To, otherOfficer) && strings.Contains(e.Subject, "passed to the team") {
				outcome = append(outcome, e.Body)
			}
		}
		return len(outcome) > 0
	})
	for _, body := range outcome {
		if strings.Contains(body, open) {
			t.Errorf("the linked referral's outcome names the open referral %s, which is another officer's:\n%s", open, body)
		}
		assertNoPersonalData(t, "the linked referral's outcome", body)
	}

	// Withdrawn by its officer; again by the same officer answers as the
	// first did.
	for try := range 2 {
		code, out = call(t, otherOfficer, http.MethodPost, "/referrals/"+linked+"/withdraw", `{"reason": "Sent in error"}`)
		if code != http.StatusOK || out["status"] != "withdrawn" {
			t.Fatalf("withdraw %d of the linked referral by its officer: got %d %v, want 200 withdrawn", try+1, code, out)
		}
	}
	rec, err := stack.Store.Referral(t.Context(), linked)
	if err != nil || rec.Status != referral.StatusWithdrawn {
		t.Fatalf("the linked referral: %v, status %s; want withdrawn", err, rec.Status)
	}

	// Both histories: the open one's row is staff's only.
	hist, err := stack.Store.History(t.Context(), linked)
	if err != nil || len(hist) != 2 || hist[1].To != referral.StatusWithdrawn {
		t.Errorf("the linked referral's history: %v %+v, want its arrival and its withdrawal", err, hist)
	}
	openHist, err := stack.Store.History(t.Context(), open)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(openHist, func(tr referral.Transition) bool { return tr.Reason == referral.LinkWithdrawnWords(linked) }); i < 0 || !openHist[i].StaffOnly {
		t.Errorf("the open referral's history %+v: want a staff-only row saying %s was withdrawn", openHist, linked)
	}
	_, v := status(t, open)
	for _, tr := range v.History {
		if strings.Contains(tr.Reason, linked) {
			t.Errorf("the open referral's officer sees a staff-only row: %q", tr.Reason)
		}
	}
	if v.Status != "allocated" {
		t.Errorf("the open referral is %s, want allocated as before", v.Status)
	}

	// Whoever works on the open one is told, with both references.
	openRec, err := stack.Store.Referral(t.Context(), open)
	if err != nil || openRec.CaseManager == nil {
		t.Fatalf("the open referral %s: %v", open, err)
	}
	holder, err := stack.Store.CaseManager(t.Context(), "dup", openRec.CaseManager.ID)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the open referral's case manager is told of the withdrawal", func() bool {
		for _, e := range emailsAbout(t, linked) {
			if slices.Contains(e.To, holder.Email) && strings.Contains(e.Subject, "withdrawn") && strings.Contains(e.Body, open) {
				assertNoPersonalData(t, "the withdrawal's email to the open referral's team", e.Body)
				return true
			}
		}
		return false
	})
	// The withdrawn referral is still theirs to read.
	if code, got := call(t, holder.Email, http.MethodGet, "/cases/"+linked, ""); code != http.StatusOK || got["status"] != "withdrawn" {
		t.Errorf("GET /cases/%s by the open referral's case manager: got %d %v, want 200 withdrawn", linked, code, fmt.Sprint(got["status"]))
	}
}
