// Package redrive moves the messages of a dead-letter queue back to the
// queue they came from, once the fault that put them there is fixed.
package redrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// QueueURL returns the URL of queue q, given as a URL or a name.
func QueueURL(ctx context.Context, client *sqs.Client, q string) (string, error) {
	if strings.HasPrefix(q, "https://") || strings.HasPrefix(q, "http://") {
		return q, nil
	}
	out, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &q})
	if err != nil {
		return "", fmt.Errorf("find queue %s: %w", q, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// Source returns the one queue whose redrive policy sends its failures
// to the dead-letter queue dlq.
func Source(ctx context.Context, client *sqs.Client, dlq string) (string, error) {
	out, err := client.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
	if err != nil {
		return "", fmt.Errorf("find the source of %s: %w", dlq, err)
	}
	switch len(out.QueueUrls) {
	case 1:
		return out.QueueUrls[0], nil
	case 0:
		return "", fmt.Errorf("%s is not the dead-letter queue of any queue", dlq)
	}
	return "", fmt.Errorf("%s is the dead-letter queue of %d queues (%s): redrive needs one", dlq, len(out.QueueUrls), strings.Join(out.QueueUrls, ", "))
}

// Move moves every message of dlq to source, ten at a time: each is sent
// to source before it is deleted from dlq, so that a stop midway loses
// nothing (a message may at worst be moved twice, which the handlers take
// as a no-op). It writes its progress to progress and returns how many
// it moved.
func Move(ctx context.Context, client *sqs.Client, dlq, source string, progress io.Writer) (int, error) {
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &dlq,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", dlq, err)
	}
	total, _ := strconv.Atoi(attrs.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	fmt.Fprintf(progress, "%d messages to move from %s to %s\n", total, dlq, source)
	moved, empty := 0, 0
	for empty < 2 { // twice empty: SQS's receive may miss messages on a single call
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			VisibilityTimeout: 60, MessageAttributeNames: []string{"All"}})
		if err != nil {
			return moved, fmt.Errorf("receive from %s: %w", dlq, err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		entries := make([]types.SendMessageBatchRequestEntry, len(out.Messages))
		for i, m := range out.Messages {
			entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: m.Body, MessageAttributes: m.MessageAttributes}
		}
		sent, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &source, Entries: entries})
		if err != nil {
			return moved, fmt.Errorf("send to %s: %w", source, err)
		}
		var del []types.DeleteMessageBatchRequestEntry
		for _, ok := range sent.Successful {
			i, _ := strconv.Atoi(aws.ToString(ok.Id))
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: ok.Id, ReceiptHandle: out.Messages[i].ReceiptHandle})
		}
		if len(del) > 0 {
			if _, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &dlq, Entries: del}); err != nil {
				return moved, fmt.Errorf("delete from %s (the messages were sent; they may be moved twice): %w", dlq, err)
			}
		}
		moved += len(del)
		fmt.Fprintf(progress, "moved %d of %d\n", moved, max(total, moved))
		if len(sent.Failed) > 0 {
			return moved, errors.New("some messages were not sent (they stay in the dead-letter queue): " + aws.ToString(sent.Failed[0].Message))
		}
	}
	return moved, nil
}
