package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
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
	open := submit(t, submission(t, "linked", same))
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
	holder, err := stack.Store.CaseManager(t.Context(), "linked", openRec.CaseManager.ID)
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

// TestReferralsOfOnePersonAtOnceAreOneOpenTheRestLinked (issue 13, found
// by a fresh tester): referrals of one person sent at the same moment, by
// one officer or several, end as exactly one open referral and the rest
// linked to it, however they interleave. Before, each intake read the
// person's referrals before the others were stored, all were stored as
// received, and eligibility found all but the first ineligible.
func TestReferralsOfOnePersonAtOnceAreOneOpenTheRestLinked(t *testing.T) {
	serial(t)
	for _, n := range []int{2, 4} {
		t.Run(fmt.Sprintf("%d at once", n), func(t *testing.T) {
			same := func(m map[string]any) {
				p := m["perpetrator"].(map[string]any)
				p["firstName"], p["lastName"], p["dateOfBirth"], p["pncId"] = "Atonce", fmt.Sprintf("Person-%c", 'a'+n), "1983-04-05", ""
			}
			refs := make([]string, n)
			answers := make([]map[string]any, n)
			codes := make([]int, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				who := officer
				if i%2 == 1 {
					who = otherOfficer
				}
				body := string(submission(t, "linked", same))
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					codes[i], answers[i] = callAs(who, http.MethodPost, "/referrals", body)
				}()
			}
			close(start)
			wg.Wait()
			for i := range n {
				ref, _ := answers[i]["reference"].(string)
				if codes[i] != http.StatusAccepted || ref == "" {
					t.Fatalf("referral %d: got %d %v, want 202", i+1, codes[i], answers[i])
				}
				refs[i] = ref
			}
			// Each settles: linked at once, the open one decided and
			// allocated (or waitlisted).
			recs := make([]referral.Record, n)
			eventually(t, 20*time.Second, "every referral settles", func() bool {
				for i, ref := range refs {
					rec, err := stack.Store.Referral(t.Context(), ref)
					if err != nil || rec.Status == referral.StatusReceived || rec.Status == referral.StatusEligible {
						return false
					}
					recs[i] = rec
				}
				return true
			})
			var open []string
			for _, rec := range recs {
				if rec.Status != referral.StatusLinked {
					open = append(open, rec.Reference+" "+string(rec.Status))
				}
			}
			if len(open) != 1 {
				t.Fatalf("got %v not linked, want exactly one open referral and the rest linked to it", open)
			}
			first := strings.Fields(open[0])[0]
			for i, rec := range recs {
				switch {
				case rec.Reference == first && rec.Status != referral.StatusAllocated && rec.Status != referral.StatusWaitlisted:
					t.Errorf("the open referral %s is %s, want allocated or waitlisted", first, rec.Status)
				case rec.Reference != first && rec.LinkedTo != first:
					t.Errorf("%s is linked to %q, want %s", rec.Reference, rec.LinkedTo, first)
				case rec.Reference != first && answers[i]["status"] != "linked":
					t.Errorf("%s was answered %v, want linked", rec.Reference, answers[i])
				}
			}
		})
	}
}

// callAs is call without a test: for goroutines.
func callAs(who, method, path, body string) (int, map[string]any) {
	req, _ := http.NewRequestWithContext(as(context.Background(), who), method, stack.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, map[string]any{"error": err.Error()}
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
