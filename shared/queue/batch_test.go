package queue_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/queue"
)

func batch(n int) events.SQSEvent {
	var ev events.SQSEvent
	for i := range n {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", i), Body: "{}"})
	}
	return ev
}

func failures(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// hang blocks until its context ends, as an SDK call to a paused server
// does.
func hang(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestHandleBatchDeadlines(t *testing.T) {
	tests := []struct {
		name string
		// hung says which records hang until their context ends; the
		// others finish at once (failing only if their context has ended).
		hung func(id string) bool
		// limit is how many records run at once (1: HandleBatch).
		limit        int
		wantFailed   []string
		wantMaxCalls int
	}{
		{"one hung record does not take the later records' time",
			func(id string) bool { return id == "m2" }, 1, []string{"m2"}, 10},
		{"every record hung: all failed, and those whose turn came too late never started",
			func(string) bool { return true }, 1, []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"}, 3},
		{"side by side: one hung record holds one place, and the others finish",
			func(id string) bool { return id == "m2" }, 4, []string{"m2"}, 10},
		{"side by side, every record hung: all failed, and the rounds whose turn came too late never started",
			func(string) bool { return true }, 2, []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deadline := time.Now().Add(queue.Margin + 3*queue.MinStart)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			var (
				mu        sync.Mutex
				calls     int
				lateStart []string
			)
			handleBatch := queue.HandleBatch
			if tt.limit > 1 {
				handleBatch = func(ctx context.Context, log *slog.Logger, ev events.SQSEvent, handle func(context.Context, events.SQSMessage) error) events.SQSEventResponse {
					return queue.HandleBatchConcurrently(ctx, log, ev, tt.limit, handle)
				}
			}
			resp := handleBatch(ctx, quiet, batch(10), func(ctx context.Context, msg events.SQSMessage) error {
				mu.Lock()
				calls++
				if d, ok := ctx.Deadline(); !ok || d.After(deadline.Add(-queue.Margin)) {
					lateStart = append(lateStart, msg.MessageId)
				}
				mu.Unlock()
				if tt.hung(msg.MessageId) {
					return hang(ctx)
				}
				return ctx.Err()
			})
			answered := time.Now()
			if got := failures(resp); !slices.Equal(got, tt.wantFailed) {
				t.Errorf("got failed %v, want %v", got, tt.wantFailed)
			}
			if calls > tt.wantMaxCalls {
				t.Errorf("got %d records started, want at most %d", calls, tt.wantMaxCalls)
			}
			if len(lateStart) > 0 {
				t.Errorf("got records %v run with a deadline later than %v before the invocation's, want none", lateStart, queue.Margin)
			}
			if !answered.Before(deadline) {
				t.Errorf("got the batch answered %v after the deadline, want before it", answered.Sub(deadline))
			}
		})
	}
}

func TestHandleBatchOutcomes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var order []string
	resp := queue.HandleBatch(ctx, quiet, batch(10), func(ctx context.Context, msg events.SQSMessage) error {
		order = append(order, msg.MessageId) // one at a time: no lock needed
		switch msg.MessageId {
		case "m3":
			panic("a bug")
		case "m7":
			return fmt.Errorf("unreadable")
		}
		return nil
	})
	if got, want := failures(resp), []string{"m3", "m7"}; !slices.Equal(got, want) {
		t.Errorf("got failed %v, want %v", got, want)
	}
	if want := []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"}; !slices.Equal(order, want) {
		t.Errorf("got records run %v, want %v", order, want)
	}
	// Without a deadline (a test, a command), every record runs.
	resp = queue.HandleBatch(context.Background(), quiet, batch(3), func(context.Context, events.SQSMessage) error { return nil })
	if got := failures(resp); len(got) != 0 {
		t.Errorf("got failed %v, want none", got)
	}
}

func TestHandleBatchConcurrently(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		// wantPeak is how many records the handler saw running at once.
		wantPeak int
	}{
		{"a limit of 4 runs 4 at once, never more", 4, 4},
		{"a limit above the batch runs the whole batch at once", 20, 10},
		{"a limit below 1 runs one at a time", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			full := min(max(tt.limit, 1), 10) // records running at once when every place is taken
			var (
				mu          sync.Mutex
				running     int
				peak        int
				handled     = map[string]int{}
				everyPlace  = make(chan struct{})
				placesTaken bool
			)
			resp := queue.HandleBatchConcurrently(ctx, quiet, batch(10), tt.limit, func(ctx context.Context, msg events.SQSMessage) error {
				mu.Lock()
				running++
				peak = max(peak, running)
				handled[msg.MessageId]++
				if running == full && !placesTaken {
					placesTaken = true
					close(everyPlace)
				}
				mu.Unlock()
				defer func() {
					mu.Lock()
					running--
					mu.Unlock()
				}()
				// The first round waits until every place is taken, so
				// that records run side by side if they can; run one at a
				// time, the first would wait for the others until its
				// deadline, and fail.
				if i, _ := strconv.Atoi(strings.TrimPrefix(msg.MessageId, "m")); i < full {
					select {
					case <-everyPlace:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				switch msg.MessageId {
				case "m3":
					panic("a bug")
				case "m7":
					return fmt.Errorf("unreadable")
				}
				return nil
			})
			if got, want := failures(resp), []string{"m3", "m7"}; !slices.Equal(got, want) {
				t.Errorf("got failed %v, want %v (in the batch's order)", got, want)
			}
			if peak != tt.wantPeak {
				t.Errorf("got %d records running at once at most, want %d", peak, tt.wantPeak)
			}
			for i := range 10 {
				if id := fmt.Sprintf("m%d", i); handled[id] != 1 {
					t.Errorf("got %s handled %d times, want once", id, handled[id])
				}
			}
		})
	}
}

// TestHandleBatchThroughput measures how many records of a batch finish
// when each takes a quarter of the time the batch has, for InFlight's
// comment. It is timed, so it runs only when asked: QUEUE_MEASURE=1.
func TestHandleBatchThroughput(t *testing.T) {
	if os.Getenv("QUEUE_MEASURE") == "" {
		t.Skip("a measurement: set QUEUE_MEASURE=1 to run it")
	}
	budget := 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), budget+queue.Margin)
	defer cancel()
	resp := queue.HandleBatch(ctx, quiet, batch(10), func(ctx context.Context, _ events.SQSMessage) error {
		select {
		case <-time.After(budget / 4):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	t.Logf("each record takes %v of a %v budget: %d of 10 finished", budget/4, budget, 10-len(resp.BatchItemFailures))
}
