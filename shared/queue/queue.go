// Package queue sends messages to SQS and runs SQS-triggered Lambda
// handlers record by record, each record on its own (HandleBatch).
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
	s := string(body)
	if _, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.url, MessageBody: &s}); err != nil {
		return fmt.Errorf("send to %s: %w", q.url, err)
	}
	return nil
}
