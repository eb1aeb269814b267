package local_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/driveprogramme/referrals/infra/local"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

var (
	faultReferrals = flag.Int("faults.referrals", 32, "referrals TestFaults sends under faults (a few hundred for a full run: -args -faults.referrals=300)")
	faultSeed      = flag.Int64("faults.seed", 12, "the seed of TestFaults' fault draws")
	faultPause     = flag.Duration("faults.pause", 20*time.Second, "how long TestFaults pauses the AWS API server")
	// An unreadable message reaches its dead-letter queue only after all
	// its receives, 5 minutes as in AWS: make test-faults sends them,
	// make test does not (TestPoisonMessageEndsInDeadLetterQueue covers
	// that path there), and its dead-letter queues must stay empty.
	faultPoison = flag.Bool("faults.poison", false, "whether TestFaults also sends one unreadable message to each queue, which must end in its DLQ (5 minutes)")
)

// faultMix is the faults TestFaults injects into the functions' AWS
// calls: transactions that meet conflict as in DynamoDB, and at random a
// fifth of them besides; some throttling and 500s; SES refusing a tenth
// of the emails (notify sends each with one attempt, so that no email
// goes twice: an email refused on all 5 of its message's tries, 1 in
// 100,000 at that rate, is given up, its leads told and its message
// dead-lettered; at a fifth it would be 1 in 3,000, a dead letter in
// one run of 20); SQS failing now and then; and some answers late.
func faultMix(seed int64) local.Faults {
	return local.Faults{Seed: seed, Overlap: true, Conflict: 0.2, Throttle: 0.05, ServerError: 0.02, SQSFail: 0.05, SESFail: 0.1,
		LatencyRate: 0.05, Latency: time.Second}
}

// TestFaults runs -faults.referrals referrals (32 in make test) through a stack that
// fails as AWS fails: the fault mix above, intake and every queue-fed
// function killed mid-flight in turn, one kill with every fifth
// referral, the AWS API server paused for 20 s, and withdrawals and
// closes racing reallocations. The
// officers retry 503s (and a crash's 500) as the API tells them, with the
// same Idempotency-Key. Then it checks the table, the outbox and the
// emails (checkFaults): nothing lost, never over capacity, no email
// twice or stale, no 500.
//
// It runs beside TestLoad (both parallel, each on its own stack), as
// both mostly wait on the clock; make test-faults runs it alone, larger.
func TestFaults(t *testing.T) {
	t.Parallel()
	n := *faultReferrals
	if n < 16 {
		t.Fatalf("-faults.referrals=%d: want at least 16", n)
	}
	// Two areas with places for half the referrals; a third for the races.
	capacity := max(1, n/16)
	seed := []local.SeedArea{area("fa", capacity, capacity, capacity, capacity), area("fb", capacity, capacity, capacity, capacity), area("fclash", 12, 12, 12)}
	for i := range seed {
		seed[i].IDVAService, seed[i].MARACCoordinator = "idva@"+seed[i].ID+"-idva.example", "marac@"+seed[i].ID+"-police.example"
	}
	started := time.Now()
	// The functions' logs go to a file of their own, kept for a failed run.
	logFile := logsFile(t, "drive-faults")
	s, err := local.Start(context.Background(), local.Config{
		Addr: "127.0.0.1:0", Seed: seed, Users: testUsers(seed), Logs: logFile, Binaries: binaries,
		// The relay's sweep runs often. The reminders keep their 10
		// minutes: they chase allocations a day old, of which the run
		// has none, and each run reads an index of the whole table, which
		// moto does item by item, taking its time from the functions.
		ScheduleEvery: 2 * time.Second, ScheduleOnly: []string{"RelayFunction"},
		// Above the functions' timeout (10 s), as the template's is: no
		// message comes back while it is being handled.
		VisibilityTimeout: 12,
		// A message's tries last as long as in AWS: the template's 5
		// receives 60 s apart are 5 minutes; here, 25 receives 12 s apart.
		// (With 5 receives here, a busy machine's backlog outlasted them
		// and dead-lettered emails that needed nobody.)
		// An email whose send's outcome is unknown (its process killed
		// mid-send) waits for SES's Send event for the template's 2
		// minutes, within those tries as the template asks of
		// ReconcileAfter: a shorter wait resent emails whose Send event
		// was still in a busy machine's feedback backlog.
		// The relay sends what a killed writer left after 5 s, not 30 s:
		// the same path, on the test's shorter clock.
		Params: map[string]string{"ReconcileAfter": "2m", "OutboxGrace": "5s", "MaxReceiveCount": "25"},
		Faults: faultMix(*faultSeed),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	register(s)
	ctx := t.Context()
	o := &officers{s: s, client: &http.Client{Transport: signing{next: http.DefaultTransport}, Timeout: 45 * time.Second}}

	// What the dead-letter queues may hold: one unreadable message in each
	// queue a function reads.
	poison := map[string]string{}
	sqsClient := sqs.NewFromConfig(s.AWS)
	for _, q := range []string{"EligibilityQueue", "AllocationQueue", "NotifyQueue"} {
		if !*faultPoison {
			break
		}
		body := fmt.Sprintf("deliberately unreadable %s %d", q, time.Now().UnixNano())
		if _, err := sqsClient.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.Queues[q]), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
		poison[body] = q
	}

	// The races need allocated cases: their referrals go first.
	const pairs = 4
	clash := make([]string, 2*pairs)
	for i := range clash {
		clash[i] = o.refer(t, "fclash")
	}

	// The faults of the run: kills throughout, and one pause a third in.
	// A kill comes with every killEvery-th referral sent, to each victim
	// in turn, and no sooner than 2 s after the last: each function is
	// killed a few times in a run, as crashes come, however long the
	// run takes. (Kills on the clock, every 2 s, killed each function
	// every 8 s; on a busy machine, where a batch of 10 records took
	// longer than that, the same batch was killed on every try and the
	// queue behind it never moved.)
	const killEvery = 5
	stopFaults := make(chan struct{})
	killNow := make(chan struct{}, 1)
	var faultsDone sync.WaitGroup
	faultsDone.Add(1)
	go func() {
		defer faultsDone.Done()
		victims := append([]string{"IntakeFunction"}, s.QueueFunctions...)
		for i := 0; ; i++ {
			select {
			case <-stopFaults:
				return
			case <-killNow:
			}
			// Each victim in turn; a kill finds a victim busy or not at all.
			_, _ = s.Kill(victims[i%len(victims)])
			select {
			case <-stopFaults:
				return
			case <-time.After(2 * time.Second):
			}
		}
	}()
	var sent atomic.Int64
	pauseAt := int64(n / 3)

	// The races, once their cases are allocated, while the load runs.
	var raced sync.WaitGroup
	var endings, moves []answer
	raced.Add(1)
	go func() {
		defer raced.Done()
		for _, ref := range clash {
			o.await(t, ref, referral.StatusAllocated, 3*time.Minute)
		}
		send := func(who, method, path, body string) (int, map[string]any) {
			return o.call(t, who, method, path, body, "")
		}
		endings, moves = raceEndings(t, s, "fclash", clash, send)
	}()

	// The load: 8 officers, half the referrals to each area.
	refs := make([]string, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				k := sent.Add(1)
				if k == pauseAt {
					s.Pause(*faultPause)
				}
				if k%killEvery == 0 {
					select {
					case killNow <- struct{}{}:
					default: // a kill is due already
					}
				}
				refs[i] = o.refer(t, []string{"fa", "fb"}[i%2])
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	raced.Wait()
	close(stopFaults)
	faultsDone.Wait()
	loadDone := time.Now()

	all := append(slices.Clone(refs), clash...)
	settle(t, s, all, 8*time.Minute)
	settled := time.Now()
	race := map[string]int{}
	for i := range endings {
		kind := "withdraw"
		if i >= pairs {
			kind = "close"
		}
		race[fmt.Sprintf("%s %d, reallocate %d", kind, endings[i].code, moves[i].code)]++
	}
	c := checkFaults(t, s, all, poison)
	o.mu.Lock()
	defer o.mu.Unlock()
	var faults []string
	for k, v := range s.Faults() {
		faults = append(faults, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(faults)
	t.Logf(`fault test summary
  referrals run: %d (and %d raced), in %s; all settled %s later
  faults injected:
    %s
  races (ending vs reallocation): %v
  officers: %d requests, answers %v; %d retries (by the answer retried, 0: none: %v), longest wait for an answer %s
  lost: %d; decided more than once: %d; allocated twice: %d
  capacity: %d managers, %d cases: %d over capacity, %d false counters, %d held otherwise than the referral says
  emails: %d sent, %d duplicate, %d stale, %d recorded sent but not sent, %d decided referrals without an outcome email
  dead-letter queues: %d deliberate, %d others
  outbox items left: %d
  500s: %d (and %d from deliberately killed processes)`,
		n, len(clash), loadDone.Sub(started).Round(time.Second), settled.Sub(loadDone).Round(time.Second),
		strings.Join(faults, "\n    "), race,
		o.requests, o.answers, o.retries, o.retried, o.longest.Round(time.Millisecond),
		c.lost, c.decidedTwice, c.allocatedTwice,
		c.capacity.managers, c.capacity.cases, c.capacity.overCapacity, c.capacity.falseCounters, c.capacity.heldTwice,
		c.emails, c.duplicate, c.stale, c.unsent, c.noOutcome, c.deliberate, c.dead, c.outbox, o.fivehundreds, o.crashes)
	if o.fivehundreds > 0 {
		t.Errorf("%d answers were 500 Internal Server Error, want none: %v", o.fivehundreds, o.why500)
	}
	if o.failed > 0 {
		t.Errorf("%d requests never got an answer the officer could use: %v", o.failed, o.failures)
	}
}

// officers send requests as officers (and staff) do: a 503, a dropped
// connection or a crash's 500 is sent again, a second later, with the
// same Idempotency-Key; they count what they saw.
type officers struct {
	s      *local.Stack
	client *http.Client

	mu                    sync.Mutex
	requests, retries     int
	retried               map[int]int // status (0: no answer) → retries
	answers               map[int]int // status (0: no answer) → answers
	longest               time.Duration
	fivehundreds, crashes int
	why500                []string
	failed                int
	failures              []string
	keys                  atomic.Int64
}

// refer submits a referral to area and returns its reference, retrying
// until it is accepted (202).
func (o *officers) refer(t *testing.T, areaID string) string {
	t.Helper()
	key := fmt.Sprintf("faults-%d-%d", time.Now().UnixNano(), o.keys.Add(1))
	code, out := o.call(t, officer, "POST", "/referrals", string(submission(t, areaID, nil)), key)
	ref, _ := out["reference"].(string)
	if code != http.StatusAccepted || ref == "" {
		o.fail(fmt.Sprintf("referral to %s: %d %v", areaID, code, out))
	}
	return ref
}

func (o *officers) fail(what string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed++
	if len(o.failures) < 5 {
		o.failures = append(o.failures, what)
	}
}

// call sends a request as who and returns the answer an officer can use,
// after as many tries as it takes (for 3 minutes at most).
func (o *officers) call(t *testing.T, who, method, path, body, key string) (int, map[string]any) {
	t.Helper()
	first := time.Now()
	defer func() {
		o.mu.Lock()
		o.longest = max(o.longest, time.Since(first))
		o.mu.Unlock()
	}()
	for try := 0; ; try++ {
		req, _ := http.NewRequestWithContext(as(t.Context(), who), method, o.s.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := o.client.Do(req)
		code, crash := 0, ""
		var out map[string]any
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			_ = json.Unmarshal(raw, &out)
			code, crash = resp.StatusCode, resp.Header.Get("X-Local-Function-Error")
		}
		o.mu.Lock()
		o.requests++
		if o.answers == nil {
			o.answers = map[int]int{}
		}
		o.answers[code]++
		if code == http.StatusInternalServerError {
			if crash == "Runtime.ExitError" {
				o.crashes++ // a process killed on purpose: as a crash in AWS
			} else {
				o.fivehundreds++
				if len(o.why500) < 5 {
					o.why500 = append(o.why500, fmt.Sprintf("%s %s: %s", method, path, cmp(crash, "the function's own answer")))
				}
			}
		}
		again := err != nil || code == http.StatusServiceUnavailable || code == http.StatusInternalServerError || code == http.StatusBadGateway
		if again && time.Since(first) < 3*time.Minute && t.Context().Err() == nil {
			o.retries++
			if o.retried == nil {
				o.retried = map[int]int{}
			}
			o.retried[code]++
			o.mu.Unlock()
			time.Sleep(time.Second)
			continue
		}
		o.mu.Unlock()
		if err != nil {
			o.fail(fmt.Sprintf("%s %s: %v", method, path, err))
		}
		return code, out
	}
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// await waits for a referral to reach a status, reading the table.
func (o *officers) await(t *testing.T, ref string, want referral.Status, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if rec, err := o.s.Store.Referral(t.Context(), ref); err == nil && rec.Status == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("%s is not %s after %s", ref, want, d)
}

// settle waits until no queue a function reads has a message visible or
// in flight and every referral of refs has been decided and, if
// eligible, allocated or waitlisted; or, if some never are (lost), until
// the queues have been empty and no referral has moved for a minute (five
// visibility timeouts, and longer than a relay waits before it sends
// what the outbox still holds); for d at most. What has not settled is the
// checker's to report.
func settle(t *testing.T, s *local.Stack, refs []string, d time.Duration) {
	t.Helper()
	ctx := t.Context()
	client := sqs.NewFromConfig(s.AWS)
	deadline := time.Now().Add(d)
	var last string
	quietSince := time.Now()
	for time.Now().Before(deadline) {
		busy, queued := false, false
		for name, url := range s.Queues {
			if strings.HasSuffix(name, "DLQ") {
				continue
			}
			out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
				AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
			queued = queued || err != nil || out.Attributes["ApproximateNumberOfMessages"] != "0" || out.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0"
		}
		// The referrals are read only once the queues are empty: while
		// they are not, nothing can have settled, and reading a few
		// hundred referrals a second would take the table from the
		// functions that are working through the queues (the local stack
		// lets one DynamoDB request through at a time).
		var now strings.Builder
		for _, ref := range refs {
			if ref == "" || queued {
				continue
			}
			rec, err := s.Store.Referral(ctx, ref)
			busy = busy || err != nil || rec.Status == referral.StatusReceived || rec.Status == referral.StatusEligible
			now.WriteString(string(rec.Status) + rec.UpdatedAt.String())
		}
		if queued || now.String() != last {
			quietSince = time.Now()
		}
		last = now.String()
		if !queued && (!busy || time.Since(quietSince) > time.Minute) {
			return
		}
		time.Sleep(time.Second)
	}
	t.Logf("not settled after %s: the checker reports what is left", d)
}

// faultFindings is what checkFaults found, counted.
type faultFindings struct {
	lost, decidedTwice, allocatedTwice int
	capacity                           capacityFaults
	emails, duplicate, stale, unsent   int
	noOutcome                          int
	deliberate, dead                   int
	outbox                             int
}

// staleGrace is how long after a case moved or ended an allocation email
// may still leave: notify reads the case, then sends; a change between
// the two is a race no design closes, and it is counted only past this.
const staleGrace = 2 * time.Second

var referenceIn = regexp.MustCompile(`DRV-[0-9A-Z]{4}-[0-9A-Z]{4}`)

// checkFaults checks what the pipeline left after a fault run, once it
// has settled:
//   - every referral answered 202 is decided exactly once (its history),
//     and, if eligible, allocated or waitlisted: none lost;
//   - no referral is allocated twice (two allocations from eligible or
//     waitlisted without the case ending between);
//   - the capacity invariant (checkCapacity);
//   - every email SES took is recorded once by a receipt (none sent
//     twice), every receipt that says sent has its email, and none is a
//     stale allocation email: sent after the allocation it announces had
//     moved or ended;
//   - every decided referral has an outcome email (sent, or recorded as
//     failed);
//   - the dead-letter queues hold only the deliberately unreadable
//     messages (poison: body → queue);
//   - the outbox (PK OUTBOX items) is empty: everything relayed.
func checkFaults(t *testing.T, s *local.Stack, refs []string, poison map[string]string) faultFindings {
	t.Helper()
	ctx := context.Background()
	var f faultFindings

	// Decided once, nothing lost, nothing allocated twice.
	for _, ref := range refs {
		if ref == "" {
			continue // never accepted: the officers counted it
		}
		rec, err := s.Store.Referral(ctx, ref)
		if err != nil {
			f.lost++
			t.Errorf("referral %s was answered 202 but is not stored: %v", ref, err)
			continue
		}
		hist, err := s.Store.History(ctx, ref)
		if err != nil {
			t.Fatalf("history of %s: %v", ref, err)
		}
		decisions, allocations := 0, 0
		for _, h := range hist {
			if h.From == referral.StatusReceived && (h.To == referral.StatusEligible || h.To == referral.StatusIneligible) {
				decisions++
			}
			// A reallocation moves an allocated (or accepted) case; only
			// the first allocation comes from eligible or waitlisted.
			if h.To == referral.StatusAllocated && (h.From == referral.StatusEligible || h.From == referral.StatusWaitlisted) {
				allocations++
			}
		}
		switch {
		case rec.Status == referral.StatusReceived || rec.Status == referral.StatusEligible || decisions == 0:
			f.lost++
			t.Errorf("referral %s was answered 202 but is %s, decided %d times: lost", ref, rec.Status, decisions)
		case decisions > 1:
			f.decidedTwice++
			t.Errorf("referral %s was decided %d times", ref, decisions)
		}
		if allocations > 1 {
			f.allocatedTwice++
			t.Errorf("referral %s was allocated %d times", ref, allocations)
		}
	}

	f.capacity = checkCapacity(t, s)
	f.deliberate, f.dead = checkDeadLetters(t, s, poison)
	f.outbox = outboxLeft(t, s)
	if f.outbox > 0 {
		t.Errorf("%d outbox items were never relayed", f.outbox)
	}
	checkEmails(t, s, refs, &f)
	return f
}

// checkDeadLetters reads every dead-letter queue and returns how many of
// its messages were the deliberately unreadable ones, and how many were
// not (each an error).
func checkDeadLetters(t *testing.T, s *local.Stack, poison map[string]string) (deliberate, others int) {
	t.Helper()
	client := sqs.NewFromConfig(s.AWS)
	for name, url := range s.Queues {
		if !strings.HasSuffix(name, "DLQ") {
			continue
		}
		seen := map[string]bool{}
		for range 20 {
			out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
			if err != nil {
				t.Fatalf("read %s: %v", name, err)
			}
			if len(out.Messages) == 0 {
				break
			}
			for _, m := range out.Messages {
				body := aws.ToString(m.Body)
				if seen[aws.ToString(m.MessageId)] {
					continue
				}
				seen[aws.ToString(m.MessageId)] = true
				if q, ok := poison[body]; ok && strings.TrimSuffix(name, "DLQ") == strings.TrimSuffix(q, "Queue") {
					deliberate++
					continue
				}
				others++
				t.Errorf("%s holds a message that needed no person: %.200s", name, body)
			}
		}
	}
	if deliberate != len(poison) {
		t.Errorf("the dead-letter queues hold %d of the %d deliberately unreadable messages", deliberate, len(poison))
	}
	return deliberate, others
}

// outboxLeft counts the table's outbox items (PK OUTBOX): messages
// committed with a write and not yet relayed.
func outboxLeft(t *testing.T, s *local.Stack) int {
	t.Helper()
	out, err := dynamodb.NewFromConfig(s.AWS).Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(s.Table), Select: ddbtypes.SelectCount, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pk": &ddbtypes.AttributeValueMemberS{Value: "OUTBOX"}},
	})
	if err != nil {
		t.Fatalf("read the outbox: %v", err)
	}
	return int(out.Count)
}

// checkEmails matches the emails SES took with Drive's receipts: per
// referral and recipient, as many emails as receipts that say SES took
// one; no allocation email after its allocation moved or ended; an
// outcome email for every decided referral.
func checkEmails(t *testing.T, s *local.Stack, refs []string, f *faultFindings) {
	t.Helper()
	ctx := context.Background()
	mails, err := local.Outbox(ctx, s.MotoURL)
	if err != nil {
		t.Fatal(err)
	}
	receipts, err := s.Store.Receipts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, r := range refs {
		ours[r] = true
	}
	type who struct{ ref, to string } // to: the recipient's hash, as receipts hold it
	took := map[who]int{}
	recorded := map[who]int{}
	byMessage := map[string]notification.Receipt{}
	outcome := map[string]bool{}
	for _, r := range receipts {
		if !ours[r.Reference] {
			continue
		}
		if r.Kind == notification.KindOutcome {
			outcome[r.Reference] = true
		}
		if r.MessageID == "" && r.State != notification.StateSent {
			continue // not taken by SES (failed, or never sent: stale)
		}
		byMessage[r.MessageID] = r
		recorded[who{r.Reference, r.ID[strings.LastIndex(r.ID, "#")+1:]}]++
	}
	for _, m := range mails {
		ref := referenceIn.FindString(m.Subject + " " + m.Body)
		if !ours[ref] || len(m.To) == 0 {
			continue
		}
		f.emails++
		sum := sha256.Sum256([]byte(strings.ToLower(m.To[0])))
		took[who{ref, hex.EncodeToString(sum[:6])}]++
		if r, ok := byMessage[m.ID]; ok && r.Kind == notification.KindAllocated {
			if why := stale(ctx, s, r, m.At); why != "" {
				f.stale++
				t.Errorf("stale email: %s allocation email for %s sent at %s, but %s", r.Kind, ref, m.At.Format(time.TimeOnly), why)
			}
		}
	}
	for k, n := range took {
		if n > recorded[k] {
			f.duplicate += n - recorded[k]
			t.Errorf("%s: SES took %d emails to one recipient, receipts record %d", k.ref, n, recorded[k])
		}
	}
	for k, n := range recorded {
		if n > took[k] {
			f.unsent += n - took[k]
			t.Errorf("%s: receipts record %d emails to one recipient as sent, SES took %d", k.ref, n, took[k])
		}
	}
	for _, ref := range refs {
		rec, err := s.Store.Referral(ctx, ref)
		if err != nil || rec.Status == referral.StatusReceived || rec.Status == referral.StatusEligible {
			continue // lost: counted as such
		}
		if !outcome[ref] {
			f.noOutcome++
			t.Errorf("referral %s is %s, but no outcome email was sent or recorded as failed", ref, rec.Status)
		}
	}
}

// stale says why an allocation email sent at sent was stale: the
// allocation it announces (the receipt's event: case manager and since)
// had moved or ended more than staleGrace before. "" if it was not.
func stale(ctx context.Context, s *local.Stack, r notification.Receipt, sent time.Time) string {
	// The receipt id is the event's id (kind#reference#status#manager#since)
	// and the recipient's hash.
	parts := strings.Split(r.ID, "#")
	if len(parts) < 6 {
		return ""
	}
	since, err := time.Parse(time.RFC3339Nano, parts[4])
	if err != nil {
		return ""
	}
	hist, err := s.Store.History(ctx, r.Reference)
	if err != nil {
		return ""
	}
	for _, h := range hist {
		if h.At.After(since.Add(time.Millisecond)) && h.To != referral.StatusAccepted && h.At.Add(staleGrace).Before(sent) {
			return fmt.Sprintf("it became %s at %s (%s)", h.To, h.At.Format(time.TimeOnly), h.Reason)
		}
	}
	return ""
}
