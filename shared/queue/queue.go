// Package queue sends messages to SQS and runs SQS-triggered Lambda
// handlers record by record, each record on its own: one after another
// (HandleBatch) or a few side by side (HandleBatchConcurrently).
package queue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Queue sends JSON messages to one SQS queue.
type Queue struct {
	client *sqs.Client
	url    string
}

// New returns a Queue for the queue at url.
func New(client *sqs.Client, url string) *Queue { return &Queue{client: client, url: url} }

// Send queues v as JSON. It returns the SDK's error, wrapped, when SQS
// does not take the message (after the SDK's own retries).
func (q *Queue) Send(ctx context.Context, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("send to %s: %w", q.url, err)
	}
	return q.SendBody(ctx, string(body))
}

// SendBody queues a message body as it is. It returns the SDK's error,
// wrapped, when SQS does not take the message.
func (q *Queue) SendBody(ctx context.Context, body string) error {
	if _, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.url, MessageBody: &body}); err != nil {
		return fmt.Errorf("send to %s: %w", q.url, err)
	}
	return nil
}

// Named is the queues a function sends to, by the logical names an
// outbox message gives (dynamo.QueueEligibility, ...).
type Named map[string]*Queue

// Send queues a message body on the queue of that logical name. It
// returns an error for a name the function has no queue for, and
// SendBody's.
func (n Named) Send(ctx context.Context, name, body string) error {
	q, ok := n[name]
	if !ok {
		return fmt.Errorf("send to queue %q: this function has no such queue", name)
	}
	return q.SendBody(ctx, body)
}
