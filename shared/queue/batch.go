package queue

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/logctx"
)

// HandleBatch runs handle on each record of an SQS batch on its own, with
// the message id in its context for every log line (logctx), and
// reports only the records that failed, so that Lambda redelivers those
// (and, after the queue's maxReceiveCount, dead-letters them) and deletes
// the rest. The function's event source must set ReportBatchItemFailures.
func HandleBatch(ctx context.Context, log *slog.Logger, ev events.SQSEvent, handle func(context.Context, events.SQSMessage) error) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, msg := range ev.Records {
		ctx := logctx.With(ctx, "messageId", msg.MessageId)
		if err := handle(ctx, msg); err != nil {
			log.ErrorContext(ctx, "message failed; it will be retried", "messageId", msg.MessageId,
				"receiveCount", msg.Attributes["ApproximateReceiveCount"], "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp
}
