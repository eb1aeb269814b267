package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/driveprogramme/referrals/infra/local"
	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/privacytest"
	"github.com/driveprogramme/referrals/shared/referral"
)

// The stack is shared by the package's tests; each test uses areas of its
// own so that their counts do not mix.
var (
	stack *local.Stack
	logs  = &syncBuffer{}
	spec  *openAPICheck
	// binaries are the functions, built once for every stack the tests start.
	binaries *local.Binaries
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func area(id string, capacities ...int) local.SeedArea {
	a := local.SeedArea{Area: eligibility.Area{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Rules: eligibility.DefaultRules, Leads: []string{lead(id)}}}
	for i, c := range capacities {
		a.CaseManagers = append(a.CaseManagers, allocation.CaseManager{
			ID: fmt.Sprintf("%s-cm%d", id, i+1), Name: fmt.Sprintf("Manager %d of %s", i+1, id),
			Email: fmt.Sprintf("cm%d@%s.drive.example", i+1, id), Capacity: c, Active: true,
		})
	}
	return a
}

func TestMain(m *testing.M) {
	var err error
	if spec, err = newOpenAPICheck("../../functions/intake/openapi.yaml"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// What the stack logs through the default logger (the identity
	// provider) is kept with the functions' logs, for the privacy test.
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	// Every request the tests make is signed in (as the officer unless it
	// says otherwise) and goes through the check.
	http.DefaultClient.Transport = signing{next: spec}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	wd, _ := os.Getwd()
	root, err := local.FindRoot(wd)
	if err == nil {
		binaries, err = local.Build(ctx, root)
	}
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "the functions did not build:", err)
		os.Exit(1)
	}
	seed := []local.SeedArea{
		area("flow", 5, 5), area("narrow", 1), area("twice", 2), area("race", 3, 3), area("rules", 5), area("stale", 3), area("dup", 5), area("dup-other", 5), area("browser", 5), area("life", 1), area("report", 1), area("move", 1, 1, 1), area("matrix", 10, 10), area("privacy", 5), area("retention", 1), area("home", 2), area("bodies", 2), area("clash", 12, 12, 12), area("order", 3, 2), area("shrink", 2), area("casepage", 5, 5),
		area("areapage", 1), area("leaver", 2, 2), area("areabrowser", 1, 1), area("leave", 1), area("areapages", 1), area("views", 2), area("linked", 5), area("successor", 3),
	}
	stack, err = local.Start(ctx, local.Config{
		Addr: "127.0.0.1:0",
		Seed: seed,
		Users: append(testUsers(seed),
			local.User{Email: otherOfficer, Name: "PC Other", Roles: []string{"officer"}},
			local.User{Email: listOfficer, Name: "PC List", Roles: []string{"officer"}},
			local.User{Email: visitor, Name: "Visitor", Roles: nil}),
		Params:            map[string]string{"MaxReceiveCount": "3"},
		VisibilityTimeout: 2,
		Logs:              logs,
		Binaries:          binaries,
		Pages:             pages.check,
	})
	cancel()
	if err != nil {
		_ = binaries.Close()
		fmt.Fprintln(os.Stderr, "local stack did not start:", err)
		os.Exit(1)
	}
	register(stack)
	code := m.Run()
	stack.Close()
	_ = binaries.Close()
	if code == 0 {
		fmt.Fprintf(os.Stderr, "checked %d requests and responses against openapi.yaml\n", spec.checked)
		if len(spec.problems) > 0 {
			fmt.Fprintln(os.Stderr, "FAIL: the API and functions/intake/openapi.yaml disagree:\n"+strings.Join(spec.problems, "\n"))
			code = 1
		}
	}
	// Every page is checked whether or not its test passed: a faulty page
	// fails the run.
	checked, problems := pages.report()
	fmt.Fprintf(os.Stderr, "checked %d HTML pages for unique ids and labels naming their own control\n", checked)
	if len(problems) > 0 {
		fmt.Fprintln(os.Stderr, "FAIL: pages with colliding ids or labels naming another control:\n"+strings.Join(problems, "\n"))
		code = 1
	}
	if code != 0 {
		fmt.Fprintln(os.Stderr, "--- function logs ---\n"+logs.String())
	}
	os.Exit(code)
}

// serialTests is held by each test that shares the package's stack, one
// at a time, as if run without t.Parallel: they share areas' queues, the
// logs and the dead-letter queues. Being parallel tests, they run beside
// TestLoad and TestFaults, which start stacks of their own, rather than
// before them (go test runs parallel tests only after the sequential ones).
var serialTests sync.Mutex

// serial marks t parallel and waits for the stack to be free: every test
// but TestLoad and TestFaults starts with it.
func serial(t *testing.T) {
	t.Parallel()
	serialTests.Lock()
	t.Cleanup(serialTests.Unlock)
}

var perpetrators atomic.Int64

// submission returns the contract's example referral for an area, for a
// perpetrator of its own (so that the duplicate rule stays out of the
// way); change adjusts it.
func submission(t *testing.T, areaID string, change func(map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile("../seed/referral.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["area"] = areaID
	n := perpetrators.Add(1)
	m["perpetrator"].(map[string]any)["lastName"] = fmt.Sprintf("Doe-%c%c", 'a'+n/26%26, 'a'+n%26)
	m["perpetrator"].(map[string]any)["pncId"] = referral.FormatPNC(2026, int(n))
	if change != nil {
		change(m)
	}
	body, _ := json.Marshal(m)
	return body
}

func post(t *testing.T, body []byte, contentType string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(stack.URL+"/referrals", contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response %d is not JSON: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func submit(t *testing.T, body []byte) string {
	t.Helper()
	code, out := post(t, body, "application/json")
	if code != http.StatusAccepted || out["status"] != "received" {
		t.Fatalf("POST /referrals: got %d %v, want 202 received", code, out)
	}
	return out["reference"].(string)
}

type statusView struct {
	Reference   string             `json:"reference"`
	Status      string             `json:"status"`
	Decision    *referral.Decision `json:"decision"`
	CaseManager *struct {
		Name string `json:"name"`
	} `json:"caseManager"`
	History []referral.Transition `json:"history"`
}

func status(t *testing.T, ref string) (int, statusView) {
	t.Helper()
	resp, err := http.Get(stack.URL + "/referrals/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v statusView
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// patience is how many times longer than on a quiet machine a wait may
// take before a test calls it a failure: the CI machines have 2 shared
// cores, and with other builds and tests on them the stack runs 3 to 5
// times slower (a waitlist release that takes 10 s alone took over a
// minute there). A wait ends as soon as its condition holds, so this
// costs time only when a test fails.
const patience = 6

// eventually polls check every 100ms until it returns true, for at most d
// (what a quiet machine needs) times patience.
func eventually(t *testing.T, d time.Duration, what string, check func() bool) {
	t.Helper()
	d *= patience
	deadline := time.Now().Add(d)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func awaitStatus(t *testing.T, ref, want string) statusView {
	t.Helper()
	var v statusView
	eventually(t, 20*time.Second, fmt.Sprintf("%s is not %s (last seen %q)", ref, want, v.Status), func() bool {
		_, v = status(t, ref)
		return v.Status == want
	})
	return v
}

func emailsAbout(t *testing.T, ref string) []local.Email {
	t.Helper()
	all, err := local.Outbox(context.Background(), stack.MotoURL)
	if err != nil {
		t.Fatal(err)
	}
	var out []local.Email
	for _, e := range all {
		if strings.Contains(e.Subject, ref) {
			out = append(out, e)
		}
	}
	return out
}

func awaitEmails(t *testing.T, ref string, n int) []local.Email {
	t.Helper()
	var got []local.Email
	eventually(t, 20*time.Second, fmt.Sprintf("want %d emails about %s", n, ref), func() bool {
		got = emailsAbout(t, ref)
		return len(got) >= n
	})
	return got
}

// personal is every personal detail of the example referral
// (infra/seed/referral.json) that the tests send, each a whole value in
// every form it could be printed in, with the distinctive phrases of its
// free text.
var personal = sync.OnceValues(func() ([]privacytest.Detail, error) {
	raw, err := os.ReadFile("../seed/referral.json")
	if err != nil {
		return nil, err
	}
	r, err := referral.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the example referral: %w", err)
	}
	return append(privacytest.Referral(r),
		privacytest.Text("a phrase of the perpetrator's address", "High Street"),
		privacytest.Text("a phrase of the reason", "escalating threats"),
		privacytest.Text("a phrase of the contact method", "texts only")), nil
})

// assertNoPersonalData fails the test for each personal detail of the
// example referral that text holds as a whole token (privacytest.Find).
func assertNoPersonalData(t *testing.T, where, text string) {
	t.Helper()
	details, err := personal()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range privacytest.Find(text, details...) {
		t.Errorf("%s contains personal data: %s", where, f)
	}
}

func TestReferralTravelsToAllocationAndEmails(t *testing.T) {
	serial(t)
	ref := submit(t, submission(t, "flow", nil))
	v := awaitStatus(t, ref, "allocated")
	if v.CaseManager == nil || !strings.HasPrefix(v.CaseManager.Name, "Manager ") {
		t.Errorf("got case manager %+v, want a seeded manager's name", v.CaseManager)
	}
	if v.Decision == nil || !v.Decision.Eligible || len(v.Decision.Outcomes) != 4 {
		t.Errorf("got decision %+v, want eligible with a reason per rule", v.Decision)
	}
	var path []string
	for _, h := range v.History {
		path = append(path, string(h.To))
		if h.At.IsZero() || h.By == "" || h.Reason == "" {
			t.Errorf("history record %+v lacks when, who or why", h)
		}
	}
	if got := strings.Join(path, ">"); got != "received>eligible>allocated" {
		t.Errorf("got history %s, want received>eligible>allocated", got)
	}

	emails := awaitEmails(t, ref, 2)
	var toManager, toReferrer *local.Email
	for i, e := range emails {
		switch {
		case strings.HasSuffix(e.To[0], "@flow.drive.example"):
			toManager = &emails[i]
		case e.To[0] == "sam.taylor@essex.police.example":
			toReferrer = &emails[i]
		}
	}
	if toManager == nil || toReferrer == nil {
		t.Fatalf("got emails to %v, want one to the case manager and one to the referrer", emails)
	}
	// The case manager's link lands on the case page, which has Accept;
	// the referrer's on the referral's status.
	if !strings.Contains(toManager.Body, ref) || !strings.Contains(toManager.Body, stack.URL+"/cases/"+ref+"\n") {
		t.Errorf("case manager's email lacks the reference or the case page's link:\n%s", toManager.Body)
	}
	if !strings.Contains(toReferrer.Body, stack.URL+"/referrals/"+ref+"/status") {
		t.Errorf("referrer's email lacks the status page's link:\n%s", toReferrer.Body)
	}
	for _, e := range emails {
		assertNoPersonalData(t, "email to "+e.To[0], e.Subject+e.Body)
	}
	assertNoPersonalData(t, "the functions' logs", logs.String())
}

func TestIneligibleReferralEmailsReasons(t *testing.T) {
	serial(t)
	ref := submit(t, submission(t, "rules", func(m map[string]any) {
		m["route"], m["maracDate"] = "police", nil
		delete(m, "maracDate")
		m["victims"].([]any)[0].(map[string]any)["dashScore"] = 9
		m["abuse"].(map[string]any)["knownVictims"] = 1
		m["abuse"].(map[string]any)["incidentsLast12Months"] = 1
	}))
	v := awaitStatus(t, ref, "ineligible")
	if v.Decision == nil || len(v.Decision.Failed()) != 1 {
		t.Fatalf("got decision %+v, want one failed rule", v.Decision)
	}
	emails := awaitEmails(t, ref, 1)
	body := emails[0].Body
	if emails[0].To[0] != "sam.taylor@essex.police.example" || !strings.Contains(body, "DASH score 9 is below this area's threshold of 14") {
		t.Errorf("got email to %v:\n%s\nwant the referrer told the reasons", emails[0].To, body)
	}
	assertNoPersonalData(t, "ineligible email", body)
	time.Sleep(500 * time.Millisecond)
	if n := len(emailsAbout(t, ref)); n != 1 {
		t.Errorf("got %d emails about an ineligible referral, want 1 (the referrer's)", n)
	}
}

func TestFullAreaWaitlists(t *testing.T) {
	serial(t)
	first := submit(t, submission(t, "narrow", nil))
	awaitStatus(t, first, "allocated")
	second := submit(t, submission(t, "narrow", nil))
	awaitStatus(t, second, "waitlisted")
	waiting, err := stack.Store.Waiting(context.Background(), "narrow")
	if err != nil || len(waiting) != 1 || waiting[0] != second {
		t.Errorf("got waitlist %v (%v), want [%s]", waiting, err, second)
	}
	emails := awaitEmails(t, second, 1)
	if !strings.Contains(emails[0].Body, "waiting list") {
		t.Errorf("got %q, want the referrer told it is on the waiting list", emails[0].Body)
	}
	m, err := stack.Store.CaseManager(context.Background(), "narrow", "narrow-cm1")
	if err != nil || m.Caseload != 1 {
		t.Errorf("got caseload %d (%v), want 1 (its capacity)", m.Caseload, err)
	}
}

// sqsEvent builds the event Lambda would send for these message bodies.
func sqsEvent(bodies ...string) []byte {
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("dup-%d-%d", time.Now().UnixNano(), i), Body: b, EventSource: "aws:sqs"})
	}
	raw, _ := json.Marshal(ev)
	return raw
}

func invokeBatch(t *testing.T, function string, bodies ...string) events.SQSEventResponse {
	t.Helper()
	out, err := stack.Invoke(context.Background(), function, sqsEvent(bodies...))
	if err != nil {
		t.Fatalf("invoke %s: %v", function, err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("invoke %s: %v", function, err)
	}
	return resp
}

func TestRedeliveredMessagesChangeNothing(t *testing.T) {
	serial(t)
	ctx := context.Background()
	ref := submit(t, submission(t, "twice", nil))
	awaitStatus(t, ref, "allocated")
	awaitEmails(t, ref, 2)
	// The receipts are marked after the emails leave: let the first
	// deliveries finish so that what follows is purely a redelivery.
	awaitQueuesEmpty(t)
	rec, err := stack.Store.Referral(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}

	// Every hop's message again, twice in one batch and once more through
	// the queues, as SQS's at-least-once delivery may do.
	msg := fmt.Sprintf(`{"reference":%q}`, ref)
	outcome, _ := json.Marshal(notification.Event{Kind: notification.KindOutcome, Reference: ref, Status: referral.StatusAllocated})
	allocated, _ := json.Marshal(notification.Event{Kind: notification.KindAllocated, Reference: ref, Status: referral.StatusAllocated,
		CaseManagerID: rec.CaseManager.ID, Since: rec.CaseManager.Since})
	for fn, bodies := range map[string][]string{
		"EligibilityFunction": {msg, msg},
		"AllocateFunction":    {msg, msg},
		"NotifyFunction":      {string(outcome), string(allocated), string(outcome), string(allocated)},
	} {
		if resp := invokeBatch(t, fn, bodies...); len(resp.BatchItemFailures) != 0 {
			t.Errorf("%s reported failures %v for redelivered messages", fn, resp.BatchItemFailures)
		}
	}
	client := sqs.NewFromConfig(stack.AWS)
	for _, q := range []string{"EligibilityQueue", "AllocationQueue"} {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(stack.Queues[q]), MessageBody: aws.String(msg)}); err != nil {
			t.Fatal(err)
		}
	}
	awaitQueuesEmpty(t)

	if n := len(emailsAbout(t, ref)); n != 2 {
		t.Errorf("got %d emails, want 2 (one to the case manager, one to the referrer)", n)
	}
	_, v := status(t, ref)
	allocations := 0
	for _, h := range v.History {
		if h.To == referral.StatusAllocated {
			allocations++
		}
	}
	if v.Status != "allocated" || allocations != 1 || len(v.History) != 3 {
		t.Errorf("got status %s with %d allocations in %d history records, want allocated once in 3", v.Status, allocations, len(v.History))
	}
	managers, _ := stack.Store.CaseManagers(ctx, "twice")
	total := 0
	for _, m := range managers {
		total += m.Caseload
	}
	if total != 1 {
		t.Errorf("got %d cases in the area's caseloads, want 1", total)
	}
}

// awaitQueuesEmpty waits until no pipeline queue has a message visible or
// in flight.
func awaitQueuesEmpty(t *testing.T) {
	t.Helper()
	client := sqs.NewFromConfig(stack.AWS)
	eventually(t, 30*time.Second, "queues did not drain", func() bool {
		for _, q := range []string{"EligibilityQueue", "AllocationQueue", "NotifyQueue"} {
			out, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(stack.Queues[q]),
				AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
			if err != nil || out.Attributes["ApproximateNumberOfMessages"] != "0" || out.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
				return false
			}
		}
		return true
	})
}

func TestConcurrentAllocationsNeverExceedCapacity(t *testing.T) {
	serial(t)
	const n = 10 // two managers of capacity 3
	refs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); refs[i] = submit(t, submission(t, "race", nil)) }()
	}
	wg.Wait()
	counts := map[string]int{}
	eventually(t, 30*time.Second, "referrals still in flight", func() bool {
		clear(counts)
		for _, ref := range refs {
			_, v := status(t, ref)
			counts[v.Status]++
		}
		return counts["allocated"]+counts["waitlisted"] == n
	})
	if counts["allocated"] != 6 || counts["waitlisted"] != 4 {
		t.Errorf("got %v, want 6 allocated and 4 waitlisted", counts)
	}
	managers, _ := stack.Store.CaseManagers(context.Background(), "race")
	for _, m := range managers {
		if m.Caseload != m.Capacity {
			t.Errorf("manager %s: caseload %d, want exactly its capacity %d", m.ID, m.Caseload, m.Capacity)
		}
	}
	awaitQueuesEmpty(t)
	checkCapacity(t, stack, "race")
}

func TestPoisonMessageEndsInDeadLetterQueue(t *testing.T) {
	serial(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(stack.AWS)
	body := fmt.Sprintf("not a referral message %d", time.Now().UnixNano())
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(stack.Queues["EligibilityQueue"]), MessageBody: &body}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "poison message never reached EligibilityDLQ", func() bool {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(stack.Queues["EligibilityDLQ"]),
			MaxNumberOfMessages: 10, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"ApproximateReceiveCount"}})
		if err != nil {
			return false
		}
		for _, m := range out.Messages {
			if aws.ToString(m.Body) == body {
				return true
			}
		}
		return false
	})
	if !strings.Contains(logs.String(), "unreadable message") {
		t.Error("the failure was not logged")
	}
}

func TestRejectedReferralsAreNotStored(t *testing.T) {
	serial(t)
	tests := []struct {
		name        string
		body        string
		contentType string
		want        int
		field       string
	}{
		{"invalid JSON", `{"area": "flow",`, "application/json", http.StatusBadRequest, ""},
		{"missing date of birth", string(submission(t, "flow", func(m map[string]any) {
			delete(m["perpetrator"].(map[string]any), "dateOfBirth")
		})), "application/json", http.StatusUnprocessableEntity, "perpetrator.dateOfBirth"},
		{"unknown field", `{"aera": "flow"}`, "application/json", http.StatusUnprocessableEntity, "aera"},
		{"wrong content type", string(submission(t, "flow", nil)), "text/plain", http.StatusUnsupportedMediaType, ""},
	}
	awaitQueuesEmpty(t) // earlier tests' emails are not this test's
	before, referralsBefore := emailsSent(t), referralItems(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := post(t, []byte(tt.body), tt.contentType)
			if code != tt.want {
				t.Fatalf("got %d %v, want %d", code, out, tt.want)
			}
			if tt.field == "" {
				if out["message"] == "" {
					t.Errorf("got %v, want a message", out)
				}
				return
			}
			errs, _ := out["errors"].([]any)
			found := false
			for _, e := range errs {
				fe := e.(map[string]any)
				found = found || (fe["field"] == tt.field && fe["message"] != "")
			}
			if !found {
				t.Errorf("got %v, want an error on %s", out, tt.field)
			}
		})
	}
	awaitQueuesEmpty(t)
	if after := emailsSent(t); after != before {
		t.Errorf("rejected referrals caused %d emails", after-before)
	}
	if after := referralItems(t); after != referralsBefore {
		t.Errorf("rejected referrals stored %d items", after-referralsBefore)
	}
	if code, _ := status(t, "DRV-2222-2222"); code != http.StatusNotFound {
		t.Errorf("unknown reference: got %d, want 404", code)
	}
}

func emailsSent(t *testing.T) int {
	all, err := local.Outbox(context.Background(), stack.MotoURL)
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

// TestStaleAllocationsAreRefused races allocations that all read the
// manager before any of them wrote: the transaction's capacity condition
// alone must keep the manager at capacity.
func TestStaleAllocationsAreRefused(t *testing.T) {
	serial(t)
	ctx := context.Background()
	stale, err := stack.Store.CaseManager(ctx, "stale", "stale-cm1")
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	recs := make([]referral.Record, n)
	for i := range recs {
		ref, _ := referral.NewReference()
		now := time.Now().UTC()
		recs[i] = referral.Record{Reference: ref, Status: referral.StatusReceived, ReceivedAt: now, UpdatedAt: now, Referral: referral.Referral{Area: "stale",
			Perpetrator: referral.Perpetrator{FirstName: "Stale", LastName: "Allocation", DateOfBirth: "1980-01-01"}}}
		if err := stack.Store.CreateReferral(ctx, recs[i], "", ""); err != nil {
			t.Fatal(err)
		}
		if err := stack.Store.RecordDecision(ctx, referral.Record{Reference: ref}, referral.Decision{Eligible: true, DecidedAt: now}, "test"); err != nil {
			t.Fatal(err)
		}
		recs[i].Status = referral.StatusEligible
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = stack.Store.Allocate(ctx, recs[i], stale, time.Now(), "test")
		}()
	}
	wg.Wait()
	allocated, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			allocated++
		case errors.Is(err, allocation.ErrNoCapacity):
			refused++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	m, _ := stack.Store.CaseManager(ctx, "stale", "stale-cm1")
	if allocated != 3 || refused != n-3 || m.Caseload != 3 {
		t.Errorf("got %d allocated, %d refused, caseload %d; want 3, %d, 3", allocated, refused, m.Caseload, n-3)
	}
	// A refused referral is untouched: still eligible, no case.
	for i, err := range errs {
		if err == nil {
			continue
		}
		rec, _ := stack.Store.Referral(ctx, recs[i].Reference)
		if _, cerr := stack.Store.Case(ctx, recs[i].Reference); rec.Status != referral.StatusEligible || !errors.Is(cerr, referral.ErrNotFound) {
			t.Errorf("refused %s: status %s, case lookup %v; want eligible and no case", rec.Reference, rec.Status, cerr)
		}
	}
}

// referralItems counts the table's referral and history items.
func referralItems(t *testing.T) int32 {
	t.Helper()
	out, err := dynamodb.NewFromConfig(stack.AWS).Scan(context.Background(), &dynamodb.ScanInput{
		TableName: aws.String(stack.Table), Select: ddbtypes.SelectCount,
		FilterExpression:          aws.String("begins_with(PK, :ref)"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":ref": &ddbtypes.AttributeValueMemberS{Value: "REF#"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Count
}

// TestSecondReferralOfSamePerpetratorIsLinked: a second referral of a
// perpetrator with an open referral, in any area and from any officer, is
// recorded and linked to the open one (history on both), and the team
// working on it is told by reference; nobody is told of a referral they
// did not make (issue 13: no 409 naming someone else's referral).
func TestSecondReferralOfSamePerpetratorIsLinked(t *testing.T) {
	serial(t)
	same := func(m map[string]any) {
		p := m["perpetrator"].(map[string]any)
		p["firstName"], p["lastName"], p["dateOfBirth"] = "Seán", "O'Brien", "1979-06-15"
	}
	first := submit(t, submission(t, "dup", same))
	awaitStatus(t, first, "allocated")
	tests := []struct {
		name      string
		who       string
		body      []byte
		namesOpen bool
	}{
		{"the same officer, the same area", officer, submission(t, "dup", same), true},
		{"another officer of another force, name and date of birth only", "other.officer@kent.police.example", submission(t, "dup", same), false},
		{"another officer, another area, typed differently", "other.officer@kent.police.example", submission(t, "dup-other", func(m map[string]any) {
			same(m)
			m["perpetrator"].(map[string]any)["lastName"] = "OBRIEN"
		}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := call(t, tt.who, http.MethodPost, "/referrals", string(tt.body))
			ref, _ := out["reference"].(string)
			if code != http.StatusAccepted || out["status"] != "linked" || ref == "" || ref == first {
				t.Fatalf("got %d %v, want 202 linked with a reference of its own", code, out)
			}
			if named := fmt.Sprint(out) != strings.ReplaceAll(fmt.Sprint(out), first, ""); named != tt.namesOpen {
				t.Errorf("got %v: names %s %v, want %v", out, first, named, tt.namesOpen)
			}
			// The team is told, by reference only.
			eventually(t, 20*time.Second, "the team told of "+ref, func() bool { return len(emailsAbout(t, first)) > 0 && tellsOf(emailsAbout(t, first), ref) })
			for _, e := range emailsAbout(t, first) {
				assertNoPersonalData(t, "the linked email", e.Body)
			}
			// Its details are for the open one's team to read (the link
			// email's case page): the case manager holding the open one;
			// not the officer who sent it, nor anyone else.
			open, err := stack.Store.Referral(t.Context(), first)
			if err != nil || open.CaseManager == nil {
				t.Fatalf("the open referral %s: %v %+v", first, err, open.CaseManager)
			}
			holder, err := stack.Store.CaseManager(t.Context(), "dup", open.CaseManager.ID)
			if err != nil {
				t.Fatal(err)
			}
			code, got := call(t, holder.Email, http.MethodGet, "/cases/"+ref, "")
			if r, _ := got["referral"].(map[string]any); code != http.StatusOK || r == nil || fmt.Sprint(r["perpetrator"]) == fmt.Sprint(nil) {
				t.Errorf("GET /cases/%s by the open referral's case manager: got %d %v, want 200 with the referral", ref, code, got)
			}
			if code, _ := call(t, tt.who, http.MethodGet, "/cases/"+ref, ""); code != http.StatusNotFound {
				t.Errorf("GET /cases/%s by the officer who sent it: got %d, want 404", ref, code)
			}
		})
	}
	// The open referral's history records each link, for staff only: its
	// officer does not see them.
	_, v := status(t, first)
	for _, tr := range v.History {
		if strings.Contains(tr.Reason, "linked to this one") {
			t.Errorf("the officer who referred sees a staff-only row: %q", tr.Reason)
		}
	}
}

// tellsOf reports whether one of emails names ref.
func tellsOf(emails []local.Email, ref string) bool {
	for _, e := range emails {
		if strings.Contains(e.Body, ref) {
			return true
		}
	}
	return false
}

func TestRetriedSubmissionCreatesOneReferral(t *testing.T) {
	serial(t)
	body := submission(t, "flow", nil)
	send := func(key string, body []byte) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, stack.URL+"/referrals", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	key := fmt.Sprintf("retry-%d", time.Now().UnixNano())
	answers := make([]map[string]any, 3)
	codes := make([]int, 3)
	var wg sync.WaitGroup
	for i := range answers { // a double click and a retry, all at once
		wg.Add(1)
		go func() { defer wg.Done(); codes[i], answers[i] = send(key, body) }()
	}
	wg.Wait()
	for i := range answers {
		if codes[i] != http.StatusAccepted || answers[i]["reference"] != answers[0]["reference"] {
			t.Fatalf("got %v %v, want the same 202 answer three times", codes, answers)
		}
	}
	ref := answers[0]["reference"].(string)
	awaitStatus(t, ref, "allocated")
	if code, out := send(key, submission(t, "flow", nil)); code != http.StatusUnprocessableEntity {
		t.Errorf("same key, other referral: got %d %v, want 422", code, out)
	}
	awaitQueuesEmpty(t)
	if n := len(emailsAbout(t, ref)); n != 2 {
		t.Errorf("got %d emails about %s, want 2 (one referral)", n, ref)
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	serial(t)
	resp, err := http.Get(stack.URL + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	want, err := os.ReadFile("../../functions/intake/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") {
		t.Errorf("got %d %s (%d bytes), want the repository's openapi.yaml (%d bytes)", resp.StatusCode, resp.Header.Get("Content-Type"), len(got), len(want))
	}
}

// TestDataAtRestIsProtected reads back what the local stack made of
// template.yaml: the table and every queue encrypted with the stack's own
// key, rotated; the table with point-in-time recovery and deletion
// protection; expiry through TTL.
func TestDataAtRestIsProtected(t *testing.T) {
	serial(t)
	ctx := t.Context()
	ddb := dynamodb.NewFromConfig(stack.AWS)
	table, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(stack.Table)})
	if err != nil {
		t.Fatal(err)
	}
	sse := table.Table.SSEDescription
	if sse == nil || sse.SSEType != ddbtypes.SSETypeKms || aws.ToString(sse.KMSMasterKeyArn) == "" {
		t.Fatalf("table encryption %+v, want KMS with the stack's key", sse)
	}
	key := aws.ToString(sse.KMSMasterKeyArn)
	if !aws.ToBool(table.Table.DeletionProtectionEnabled) {
		t.Error("table has no deletion protection")
	}
	backups, err := ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(stack.Table)})
	if err != nil || backups.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != ddbtypes.PointInTimeRecoveryStatusEnabled {
		t.Errorf("point-in-time recovery: %v %+v", err, backups)
	}
	ttl, err := ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(stack.Table)})
	if err != nil || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "expiresAt" {
		t.Errorf("TTL: %v %+v", err, ttl)
	}
	rotation, err := kms.NewFromConfig(stack.AWS).GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(key)})
	if err != nil || !rotation.KeyRotationEnabled {
		t.Errorf("key %s rotation: %v %+v", key, err, rotation)
	}
	for name, url := range stack.Queues {
		out, err := sqs.NewFromConfig(stack.AWS).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameKmsMasterKeyId}})
		if err != nil || out.Attributes["KmsMasterKeyId"] == "" || !strings.HasSuffix(key, out.Attributes["KmsMasterKeyId"]) {
			t.Errorf("queue %s: %v, key %q, want the table's key %s", name, err, out.Attributes["KmsMasterKeyId"], key)
		}
	}
}

// TestLinkToAChangedReferralIsRefused: a referral is linked to an open
// one only while that one is as it was read; a link decided on a stale
// read stores nothing (dynamo.Store.Create's condition).
func TestLinkToAChangedReferralIsRefused(t *testing.T) {
	serial(t)
	ctx := context.Background()
	body := submission(t, "flow", nil)
	open := submit(t, body)
	awaitStatus(t, open, "allocated")
	stale, err := stack.Store.Referral(ctx, open)
	if err != nil {
		t.Fatal(err)
	}
	stale.Status, stale.CaseManager = referral.StatusReceived, nil // as read before its allocation
	r, err := referral.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	const ref = "DRV-LNK2-TEST"
	rec := referral.Record{Reference: ref, Status: referral.StatusLinked, ReceivedAt: now, UpdatedAt: now, Referral: r, LinkedTo: open,
		SubmittedBy: &referral.Submitter{Subject: "officer-test"}}
	err = stack.Store.Create(ctx, dynamo.NewReferral{Record: rec, Link: &dynamo.Link{Open: stale,
		Transition: referral.Transition{At: now, From: stale.Status, To: stale.Status, By: "intake", Reason: referral.LinkWords(ref), StaffOnly: true}}})
	if !errors.Is(err, referral.ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
	if _, err := stack.Store.Referral(ctx, ref); !errors.Is(err, referral.ErrNotFound) {
		t.Errorf("the linked referral: got %v, want it not stored", err)
	}
	hist, err := stack.Store.History(ctx, open)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range hist {
		if tr.StaffOnly {
			t.Errorf("the open referral's history records a link that was refused: %+v", tr)
		}
	}
}
