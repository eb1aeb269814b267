package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

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
