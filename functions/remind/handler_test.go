package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/dynamo/dynamotest"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fakeStore keeps unaccepted allocations as the store's index does.
type fakeStore struct {
	dynamotest.Outbox // committed with a mark, until sent

	list     map[string]*notification.Unaccepted
	conflict string // a reference accepted meanwhile

	managers []allocation.CaseManager
	changed  []string // "<id> by <by>", as recorded
}

// OnLeave lists the managers with a date back on or before day, as the
// store's index does (it does not check whether they are inactive).
func (f *fakeStore) OnLeave(_ context.Context, day string) ([]allocation.CaseManager, error) {
	var out []allocation.CaseManager
	for _, m := range f.managers {
		if m.ReturnsOn != "" && m.ReturnsOn <= day {
			out = append(out, m)
		}
	}
	return out, nil
}

func (f *fakeStore) ChangeCaseManager(_ context.Context, m allocation.CaseManager, by, _ string, at time.Time) ([]allocation.Change, dynamo.Message, error) {
	release, err := dynamo.NewMessage(dynamo.QueueAllocation, map[string]string{"area": m.Area}, at)
	if err != nil {
		return nil, release, err
	}
	for i, old := range f.managers {
		if old.ID == m.ID {
			f.managers[i] = m
		}
	}
	f.Commit(release)
	f.changed = append(f.changed, m.ID+" by "+by)
	return nil, release, nil
}

func (f *fakeStore) Unaccepted(_ context.Context, by time.Time) ([]notification.Unaccepted, error) {
	var out []notification.Unaccepted
	for _, u := range f.list {
		if !u.Since.After(by) {
			out = append(out, *u)
		}
	}
	return out, nil
}

func (f *fakeStore) MarkChased(_ context.Context, u notification.Unaccepted, stage notification.Kind, msgs ...dynamo.Message) error {
	if u.Reference == f.conflict {
		return referral.ErrConflict
	}
	f.Commit(msgs...)
	f.list[u.Reference].Chased = stage
	if stage == notification.KindEscalation {
		delete(f.list, u.Reference)
	}
	return nil
}

// fakeQueue is the notification queue, as the handler sends to it; Err
// fails every send.
type fakeQueue = dynamotest.Queue[notification.Event]

func TestRemindsThenEscalatesOnTheClock(t *testing.T) {
	st := &fakeStore{list: map[string]*notification.Unaccepted{
		"DRV-AAAA-AAAA": {Reference: "DRV-AAAA-AAAA", CaseManagerID: "cm1", Since: t0},
		"DRV-BBBB-BBBB": {Reference: "DRV-BBBB-BBBB", CaseManagerID: "cm2", Since: t0.Add(10 * time.Hour)},
	}}
	q := &fakeQueue{Name: dynamo.QueueNotify}
	now := t0
	h := &handler{store: st, queues: q, chase: notification.Chase{Remind: 24 * time.Hour, Escalate: 24 * time.Hour},
		log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: func() time.Time { return now }}
	steps := []struct {
		at   time.Duration
		want []string
	}{
		{23 * time.Hour, nil},
		{24 * time.Hour, []string{"reminder DRV-AAAA-AAAA"}},
		{25 * time.Hour, nil}, // reminded once, however often it runs
		{34 * time.Hour, []string{"reminder DRV-BBBB-BBBB"}},
		{48 * time.Hour, []string{"escalation DRV-AAAA-AAAA"}},
		{100 * time.Hour, []string{"escalation DRV-BBBB-BBBB"}},
		{200 * time.Hour, nil},
	}
	for _, s := range steps {
		now, q.Sent = t0.Add(s.at), nil
		if err := h.Handle(context.Background(), nil); err != nil {
			t.Fatalf("at %v: %v", s.at, err)
		}
		var got []string
		for _, ev := range q.Sent {
			got = append(got, string(ev.Kind)+" "+ev.Reference)
			if err := ev.Validate(); err != nil || ev.Since.IsZero() {
				t.Errorf("at %v: event %+v: %v", s.at, ev, err)
			}
		}
		if len(got) != len(s.want) || (len(got) > 0 && got[0] != s.want[0]) {
			t.Errorf("at %v: queued %v, want %v", s.at, got, s.want)
		}
	}
}

// TestAFailedQueueLeavesTheChaseToTheRelay: a chase is marked with its
// event in the outbox, so a queue that fails after the mark loses nothing:
// the run succeeds, the event waits in the outbox for the relay, and the
// next run does not chase again. An allocation accepted meanwhile is
// neither marked nor chased.
func TestAFailedQueueLeavesTheChaseToTheRelay(t *testing.T) {
	st := &fakeStore{list: map[string]*notification.Unaccepted{"DRV-AAAA-AAAA": {Reference: "DRV-AAAA-AAAA", CaseManagerID: "cm1", Since: t0}}}
	q := &fakeQueue{Name: dynamo.QueueNotify, Err: errors.New("sqs down")}
	h := &handler{store: st, queues: q, chase: notification.Chase{Remind: time.Hour, Escalate: time.Hour},
		log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: func() time.Time { return t0.Add(90 * time.Minute) }}
	if err := h.Handle(context.Background(), nil); err != nil {
		t.Fatalf("a chase kept for the relay failed the run: %v", err)
	}
	if got := st.list["DRV-AAAA-AAAA"].Chased; got != notification.KindReminder {
		t.Errorf("got chased %q, want the reminder marked", got)
	}
	if len(st.Messages()) != 1 {
		t.Fatalf("got %d messages in the outbox, want the reminder", len(st.Messages()))
	}
	for _, m := range st.Messages() {
		var ev notification.Event
		if m.Queue != dynamo.QueueNotify || json.Unmarshal([]byte(m.Body), &ev) != nil || ev.Kind != notification.KindReminder || ev.Reference != "DRV-AAAA-AAAA" {
			t.Errorf("outbox holds %s %s, want the reminder to notify", m.Queue, m.Body)
		}
	}
	q.Err = nil
	if err := h.Handle(context.Background(), nil); err != nil || len(q.Sent) != 0 {
		t.Errorf("next run: %v, queued %+v; want nothing chased twice", err, q.Sent)
	}

	st.Outbox = dynamotest.Outbox{}
	st.conflict = "DRV-AAAA-AAAA" // accepted between the query and the mark
	h.now = func() time.Time { return t0.Add(3 * time.Hour) }
	if err := h.Handle(context.Background(), nil); err != nil {
		t.Errorf("an allocation accepted meanwhile failed the run: %v", err)
	}
	if len(q.Sent) != 0 || len(st.Messages()) != 0 {
		t.Errorf("queued %+v and kept %d in the outbox for an allocation accepted meanwhile, want nothing", q.Sent, len(st.Messages()))
	}
}

// TestLeaveEndsOnItsDay: a case manager on leave takes cases again on the
// day they are back, on the schedule's run, with nobody pressing a button:
// a recorded change by Drive and the release of their area's waitlist.
// Not the day before, and once only.
func TestLeaveEndsOnItsDay(t *testing.T) {
	st := &fakeStore{list: map[string]*notification.Unaccepted{}, managers: []allocation.CaseManager{
		{ID: "essex-alex", Area: "essex", ReturnsOn: "2026-12-01"},
		{ID: "essex-priya", Area: "essex", ReturnsOn: "2026-12-02"},
		{ID: "essex-tom", Area: "essex", Active: true},
	}}
	q := &dynamotest.Queue[map[string]string]{Name: dynamo.QueueAllocation}
	var now time.Time
	h := &handler{store: st, queues: q, chase: notification.Chase{Remind: 24 * time.Hour, Escalate: 24 * time.Hour},
		log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: func() time.Time { return now }}
	for _, step := range []struct {
		at   time.Time
		want []string
	}{
		{time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC), nil},
		{time.Date(2026, 12, 1, 0, 5, 0, 0, time.UTC), []string{"essex-alex by drive"}},
		{time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), nil},
		{time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), []string{"essex-priya by drive"}}, // a day no run saw
	} {
		now, st.changed, q.Sent = step.at, nil, nil
		if err := h.Handle(context.Background(), nil); err != nil {
			t.Fatalf("at %v: %v", step.at, err)
		}
		if fmt.Sprint(st.changed) != fmt.Sprint(step.want) {
			t.Errorf("at %v: got %v back, want %v", step.at, st.changed, step.want)
		}
		if len(q.Sent) != len(step.want) {
			t.Errorf("at %v: got %d releases sent, want %d", step.at, len(q.Sent), len(step.want))
		}
	}
	for _, m := range st.managers {
		if !m.Active || m.ReturnsOn != "" {
			t.Errorf("got %s active %v, back on %q; want active with no date", m.ID, m.Active, m.ReturnsOn)
		}
	}
}
