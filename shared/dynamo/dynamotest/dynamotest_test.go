package dynamotest

import (
	"context"
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
