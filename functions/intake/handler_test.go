package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/dynamo/dynamotest"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/htmlcheck"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/privacytest"
	"github.com/driveprogramme/referrals/shared/referral"
)

// fakeStore keeps records in a map; its function fields inject faults.
type fakeStore struct {
	dynamotest.Outbox // committed with the referral, until sent

	records   map[string]referral.Record
	keys      map[string][2]string // key → reference, fingerprint
	createErr func(rec referral.Record) error
	staff     map[string]auth.Staff // by email
	history   map[string][]referral.Transition
	// created are the referrals stored, as Create was given them.
	created []dynamo.NewReferral
	// areas, when set, are the areas instead of Essex and West Sussex.
	areas []eligibility.Area
	// listed are the subjects whose referrals were listed (SubmittedBy);
	// listErr, when set, is its error.
	listed  []string
	listErr error
	// claims are the perpetrators' claims: claim key → reference.
	claims map[string]string
}

func (f *fakeStore) Claims(_ context.Context, keys []string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range keys {
		if ref, ok := f.claims[k]; ok {
			out[k] = ref
		}
	}
	return out, nil
}

func (f *fakeStore) Create(_ context.Context, n dynamo.NewReferral) error {
	rec, key, fingerprint, msgs := n.Record, n.Key, n.Fingerprint, n.Messages
	if f.createErr != nil {
		if err := f.createErr(rec); err != nil {
			return err
		}
	}
	if _, taken := f.records[rec.Reference]; taken {
		return dynamo.ErrReferenceTaken
	}
	if _, used := f.keys[key]; key != "" && used {
		return dynamo.ErrKeyUsed
	}
	for k, read := range n.Claims {
		if f.claims[k] != read {
			return fmt.Errorf("create %s: %w: %w", rec.Reference, dynamo.ErrClaimed, referral.ErrConflict)
		}
	}
	if f.claims == nil {
		f.claims = map[string]string{}
	}
	for k := range n.Claims {
		f.claims[k] = rec.Reference
	}
	f.records[rec.Reference] = rec
	f.created = append(f.created, n)
	if key != "" {
		f.keys[key] = [2]string{rec.Reference, fingerprint}
	}
	f.Commit(msgs...)
	return nil
}

func (f *fakeStore) KeyResult(_ context.Context, key string) (string, string, error) {
	k, ok := f.keys[key]
	if !ok {
		return "", "", referral.ErrNotFound
	}
	return k[0], k[1], nil
}

func (f *fakeStore) SamePerpetrator(_ context.Context, r referral.Referral) ([]referral.Summary, error) {
	var out []referral.Summary
	key, err := r.PerpetratorKey()
	if err != nil {
		return nil, err
	}
	for _, rec := range f.records {
		if k, _ := rec.Referral.PerpetratorKey(); k == key || (r.Perpetrator.PNCID != "" && rec.Referral.Perpetrator.PNCID == r.Perpetrator.PNCID) {
			out = append(out, referral.Summary{Reference: rec.Reference, Area: rec.Referral.Area, Status: rec.Status, ReceivedAt: rec.ReceivedAt})
		}
	}
	return out, nil
}

func (f *fakeStore) Areas(context.Context) ([]eligibility.Area, error) {
	if f.areas != nil {
		return f.areas, nil
	}
	return []eligibility.Area{{ID: "essex", Name: "Essex"}, {ID: "west-sussex", Name: "West Sussex"}}, nil
}

func (f *fakeStore) Referral(_ context.Context, ref string) (referral.Record, error) {
	rec, ok := f.records[ref]
	if !ok {
		return rec, referral.ErrNotFound
	}
	return rec, nil
}

func (f *fakeStore) Staff(_ context.Context, email string) (auth.Staff, error) {
	return f.staff[email], nil
}

func (f *fakeStore) CasesOf(_ context.Context, id string) ([]dynamo.Case, error) {
	var out []dynamo.Case
	for _, rec := range f.records {
		if rec.CaseManager != nil && rec.CaseManager.ID == id {
			out = append(out, dynamo.Case{ID: rec.Reference, Reference: rec.Reference, Area: rec.Referral.Area, CaseManagerID: id, Status: rec.Status, AllocatedAt: rec.CaseManager.Since})
		}
	}
	return out, nil
}

func (f *fakeStore) CaseManagers(context.Context, string) ([]allocation.CaseManager, error) {
	return nil, nil
}

func (f *fakeStore) Waiting(context.Context, string) ([]string, error) { return nil, nil }

func (f *fakeStore) History(_ context.Context, ref string) ([]referral.Transition, error) {
	if h, ok := f.history[ref]; ok {
		return h, nil
	}
	return []referral.Transition{{To: referral.StatusReceived, By: "intake", Reason: "Referral received"}}, nil
}

// fakeQueue is the eligibility queue: it keeps each message sent to it,
// read back, unless Err is set.
type fakeQueue = dynamotest.Queue[referral.Message]

var refs = []string{"DRV-7K4M-Q9TX", "DRV-8W2N-R3PY"}

func newHandler(logs io.Writer) (*handler, *fakeStore, *fakeQueue) {
	st, q := &fakeStore{records: map[string]referral.Record{}, keys: map[string][2]string{}}, &fakeQueue{Name: dynamo.QueueEligibility}
	i := 0
	return &handler{
		store: st, queues: q, rolesClaim: "roles", log: slog.New(slog.NewJSONHandler(logs, nil)),
		now: func() time.Time { return time.Date(2026, 11, 23, 10, 15, 30, 0, time.UTC) },
		newRef: func() (string, error) {
			i++
			if i > len(refs) {
				return referral.NewReference()
			}
			return refs[i-1], nil
		},
	}, st, q
}

// call runs the handler through aws-lambda-go's own decode/encode path.
// Every test's request goes through it, and every HTML page answered is
// parsed and checked (htmlcheck): unique ids, every label naming its own
// control, no reference to an id the page lacks.
func call(t *testing.T, h *handler, event []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), event)
	if err != nil {
		t.Fatalf("handler returned an error (API Gateway would answer 500): %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		var req events.APIGatewayV2HTTPRequest
		_ = json.Unmarshal(event, &req)
		for _, problem := range htmlcheck.Check([]byte(resp.Body)) {
			t.Errorf("%s answered %d with a faulty page: %s", req.RouteKey, resp.StatusCode, problem)
		}
	}
	return resp
}

// invoke runs the handler (call) and reads its JSON answer.
func invoke(t *testing.T, h *handler, event []byte) (int, map[string]any, string) {
	t.Helper()
	resp := call(t, h, event)
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body is not JSON: %s", resp.Body)
	}
	return resp.StatusCode, body, resp.Body
}

// event reads a fixture and applies change to it.
func event(t *testing.T, name string, change func(*events.APIGatewayV2HTTPRequest)) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if change == nil {
		return raw
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	change(&ev)
	out, _ := json.Marshal(ev)
	return out
}

func TestSubmitStoresAndQueues(t *testing.T) {
	var logs bytes.Buffer
	h, st, q := newHandler(&logs)
	code, body, _ := invoke(t, h, event(t, "post-referral.json", nil))
	if code != 202 || body["reference"] != refs[0] || body["status"] != "received" {
		t.Fatalf("got %d %v, want 202 with reference %s", code, body, refs[0])
	}
	rec := st.records[refs[0]]
	if rec.Status != referral.StatusReceived || rec.Referral.Perpetrator.Postcode != "CO1 1AA" {
		t.Errorf("stored %+v, want status received and the postcode normalised", rec)
	}
	if len(q.Sent) != 1 || q.Sent[0] != (referral.Message{Reference: refs[0]}) {
		t.Errorf("queued %v, want one message with the reference only", q.Sent)
	}
	if len(st.Messages()) != 0 {
		t.Errorf("outbox holds %v after the message was sent, want it empty", st.Messages())
	}
	for _, f := range privacytest.Find(logs.String(), privacytest.Referral(rec.Referral)...) {
		t.Errorf("log contains %s", f)
	}
}

func TestSubmitRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*events.APIGatewayV2HTTPRequest)
		want   int
		field  string
	}{
		{"not JSON", func(e *events.APIGatewayV2HTTPRequest) { e.Body = `{"area":` }, 400, ""},
		{"missing date of birth", func(e *events.APIGatewayV2HTTPRequest) {
			e.Body = strings.Replace(e.Body, `"dateOfBirth":"1984-03-02",`, "", 1)
		}, 422, "perpetrator.dateOfBirth"},
		{"date of birth in the future", func(e *events.APIGatewayV2HTTPRequest) {
			e.Body = strings.Replace(e.Body, "1984-03-02", "2027-01-01", 1)
		}, 422, "perpetrator.dateOfBirth"},
		{"wrong content type", func(e *events.APIGatewayV2HTTPRequest) { e.Headers["content-type"] = "text/plain" }, 415, ""},
		{"too large", func(e *events.APIGatewayV2HTTPRequest) { e.Body = strings.Repeat(" ", maxBody+1) }, 413, ""},
		{"unknown route", func(e *events.APIGatewayV2HTTPRequest) { e.RouteKey = "DELETE /referrals" }, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, st, q := newHandler(io.Discard)
			code, body, raw := invoke(t, h, event(t, "post-referral.json", tt.change))
			if code != tt.want {
				t.Fatalf("got %d %s, want %d", code, raw, tt.want)
			}
			if tt.field != "" && !strings.Contains(raw, `"field":"`+tt.field+`"`) {
				t.Errorf("got %s, want an error on %s", raw, tt.field)
			}
			if tt.field == "" && body["message"] == "" {
				t.Errorf("got %s, want a message", raw)
			}
			if len(st.records) != 0 || len(q.Sent) != 0 {
				t.Errorf("stored %d and queued %d for a rejected referral, want none", len(st.records), len(q.Sent))
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	h, st, q := newHandler(io.Discard)
	withKey := func(key string, change func(*events.APIGatewayV2HTTPRequest)) []byte {
		return event(t, "post-referral.json", func(e *events.APIGatewayV2HTTPRequest) {
			e.Headers["idempotency-key"] = key
			if change != nil {
				change(e)
			}
		})
	}
	first, body, _ := invoke(t, h, withKey("k1", nil))
	again, body2, _ := invoke(t, h, withKey("k1", func(e *events.APIGatewayV2HTTPRequest) {
		e.Body = strings.Replace(e.Body, `"area":"essex"`, `"area": "essex" `, 1) // same referral, other bytes
	}))
	if first != 202 || again != 202 || body["reference"] != body2["reference"] {
		t.Errorf("got %d %v then %d %v, want the same 202 answer twice", first, body, again, body2)
	}
	if len(st.records) != 1 || len(q.Sent) != 1 {
		t.Errorf("got %d referrals and %d messages, want 1 and 1", len(st.records), len(q.Sent))
	}
	code, _, raw := invoke(t, h, withKey("k1", func(e *events.APIGatewayV2HTTPRequest) {
		e.Body = strings.Replace(e.Body, "Colchester", "Harwich", 1)
	}))
	if code != 422 || !strings.Contains(raw, "already used for a different referral") {
		t.Errorf("same key, other referral: got %d %s, want 422", code, raw)
	}
}

// TestSamePerpetratorIsLinked: a second referral of a perpetrator with
// an open referral, in any area and however typed, is recorded, linked
// to the open one, whose history records the link (for staff only) and
// whose team is told by reference; the officer learns that it was passed
// on, and the open referral's reference only if they made it. Nobody is
// told 409 with someone else's reference.
func TestSamePerpetratorIsLinked(t *testing.T) {
	as := func(sub string, change func(*events.APIGatewayV2HTTPRequest)) func(*events.APIGatewayV2HTTPRequest) {
		return func(e *events.APIGatewayV2HTTPRequest) {
			e.RequestContext.Authorizer.JWT.Claims["sub"] = sub
			if change != nil {
				change(e)
			}
		}
	}
	body := func(old, new string) func(*events.APIGatewayV2HTTPRequest) {
		return func(e *events.APIGatewayV2HTTPRequest) { e.Body = strings.Replace(e.Body, old, new, 1) }
	}
	perpetrator := func(first, last, pnc string) func(*events.APIGatewayV2HTTPRequest) {
		return func(e *events.APIGatewayV2HTTPRequest) {
			e.Body = strings.Replace(e.Body, `"firstName":"John","lastName":"Doe"`, `"firstName":"`+first+`","lastName":"`+last+`"`, 1)
			e.Body = strings.Replace(e.Body, `"pncId":"04/1234567F"`, `"pncId":"`+pnc+`"`, 1)
		}
	}
	tests := []struct {
		name    string
		change  func(*events.APIGatewayV2HTTPRequest)
		sameOne bool // the officer who made the open referral
		linked  bool
	}{
		{"same officer, same name and date of birth typed differently", as("officer-sam-taylor", perpetrator("JOHN ", "doe", "")), true, true},
		{"same officer, same PNC ID, other name", as("officer-sam-taylor", perpetrator("Jon", "Bloggs", "04/1234567F")), true, true},
		{"same officer, PNC ID with a four-digit year, other name", as("officer-sam-taylor", perpetrator("Jon", "Bloggs", "2004/1234567F")), true, true},
		{"another officer, another force, name and date of birth only", as("officer-kent-1", perpetrator("John", "Doe", "")), false, true},
		{"another officer, in another area", as("officer-kent-1", body(`"area":"essex"`, `"area":"west-sussex"`)), false, true},
		{"another person", as("officer-kent-1", perpetrator("Mark", "Smith", "")), false, false},
		{"another officer, the same PNC ID for another name and date of birth", as("officer-kent-1", func(e *events.APIGatewayV2HTTPRequest) {
			perpetrator("Other", "Name", "04/1234567F")(e)
			body(`"dateOfBirth":"1984-03-02"`, `"dateOfBirth":"1985-03-02"`)(e)
		}), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, st, _ := newHandler(io.Discard)
			if code, _, raw := invoke(t, h, event(t, "post-referral.json", nil)); code != 202 {
				t.Fatalf("first referral: got %d %s, want 202", code, raw)
			}
			open := st.records[refs[0]]
			open.Status, open.CaseManager = referral.StatusAllocated, &referral.Assignee{ID: "essex-tom", Name: "Tom Hughes"}
			st.records[refs[0]] = open
			code, body, raw := invoke(t, h, event(t, "post-referral.json", tt.change))
			if code != 202 {
				t.Fatalf("got %d %s, want 202", code, raw)
			}
			if !tt.linked {
				if body["status"] != "received" {
					t.Errorf("got %s, want received", raw)
				}
				n := st.created[len(st.created)-1]
				pncClash := strings.Contains(tt.name, "PNC")
				if got := strings.Contains(n.Note, referral.PNCClashNote(refs[0])); got != pncClash {
					t.Errorf("got note %q: PNC clash told %v, want %v", n.Note, got, pncClash)
				}
				for k, held := range n.Claims {
					if held == refs[0] {
						t.Errorf("got claim %s taken from %s, want the open referral's claims left to it", k, refs[0])
					}
				}
				return
			}
			ref, _ := body["reference"].(string)
			rec := st.records[ref]
			if body["status"] != "linked" || ref == refs[0] || rec.Status != referral.StatusLinked || rec.LinkedTo != refs[0] {
				t.Fatalf("got %s, stored %s linked to %q; want a new referral linked to %s", raw, rec.Status, rec.LinkedTo, refs[0])
			}
			if !strings.Contains(raw, "passed to them") {
				t.Errorf("got %s, want it to say the referral was passed to the team", raw)
			}
			if shown := strings.Contains(raw, refs[0]); shown != tt.sameOne {
				t.Errorf("got %s: open reference shown %v, want %v", raw, shown, tt.sameOne)
			}
			n := st.created[len(st.created)-1]
			if n.Link == nil || n.Link.Open.Reference != refs[0] || !n.Link.Transition.StaffOnly || !strings.Contains(n.Link.Transition.Reason, ref) {
				t.Errorf("got link %+v, want a staff-only row on %s naming %s", n.Link, refs[0], ref)
			}
			if !strings.Contains(n.Note, refs[0]) || strings.Contains(n.Reason, refs[0]) {
				t.Errorf("got first row %q, note %q; want the open reference in the staff note only", n.Reason, n.Note)
			}
			var told []notification.Event
			for _, m := range st.Messages() {
				var ev notification.Event
				if m.Queue == dynamo.QueueNotify && json.Unmarshal([]byte(m.Body), &ev) == nil {
					told = append(told, ev)
				}
			}
			// The open one's team is told, and the linked one's officer hears
			// its outcome, as every referral's officer does (issue 13: they
			// never did), committed with it.
			want := []notification.Event{
				{Kind: notification.KindLinked, Reference: refs[0], Linked: ref},
				{Kind: notification.KindOutcome, Reference: ref, Status: referral.StatusLinked},
			}
			slices.SortFunc(told, func(a, b notification.Event) int { return strings.Compare(string(a.Kind), string(b.Kind)) })
			if !slices.Equal(told, want) {
				t.Errorf("got notify messages %+v, want %+v", told, want)
			}
		})
	}
}

// TestEndedReferralIsNotLinkedTo: once the open referral has ended, a new
// referral of the same person is decided on its own.
func TestEndedReferralIsNotLinkedTo(t *testing.T) {
	h, st, q := newHandler(io.Discard)
	if code, _, _ := invoke(t, h, event(t, "post-referral.json", nil)); code != 202 {
		t.Fatalf("first referral: got %d, want 202", code)
	}
	rec := st.records[refs[0]]
	rec.Status = referral.StatusIneligible
	st.records[refs[0]] = rec
	if code, body, raw := invoke(t, h, event(t, "post-referral.json", nil)); code != 202 || body["status"] != "received" {
		t.Errorf("after the first was found ineligible: got %d %s, want 202 received", code, raw)
	}
	if len(q.Sent) != 2 {
		t.Errorf("got %d sent to eligibility, want 2", len(q.Sent))
	}
}

// Text that shows nothing is refused with a message on its field, however
// it arrives.
func TestSubmitRefusesTextThatShowsNothing(t *testing.T) {
	fields := []struct{ field, old, json string }{
		{"perpetrator.firstName", `"firstName":"John"`, `"firstName":%s`},
		{"victims[0].firstName", `"firstName":"Jane"`, `"firstName":%s`},
		{"referrer.name", `"name":"PC Sam Taylor"`, `"name":%s`},
		{"referrer.force", `"force":"Essex Police"`, `"force":%s`},
		{"victims[0].contactMethod", `"contactMethod":"Mobile, texts only, after 6pm"`, `"contactMethod":%s`},
	}
	for _, f := range fields {
		// ... and what could not be read: a lone surrogate, bytes not UTF-8.
		for _, value := range []string{`"\u0000"`, `"\u200b"`, `"\u202e\u202d"`, `"-"`, `"."`, `"Jo\ud800hn"`, "\"Jo\xff\xfehn\""} {
			t.Run(f.field+" "+value, func(t *testing.T) {
				h, st, _ := newHandler(io.Discard)
				code, _, raw := invoke(t, h, event(t, "post-referral.json", func(e *events.APIGatewayV2HTTPRequest) {
					e.Body = strings.Replace(e.Body, f.old, fmt.Sprintf(f.json, value), 1)
				}))
				if code != 422 || !strings.Contains(raw, `"field":"`+f.field+`"`) || len(st.records) != 0 {
					t.Errorf("got %d %s, want 422 with an error on %s", code, raw, f.field)
				}
			})
		}
	}
}

// TestSubmitWhenQueueFailsKeepsTheReferralForTheRelay: the referral and
// its message to eligibility are committed together, so a queue that
// fails after the commit loses nothing: the referral is accepted (202,
// its reference), and its message stays in the outbox, where the relay
// finds it.
func TestSubmitWhenQueueFailsKeepsTheReferralForTheRelay(t *testing.T) {
	h, st, q := newHandler(io.Discard)
	q.Err = errors.New("sqs unavailable")
	code, body, raw := invoke(t, h, event(t, "post-referral.json", nil))
	if code != 202 || body["reference"] != refs[0] {
		t.Fatalf("got %d %s, want 202 with reference %s", code, raw, refs[0])
	}
	if _, ok := st.records[refs[0]]; !ok || len(st.records) != 1 {
		t.Errorf("got %d records, want the referral %s kept", len(st.records), refs[0])
	}
	if len(st.Messages()) != 1 {
		t.Fatalf("got %d messages in the outbox, want the referral's one", len(st.Messages()))
	}
	for _, m := range st.Messages() {
		if m.Queue != dynamo.QueueEligibility || m.Body != `{"reference":"`+refs[0]+`"}` {
			t.Errorf("outbox holds %s %s, want the reference to eligibility", m.Queue, m.Body)
		}
	}
}

// TestSubmitWhenStoreFailsKeepsNothing: a referral not committed is not
// queued either, and the officer is asked to send it again.
func TestSubmitWhenStoreFailsKeepsNothing(t *testing.T) {
	h, st, q := newHandler(io.Discard)
	st.createErr = func(referral.Record) error { return errors.New("dynamodb unavailable") }
	code, _, raw := invoke(t, h, event(t, "post-referral.json", nil))
	if code != 503 || !strings.Contains(raw, "try again") {
		t.Errorf("got %d %s, want 503 asking to try again", code, raw)
	}
	if len(st.records) != 0 || len(st.Messages()) != 0 || len(q.Sent) != 0 {
		t.Errorf("got %d records, %d in the outbox, %d queued; want none", len(st.records), len(st.Messages()), len(q.Sent))
	}
}

func TestSubmitDrawsAgainWhenReferenceTaken(t *testing.T) {
	h, st, _ := newHandler(io.Discard)
	st.createErr = func(rec referral.Record) error {
		if rec.Reference == refs[0] {
			return dynamo.ErrReferenceTaken
		}
		return nil
	}
	if code, body, _ := invoke(t, h, event(t, "post-referral.json", nil)); code != 202 || body["reference"] != refs[1] {
		t.Errorf("got %d %v, want 202 with the second reference %s", code, body, refs[1])
	}
}

func TestStatus(t *testing.T) {
	h, st, _ := newHandler(io.Discard)
	st.records[refs[0]] = referral.Record{Reference: refs[0], Status: referral.StatusAllocated, SubmittedBy: &referral.Submitter{Subject: "officer-sam-taylor"},
		Referral:    referral.Referral{Area: "essex", Perpetrator: referral.Perpetrator{FirstName: "John", DateOfBirth: "1984-03-02"}},
		CaseManager: &referral.Assignee{ID: "essex-cm1", Name: "Alex Morgan"}}
	code, body, raw := invoke(t, h, event(t, "get-referral.json", nil))
	if code != 200 || body["status"] != "allocated" || !strings.Contains(raw, `"name":"Alex Morgan"`) {
		t.Errorf("got %d %s, want 200 allocated to Alex Morgan", code, raw)
	}
	if found := privacytest.Find(raw, privacytest.Referral(st.records[refs[0]].Referral)...); len(found) > 0 {
		t.Errorf("status answer carries personal details %v: %s", found, raw)
	}
	for _, ref := range []string{"DRV-2222-3333", "not-a-reference"} {
		code, _, _ := invoke(t, h, event(t, "get-referral.json", func(e *events.APIGatewayV2HTTPRequest) { e.PathParameters["reference"] = ref }))
		if code != 404 {
			t.Errorf("reference %q: got %d, want 404", ref, code)
		}
	}
}

// BenchmarkSubmit is the intake handler's own cost per referral, through
// Lambda's decode/encode path, with in-memory store and queue.
func BenchmarkSubmit(b *testing.B) {
	raw, err := os.ReadFile("testdata/post-referral.json")
	if err != nil {
		b.Fatal(err)
	}
	h, st, q := newHandler(io.Discard)
	h.newRef = referral.NewReference
	invoker := lambda.NewHandler(h.Handle)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := invoker.Invoke(context.Background(), raw); err != nil {
			b.Fatal(err)
		}
		clear(st.records)
		q.Sent = q.Sent[:0]
	}
}

// keyLateStore stores the key's twin between the first key check and the
// perpetrator lookup, as a concurrent retry would.
type keyLateStore struct {
	*fakeStore
	checks int
	late   func()
}

func (k *keyLateStore) KeyResult(ctx context.Context, key string) (string, string, error) {
	if k.checks++; k.checks == 1 {
		defer k.late()
	}
	return k.fakeStore.KeyResult(ctx, key)
}

func TestRetryRacingItsTwinIsNotAConflict(t *testing.T) {
	h, st, _ := newHandler(io.Discard)
	ev := event(t, "post-referral.json", func(e *events.APIGatewayV2HTTPRequest) { e.Headers["idempotency-key"] = "twin" })
	twin := *h
	twin.store = st
	h.store = &keyLateStore{fakeStore: st, late: func() { invoke(t, &twin, ev) }}
	code, body, raw := invoke(t, h, ev)
	if code != 202 || body["reference"] != refs[0] {
		t.Errorf("got %d %s, want the twin's 202 answer with %s", code, raw, refs[0])
	}
}

func TestFormErrorsFollowThePage(t *testing.T) {
	got := forForm(referral.FieldErrors{
		{Field: "victims[1].firstName", Message: "a"}, {Field: "victimAwareOfReferral", Message: "b"},
		{Field: "victims[0].dashScore", Message: "c"}, {Field: "riskCriteria[2]", Message: "d"}, {Field: "riskCriteria[0]", Message: "d"},
		{Field: "referrer.email", Message: "e"}, {Field: "victims[0].firstName", Message: "f"},
	}, 2)
	want := []string{"referrer.email", "riskCriteria", "victims[0].firstName", "victims[0].dashScore", "victims[1].firstName", "victimAwareOfReferral"}
	if f := fields(got); strings.Join(f, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", f, want)
	}
}

func TestOnlyTheOfficerWhoReferredSeesIt(t *testing.T) {
	h, st, _ := newHandler(io.Discard)
	st.records[refs[0]] = referral.Record{Reference: refs[0], Status: referral.StatusReceived, Referral: referral.Referral{Area: "essex"},
		SubmittedBy: &referral.Submitter{Subject: "officer-sam-taylor"}}
	as := func(sub, roles string) func(*events.APIGatewayV2HTTPRequest) {
		return func(e *events.APIGatewayV2HTTPRequest) {
			e.RequestContext.Authorizer.JWT.Claims["sub"], e.RequestContext.Authorizer.JWT.Claims["roles"] = sub, roles
		}
	}
	tests := []struct {
		name    string
		fixture string
		change  func(*events.APIGatewayV2HTTPRequest)
		want    int
	}{
		{"the officer who referred", "get-referral.json", nil, 200},
		{"another officer", "get-referral.json", as("officer-2", "[officer]"), 404},
		{"an admin", "get-referral.json", as("admin-1", "[admin]"), 404},
		{"no verified claims", "get-referral.json", func(e *events.APIGatewayV2HTTPRequest) { e.RequestContext.Authorizer = nil }, 401},
		{"a case manager refers", "post-referral.json", as("cm-1", "[case-manager]"), 403},
		{"unknown roles are ignored", "post-referral.json", as("officer-3", "[officer-in-training]"), 403},
		{"an officer among other roles", "post-referral.json", as("officer-4", "[staff officer]"), 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body, _ := invoke(t, h, event(t, tt.fixture, tt.change)); code != tt.want {
				t.Errorf("got %d %v, want %d", code, body, tt.want)
			}
		})
	}
	if rec := st.created[len(st.created)-1].Record; rec.SubmittedBy == nil || rec.SubmittedBy.Subject != "officer-4" {
		t.Errorf("the referral records %+v as its referrer, want the signed-in officer-4 from the token", rec.SubmittedBy)
	}
}

// TestMARACHeldTodayAt0030BST: "today" is the UK's day, not UTC's.
func TestMARACHeldTodayAt0030BST(t *testing.T) {
	h, st, _ := newHandler(io.Discard)
	h.now = func() time.Time { return time.Date(2026, 6, 10, 23, 30, 0, 0, time.UTC) } // 00:30 BST on 11 June
	code, _, raw := invoke(t, h, event(t, "post-referral.json", func(e *events.APIGatewayV2HTTPRequest) {
		e.Body = strings.Replace(e.Body, `"maracDate":"2026-11-18"`, `"maracDate":"2026-06-11"`, 1)
	}))
	if code != 202 || st.records[refs[0]].Referral.MARACDate != "2026-06-11" {
		t.Errorf("got %d %s, want 202 for a MARAC held today", code, raw)
	}
}

// TestIdempotencyKeyIsTheCallers: an Idempotency-Key is the caller's own.
// Another officer's use of the same key neither refuses a referral nor
// answers with theirs.
func TestIdempotencyKeyIsTheCallers(t *testing.T) {
	h, st, _ := newHandler(io.Discard)
	as := func(sub, email, key string, change func(*events.APIGatewayV2HTTPRequest)) []byte {
		return event(t, "post-referral.json", func(e *events.APIGatewayV2HTTPRequest) {
			e.Headers["idempotency-key"] = key
			e.RequestContext.Authorizer.JWT.Claims["sub"] = sub
			e.RequestContext.Authorizer.JWT.Claims["email"] = email
			if change != nil {
				change(e)
			}
		})
	}
	otherPerpetrator := func(e *events.APIGatewayV2HTTPRequest) {
		e.Body = strings.Replace(strings.Replace(e.Body, `"firstName":"John"`, `"firstName":"Mark"`, 1), `"pncId":"04/1234567F"`, `"pncId":""`, 1)
	}
	codeB, bodyB, rawB := invoke(t, h, as("officer-b", "b@kent.police.example", "referral-1", nil))
	codeA, bodyA, rawA := invoke(t, h, as("officer-a", "a@essex.police.example", "referral-1", otherPerpetrator))
	if codeB != 202 || codeA != 202 || bodyA["reference"] == bodyB["reference"] {
		t.Fatalf("got B %d %s and A %d %s, want two 202s with their own references", codeB, rawB, codeA, rawA)
	}
	for _, tt := range []struct {
		sub, email string
		change     func(*events.APIGatewayV2HTTPRequest)
		want       any
	}{
		{"officer-a", "a@essex.police.example", otherPerpetrator, bodyA["reference"]},
		{"officer-b", "b@kent.police.example", nil, bodyB["reference"]},
	} {
		code, body, raw := invoke(t, h, as(tt.sub, tt.email, "referral-1", tt.change))
		if code != 202 || body["reference"] != tt.want {
			t.Errorf("%s retried: got %d %s, want 202 with %v", tt.sub, code, raw, tt.want)
		}
	}
	if got := st.records[bodyA["reference"].(string)].SubmittedBy.Subject; got != "officer-a" {
		t.Errorf("A's referral made by %q, want officer-a", got)
	}
	if len(st.records) != 2 {
		t.Errorf("got %d referrals, want 2", len(st.records))
	}
}

// TestIDVAAddressNotAllowedIsRecorded: an IDVA address outside the
// area's allowed domains is recorded, for staff, in the referral's first
// history record: the allocation will be told to the area's IDVA service.
func TestIDVAAddressNotAllowedIsRecorded(t *testing.T) {
	tests := []struct {
		name, idva, want string
	}{
		{"in the IDVA service's domain", "morgan@essex-idva.example", ""},
		{"in a domain the area does not allow", "morgan@gmail.example", "The IDVA email address given for victim-survivor 1 is not in a domain Essex allows for IDVAs (essex-idva.example), so the allocation is told to the area's IDVA service instead."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, st, _ := newHandler(io.Discard)
			st.areas = []eligibility.Area{{ID: "essex", Name: "Essex", IDVAService: "idva@essex-idva.example"}}
			code, _, raw := invoke(t, h, event(t, "post-referral.json", func(e *events.APIGatewayV2HTTPRequest) {
				e.Body = strings.Replace(e.Body, `"idvaName":"Morgan Lee"`, `"idvaName":"Morgan Lee","idvaEmail":"`+tt.idva+`"`, 1)
			}))
			if code != 202 || len(st.created) != 1 {
				t.Fatalf("got %d %s, want 202", code, raw)
			}
			if got := st.created[0].Note; got != tt.want {
				t.Errorf("got note %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDuplicateCheckIsNoOracle: an officer who sends a person another
// officer has referred learns nothing of that referral: no 409, no
// reference of it, only that theirs was passed on.
func TestDuplicateCheckIsNoOracle(t *testing.T) {
	h, _, _ := newHandler(io.Discard)
	if code, _, raw := invoke(t, h, event(t, "post-referral.json", nil)); code != 202 {
		t.Fatalf("first referral: got %d %s, want 202", code, raw)
	}
	code, _, raw := invoke(t, h, event(t, "post-referral.json", func(e *events.APIGatewayV2HTTPRequest) {
		e.RequestContext.Authorizer.JWT.Claims["sub"] = "officer-kent-7"
		e.RequestContext.Authorizer.JWT.Claims["email"] = "kent.7@kent.police.example"
		e.Body = strings.Replace(e.Body, `"pncId":"04/1234567F"`, `"pncId":""`, 1) // a name and date of birth only
	}))
	if code != 202 || strings.Contains(raw, refs[0]) {
		t.Errorf("got %d %s, want 202 without %s", code, raw, refs[0])
	}
}

// SubmittedBy lists the subject's referrals as GSI3 does: by received
// time and reference, newest first, a page at a time (dynamo.PageOf).
func (f *fakeStore) SubmittedBy(_ context.Context, subject string, from dynamo.PageOf, size int) (dynamo.SubmittedPage, error) {
	var pg dynamo.SubmittedPage
	if f.listErr != nil {
		return pg, f.listErr
	}
	f.listed = append(f.listed, subject)
	var all []dynamo.Submitted
	for _, rec := range f.records {
		if k := dynamo.SubmitterKeys(rec); len(k) == 4 && k[1] == "SUB#"+subject {
			all = append(all, dynamo.Submitted{Reference: rec.Reference, Area: rec.Referral.Area, Status: rec.Status, ReceivedAt: rec.ReceivedAt,
				CaseManager: rec.CaseManager, Key: k[3]})
		}
	}
	slices.SortFunc(all, func(a, b dynamo.Submitted) int { return strings.Compare(b.Key, a.Key) })
	if from.After != "" && !strings.Contains(from.After, "#DRV-") {
		return pg, dynamo.ErrBadPage
	}
	start, end := 0, len(all)
	if from.After != "" {
		i := slices.IndexFunc(all, func(s dynamo.Submitted) bool { return s.Key <= from.After })
		if i < 0 {
			i = len(all)
		}
		if from.Newer {
			end = i
			if end <= size {
				return f.SubmittedBy(context.Background(), subject, dynamo.PageOf{}, size)
			}
			start = end - size
			pg.Referrals = all[start:end]
			pg.Newer = &dynamo.PageOf{After: all[start].Key, Newer: true}
			pg.Older = &dynamo.PageOf{After: all[end-1].Key}
			return pg, nil
		}
		if i < len(all) && all[i].Key == from.After {
			i++
		}
		start = i
	}
	if end-start > size {
		end = start + size
		pg.Older = &dynamo.PageOf{After: all[end-1].Key}
	}
	pg.Referrals = all[start:end]
	if from.After != "" && len(pg.Referrals) > 0 {
		pg.Newer = &dynamo.PageOf{After: pg.Referrals[0].Key, Newer: true}
	}
	return pg, nil
}
