package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/dynamo/dynamotest"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/privacytest"
	"github.com/driveprogramme/referrals/shared/referral"
)

var since = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fakeStore keeps receipts as the DynamoDB store does: claimed, then sent
// or failed; SES message ids map to receipts for feedback.
type fakeStore struct {
	dynamotest.Outbox // committed with a change, until sent

	rec      referral.Record
	recErr   error                      // what reading the referral returns, when set
	others   map[string]referral.Record // other referrals, by reference (an open one a linked one was linked to)
	area     eligibility.Area
	receipts map[string]notification.Receipt
	leases   map[string]time.Time
	bySES    map[string]string
	released []string
	flagged  []string
}

func newStore() *fakeStore {
	return &fakeStore{
		rec: referral.Record{Reference: "DRV-7K4M-Q9TX", Status: referral.StatusAllocated, CaseManager: &referral.Assignee{ID: "essex-cm1", Name: "Tom Hughes", Since: since},
			Referral:    referral.Referral{Area: "essex", Referrer: referral.Referrer{Email: "sam@essex.police.example"}, Victims: []referral.Victim{{FirstName: "Jane"}}},
			SubmittedBy: &referral.Submitter{Subject: "officer-sam", Email: "sam@essex.police.example"}},
		area:     eligibility.Area{ID: "essex", Name: "Essex", Leads: []string{"lead@drive.example"}, IDVAService: "idva@essex.example", MARACCoordinator: "marac@essex.example"},
		receipts: map[string]notification.Receipt{}, bySES: map[string]string{}, leases: map[string]time.Time{},
	}
}

func (f *fakeStore) Referral(_ context.Context, ref string) (referral.Record, error) {
	if rec, ok := f.others[ref]; ok {
		return rec, nil
	}
	return f.rec, f.recErr
}
func (f *fakeStore) Area(_ context.Context, id string) (eligibility.Area, error) { return f.area, nil }
func (f *fakeStore) CaseManager(_ context.Context, area, id string) (allocation.CaseManager, error) {
	return allocation.CaseManager{ID: id, Area: area, Name: "Name of " + id, Email: id + "@drive.example"}, nil
}

func (f *fakeStore) Claim(_ context.Context, r notification.Receipt, lease, reconcile time.Duration) error {
	was, ok := f.receipts[r.ID]
	lapsed := func() bool { return !was.AttemptAt.IsZero() && was.AttemptAt.Add(reconcile).Before(r.At) }
	switch {
	case !ok, was.State == notification.StateFailed,
		was.State == notification.StateSending && f.leases[r.ID].Before(r.At) && lapsed(),
		was.State == notification.StateUnknown && lapsed():
		r.State, r.AttemptAt, r.Attempts = notification.StateSending, r.At, was.Attempts+1
		f.receipts[r.ID], f.leases[r.ID] = r, r.At.Add(lease)
		return nil
	case was.State == notification.StateSending, was.State == notification.StateUnknown:
		return notification.ErrInFlight
	}
	return notification.ErrAlreadySent
}

func unsent(s notification.State) bool {
	return s == "" || s == notification.StateSending || s == notification.StateUnknown || s == notification.StateFailed
}

func (f *fakeStore) MarkSent(_ context.Context, r notification.Receipt) error {
	was := f.receipts[r.ID]
	if !unsent(was.State) {
		return nil
	}
	r.State, r.Attempts, r.AttemptAt = notification.StateSent, was.Attempts, was.AttemptAt
	f.receipts[r.ID], f.bySES[r.MessageID] = r, r.ID
	return nil
}

func (f *fakeStore) MarkUnknown(_ context.Context, r notification.Receipt) error {
	was := f.receipts[r.ID]
	if was.State != notification.StateSending && was.State != notification.StateUnknown {
		return nil
	}
	r.State, r.Attempts, r.AttemptAt = notification.StateUnknown, was.Attempts, was.AttemptAt
	f.receipts[r.ID] = r
	return nil
}

func (f *fakeStore) MarkFailed(_ context.Context, r notification.Receipt) error {
	r.State = notification.StateFailed
	f.receipts[r.ID] = r
	return nil
}

func (f *fakeStore) Enqueue(_ context.Context, msgs ...dynamo.Message) error {
	f.Commit(msgs...)
	return nil
}

func (f *fakeStore) MarkSkipped(_ context.Context, r notification.Receipt) error {
	r.State = notification.StateSkipped
	f.receipts[r.ID] = r
	return nil
}

func (f *fakeStore) Release(_ context.Context, id string) error {
	f.released = append(f.released, id)
	delete(f.receipts, id)
	return nil
}

func (f *fakeStore) Confirm(_ context.Context, id, messageID string, at time.Time) (notification.Receipt, error) {
	r, ok := f.receipts[id]
	if !ok || !unsent(r.State) {
		return notification.Receipt{ID: id}, nil
	}
	r.State, r.MessageID = notification.StateSent, messageID
	f.receipts[id], f.bySES[messageID] = r, id
	return r, nil
}

func (f *fakeStore) Feedback(_ context.Context, messageID string, state notification.State, why string, _ time.Time) (notification.Receipt, error) {
	id, ok := f.bySES[messageID]
	if !ok {
		return notification.Receipt{}, referral.ErrNotFound
	}
	r := f.receipts[id]
	r.State, r.Why = state, why
	f.receipts[id] = r
	return r, nil
}

func (f *fakeStore) FlagBounced(_ context.Context, area, id string, _ time.Time) error {
	f.flagged = append(f.flagged, area+"/"+id)
	return nil
}

type fakeMail struct {
	sent []notification.Email
	err  error
	// lost: SES takes the email but its answer never comes back (a
	// timeout on our side after SES took it).
	lost bool
}

func (m *fakeMail) Send(_ context.Context, e notification.Email) (string, error) {
	if m.err != nil {
		return "", m.err
	}
	if m.lost {
		m.sent = append(m.sent, e)
		return "", fmt.Errorf("send %s email: %w: operation error SESv2: SendEmail: context deadline exceeded", e.Kind, notification.ErrOutcomeUnknown)
	}
	m.sent = append(m.sent, e)
	return fmt.Sprintf("ses-%d", len(m.sent)), nil
}

func (m *fakeMail) to() []string {
	var out []string
	for _, e := range m.sent {
		out = append(out, string(e.Kind)+" "+e.To)
	}
	return out
}

// fakeQueue is the notification queue, as the handler sends to it; Err
// fails every send.
type fakeQueue = dynamotest.Queue[notification.Event]

type rig struct {
	st    *fakeStore
	mail  *fakeMail
	queue *fakeQueue
	now   time.Time
}

func newRig() *rig {
	return &rig{st: newStore(), mail: &fakeMail{}, queue: &fakeQueue{Name: dynamo.QueueNotify}, now: since.Add(time.Hour)}
}

// run hands the bodies to the handler as one batch, each on its
// receiveCount-th try, and returns the ids of the messages that failed.
func (r *rig) run(t *testing.T, receiveCount int, bodies ...string) []string {
	t.Helper()
	return r.runWith(t, r.handler(), receiveCount, bodies...)
}

// handler is the notify handler on the rig's fakes.
func (r *rig) handler() *handler {
	return &handler{store: r.st, mail: r.mail, later: r.queue, baseURL: "https://drive.example", tries: 3,
		log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: func() time.Time { return r.now }}
}

// runWith is run with a handler of the test's own.
func (r *rig) runWith(t *testing.T, h *handler, receiveCount int, bodies ...string) []string {
	t.Helper()
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", i), Body: b, EventSource: "aws:sqs",
			Attributes: map[string]string{"ApproximateReceiveCount": fmt.Sprint(receiveCount)}})
	}
	raw, _ := json.Marshal(ev)
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.SQSEventResponse
	_ = json.Unmarshal(out, &resp)
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

func event(kind notification.Kind, cm string, mods ...func(*notification.Event)) string {
	ev := notification.Event{Kind: kind, Reference: "DRV-7K4M-Q9TX", Status: referral.StatusAllocated, CaseManagerID: cm, Since: since}
	for _, m := range mods {
		m(&ev)
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

var (
	allocated = event(notification.KindAllocated, "essex-cm1")
	outcome   = event(notification.KindOutcome, "")
)

// areaID is the area's id as a word of its own (not inside an address).
var areaID = regexp.MustCompile(`(^|[\s>:(])essex([\s<.,)]|$)`)

func TestSendsEachNotificationOnce(t *testing.T) {
	r := newRig()
	if failed := r.run(t, 1, allocated, outcome, allocated, outcome); failed != nil {
		t.Fatalf("got failures %v, want none", failed)
	}
	want := "allocated essex-cm1@drive.example,allocated idva@essex.example,allocated marac@essex.example,outcome sam@essex.police.example"
	if got := strings.Join(r.mail.to(), ","); got != want {
		t.Errorf("sent %s\nwant %s", got, want)
	}
	for _, e := range r.mail.sent {
		if found := privacytest.Find(e.Subject+"\n"+e.Text+"\n"+e.HTML, privacytest.Referral(r.st.rec.Referral)...); e.Text == "" || e.HTML == "" || len(found) > 0 {
			t.Errorf("email to %s: want text and HTML without personal details, got %v in %+v", e.To, found, e)
		}
		if !strings.Contains(e.Text, "Area: Essex") || areaID.MatchString(e.Text+e.HTML) {
			t.Errorf("email to %s: want the area named Essex, never by its id:\n%s", e.To, e.Text)
		}
	}
	if got := r.st.receipts[r.mail.sent[0].ID]; got.State != notification.StateSent || got.MessageID != "ses-1" || got.CaseManagerID != "essex-cm1" || got.Area != "essex" {
		t.Errorf("case manager's receipt = %+v, want sent with SES's id, the case manager and the area", got)
	}
}

func TestAllocationTellsTheVictimsIDVA(t *testing.T) {
	tests := []struct {
		name    string
		victims []referral.Victim
		area    eligibility.Area
		want    string
	}{
		{"IDVA named, in a domain the area allows", []referral.Victim{{IDVAEmail: "morgan@idva.example"}, {IDVAEmail: "MORGAN@idva.example"}},
			eligibility.Area{IDVAService: "idva@essex.example", MARACCoordinator: "marac@essex.example", IDVADomains: []string{"idva.example"}}, "morgan@idva.example,marac@essex.example"},
		{"IDVA named, in the IDVA service's domain (the default list)", []referral.Victim{{IDVAEmail: "morgan@essex.example"}},
			eligibility.Area{IDVAService: "idva@essex.example", MARACCoordinator: "marac@essex.example"}, "morgan@essex.example,marac@essex.example"},
		{"IDVA named, in a domain the area does not allow", []referral.Victim{{IDVAEmail: "anyone@gmail.example"}},
			eligibility.Area{IDVAService: "idva@essex.example", MARACCoordinator: "marac@essex.example"}, "idva@essex.example,marac@essex.example"},
		{"IDVA named, in a subdomain of an allowed one", []referral.Victim{{IDVAEmail: "x@evil.essex.example"}},
			eligibility.Area{IDVAService: "idva@essex.example"}, "idva@essex.example"},
		{"IDVA named, in a lookalike of an allowed one", []referral.Victim{{IDVAEmail: "x@essex.example.evil"}},
			eligibility.Area{IDVAService: "idva@essex.example"}, "idva@essex.example"},
		{"one IDVA allowed, one not", []referral.Victim{{IDVAEmail: "morgan@idva.example"}, {IDVAEmail: "x@other.example"}},
			eligibility.Area{IDVAService: "idva@essex.example", IDVADomains: []string{"idva.example"}}, "morgan@idva.example,idva@essex.example"},
		{"area's service", []referral.Victim{{}}, eligibility.Area{IDVAService: "idva@essex.example"}, "idva@essex.example"},
		{"no one set", []referral.Victim{{}}, eligibility.Area{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			r.st.rec.Referral.Victims, r.st.area = tt.victims, tt.area
			if failed := r.run(t, 1, allocated); failed != nil {
				t.Fatalf("failures %v", failed)
			}
			var got []string
			for _, e := range r.mail.sent[1:] {
				got = append(got, e.To)
				if !strings.Contains(e.Text, "Name of essex-cm1") || !strings.Contains(e.Text, "essex-cm1@drive.example") {
					t.Errorf("support email lacks the case manager's contact:\n%s", e.Text)
				}
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("told %v, want %s", got, tt.want)
			}
		})
	}
}

func TestRetriesWhileAnotherWorkerSends(t *testing.T) {
	r := newRig()
	var ev notification.Event
	_ = json.Unmarshal([]byte(allocated), &ev)
	r.st.receipts[ev.ReceiptID("essex-cm1@drive.example")] = notification.Receipt{State: notification.StateSending}
	if failed := r.run(t, 1, allocated); len(failed) != 1 || len(r.mail.sent) != 2 {
		t.Errorf("got failures %v and %v, want the message retried and the others told", failed, r.mail.to())
	}
}

func TestFailedSendIsRetriedThenRecordedAndTheLeadTold(t *testing.T) {
	r := newRig()
	r.mail.err = errors.New("ses throttled")
	for try := 1; try <= 3; try++ {
		if failed := r.run(t, try, outcome); len(failed) != 1 {
			t.Fatalf("try %d: failures %v, want the message retried", try, failed)
		}
		if try < 3 && (len(r.queue.Sent) != 0 || len(r.st.released) != try) {
			t.Fatalf("try %d: queued %v, released %v; want the claim released and no one told yet", try, r.queue.Sent, r.st.released)
		}
	}
	var failed []notification.Receipt
	for _, rc := range r.st.receipts {
		if rc.State == notification.StateFailed {
			failed = append(failed, rc)
		}
	}
	if len(failed) != 1 || failed[0].Kind != notification.KindOutcome || !strings.Contains(failed[0].Why, "ses throttled") {
		t.Errorf("receipts %v, want the outcome email recorded as failed, with why", r.st.receipts)
	}
	if len(r.queue.Sent) != 1 || r.queue.Sent[0].Kind != notification.KindSendFailed || r.queue.Sent[0].About != notification.KindOutcome {
		t.Fatalf("queued %+v, want one send-failed event about the outcome", r.queue.Sent)
	}
	// The lead's email goes out; a redriven message then sends the outcome.
	r.mail.err = nil
	tell, _ := json.Marshal(r.queue.Sent[0])
	if failed := r.run(t, 1, string(tell), outcome); failed != nil {
		t.Fatalf("failures %v", failed)
	}
	if got := strings.Join(r.mail.to(), ","); got != "send-failed lead@drive.example,outcome sam@essex.police.example" {
		t.Errorf("sent %s, want the lead told and the redriven outcome sent", got)
	}
}

func TestALeadsEmailThatFailsIsNotEscalatedFurther(t *testing.T) {
	r := newRig()
	r.mail.err = errors.New("ses down")
	tell := event(notification.KindSendFailed, "", func(e *notification.Event) { e.About = notification.KindOutcome })
	if failed := r.run(t, 3, tell); len(failed) != 1 || len(r.queue.Sent) != 0 {
		t.Errorf("failures %v, queued %v: want it dead-lettered without another event", failed, r.queue.Sent)
	}
}

func TestRemindersAndEscalations(t *testing.T) {
	reminder, escalation := event(notification.KindReminder, "essex-cm1"), event(notification.KindEscalation, "essex-cm1")
	r := newRig()
	r.now = since.Add(25 * time.Hour)
	if failed := r.run(t, 1, reminder, escalation, reminder); failed != nil {
		t.Fatalf("failures %v", failed)
	}
	if got := strings.Join(r.mail.to(), ","); got != "reminder essex-cm1@drive.example,escalation lead@drive.example" {
		t.Errorf("sent %s, want one reminder to the case manager and one escalation to the lead", got)
	}
	if !strings.Contains(r.mail.sent[0].Text, "25 hours ago") || !strings.Contains(r.mail.sent[1].Text, "Name of essex-cm1") {
		t.Errorf("reminder:\n%s\nescalation:\n%s", r.mail.sent[0].Text, r.mail.sent[1].Text)
	}

	for name, change := range map[string]func(*referral.Record){
		"accepted": func(rec *referral.Record) { rec.Status = referral.StatusAccepted },
		"reallocated": func(rec *referral.Record) {
			rec.CaseManager = &referral.Assignee{ID: "essex-cm2", Since: since.Add(time.Hour)}
		},
		"back again": func(rec *referral.Record) { rec.CaseManager.Since = since.Add(2 * time.Hour) },
	} {
		r := newRig()
		change(&r.st.rec)
		if failed := r.run(t, 1, reminder, escalation); failed != nil || len(r.mail.sent) != 0 {
			t.Errorf("%s: failures %v, sent %v; want stale reminders dropped", name, failed, r.mail.to())
		}
	}

	r = newRig()
	r.st.area.Leads = nil
	if failed := r.run(t, 1, escalation); len(failed) != 1 {
		t.Errorf("escalation in an area without leads: failures %v, want it retried (and dead-lettered, which alarms)", failed)
	}
}

func TestBadEventsFail(t *testing.T) {
	for _, body := range []string{`not json`, `{"kind":"party","reference":"DRV-7K4M-Q9TX"}`, `{"kind":"allocated","reference":"DRV-7K4M-Q9TX"}`} {
		r := newRig()
		if failed := r.run(t, 1, body, outcome); len(failed) != 1 || failed[0] != "m0" || len(r.mail.sent) != 1 {
			t.Errorf("%s: got failures %v and %v, want only the bad one failed", body, failed, r.mail.to())
		}
	}
}

func TestReallocationTellsBothManagersAndDropsStaleAllocations(t *testing.T) {
	r := newRig()
	r.st.area = eligibility.Area{}
	// The case is now essex-cm1's: it moved from essex-cm2, whose first
	// allocation event arrives late.
	stale := event(notification.KindAllocated, "essex-cm2")
	moved := event(notification.KindReallocated, "essex-cm2")
	if failed := r.run(t, 1, stale, moved, allocated); failed != nil {
		t.Fatalf("got failures %v, want none", failed)
	}
	if got := strings.Join(r.mail.to(), ","); got != "reallocated essex-cm2@drive.example,allocated essex-cm1@drive.example" {
		t.Errorf("sent %s, want the move told to essex-cm2 and the allocation to essex-cm1", got)
	}
}

func sesEvent(kind, messageID, bounceType string) string {
	b, _ := json.Marshal(map[string]any{
		"eventType": kind,
		"mail":      map[string]any{"messageId": messageID, "destination": []string{"essex-cm1@drive.example"}},
		"bounce":    map[string]any{"bounceType": bounceType, "bounceSubType": "General", "bouncedRecipients": []any{map[string]string{"emailAddress": "essex-cm1@drive.example"}}},
		"complaint": map[string]any{"complaintFeedbackType": "abuse"},
	})
	return string(b)
}

func TestBouncesAndComplaintsAreRecorded(t *testing.T) {
	r := newRig()
	r.st.area.IDVAService, r.st.area.MARACCoordinator = "", ""
	if failed := r.run(t, 1, allocated, outcome); failed != nil {
		t.Fatal(failed)
	}
	cmEmail, referrerEmail := r.mail.sent[0], r.mail.sent[1]
	snsWrapped, _ := json.Marshal(map[string]string{"Type": "Notification", "Message": sesEvent("Complaint", "ses-2", "")})
	if failed := r.run(t, 1, sesEvent("Bounce", "ses-1", "Permanent"), string(snsWrapped), sesEvent("Bounce", "ses-unknown", "Permanent"),
		sesEvent("Delivery", "ses-1", "")); failed != nil {
		t.Fatalf("failures %v", failed)
	}
	if got := r.st.receipts[cmEmail.ID]; got.State != notification.StateBounced || !strings.Contains(got.Why, "Permanent") {
		t.Errorf("case manager's receipt = %+v, want bounced", got)
	}
	if got := r.st.receipts[referrerEmail.ID]; got.State != notification.StateComplained {
		t.Errorf("referrer's receipt = %+v, want complained", got)
	}
	if strings.Join(r.st.flagged, ",") != "essex/essex-cm1" {
		t.Errorf("flagged %v, want the case manager whose address bounced", r.st.flagged)
	}
	if len(r.queue.Sent) != 1 || r.queue.Sent[0].Kind != notification.KindBounced || r.queue.Sent[0].CaseManagerID != "essex-cm1" {
		t.Fatalf("queued %+v, want the lead told of the bounce", r.queue.Sent)
	}
	tell, _ := json.Marshal(r.queue.Sent[0])
	if failed := r.run(t, 1, string(tell)); failed != nil {
		t.Fatal(failed)
	}
	if last := r.mail.sent[len(r.mail.sent)-1]; last.To != "lead@drive.example" || !strings.Contains(last.Text, "Name of essex-cm1") {
		t.Errorf("lead's email: %+v", last)
	}
	soft := newRig()
	soft.run(t, 1, allocated)
	if failed := soft.run(t, 1, sesEvent("Bounce", "ses-1", "Transient")); failed != nil || len(soft.st.flagged) != 0 || len(soft.queue.Sent) != 0 {
		t.Errorf("a transient bounce: failures %v, flagged %v, queued %v; want it recorded only", failed, soft.st.flagged, soft.queue.Sent)
	}
}

// TestOutcomeGoesToTheSignedInOfficer: the outcome goes to the email the
// officer's sign-in verified, never to the address typed in the referral;
// without a verified email, nobody is sent it.
func TestOutcomeGoesToTheSignedInOfficer(t *testing.T) {
	tests := []struct {
		name string
		by   *referral.Submitter
		want string
	}{
		{"typed another address", &referral.Submitter{Subject: "officer-sam", Email: "sam@essex.police.example"}, "sam@essex.police.example"},
		{"no officer recorded", nil, ""},
		{"an officer without an email", &referral.Submitter{Subject: "officer-sam"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			r.st.rec.Referral.Referrer.Email = "someone@elsewhere.example"
			r.st.rec.SubmittedBy = tt.by
			if failed := r.run(t, 1, outcome); failed != nil {
				t.Fatalf("got failures %v, want none", failed)
			}
			if got := strings.Join(r.mail.to(), ","); got != strings.TrimSpace("outcome "+tt.want) && !(tt.want == "" && got == "") {
				t.Errorf("sent %q, want the outcome to %q", got, tt.want)
			}
		})
	}
}

// TestLinkedReferralTellsWhoWorksOnTheOpenOne: a referral linked to an
// open one is told, by reference only, to the case manager holding the
// open one, or to its area's leads while nobody holds it.
func TestLinkedReferralTellsWhoWorksOnTheOpenOne(t *testing.T) {
	linked := event(notification.KindLinked, "", func(e *notification.Event) { e.Status, e.Since, e.Linked = "", time.Time{}, "DRV-8W2N-R3PY" })
	tests := []struct {
		name   string
		status referral.Status
		holder *referral.Assignee
		want   string
	}{
		{"held", referral.StatusAccepted, &referral.Assignee{ID: "essex-cm2", Since: since}, "linked essex-cm2@drive.example"},
		{"not yet allocated", referral.StatusEligible, nil, "linked lead@drive.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			r.st.rec.Status, r.st.rec.CaseManager = tt.status, tt.holder
			if failed := r.run(t, 1, linked); failed != nil {
				t.Fatalf("got failures %v, want none", failed)
			}
			if got := strings.Join(r.mail.to(), ","); got != tt.want {
				t.Fatalf("sent %q, want %q", got, tt.want)
			}
			e := r.mail.sent[0]
			if !strings.Contains(e.Text, "DRV-7K4M-Q9TX") || !strings.Contains(e.Text, "DRV-8W2N-R3PY") || !strings.Contains(e.Text, "https://drive.example/cases/DRV-8W2N-R3PY") {
				t.Errorf("got email\n%s\nwant both references and a link to the linked referral's case page", e.Text)
			}
			for _, f := range privacytest.Find(e.Subject+"\n"+e.Text+"\n"+e.HTML, privacytest.Referral(r.st.rec.Referral)...) {
				t.Errorf("email contains %s", f)
			}
		})
	}
}

// TestEndingsTellThoseWhoMustKnow (issue 14): a close or a withdrawal is
// emailed to the referrer, and once allocated to the IDVA (or the area's
// IDVA service) and the MARAC coordinator; a withdrawal also to the case
// manager holding it; a decline to the area's leads. Each links where the
// reader acts, and carries the reference and a reason code only.
func TestEndingsTellThoseWhoMustKnow(t *testing.T) {
	ended := func(status referral.Status, cm, reason string) string {
		return event(notification.KindEnded, cm, func(e *notification.Event) { e.Status, e.Reason = status, reason })
	}
	tests := []struct {
		name  string
		event string
		want  string
		says  string
	}{
		{"closed", ended(referral.StatusClosed, "essex-cm1", "moved-out-of-area"),
			"ended sam@essex.police.example,ended idva@essex.example,ended marac@essex.example", "Reason: moved out of area"},
		{"withdrawn once allocated", ended(referral.StatusWithdrawn, "essex-cm1", ""),
			"ended sam@essex.police.example,ended idva@essex.example,ended marac@essex.example,ended essex-cm1@drive.example", "has been withdrawn"},
		{"withdrawn while waiting", ended(referral.StatusWithdrawn, "", ""), "ended sam@essex.police.example", "has been withdrawn"},
		{"declined", event(notification.KindDeclined, "essex-cm1", func(e *notification.Event) { e.Reason = "conflict-of-interest" }),
			"declined lead@drive.example", "Reason: a conflict of interest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			r.st.rec.Status = referral.StatusClosed
			if failed := r.run(t, 1, tt.event); failed != nil {
				t.Fatalf("got failures %v, want none", failed)
			}
			if got := strings.Join(r.mail.to(), ","); got != tt.want {
				t.Errorf("sent %s\nwant %s", got, tt.want)
			}
			for _, e := range r.mail.sent {
				if !strings.Contains(e.Text, tt.says) || !strings.Contains(e.Subject, "DRV-7K4M-Q9TX") {
					t.Errorf("email to %s says\n%s\nwant the reference and %q", e.To, e.Text, tt.says)
				}
				support := e.To == "idva@essex.example" || e.To == "marac@essex.example"
				if strings.Contains(e.Text, "https://drive.example/") == support {
					t.Errorf("email to %s: link shown %v, want it only for those who can sign in", e.To, support)
				}
				if found := privacytest.Find(e.Subject+"\n"+e.Text+"\n"+e.HTML, privacytest.Referral(r.st.rec.Referral)...); len(found) > 0 {
					t.Errorf("email to %s holds %v", e.To, found)
				}
			}
		})
	}
	r := newRig()
	if failed := r.run(t, 1, allocated); failed != nil || len(r.mail.sent) == 0 || !strings.Contains(r.mail.sent[0].Text, "https://drive.example/cases/DRV-7K4M-Q9TX") {
		t.Errorf("the allocation email links %q, want the case page", r.mail.sent[0].Text)
	}
}

// TestLinkedReferralsOfficerIsToldAndItsWithdrawalTheTeam (issue 13): the
// officer who made a referral linked to an open one hears its outcome, at
// the email their sign-in verified, naming no other referral; when they
// withdraw it, they are told, and so is whoever works on the open one now
// (its case manager, else its area's leads), with both references and a
// link to the withdrawn referral's page. No email holds personal data.
// Before, the officer was sent nothing, and a withdrawal was refused.
func TestLinkedReferralsOfficerIsToldAndItsWithdrawalTheTeam(t *testing.T) {
	const open = "DRV-8W2N-R3PY"
	linkedOutcome := event(notification.KindOutcome, "", func(e *notification.Event) { e.Status, e.Since = referral.StatusLinked, time.Time{} })
	withdrawn := event(notification.KindEnded, "", func(e *notification.Event) { e.Status, e.Since = referral.StatusWithdrawn, time.Time{} })
	tests := []struct {
		name   string
		status referral.Status // the linked referral's, when the event is handled
		event  string
		holder *referral.Assignee // the open referral's
		want   string
		says   []string
	}{
		{"outcome", referral.StatusLinked, linkedOutcome, nil, "outcome sam@essex.police.example",
			[]string{"passed to the team already working with this person", "https://drive.example/referrals/DRV-7K4M-Q9TX/status"}},
		{"withdrawn, the open one held", referral.StatusWithdrawn, withdrawn, &referral.Assignee{ID: "essex-cm2", Since: since},
			"ended sam@essex.police.example,ended essex-cm2@drive.example", []string{"has been withdrawn"}},
		{"withdrawn, the open one not yet allocated", referral.StatusWithdrawn, withdrawn, nil,
			"ended sam@essex.police.example,ended lead@drive.example", []string{"has been withdrawn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			r.st.rec.Status, r.st.rec.CaseManager, r.st.rec.LinkedTo = tt.status, nil, open
			status := referral.StatusEligible
			if tt.holder != nil {
				status = referral.StatusAccepted
			}
			r.st.others = map[string]referral.Record{open: {Reference: open, Status: status, CaseManager: tt.holder,
				Referral: referral.Referral{Area: "essex"}, SubmittedBy: &referral.Submitter{Subject: "officer-kent", Email: "kent@kent.police.example"}}}
			if failed := r.run(t, 1, tt.event); failed != nil {
				t.Fatalf("got failures %v, want none", failed)
			}
			if got := strings.Join(r.mail.to(), ","); got != tt.want {
				t.Fatalf("sent %q, want %q", got, tt.want)
			}
			for _, e := range r.mail.sent {
				body := e.Subject + "\n" + e.Text
				for _, s := range tt.says {
					if !strings.Contains(body, s) {
						t.Errorf("email to %s says\n%s\nwant %q", e.To, body, s)
					}
				}
				team := e.To != "sam@essex.police.example"
				if strings.Contains(body, open) != team {
					t.Errorf("email to %s names the open referral %v, want %v (only to its team):\n%s", e.To, !team, team, body)
				}
				if team && !strings.Contains(e.Text, "https://drive.example/cases/DRV-7K4M-Q9TX") {
					t.Errorf("email to %s:\n%s\nwant a link to the withdrawn referral's page", e.To, e.Text)
				}
				for _, f := range privacytest.Find(e.Subject+"\n"+e.Text+"\n"+e.HTML, privacytest.Referral(r.st.rec.Referral)...) {
					t.Errorf("email to %s contains %s", e.To, f)
				}
			}
		})
	}
}
