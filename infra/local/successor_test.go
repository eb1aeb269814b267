package local_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/referral"
)

// TestLinkedReferralIsDecidedWhenItsOpenOneEnds (issue 13, found by a
// fresh tester): a referral linked to an open one is not left linked for
// ever when the open one ends. Before, it stayed linked to a referral
// nobody worked on, its officer told a team was already working with the
// person. Now the first referral linked to it is put back through
// eligibility, decided and allocated like any other, and takes the
// person's claims (referral.Successor).
func TestLinkedReferralIsDecidedWhenItsOpenOneEnds(t *testing.T) {
	serial(t)
	n := 0
	person := func(lowRisk bool) func(map[string]any) {
		n++
		last := fmt.Sprintf("Successor-%c", 'a'+n)
		return func(m map[string]any) {
			p := m["perpetrator"].(map[string]any)
			p["firstName"], p["lastName"], p["dateOfBirth"], p["pncId"] = "Gus", last, "1979-04-05", ""
			if lowRisk {
				m["route"] = "police"
				delete(m, "maracDate")
				m["victims"].([]any)[0].(map[string]any)["dashScore"] = 9
				m["abuse"].(map[string]any)["knownVictims"] = 1
				m["abuse"].(map[string]any)["incidentsLast12Months"] = 1
			}
		}
	}
	// highRisk is the person low names, as the seed's high-risk referral.
	highRisk := func(low func(map[string]any)) func(map[string]any) {
		return func(m map[string]any) {
			raw, _ := json.Marshal(m)
			var orig map[string]any
			_ = json.Unmarshal(raw, &orig)
			low(m)
			m["route"], m["maracDate"], m["victims"], m["abuse"] = orig["route"], orig["maracDate"], orig["victims"], orig["abuse"]
		}
	}
	decidedOnItsOwn := func(t *testing.T, linked string) {
		t.Helper()
		eventually(t, 20*time.Second, linked+" is not allocated", func() bool {
			rec, err := stack.Store.Referral(t.Context(), linked)
			return err == nil && rec.Status == referral.StatusAllocated
		})
		hist, err := stack.Store.History(t.Context(), linked)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(hist, func(tr referral.Transition) bool {
			return tr.From == referral.StatusLinked && tr.To == referral.StatusReceived && tr.Reason == referral.ReopenedWords
		}) {
			t.Errorf("history of %s: %+v, want a row putting it back through eligibility", linked, hist)
		}
		rec, err := stack.Store.Referral(t.Context(), linked)
		if err != nil || rec.LinkedTo != "" {
			t.Errorf("%s: %v, linked to %q, want linked to nothing", linked, err, rec.LinkedTo)
		}
	}

	t.Run("withdrawn", func(t *testing.T) {
		same := person(false)
		open := submit(t, submission(t, "successor", same))
		awaitStatus(t, open, "allocated")
		code, out := call(t, otherOfficer, http.MethodPost, "/referrals", string(submission(t, "successor", same)))
		linked, _ := out["reference"].(string)
		if code != http.StatusAccepted || out["status"] != "linked" {
			t.Fatalf("the same person again: got %d %v, want 202 linked", code, out)
		}
		code, out = call(t, officer, http.MethodPost, "/referrals/"+open+"/withdraw", `{"reason": "Sent in error"}`)
		if code != http.StatusOK || out["status"] != "withdrawn" {
			t.Fatalf("withdraw the open referral: got %d %v, want 200 withdrawn", code, out)
		}
		decidedOnItsOwn(t, linked)
		// It is now the open one: the next referral of the person is
		// linked to it.
		code, out = call(t, otherOfficer, http.MethodPost, "/referrals", string(submission(t, "successor", same)))
		if code != http.StatusAccepted || out["status"] != "linked" {
			t.Fatalf("the same person a third time: got %d %v, want 202 linked", code, out)
		}
		if rec, err := stack.Store.Referral(t.Context(), out["reference"].(string)); err != nil || rec.LinkedTo != linked {
			t.Errorf("the third referral: %v, linked to %q, want %s", err, rec.LinkedTo, linked)
		}
	})

	t.Run("ineligible", func(t *testing.T) {
		// The low-risk one stored first, the high-risk one linked to it
		// before it is decided: sent one after the other at once, a few
		// tries in case eligibility decides the first before the second
		// arrives (it is then the open one, not linked: nothing to show).
		for try := 0; try < 5; try++ {
			low := person(true)
			open := submit(t, submission(t, "successor", low))
			code, out := call(t, otherOfficer, http.MethodPost, "/referrals", string(submission(t, "successor", highRisk(low))))
			if code != http.StatusAccepted {
				t.Fatalf("the same person again: got %d %v, want 202", code, out)
			}
			if out["status"] != "linked" {
				continue
			}
			linked := out["reference"].(string)
			awaitStatus(t, open, "ineligible")
			decidedOnItsOwn(t, linked)
			return
		}
		t.Skip("eligibility decided the first referral before the second arrived every time")
	})
}
