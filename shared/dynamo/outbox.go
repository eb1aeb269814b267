package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The transactional outbox. A message that must follow a write (a
// referral to decide, a decision to allocate, an email to send, a place
// freed for the waitlist) is written as an outbox item in the same
// transaction as the write, so that a crash between the write and the
// send cannot lose it: either both are kept or neither is. The writer
// then sends it at once and deletes the item (Deliver); whatever is left
// (the send failed, or the process died) the relay function sends later
// (functions/relay). Every message is idempotent where it lands, so one
// sent twice (by the writer and by the relay) changes nothing twice. See
// "Write, then send a message" in STYLE.md and the README.

// outboxPK is the partition of the outbox: one, as Drive sends a few
// messages a minute and the items live for milliseconds.
const outboxPK = "OUTBOX"

// The queues an outbox message goes to, by logical name; each function
// finds their URLs in its environment (ELIGIBILITY_QUEUE_URL,
// ALLOCATION_QUEUE_URL, NOTIFY_QUEUE_URL), so that an item names no
// account or region.
const (
	QueueEligibility = "eligibility"
	QueueAllocation  = "allocation"
	QueueNotify      = "notify"
)

// Message is a message committed with a write, as its outbox item keeps
// it: OUTBOX, <created>#<id>, with the queue's logical name, the JSON
// body and the time it was created.
type Message struct {
	Queue     string    `json:"queue"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"createdAt"`
	// Key is the item's sort key: the creation time (sortable, UTC) and a
	// random id, so that the oldest are found first and two messages
	// made at once do not collide.
	Key string `json:"SK"`
}

// NewMessage returns the message of v, as JSON, for the queue of that
// logical name, created at the time given. It returns an error when v
// does not marshal or no random id can be drawn.
func NewMessage(queue string, v any, at time.Time) (Message, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Message{}, fmt.Errorf("outbox message for %s: %w", queue, err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return Message{}, fmt.Errorf("outbox message for %s: %w", queue, err)
	}
	at = at.UTC()
	return Message{Queue: queue, Body: string(body), CreatedAt: at, Key: at.Format(sortable) + "#" + hex.EncodeToString(id)}, nil
}

// outboxPuts are the transaction items that keep msgs in the outbox.
func (s *Store) outboxPuts(msgs []Message) []types.TransactWriteItem {
	items := make([]types.TransactWriteItem, 0, len(msgs))
	for _, m := range msgs {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: map[string]types.AttributeValue{
			"PK": str(outboxPK), "SK": str(m.Key), "queue": str(m.Queue), "body": str(m.Body),
			"createdAt": str(m.CreatedAt.UTC().Format(time.RFC3339Nano)),
		}}})
	}
	return items
}

// Enqueue keeps msgs in the outbox on their own, for a message that
// follows no single write (the leads told of an event's failed emails,
// once each email's receipt is marked); Deliver then sends them. It
// returns the write's error, wrapped.
func (s *Store) Enqueue(ctx context.Context, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if _, err := s.transact(ctx, s.outboxPuts(msgs)); err != nil {
		return fmt.Errorf("enqueue %d outbox messages: %w", len(msgs), err)
	}
	return nil
}

// Outbox returns the messages still in the outbox that were created
// before the given time, oldest first: those whose writer has not sent
// them (it failed or died) and that the relay sends.
func (s *Store) Outbox(ctx context.Context, before time.Time) ([]Message, error) {
	var out []Message
	err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND SK < :before"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(outboxPK), ":before": str(before.UTC().Format(sortable))},
		ConsistentRead:            aws.Bool(true),
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return out, nil
}

// DeleteOutbox removes a message from the outbox once it has been sent.
// Deleting one already gone (the relay and the writer both sent it) is
// no error.
func (s *Store) DeleteOutbox(ctx context.Context, m Message) error {
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: keyOf(outboxPK, m.Key)}); err != nil {
		return fmt.Errorf("delete outbox message %s: %w", m.Key, err)
	}
	return nil
}

// Sender sends a JSON body to the queue of a logical name
// (queue.Named in Lambda).
type Sender interface {
	Send(ctx context.Context, queue, body string) error
}

// OutboxDeleter deletes a sent message's outbox item (Store.DeleteOutbox).
type OutboxDeleter interface {
	DeleteOutbox(ctx context.Context, m Message) error
}

// Deliver sends messages that were committed to the outbox, each to its
// queue, and deletes the outbox item of each one sent. It returns the
// errors of the messages not sent, joined; those stay in the outbox for
// the relay, so the write they followed stands and its caller need not
// undo it. An item sent but not deleted is only sent again by the relay,
// which the receivers take as a no-op; its error is returned too.
func Deliver(ctx context.Context, store OutboxDeleter, q Sender, msgs ...Message) error {
	var errs []error
	for _, m := range msgs {
		if err := q.Send(ctx, m.Queue, m.Body); err != nil {
			errs = append(errs, fmt.Errorf("send outbox message %s to %s: %w", m.Key, m.Queue, err))
			continue
		}
		if err := store.DeleteOutbox(ctx, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
