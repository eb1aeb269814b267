package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// poller does what Lambda's SQS event source mapping does: long-polls a
// queue, hands batches to the function, deletes what succeeded and leaves
// failed messages to reappear after the visibility timeout (and reach the
// dead-letter queue after maxReceiveCount, which SQS itself enforces).
type poller struct {
	sqs            *sqs.Client
	queueURL, arn  string
	batchSize      int32
	reportFailures bool
	wait           int32
	fn             invoker
	name           string
	logs           io.Writer
	// twice hands every batch to the function a second time, as SQS's
	// at-least-once delivery may; for proving the handlers idempotent.
	twice bool
	// maxConcurrency is the event source's ScalingConfig
	// MaximumConcurrency: at most this many batches at once (0: no bound).
	maxConcurrency int
}

// pollers returns how many pollers to run for the source, given how many
// the stack would run: no more than its MaximumConcurrency, as each
// poller has one batch in the function at a time.
func (p *poller) pollers(want int) int {
	if p.maxConcurrency > 0 {
		return min(want, p.maxConcurrency)
	}
	return want
}

func (p *poller) run(ctx context.Context) {
	for ctx.Err() == nil {
		out, err := p.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &p.queueURL, MaxNumberOfMessages: p.batchSize, WaitTimeSeconds: p.wait,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(p.logs, "%-20s poll %s: %v\n", p.name, p.queueURL, err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(out.Messages) > 0 {
			p.deliver(ctx, out.Messages)
		}
	}
}

func (p *poller) deliver(ctx context.Context, msgs []types.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	byID := map[string]types.Message{}
	for i, m := range msgs {
		attrs := map[string]string{}
		for k, v := range m.Attributes {
			attrs[k] = v
		}
		mattrs := map[string]events.SQSMessageAttribute{}
		for k, v := range m.MessageAttributes {
			mattrs[k] = events.SQSMessageAttribute{StringValue: v.StringValue, BinaryValue: v.BinaryValue, DataType: aws.ToString(v.DataType)}
		}
		ev.Records[i] = events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: attrs, MessageAttributes: mattrs,
			EventSource: "aws:sqs", EventSourceARN: p.arn, AWSRegion: region,
		}
		byID[aws.ToString(m.MessageId)] = m
	}
	payload, _ := json.Marshal(ev)
	if p.twice {
		if _, err := p.fn.Invoke(ctx, payload); err != nil && ctx.Err() == nil {
			fmt.Fprintf(p.logs, "%-20s first delivery of a doubled batch failed: %v\n", p.name, err)
		}
	}
	out, err := p.fn.Invoke(ctx, payload)
	if err != nil {
		// A function error fails the whole batch: every message reappears.
		if ctx.Err() == nil {
			fmt.Fprintf(p.logs, "%-20s batch of %d failed: %v\n", p.name, len(msgs), err)
		}
		return
	}
	done := byID
	if p.reportFailures {
		var resp events.SQSEventResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			fmt.Fprintf(p.logs, "%-20s unreadable batch response; the batch will be retried: %v\n", p.name, err)
			return
		}
		done = map[string]types.Message{}
		for id, m := range byID {
			done[id] = m
		}
		for _, f := range resp.BatchItemFailures {
			if _, ok := byID[f.ItemIdentifier]; !ok {
				// As in AWS: an empty or unknown identifier fails the batch.
				fmt.Fprintf(p.logs, "%-20s batch response names unknown item %q; the batch will be retried\n", p.name, f.ItemIdentifier)
				return
			}
			delete(done, f.ItemIdentifier)
		}
	}
	if len(done) == 0 {
		return
	}
	var entries []types.DeleteMessageBatchRequestEntry
	for id, m := range done {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(id), ReceiptHandle: m.ReceiptHandle})
	}
	// Deleting must outlive a stop request, or finished work is redone.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := p.sqs.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: &p.queueURL, Entries: entries}); err != nil {
		fmt.Fprintf(p.logs, "%-20s delete: %v\n", p.name, err)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
