package dynamo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

type sends struct {
	failFor string // a queue that fails
	sent    []string
}

func (s *sends) Send(_ context.Context, queue, body string) error {
	if queue == s.failFor {
		return errors.New("sqs unavailable")
	}
	s.sent = append(s.sent, queue+" "+body)
	return nil
}

type deletes struct{ deleted []string }

func (d *deletes) DeleteOutbox(_ context.Context, m Message) error {
	d.deleted = append(d.deleted, m.Key)
	return nil
}

func TestDeliverDeletesOnlyWhatWasSent(t *testing.T) {
	at := time.Date(2026, 11, 29, 17, 0, 0, 5, time.UTC)
	a, err := NewMessage(QueueAllocation, map[string]string{"area": "essex"}, at)
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewMessage(QueueNotify, map[string]string{"kind": "outcome"}, at)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		failFor     string
		wantSent    []string
		wantDeleted []string
		wantErr     bool
	}{
		{"every send taken", "", []string{`allocation {"area":"essex"}`, `notify {"kind":"outcome"}`}, []string{a.Key, n.Key}, false},
		{"one queue fails: its message stays", QueueNotify, []string{`allocation {"area":"essex"}`}, []string{a.Key}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, d := &sends{failFor: tt.failFor}, &deletes{}
			err := Deliver(context.Background(), d, s, a, n)
			if (err != nil) != tt.wantErr || !slices.Equal(s.sent, tt.wantSent) || !slices.Equal(d.deleted, tt.wantDeleted) {
				t.Errorf("got error %v, sent %q, deleted %q; want error %v, sent %q, deleted %q", err, s.sent, d.deleted, tt.wantErr, tt.wantSent, tt.wantDeleted)
			}
		})
	}
}

func TestMessageKeysSortByTimeAndDiffer(t *testing.T) {
	at := time.Date(2026, 11, 29, 17, 0, 0, 0, time.FixedZone("BST", 3600))
	m1, _ := NewMessage(QueueNotify, 1, at)
	m2, _ := NewMessage(QueueNotify, 1, at)
	later, _ := NewMessage(QueueNotify, 1, at.Add(time.Nanosecond))
	if m1.Key == m2.Key {
		t.Errorf("got the same key %s for two messages, want each its own", m1.Key)
	}
	if !(m1.Key < later.Key && m2.Key < later.Key) {
		t.Errorf("got keys %s, %s before %s, want the later message to sort last", m1.Key, m2.Key, later.Key)
	}
	if want := "2026-11-29T16:00:00.000000000Z#"; !strings.HasPrefix(m1.Key, want) {
		t.Errorf("got key %s, want it to start with the UTC time %s", m1.Key, want)
	}
}
