package local_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/driveprogramme/referrals/infra/redrive"
)

// TestRedriveMovesADeadLetterQueueBack runs make redrive's code against a
// dead-letter queue of the local SQS and its source queue.
func TestRedriveMovesADeadLetterQueueBack(t *testing.T) {
	serial(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(stack.AWS)
	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("redrive-test-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	src, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("redrive-test"), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:eu-west-2:123456789012:redrive-test-dlq","maxReceiveCount":"3"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 23
	for i := range n {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: dlq.QueueUrl, MessageBody: aws.String(fmt.Sprintf(`{"n":%d}`, i))}); err != nil {
			t.Fatal(err)
		}
	}
	url, err := redrive.QueueURL(ctx, client, "redrive-test-dlq")
	if err != nil || url != aws.ToString(dlq.QueueUrl) {
		t.Fatalf("QueueURL by name = %q, %v; want %s", url, err, aws.ToString(dlq.QueueUrl))
	}
	source, err := redrive.Source(ctx, client, url)
	if err != nil || source != aws.ToString(src.QueueUrl) {
		t.Fatalf("Source = %q, %v; want %s", source, err, aws.ToString(src.QueueUrl))
	}
	if _, err := redrive.Source(ctx, client, source); err == nil {
		t.Error("a queue that is no one's dead-letter queue has a source")
	}
	var progress bytes.Buffer
	moved, err := redrive.Move(ctx, client, url, source, &progress)
	if err != nil || moved != n {
		t.Fatalf("moved %d, %v; want %d", moved, err, n)
	}
	if !strings.Contains(progress.String(), fmt.Sprintf("%d messages to move", n)) || !strings.Contains(progress.String(), fmt.Sprintf("moved %d of %d", n, n)) {
		t.Errorf("progress:\n%s", progress.String())
	}
	seen := map[string]bool{}
	for range 10 {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			seen[aws.ToString(m.Body)] = true
		}
	}
	if len(seen) != n {
		t.Errorf("source queue holds %d distinct messages, want %d", len(seen), n)
	}
	left, _ := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl, MaxNumberOfMessages: 10})
	if len(left.Messages) != 0 {
		t.Errorf("%d messages left in the dead-letter queue", len(left.Messages))
	}
}
