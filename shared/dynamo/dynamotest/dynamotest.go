// Package dynamotest holds the fakes of the dynamo package's outbox and
// queues that the functions' unit tests share: a store's outbox (Outbox)
// and a function's queue (Queue). They are for tests only.
package dynamotest

import (
	"context"
	"slices"
	"strings"

	"github.com/driveprogramme/referrals/shared/dynamo"
)

// Outbox is the outbox of a fake store, to embed in it: a committed
// change keeps its messages here (Commit) until they are sent and
// deleted (DeleteOutbox, as dynamo.Deliver does). Its zero value is an
// empty outbox.
type Outbox struct {
	msgs map[string]dynamo.Message // by Key
}

// Commit keeps msgs in the outbox, as a committed change does.
func (o *Outbox) Commit(msgs ...dynamo.Message) {
	if o.msgs == nil {
		o.msgs = map[string]dynamo.Message{}
	}
	for _, m := range msgs {
		o.msgs[m.Key] = m
	}
}

// DeleteOutbox removes m from the outbox once it is sent, as
// dynamo.Store.DeleteOutbox does; it never fails.
func (o *Outbox) DeleteOutbox(_ context.Context, m dynamo.Message) error {
	delete(o.msgs, m.Key)
	return nil
}

// Messages returns the messages still in the outbox, oldest first (by
// Key), or none.
func (o *Outbox) Messages() []dynamo.Message {
	out := make([]dynamo.Message, 0, len(o.msgs))
	for _, m := range o.msgs {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b dynamo.Message) int { return strings.Compare(a.Key, b.Key) })
	return out
}
