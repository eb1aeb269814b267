package dynamotest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/driveprogramme/referrals/shared/dynamo"
)

func TestOutboxKeepsWhatIsCommittedUntilDeleted(t *testing.T) {
	a := dynamo.Message{Queue: dynamo.QueueNotify, Body: `{}`, Key: "2026-11-29T17:00:00.000000000Z#a"}
	b := dynamo.Message{Queue: dynamo.QueueAllocation, Body: `{}`, Key: "2026-11-29T17:00:01.000000000Z#b"}
	var o Outbox
	if got := o.Messages(); len(got) != 0 {
		t.Errorf("got %v in a new outbox, want none", got)
	}
	o.Commit(b, a)
	o.Commit(a) // a message kept again is one message
	if got, want := o.Messages(), []dynamo.Message{a, b}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v (oldest first)", got, want)
	}
	if err := o.DeleteOutbox(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if got, want := o.Messages(), []dynamo.Message{b}; !slices.Equal(got, want) {
		t.Errorf("got %v after deleting %s, want %v", got, a.Key, want)
	}
}

// TestQueueKeepsOnlyItsOwnWellFormedMessages: a send is kept, read back,
// only when it is to the queue's name with a body that reads as a T.
func TestQueueKeepsOnlyItsOwnWellFormedMessages(t *testing.T) {
	type event struct{ Reference string }
	down := errors.New("sqs unavailable")
	tests := []struct {
		name, queue, body string
		err               error
		wantErr           bool
		want              []event
	}{
		{"its own queue", dynamo.QueueNotify, `{"reference":"DRV-7K4M-Q9TX"}`, nil, false, []event{{"DRV-7K4M-Q9TX"}}},
		{"another queue", dynamo.QueueAllocation, `{"reference":"DRV-7K4M-Q9TX"}`, nil, true, nil},
		{"a body not of its type", dynamo.QueueNotify, `{"reference":7}`, nil, true, nil},
		{"a body not JSON", dynamo.QueueNotify, `DRV-7K4M-Q9TX`, nil, true, nil},
		{"the queue down", dynamo.QueueNotify, `{"reference":"DRV-7K4M-Q9TX"}`, down, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &Queue[event]{Name: dynamo.QueueNotify, Err: tt.err}
			err := q.Send(context.Background(), tt.queue, tt.body)
			if (err != nil) != tt.wantErr || !slices.Equal(q.Sent, tt.want) {
				t.Errorf("got error %v and %v kept, want an error: %v and %v kept", err, q.Sent, tt.wantErr, tt.want)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("got error %v, want %v", err, tt.err)
			}
		})
	}
}
