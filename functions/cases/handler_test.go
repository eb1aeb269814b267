package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	"github.com/driveprogramme/referrals/shared/referral"
)

const ref = "DRV-7K4M-Q9TX"

// fakeStore holds one referral, allocated to essex-cm1 and made by
// officer-sam-taylor, and records every change asked of it.
type fakeStore struct {
	dynamotest.Outbox // committed with a change, until sent

	rec      referral.Record
	others   map[string]referral.Record // other referrals, by reference (the open one rec is linked to)
	changes  []string                   // action: the history's words | staff's note
	managers []allocation.CaseManager
	views    []referral.View
	viewErr  error // RecordView fails with it
	history  []referral.Transition
	// raced, when set, is what Transition answers instead: the referral
	// changed between its reading and the change.
	raced error
}

func (f *fakeStore) Referral(_ context.Context, r string) (referral.Record, error) {
	if rec, ok := f.others[r]; ok {
		return rec, nil
	}
	if r != f.rec.Reference {
		return referral.Record{}, referral.ErrNotFound
	}
	return f.rec, nil
}

func (f *fakeStore) History(context.Context, string) ([]referral.Transition, error) {
	return slices.Clone(f.history), nil
}

func (f *fakeStore) Case(context.Context, string) (dynamo.Case, error) {
	return dynamo.Case{}, referral.ErrNotFound
}

func (f *fakeStore) CasesOf(context.Context, string) ([]dynamo.Case, error) { return nil, nil }

func (f *fakeStore) Transition(_ context.Context, rec referral.Record, a referral.Action, by, who string, e referral.Ending, at time.Time, msgs ...dynamo.Message) (referral.Record, error) {
	if f.raced != nil {
		return rec, f.raced
	}
	to, err := referral.Next(a, rec.Status)
	if err != nil {
		return rec, err
	}
	f.history = append(f.history, referral.Transition{At: at, From: rec.Status, To: to, By: by})
	reason, note := referral.EndingWords(a, who, e)
	if note != "" {
		reason += " | " + note
	}
	f.changes = append(f.changes, string(a)+": "+reason)
	rec.Status, rec.UpdatedAt = to, at
	f.rec = rec
	f.Commit(msgs...)
	return rec, nil
}

func (f *fakeStore) CaseManager(_ context.Context, area, id string) (allocation.CaseManager, error) {
	for _, m := range f.managers {
		if m.ID == id && m.Area == area {
			return m, nil
		}
	}
	return allocation.CaseManager{}, referral.ErrNotFound
}

func (f *fakeStore) CaseManagers(context.Context, string) ([]allocation.CaseManager, error) {
	return f.managers, nil
}

func (f *fakeStore) Reallocate(_ context.Context, rec referral.Record, m allocation.CaseManager, _, _, reason string, at time.Time, msgs ...dynamo.Message) (referral.Record, error) {
	f.changes = append(f.changes, "reallocate: "+reason)
	rec.CaseManager = &referral.Assignee{ID: m.ID, Name: m.Name, Since: at}
	f.rec = rec
	f.Commit(msgs...)
	return rec, nil
}

func (f *fakeStore) Area(_ context.Context, id string) (eligibility.Area, error) {
	if id != "essex" {
		return eligibility.Area{}, referral.ErrNotFound
	}
	return eligibility.Area{ID: "essex", Name: "Essex"}, nil
}

func (f *fakeStore) Decline(_ context.Context, rec referral.Record, _, who string, e referral.Ending, at time.Time, msgs ...dynamo.Message) (referral.Record, error) {
	to, err := referral.Next(referral.ActionDecline, rec.Status)
	if err != nil {
		return rec, err
	}
	reason, note := referral.EndingWords(referral.ActionDecline, who, e)
	if note != "" {
		reason += " | " + note
	}
	f.changes = append(f.changes, "decline: "+reason)
	rec.Declined = append(rec.Declined, rec.CaseManager.ID)
	rec.Status, rec.CaseManager, rec.UpdatedAt = to, nil, at
	f.rec = rec
	f.Commit(msgs...)
	return rec, nil
}

func (f *fakeStore) RecordView(_ context.Context, ref string, v referral.View) error {
	if f.viewErr != nil {
		return f.viewErr
	}
	f.views = append(f.views, v)
	return nil
}

// Views: the newest limit views, newest first, as the store's query
// reads them, and how many earlier.
func (f *fakeStore) Views(_ context.Context, _ string, limit int) ([]referral.View, int, error) {
	out := slices.Clone(f.views)
	slices.Reverse(out)
	if len(out) > limit {
		return out[:limit], len(out) - limit, nil
	}
	return out, 0, nil
}

// Staff: the caller manages essex-cm1's cases and leads Essex.
func (f *fakeStore) Staff(context.Context, string) (auth.Staff, error) {
	return auth.Staff{CaseManagerID: "essex-cm1", CaseManagerArea: "essex", Leads: []string{"essex"}}, nil
}

// fakeQueues keeps each message sent, as "queue body", unless err is set.
type fakeQueues struct {
	sent []string
	err  error
}

func (q *fakeQueues) Send(_ context.Context, queue, body string) error {
	if q.err != nil {
		return q.err
	}
	if queue != dynamo.QueueAllocation && queue != dynamo.QueueNotify {
		return fmt.Errorf("cases has no queue %q", queue)
	}
	q.sent = append(q.sent, queue+" "+body)
	return nil
}

func newHandler(logs *bytes.Buffer) (*handler, *fakeStore) {
	h, st, _ := newHandlerQueues(logs)
	return h, st
}

func newHandlerQueues(logs *bytes.Buffer) (*handler, *fakeStore, *fakeQueues) {
	st := &fakeStore{rec: referral.Record{Reference: ref, Status: referral.StatusAllocated,
		Referral:    referral.Referral{Area: "essex"},
		CaseManager: &referral.Assignee{ID: "essex-cm1", Name: "Alex Morgan"},
		SubmittedBy: &referral.Submitter{Subject: "officer-sam-taylor", Name: "Sam Taylor"}},
		managers: []allocation.CaseManager{{ID: "essex-cm1", Area: "essex", Capacity: 5, Caseload: 1, Active: true}, {ID: "essex-cm2", Area: "essex", Name: "Bo", Capacity: 5, Active: true}}}
	q := &fakeQueues{}
	return &handler{store: st, queues: q, rolesClaim: "roles",
		log: slog.New(slog.NewJSONHandler(logs, nil)), now: func() time.Time { return time.Date(2026, 11, 23, 10, 15, 30, 0, time.UTC) }}, st, q
}

// invoke runs the handler through aws-lambda-go's own decode/encode path.
func invoke(t *testing.T, h *handler, event []byte) (int, string) {
	t.Helper()
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), event)
	if err != nil {
		t.Fatalf("handler returned an error (API Gateway would answer 500): %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Body
}

// action is the close fixture, sent to route with body, by a caller who
// holds the case, made the referral and leads its area. encoding is "",
// "base64" (as API Gateway encodes a body it does not take for text), or
// "bad base64" (flagged as base64 but not).
func action(t *testing.T, route, body, encoding string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/post-close.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev.RouteKey, ev.Body = route, body
	ev.PathParameters = map[string]string{"id": ref, "reference": ref}
	ev.RequestContext.Authorizer.JWT.Claims["roles"] = "[officer case-manager area-lead]"
	ev.RequestContext.Authorizer.JWT.Claims["sub"] = "officer-sam-taylor"
	switch encoding {
	case "base64":
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
	case "bad base64":
		ev.IsBase64Encoded = true
	}
	out, _ := json.Marshal(ev)
	return out
}

const (
	accept     = "POST /cases/{id}/accept"
	closeCase  = "POST /cases/{id}/close"
	withdraw   = "POST /referrals/{reference}/withdraw"
	reallocate = "POST /cases/{id}/reallocate"
)

// TestBodiesAreRefusedWhole: a body too large, a key in another letter
// case or given twice, data after the JSON, or a field over its length is
// the client's mistake: a 4xx naming it, nothing changed, nothing logged
// as an error.
func TestBodiesAreRefusedWhole(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name, route, body string
		encoding          string
		want              int
		says              string // in the answer: the field, or the words
	}{
		{"a 450,000-character reason", accept, `{"reason": "` + long(450_000) + `"}`, "", 413, "8 KiB or smaller"},
		{"a 398,000-character reason", accept, `{"reason": "` + long(398_000) + `"}`, "", 413, "8 KiB or smaller"},
		{"a body over 8 KiB in base64", closeCase, `{"reason": "other", "note": "` + long(9000) + `"}`, "base64", 413, "8 KiB or smaller"},
		{"a reason of 101 characters on accepting", accept, `{"reason": "` + long(101) + `"}`, "", 422, `"field":"reason"`},
		{"a note of 501 characters on accepting", accept, `{"reason": "ok", "note": "` + long(501) + `"}`, "", 422, `"field":"note"`},
		{"a note of 501 characters on closing", closeCase, `{"reason": "other", "note": "` + long(501) + `"}`, "", 422, `"field":"note"`},
		{"a reason of 101 characters on withdrawing", withdraw, `{"reason": "` + long(101) + `"}`, "", 422, `"field":"reason"`},
		{"a reason of 501 characters on reallocating", reallocate, `{"reason": "` + long(501) + `"}`, "", 422, `"field":"reason"`},
		{"a case manager id of 41 characters", reallocate, `{"reason": "Leaving", "caseManager": "` + long(41) + `"}`, "", 422, `"field":"caseManager"`},
		{"Reason in capitals, closing", closeCase, `{"Reason": "completed"}`, "", 422, `"field":"Reason"`},
		{"Reason in capitals, withdrawing", withdraw, `{"Reason": "Victim moved away"}`, "", 422, `"field":"Reason"`},
		{"Reason in capitals, accepting", accept, `{"Reason": "ok"}`, "", 422, `"field":"Reason"`},
		{"CaseManager in capitals", reallocate, `{"reason": "Leaving", "CaseManager": "essex-cm2"}`, "", 422, `"field":"CaseManager"`},
		{"reason given twice", closeCase, `{"reason": "other", "reason": "completed"}`, "", 422, `"field":"reason"`},
		{"data after the JSON", closeCase, `{"reason": "completed"} {"reason": "other"}`, "", 400, "one JSON object"},
		{"text after the JSON", withdraw, `{"reason": "Victim moved away"}x`, "", 400, "one JSON object"},
		{"a list, not an object", closeCase, `[{"reason": "completed"}]`, "", 400, "one JSON object"},
		{"not JSON", reallocate, `{"reason": `, "", 400, "one JSON object"},
		{"an empty body to reallocate", reallocate, ``, "", 400, "one JSON object"},
		{"not base64", closeCase, `{"reason": "completed"}`, "bad base64", 400, "base64"},
		// Free text follows the referral's text rules (referral.TextProblem).
		{"a NUL as the withdrawal reason", withdraw, `{"reason": "\u0000"}`, "", 422, `"field":"reason"`},
		{"a zero-width space as the withdrawal reason", withdraw, `{"reason": "\u200b"}`, "", 422, `"field":"reason"`},
		{"direction marks as the reallocation reason", reallocate, `{"reason": "\u202e\u202d"}`, "", 422, `"field":"reason"`},
		{"an escape in a closing note", closeCase, `{"reason": "other", "note": "Moved\u001b[2J"}`, "", 422, `"field":"note"`},
		{"a note of a dash only", closeCase, `{"reason": "other", "note": "-"}`, "", 422, `"field":"note"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h, st := newHandler(&logs)
			if tt.route == closeCase {
				st.rec.Status = referral.StatusAccepted // only an accepted case closes
			}
			code, body := invoke(t, h, action(t, tt.route, tt.body, tt.encoding))
			if code != tt.want || !strings.Contains(body, tt.says) {
				t.Errorf("got %d %.300s, want %d saying %s", code, body, tt.want, tt.says)
			}
			if want := map[bool]referral.Status{true: referral.StatusAccepted, false: referral.StatusAllocated}[tt.route == closeCase]; len(st.changes) != 0 || st.rec.Status != want {
				t.Errorf("got changes %v and status %s, want none and %s", st.changes, st.rec.Status, want)
			}
			if strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("got an error logged for a client's mistake: %.300s", logs.String())
			}
		})
	}
}

// The control: bodies as the contract has them are taken.
func TestBodiesAsTheContractHasThem(t *testing.T) {
	tests := []struct {
		name, route, body string
		encoding          string
		want              string // the change made
	}{
		{"accept without a body", accept, ``, "", "accept: Accepted by Alex Morgan"},
		{"accept with a reason of 100 characters", accept, `{"reason": "` + strings.Repeat("é", 100) + `"}`, "", "accept: Accepted by Alex Morgan | " + strings.Repeat("é", 100)},
		{"close", closeCase, `{"reason": "completed", "note": "Intervention finished"}`, "", "close: Closed by Alex Morgan: completed | Intervention finished"},
		{"close, base64-encoded", closeCase, `{"reason": "moved-out-of-area"}`, "base64", "close: Closed by Alex Morgan: moved out of area"},
		{"withdraw", withdraw, `{"reason": "Victim moved away"}`, "", "withdraw: Withdrawn by Sam Taylor: Victim moved away"},
		{"withdraw, with a pasted zero-width space", withdraw, `{"reason": "Victim\u200b moved away "}`, "", "withdraw: Withdrawn by Sam Taylor: Victim moved away"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h, st := newHandler(&logs)
			if tt.route == closeCase {
				st.rec.Status = referral.StatusAccepted // only an accepted case closes
			}
			code, body := invoke(t, h, action(t, tt.route, tt.body, tt.encoding))
			if code != 200 || len(st.changes) != 1 || st.changes[0] != tt.want {
				t.Errorf("got %d %s and changes %v, want 200 and %q", code, body, st.changes, tt.want)
			}
		})
	}
}

// TestChangesAndTheirMessagesAreOne: each change is committed with the
// messages that must follow it (the outbox), which are then sent; when the
// queue fails after the commit, the change is still answered as done and
// its messages stay in the outbox for the relay.
func TestChangesAndTheirMessagesAreOne(t *testing.T) {
	since := "2026-11-23T10:15:30Z"
	release := `allocation {"area":"essex"}`
	tests := []struct {
		name, route, body string
		want              []string // "queue body", sorted
	}{
		{"accept: the referrer is told", accept, ``, []string{`notify {"kind":"outcome","reference":"` + ref + `","status":"accepted"}`}},
		{"close: the place is released, those who must know told with the reason code", closeCase, `{"reason": "completed"}`, []string{release,
			`notify {"kind":"ended","reference":"` + ref + `","status":"closed","caseManagerId":"essex-cm1","reason":"completed"}`}},
		// The officer's reason is their own words: no email carries it.
		{"withdraw: the place is released, those who must know told without the reason", withdraw, `{"reason": "Victim moved away"}`, []string{release,
			`notify {"kind":"ended","reference":"` + ref + `","status":"withdrawn","caseManagerId":"essex-cm1"}`}},
		{"reallocate: both managers told, the place released", reallocate, `{"reason": "Leaving"}`, []string{
			release,
			`notify {"kind":"allocated","reference":"` + ref + `","status":"allocated","caseManagerId":"essex-cm2","since":"` + since + `"}`,
			`notify {"kind":"reallocated","reference":"` + ref + `","status":"allocated","caseManagerId":"essex-cm1","since":"` + since + `"}`,
		}},
	}
	for _, tt := range tests {
		for _, fails := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, the queue fails: %v", tt.name, fails), func(t *testing.T) {
				var logs bytes.Buffer
				h, st, q := newHandlerQueues(&logs)
				if tt.route == closeCase {
					st.rec.Status = referral.StatusAccepted // only an accepted case closes
				}
				if fails {
					q.err = errors.New("sqs unavailable")
				}
				code, body := invoke(t, h, action(t, tt.route, tt.body, ""))
				if code != 200 || len(st.changes) != 1 {
					t.Fatalf("got %d %s and changes %v, want 200 and the change made", code, body, st.changes)
				}
				got := q.sent
				if fails {
					got = nil
					for _, m := range st.Messages() {
						got = append(got, m.Queue+" "+m.Body)
					}
				} else if len(st.Messages()) != 0 {
					t.Errorf("outbox holds %d messages after they were sent, want none", len(st.Messages()))
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			})
		}
	}
}

// TestARepeatedActionAnswersAsTheFirst: an accept, close or withdraw sent
// again by the same person (a retry whose answer was lost) answers 200
// with nothing changed; the same action on a referral another person
// ended is still refused.
func TestARepeatedActionAnswersAsTheFirst(t *testing.T) {
	tests := []struct {
		name          string
		first, second string
		body          string
		want          int
	}{
		{"accept twice", accept, accept, ``, 200},
		{"close twice", closeCase, closeCase, `{"reason": "completed"}`, 200},
		{"withdraw twice", withdraw, withdraw, `{"reason": "Victim moved away"}`, 200},
		{"close after a withdrawal", withdraw, closeCase, `{"reason": "completed"}`, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h, st := newHandler(&logs)
			if tt.first == closeCase {
				st.rec.Status = referral.StatusAccepted // only an accepted case closes
			}
			if code, body := invoke(t, h, action(t, tt.first, tt.body, "")); code != 200 {
				t.Fatalf("first: got %d %s, want 200", code, body)
			}
			code, body := invoke(t, h, action(t, tt.second, tt.body, ""))
			if code != tt.want || len(st.changes) != 1 {
				t.Errorf("again: got %d %s and changes %v, want %d and only the first change", code, body, st.changes, tt.want)
			}
		})
	}
}

// TestALinkedReferralIsWithdrawnByItsOfficer (issue 13): the officer who
// made a referral linked to an open one may withdraw it, as any referral
// of theirs (it answered 409 before); it is withdrawn through the same
// transition as any other, with the ending's email committed with it and
// no place released (it held none). Whoever works on the open one, who
// may read it, is refused with 403; anyone else learns nothing (404).
func TestALinkedReferralIsWithdrawnByItsOfficer(t *testing.T) {
	const open = "DRV-8W2N-R3PY"
	tests := []struct {
		name     string
		sub      string
		roles    string
		openArea string // the open referral's: the caller holds its cases in essex and leads essex
		want     int
	}{
		{"the officer who made it", "officer-sam-taylor", "[officer]", "essex", 200},
		{"the open one's case manager and lead", "cm-essex", "[case-manager area-lead]", "essex", 403},
		{"a case manager and lead elsewhere", "cm-essex", "[case-manager area-lead]", "west-sussex", 404},
		{"another officer", "officer-kent", "[officer]", "essex", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, st, q := newHandlerQueues(&bytes.Buffer{})
			st.rec.Status, st.rec.CaseManager, st.rec.LinkedTo, st.rec.Referral.Area = referral.StatusLinked, nil, open, "kent"
			st.others = map[string]referral.Record{open: {Reference: open, Status: referral.StatusAccepted, Referral: referral.Referral{Area: tt.openArea},
				CaseManager: &referral.Assignee{ID: tt.openArea + "-cm1", Name: "Alex Morgan"}}}
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(action(t, withdraw, `{"reason": "Sent in error"}`, ""), &ev); err != nil {
				t.Fatal(err)
			}
			ev.RequestContext.Authorizer.JWT.Claims["sub"], ev.RequestContext.Authorizer.JWT.Claims["roles"] = tt.sub, tt.roles
			raw, _ := json.Marshal(ev)
			code, body := invoke(t, h, raw)
			if code != tt.want {
				t.Fatalf("got %d %s, want %d", code, body, tt.want)
			}
			if tt.want != 200 {
				if len(st.changes) != 0 || len(q.sent) != 0 {
					t.Errorf("refused, yet changed %v and sent %v", st.changes, q.sent)
				}
				return
			}
			if st.rec.Status != referral.StatusWithdrawn || len(st.changes) != 1 {
				t.Errorf("got %s, changes %v; want withdrawn once", st.rec.Status, st.changes)
			}
			want := []string{`notify {"kind":"ended","reference":"` + ref + `","status":"withdrawn"}`}
			if !slices.Equal(q.sent, want) {
				t.Errorf("sent %q, want %q", q.sent, want)
			}
		})
	}
}
