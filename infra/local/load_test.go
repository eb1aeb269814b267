package local_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/driveprogramme/referrals/infra/local"
	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/referral"
)

// loadReferrals is how many referrals TestLoad sends: 60 in make test,
// three for each place, which keeps every assertion and every race
// (20 senders, two pollers, three processes a function, each batch
// handed over twice) at a fifth of the time of the 300 it once sent;
// `go test ./infra/local -run TestLoad -args -load.referrals=300` runs the
// full size.
var loadReferrals = flag.Int("load.referrals", 60, "referrals TestLoad sends: a multiple of 30 (a third of them find a place)")

// TestLoad proves allocation under load on a stack of its own, whose
// pollers hand every batch to the functions twice: -load.referrals
// referrals (60), sent concurrently by 20 senders into two areas of 5
// managers each, with places for a third of them, two pollers and three
// processes per function.
func TestLoad(t *testing.T) {
	t.Parallel() // beside TestFaults, each on its own stack
	if testing.Short() {
		t.Skip("load test: not with -short")
	}
	referrals, senders := *loadReferrals, 20
	if referrals < 30 || referrals%30 != 0 {
		t.Fatalf("-load.referrals=%d: want a multiple of 30", referrals)
	}
	// 2 areas x 5 managers x capacity: a place for every third referral.
	capacity, places := referrals/30, referrals/3
	started := time.Now()
	seed := []local.SeedArea{area("north", capacity, capacity, capacity, capacity, capacity), area("south", capacity, capacity, capacity, capacity, capacity)}
	s, err := local.Start(context.Background(), local.Config{
		Addr: "127.0.0.1:0", DeliverTwice: true, Pollers: 2, Concurrency: 3, Logs: logsFile(t, "drive-load"), Users: testUsers(seed), Binaries: binaries,
		// Failed batches (timeouts under this load) come back sooner than the
		// template's 60 s; still above the function timeout, so no message is
		// redelivered while it is being handled. A message's tries come one
		// visibility timeout apart, and its last must come after the claim
		// (notification.ClaimLease) of a worker that timed out mid-send has
		// lapsed: 4 x 45 s is well past it.
		VisibilityTimeout: 45,
		// 12 tries 45 s apart: on a machine at load average 30, 5 tries
		// (the template's) ran out for two referrals' eligibility records,
		// which stayed received. What this test proves is allocation under
		// concurrency, not a retry budget (TestFaults keeps AWS's window).
		Params: map[string]string{"MaxReceiveCount": "12"},
		Seed:   seed,
		Pages:  pages.check,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	register(s)

	// Submit: 20 senders, half the referrals to each area, alternating.
	refs := make([]string, referrals)
	var wg sync.WaitGroup
	var failures []string
	var mu sync.Mutex
	next := make(chan int)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				areaID := []string{"north", "south"}[i%2]
				body := string(submission(t, areaID, nil))
				// As the form and a careful client do: one Idempotency-Key a
				// referral, sent again after a 503 ("nothing was kept, or
				// what was is found again: safe to send again"), which
				// API Gateway answers when a busy machine keeps the
				// integration past 30 s.
				key := fmt.Sprintf("load-%d-%d", time.Now().UnixNano(), i)
				var resp *http.Response
				var err error
				for try := 0; try < 4; try++ {
					if try > 0 {
						time.Sleep(time.Duration(try) * 2 * time.Second)
					}
					req, _ := http.NewRequest(http.MethodPost, s.URL+"/referrals", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", key)
					if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
						break
					}
					resp.Body.Close()
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				var out struct{ Reference string }
				_ = jsonDecode(resp.Body, &out)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("referral %d: %d", i, resp.StatusCode))
					mu.Unlock()
				}
				refs[i] = out.Reference
			}
		}()
	}
	submitStart := time.Now()
	for i := range referrals {
		next <- i
	}
	close(next)
	wg.Wait()
	submitted := time.Since(submitStart)
	if len(failures) > 0 {
		t.Fatalf("%d submissions failed: %v", len(failures), failures[:min(5, len(failures))])
	}

	// Wait until every referral is allocated or waitlisted.
	ctx := context.Background()
	counts := map[referral.Status]int{}
	deadline := time.Now().Add(12 * time.Minute)
	for {
		clear(counts)
		for _, ref := range refs {
			rec, err := s.Store.Referral(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			counts[rec.Status]++
		}
		if counts[referral.StatusAllocated]+counts[referral.StatusWaitlisted] == referrals {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 12 minutes: %v", counts)
		}
		time.Sleep(500 * time.Millisecond)
	}
	settled := time.Since(submitStart)

	over, cases := 0, 0
	for _, a := range []string{"north", "south"} {
		managers, _ := s.Store.CaseManagers(ctx, a)
		for _, m := range managers {
			if m.Caseload > m.Capacity {
				over++
			}
			mine, _ := s.Store.CasesOf(ctx, m.ID)
			cases += len(mine)
			if len(mine) != m.Caseload {
				t.Errorf("manager %s: caseload %d but %d cases", m.ID, m.Caseload, len(mine))
			}
		}
	}
	// Every referral's history shows at most one allocation.
	twice := 0
	for _, ref := range refs {
		hist, _ := s.Store.History(ctx, ref)
		n := 0
		for _, h := range hist {
			if h.To == referral.StatusAllocated {
				n++
			}
		}
		if n > 1 {
			twice++
		}
	}
	waitOrdered := true
	for _, a := range []string{"north", "south"} {
		// In arrival order: found eligible first, then received first.
		waiting, _ := s.Store.Waiting(ctx, a)
		var arrivals []allocation.Arrival
		for _, ref := range waiting {
			rec, _ := s.Store.Referral(ctx, ref)
			arrivals = append(arrivals, allocation.ArrivalOf(rec))
		}
		waitOrdered = waitOrdered && slices.IsSortedFunc(arrivals, allocation.InOrder)
	}
	drain(t, s)
	// Every status the referrer is told of (waitlisted, allocated), once,
	// and the case manager once per allocation.
	wantEmails := 0
	for _, ref := range refs {
		hist, _ := s.Store.History(ctx, ref)
		for _, h := range hist {
			switch h.To {
			case referral.StatusWaitlisted:
				wantEmails++
			case referral.StatusAllocated:
				wantEmails += 2
			}
		}
	}
	dupEmails, emails := duplicateEmails(t, s)
	// On a busy machine an SES call can time out on our side after SES
	// took the email: notify does not resend it blindly, and tells the
	// leads (notification.ErrOutcomeUnknown). Those alerts are counted
	// apart; every other email is one the referrals' histories call for.
	alerts := leadAlerts(t, s)
	t.Logf("load: %d referrals, %d allocated, %d waitlisted, %d cases, %d managers over capacity, %d allocated twice, %d emails (%d duplicates, %d alerts to leads of a send whose outcome was unknown); submitted in %s, all settled %s after the first, stack up in %s",
		referrals, counts[referral.StatusAllocated], counts[referral.StatusWaitlisted], cases, over, twice, emails, dupEmails, alerts,
		submitted.Round(time.Millisecond), settled.Round(time.Millisecond), submitStart.Sub(started).Round(time.Millisecond))
	if counts[referral.StatusAllocated] != places || counts[referral.StatusWaitlisted] != referrals-places || cases != places || over != 0 || twice != 0 ||
		dupEmails != 0 || emails-alerts != wantEmails || !waitOrdered {
		t.Fatalf("want exactly %d allocated, %d waitlisted in arrival order, %d cases, none over capacity, none twice, %d emails each sent once",
			places, referrals-places, places, wantEmails)
	}

	// Close 5 cases: exactly the 5 oldest waiting of those areas move up.
	before := map[string][]string{}
	for _, a := range []string{"north", "south"} {
		before[a], _ = s.Store.Waiting(ctx, a)
	}
	closing := map[string]int{"north": 3, "south": 2}
	for a, n := range closing {
		closed := 0
		for _, ref := range refs {
			rec, _ := s.Store.Referral(ctx, ref)
			if closed == n || rec.Referral.Area != a || rec.Status != referral.StatusAllocated {
				continue
			}
			// Closed by the case manager who holds it.
			m, _ := s.Store.CaseManager(ctx, a, rec.CaseManager.ID)
			// Only an accepted case closes: accepted first.
			acc, _ := http.NewRequestWithContext(as(ctx, m.Email), http.MethodPost, s.URL+"/cases/"+ref+"/accept", nil)
			if resp, err := http.DefaultClient.Do(acc); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("accept %s: %v %v", ref, err, resp)
			} else {
				resp.Body.Close()
			}
			req, _ := http.NewRequestWithContext(as(ctx, m.Email), http.MethodPost, s.URL+"/cases/"+ref+"/close", strings.NewReader(`{"reason":"completed"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("close %s: %v %v", ref, err, resp)
			}
			resp.Body.Close()
			closed++
		}
	}
	for a, n := range closing {
		want := before[a][:n]
		deadline := time.Now().Add(patience * time.Minute)
		for {
			var moved []string
			for _, ref := range before[a] {
				if rec, _ := s.Store.Referral(ctx, ref); rec.Status == referral.StatusAllocated {
					moved = append(moved, ref)
				}
			}
			if slices.Equal(moved, want) {
				break
			}
			if time.Now().After(deadline) || len(moved) > n {
				t.Fatalf("%s: after closing %d cases, allocated from the waitlist %v, want the %d oldest %v", a, n, moved, n, want)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	t.Logf("load: closed 5 cases; the 5 oldest waiting referrals of those areas were allocated, and no others")
	drain(t, s)
	checkCapacity(t, s)
}

// drain waits until no queue of s has a message visible or in flight.
func drain(t *testing.T, s *local.Stack) {
	t.Helper()
	client := sqs.NewFromConfig(s.AWS)
	deadline := time.Now().Add(patience * time.Minute)
	for {
		busy := false
		for _, q := range []string{"EligibilityQueue", "AllocationQueue", "NotifyQueue"} {
			out, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(s.Queues[q]),
				AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
			busy = busy || err != nil || out.Attributes["ApproximateNumberOfMessages"] != "0" || out.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0"
		}
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queues did not drain in %d minutes", patience)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// duplicateEmails counts emails sent more than once (same recipient,
// subject and body), and all emails.
func duplicateEmails(t *testing.T, s *local.Stack) (dups, total int) {
	t.Helper()
	all, err := local.Outbox(context.Background(), s.MotoURL)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range all {
		k := strings.Join(e.To, ",") + "|" + e.Subject + "|" + e.Body
		if seen[k] {
			dups++
		}
		seen[k] = true
	}
	return dups, len(all)
}

// leadAlertSubject begins the subject of the email that tells an area's
// leads that Drive could not send (or could not be sure it sent) an email
// about a referral (notification.KindFailed).
const leadAlertSubject = "Drive could not send an email about referral "

// leadAlerts counts the emails that told leads an email could not be
// sent, logging each one's referral.
func leadAlerts(t *testing.T, s *local.Stack) int {
	t.Helper()
	all, err := local.Outbox(context.Background(), s.MotoURL)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range all {
		if strings.HasPrefix(e.Subject, leadAlertSubject) {
			n++
			t.Logf("leads told: %s", e.Subject)
		}
	}
	return n
}

// logsFile returns a file for a stack's logs, named after prefix, that is
// removed when t passes and kept (and named in t's log) when it fails.
func logsFile(t *testing.T, prefix string) *os.File {
	t.Helper()
	f, err := os.CreateTemp("", prefix+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Close()
		if t.Failed() {
			t.Logf("the functions' and the stack's logs: %s", f.Name())
		} else {
			os.Remove(f.Name())
		}
	})
	return f
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
