package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/metrics"
)

var t0 = time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC)

// fakeStore is the outbox, as the table keeps it.
type fakeStore struct {
	outbox  []dynamo.Message // oldest first
	readErr error
}

func (f *fakeStore) Outbox(_ context.Context, before time.Time) ([]dynamo.Message, error) {
	if f.readErr != nil {
		return nil, f.readErr
	}
	var out []dynamo.Message
	for _, m := range f.outbox {
		if m.CreatedAt.Before(before) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (f *fakeStore) DeleteOutbox(_ context.Context, m dynamo.Message) error {
	f.outbox = slices.DeleteFunc(f.outbox, func(o dynamo.Message) bool { return o.Key == m.Key })
	return nil
}

// fakeQueues keeps each body sent, by queue; the queues in down fail.
type fakeQueues struct {
	sent map[string][]string
	down map[string]bool
}

func (q *fakeQueues) Send(_ context.Context, queue, body string) error {
	if q.down[queue] {
		return errors.New("sqs unavailable")
	}
	q.sent[queue] = append(q.sent[queue], body)
	return nil
}

func message(t *testing.T, queue, body string, age time.Duration) dynamo.Message {
	t.Helper()
	m, err := dynamo.NewMessage(queue, rawJSON(body), t0.Add(-age))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rawJSON is a body already in JSON, marshalled as it is.
type rawJSON string

func (j rawJSON) MarshalJSON() ([]byte, error) { return []byte(j), nil }

// metricsOf reads the EMF lines written: metric name → value.
func metricsOf(t *testing.T, out string) map[string]float64 {
	t.Helper()
	got := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		names, err := metrics.Validate(sc.Bytes())
		if err != nil {
			t.Fatalf("invalid EMF %s: %v", sc.Text(), err)
		}
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			got[n], _ = line[n].(float64)
		}
	}
	return got
}

func TestRelaySendsWhatWasLeftAndAlarmsOnWhatIsStuck(t *testing.T) {
	elig := message(t, dynamo.QueueEligibility, `{"reference":"DRV-7K4M-Q9TX"}`, 10*time.Minute)
	note := message(t, dynamo.QueueNotify, `{"kind":"outcome","reference":"DRV-8W2N-R3PY","status":"allocated"}`, 2*time.Minute)
	release := message(t, dynamo.QueueAllocation, `{"area":"essex"}`, time.Minute)
	fresh := message(t, dynamo.QueueEligibility, `{"reference":"DRV-9X3P-S4QZ"}`, 5*time.Second) // its writer is sending it now
	tests := []struct {
		name     string
		down     map[string]bool
		wantSent map[string][]string
		wantLeft []dynamo.Message
		wantErr  bool
		want     map[string]float64
	}{
		{
			name: "every queue takes its messages: sent and deleted, the fresh one left to its writer",
			wantSent: map[string][]string{
				dynamo.QueueEligibility: {`{"reference":"DRV-7K4M-Q9TX"}`},
				dynamo.QueueNotify:      {`{"kind":"outcome","reference":"DRV-8W2N-R3PY","status":"allocated"}`},
				dynamo.QueueAllocation:  {`{"area":"essex"}`},
			},
			wantLeft: []dynamo.Message{fresh},
			want:     map[string]float64{"OutboxRelayed": 3, "OutboxFailed": 0, "OutboxOldestAge": 0},
		},
		{
			name: "a queue that fails keeps its message for the next run, and the run fails",
			down: map[string]bool{dynamo.QueueEligibility: true},
			wantSent: map[string][]string{
				dynamo.QueueNotify:     {`{"kind":"outcome","reference":"DRV-8W2N-R3PY","status":"allocated"}`},
				dynamo.QueueAllocation: {`{"area":"essex"}`},
			},
			wantLeft: []dynamo.Message{elig, fresh},
			wantErr:  true,
			want:     map[string]float64{"OutboxRelayed": 2, "OutboxFailed": 1, "OutboxOldestAge": 600},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{outbox: []dynamo.Message{elig, note, release, fresh}}
			q := &fakeQueues{sent: map[string][]string{}, down: tt.down}
			var out bytes.Buffer
			h := &handler{store: st, queues: q, grace: 30 * time.Second, metrics: metrics.New(&out, "relay"),
				log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: func() time.Time { return t0 }}
			err := h.Handle(context.Background(), nil)
			if (err != nil) != tt.wantErr {
				t.Errorf("got error %v, want an error: %v", err, tt.wantErr)
			}
			for _, queue := range []string{dynamo.QueueEligibility, dynamo.QueueAllocation, dynamo.QueueNotify} {
				if !slices.Equal(q.sent[queue], tt.wantSent[queue]) {
					t.Errorf("%s: got %q, want %q", queue, q.sent[queue], tt.wantSent[queue])
				}
			}
			if !slices.Equal(st.outbox, tt.wantLeft) {
				t.Errorf("outbox: got %v, want %v", st.outbox, tt.wantLeft)
			}
			got := metricsOf(t, out.String())
			for name, want := range tt.want {
				if v, ok := got[name]; !ok || v != want {
					t.Errorf("metric %s: got %v (written: %v), want %v", name, v, ok, want)
				}
			}
		})
	}
}

func TestRelayThatCannotReadTheOutboxFails(t *testing.T) {
	h := &handler{store: &fakeStore{readErr: errors.New("dynamodb unavailable")}, queues: &fakeQueues{sent: map[string][]string{}},
		grace: 30 * time.Second, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: func() time.Time { return t0 }}
	if err := h.Handle(context.Background(), nil); err == nil {
		t.Error("got no error for an outbox not read, want the run failed (the Errors alarm)")
	}
}

func TestSetupNeedsEveryQueueAndTheGrace(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "t", "ELIGIBILITY_QUEUE_URL": "e", "ALLOCATION_QUEUE_URL": "a", "NOTIFY_QUEUE_URL": "n", "OUTBOX_GRACE": "30s"}
	for _, missing := range []string{"ELIGIBILITY_QUEUE_URL", "ALLOCATION_QUEUE_URL", "NOTIFY_QUEUE_URL", "OUTBOX_GRACE"} {
		_, err := setup(context.Background(), func(k string) string {
			if k == missing {
				return ""
			}
			return env[k]
		}, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("without %s: got %v, want an error naming it", missing, err)
		}
	}
	env["OUTBOX_GRACE"] = "soon"
	if _, err := setup(context.Background(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("OUTBOX_GRACE=soon: got no error, want one")
	}
}
