package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/infra/local"
	"github.com/driveprogramme/referrals/shared/referral"
)

// nowhere is a queue that does not exist: every send to it fails, after
// the write it follows has been committed.
const nowhere = "https://sqs.eu-west-2.amazonaws.com/123456789012/NoSuchQueue"

// TestAStoredReferralIsAlwaysDecided runs a stack of its own on which
// intake's sends to the eligibility queue and cases' sends to the
// allocation queue are lost after their writes commit (their queue URLs
// name a queue that does not exist), as when a process dies between its
// commit and its send. The messages committed with the writes (the
// transactional outbox) are sent by the relay (every second here, for
// messages a second old): the officer gets 202 with the reference, the
// referral is decided and allocated, and the place a closed case frees
// goes to the referral waiting for it. Nothing is done twice: one
// allocation each, no email twice, the outbox empty at the end, and every
// caseload counter true.
func TestAStoredReferralIsAlwaysDecided(t *testing.T) {
	serial(t)
	if testing.Short() {
		t.Skip("starts its own stack")
	}
	lost := area("lost", 1)
	lostLogs := &syncBuffer{}
	s, err := local.Start(context.Background(), local.Config{
		Addr: "127.0.0.1:0", Seed: []local.SeedArea{lost}, Users: testUsers([]local.SeedArea{lost}), Logs: lostLogs,
		Params:        map[string]string{"OutboxGrace": "1s"},
		ScheduleEvery: time.Second,
		Env: map[string]map[string]string{
			"IntakeFunction": {"ELIGIBILITY_QUEUE_URL": nowhere},
			"CasesFunction":  {"ALLOCATION_QUEUE_URL": nowhere},
		},
		Binaries: binaries,
		Pages:    pages.check,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	register(s)
	ctx := t.Context()

	refer := func() string {
		t.Helper()
		resp, err := http.Post(s.URL+"/referrals", "application/json", bytes.NewReader(submission(t, "lost", nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Reference, Status string }
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusAccepted || out.Reference == "" || out.Status != "received" {
			t.Fatalf("POST /referrals with the eligibility queue lost: got %d %+v, want 202 with the reference (the referral is kept)", resp.StatusCode, out)
		}
		return out.Reference
	}
	await := func(ref string, want referral.Status) {
		t.Helper()
		eventually(t, time.Minute, ref+" is not "+string(want), func() bool {
			rec, err := s.Store.Referral(ctx, ref)
			return err == nil && rec.Status == want
		})
	}

	first := refer()
	await(first, referral.StatusAllocated)
	second := refer() // the area's one place is taken: it waits
	await(second, referral.StatusWaitlisted)

	// The case manager closes the first case; the release of the place is
	// lost after the commit, and the relay sends it.
	// Only an accepted case closes: accepted first.
	acc, _ := http.NewRequestWithContext(as(ctx, "cm1@lost.drive.example"), http.MethodPost, s.URL+"/cases/"+first+"/accept", nil)
	if resp, err := http.DefaultClient.Do(acc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("accept: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	req, _ := http.NewRequestWithContext(as(ctx, "cm1@lost.drive.example"), http.MethodPost, s.URL+"/cases/"+first+"/close",
		strings.NewReader(`{"reason": "completed"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("close with the allocation queue lost: got %d, want 200 (the case is closed)", resp.StatusCode)
	}
	await(second, referral.StatusAllocated)

	// Everything settles: the outbox empties and the emails are sent.
	eventually(t, time.Minute, "the outbox did not empty", func() bool {
		left, err := s.Store.Outbox(ctx, time.Now().Add(time.Hour))
		return err == nil && len(left) == 0
	})
	drain(t, s)
	for _, ref := range []string{first, second} {
		hist, err := s.Store.History(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		decided, allocated := 0, 0
		for _, h := range hist {
			switch h.To {
			case referral.StatusEligible, referral.StatusIneligible:
				decided++
			case referral.StatusAllocated:
				allocated++
			}
		}
		if decided != 1 || allocated != 1 {
			t.Errorf("%s: decided %d and allocated %d times, want once each", ref, decided, allocated)
		}
	}
	if dups, total := duplicateEmails(t, s); dups != 0 || total == 0 {
		t.Errorf("got %d emails sent twice of %d, want none twice", dups, total)
	}
	checkCapacity(t, s, "lost")
	if out := lostLogs.String(); !strings.Contains(out, "kept in the outbox for the relay") || !strings.Contains(out, "outbox message relayed") {
		t.Errorf("the logs do not show messages kept in the outbox and relayed")
	}
}
