// Package dynamotest holds the fakes of the dynamo package's outbox and
// queues that the functions' unit tests share: a store's outbox (Outbox)
// and the queue a function sends to (Queue). They are for tests only.
package dynamotest

import (
	"context"
	"encoding/json"
	"fmt"
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

// Queue is the one logical queue a function sends to (Name, such as
// dynamo.QueueNotify), as a dynamo.Sender: it keeps each body sent, read
// back as a T, in Sent. A send fails with Err when it is set, and with an
// error when it is to another queue or its body does not read as a T, so
// that a test sees a message sent astray or malformed.
type Queue[T any] struct {
	Name string
	Sent []T
	Err  error
}

// Send keeps body, read as a T, or returns Err, or the error of a queue
// other than Name or of a body that is not a T's JSON.
func (q *Queue[T]) Send(_ context.Context, queue, body string) error {
	if q.Err != nil {
		return q.Err
	}
	if queue != q.Name {
		return fmt.Errorf("send to %q: the function sends only to %q", queue, q.Name)
	}
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return fmt.Errorf("send to %q: %w", queue, err)
	}
	q.Sent = append(q.Sent, v)
	return nil
}
