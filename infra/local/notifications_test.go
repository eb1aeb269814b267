package local_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/driveprogramme/referrals/infra/local"
	"github.com/driveprogramme/referrals/shared/metrics"
	"github.com/driveprogramme/referrals/shared/notification"
)

// outbox reads the stack's local outbox as JSON, as a developer would.
func outbox(t *testing.T, s *local.Stack) []local.Email {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/local/outbox", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Emails []local.Email `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Emails
}

// TestUnacceptedAllocationsAreChased runs the stack on a shortened clock
// (a reminder 3 s after allocation, an escalation 3 s later, the schedule
// every second) and follows one allocation through every email it causes:
// the case manager, the IDVA service and MARAC coordinator, the referrer,
// the reminder, the escalation; then a bounce of the case manager's email,
// published to the feedback topic as SES would.
func TestUnacceptedAllocationsAreChased(t *testing.T) {
	serial(t)
	if testing.Short() {
		t.Skip("starts its own stack")
	}
	chase := area("chase", 2)
	chase.IDVAService, chase.MARACCoordinator = "idva@chase-idva.example", "marac@chase-police.example"
	chaseLogs := &syncBuffer{}
	s, err := local.Start(context.Background(), local.Config{
		Addr: "127.0.0.1:0", Seed: []local.SeedArea{chase}, Users: testUsers([]local.SeedArea{chase}), Logs: chaseLogs,
		Params:        map[string]string{"RemindAfter": "3s", "EscalateAfter": "3s"},
		ScheduleEvery: time.Second,
		Binaries:      binaries,
		Pages:         pages.check,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	register(s)

	resp, err := http.Post(s.URL+"/referrals", "application/json", bytes.NewReader(submission(t, "chase", nil)))
	if err != nil {
		t.Fatal(err)
	}
	var sub struct{ Reference string }
	_ = json.NewDecoder(resp.Body).Decode(&sub)
	resp.Body.Close()
	ref := sub.Reference
	started := time.Now()

	kindsTo := func() []string {
		var got []string
		for _, e := range outbox(t, s) {
			if e.Reference == ref {
				got = append(got, string(e.Kind)+" "+strings.Join(e.To, ",")+" "+string(e.Status))
			}
		}
		return got
	}
	want := []string{
		"allocated cm1@chase.drive.example sent", "allocated idva@chase-idva.example sent", "allocated marac@chase-police.example sent",
		"outcome sam.taylor@essex.police.example sent", "reminder cm1@chase.drive.example sent", "escalation " + lead("chase") + " sent",
	}
	var got []string
	eventually(t, 30*time.Second, "want every email of the allocation, the reminder and the escalation", func() bool {
		got = kindsTo()
		return len(got) >= len(want)
	})
	t.Logf("reminder and escalation in the outbox %s after the referral", time.Since(started).Round(100*time.Millisecond))
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("outbox lacks %q; has %v", w, got)
		}
	}
	time.Sleep(3 * time.Second) // more scheduled runs: nothing is chased twice
	if again := kindsTo(); len(again) != len(want) {
		t.Errorf("after more runs the outbox has %d emails about %s, want %d: %v", len(again), ref, len(want), again)
	}
	var cmEmail local.Email
	for _, e := range outbox(t, s) {
		if e.Reference == ref {
			assertNoPersonalData(t, "email "+string(e.Kind), e.Subject+e.Body+e.HTML)
			if e.HTML == "" || !strings.Contains(e.Body, ref) {
				t.Errorf("%s email: want HTML and text with the reference, got %+v", e.Kind, e)
			}
			if e.Kind == notification.KindAllocated && strings.Join(e.To, "") == "cm1@chase.drive.example" {
				cmEmail = e
			}
		}
	}

	// SES reports that the case manager's address bounced.
	bounce, _ := json.Marshal(map[string]any{"eventType": "Bounce", "mail": map[string]any{"messageId": cmEmail.ID, "destination": []string{"cm1@chase.drive.example"}},
		"bounce": map[string]any{"bounceType": "Permanent", "bounceSubType": "General"}})
	topics, err := sns.NewFromConfig(s.AWS).ListTopics(context.Background(), &sns.ListTopicsInput{})
	if err != nil || len(topics.Topics) == 0 {
		t.Fatalf("no feedback topic: %v", err)
	}
	for _, tp := range topics.Topics {
		if strings.HasSuffix(aws.ToString(tp.TopicArn), ":FeedbackTopic") {
			if _, err := sns.NewFromConfig(s.AWS).Publish(context.Background(), &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String(string(bounce))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	eventually(t, 20*time.Second, "the bounce recorded, the case manager flagged and the lead told", func() bool {
		m, err := s.Store.CaseManager(context.Background(), "chase", "chase-cm1")
		return err == nil && m.EmailBouncedAt != nil && slices.Contains(kindsTo(), "allocated cm1@chase.drive.example bounced") &&
			slices.Contains(kindsTo(), "bounced "+lead("chase")+" sent")
	})

	// The lead sees the flag where they manage the area's case managers.
	req, _ := http.NewRequestWithContext(as(context.Background(), lead("chase")), http.MethodGet, s.URL+"/areas/chase/case-managers/chase-cm1", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var cm map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&cm)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || cm["emailBouncedAt"] == nil {
		t.Errorf("the lead reads the case manager as %d %v, want emailBouncedAt", resp.StatusCode, cm)
	}

	// Every function's metrics parse as EMF, and every line a queue-fed
	// function logs names the SQS message it is about.
	emf := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(chaseLogs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fn, line, ok := strings.Cut(sc.Text(), " ")
		line = strings.TrimSpace(line)
		if !ok || !strings.HasPrefix(line, "{") {
			continue
		}
		if strings.Contains(line, `"_aws"`) {
			if _, err := metrics.Validate([]byte(line)); err != nil {
				t.Errorf("%s wrote invalid EMF: %v\n%s", fn, err, line)
			}
			emf[fn]++
			continue
		}
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if fn == "EligibilityFunction" || fn == "AllocateFunction" || fn == "NotifyFunction" {
			if rec["messageId"] == nil {
				t.Errorf("%s logged a line without the message id: %s", fn, line)
			}
		}
	}
	for _, fn := range []string{"IntakeFunction", "EligibilityFunction", "AllocateFunction", "NotifyFunction"} {
		if emf[fn] == 0 {
			t.Errorf("%s wrote no metrics", fn)
		}
	}
	assertNoPersonalData(t, "the logs", chaseLogs.String())
}

// TestOutboxShowsEachEmailsTime: the local outbox, as JSON and as a page,
// gives each email the time SES took it.
func TestOutboxShowsEachEmailsTime(t *testing.T) {
	serial(t)
	before := time.Now().Add(-time.Minute)
	ref := submit(t, submission(t, "flow", nil))
	awaitEmails(t, ref, 2)
	for _, e := range outbox(t, stack) {
		if e.Reference == ref && (e.At.IsZero() || e.At.Before(before)) {
			t.Errorf("email %q: at %v, want the time SES took it", e.Subject, e.At)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, stack.URL+"/local/outbox", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	articles, times := strings.Count(string(page), "<article>"), strings.Count(string(page), "<time datetime=")
	if articles == 0 || times != articles {
		t.Errorf("the outbox page shows %d emails and %d times, want a time for each", articles, times)
	}
}
