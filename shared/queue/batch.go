package queue

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/lambdaenv"
	"github.com/driveprogramme/referrals/shared/logctx"
)

// How a batch shares its invocation's time (see HandleBatch).
const (
	// Margin is how long before the invocation's deadline the records'
	// contexts end, so that the batch's answer (which records failed) is
	// given while Lambda still listens: a function killed at its timeout
	// answers nothing, and every record of its batch comes back.
	Margin = time.Second
	// MinStart is the time kept for each record still to come: a record
	// may run until the batch's deadline less MinStart for each record
	// after it, and one whose turn comes with less than MinStart left is
	// reported failed without being tried. A record takes tens of
	// milliseconds when nothing is wrong.
	MinStart = 500 * time.Millisecond
)

// HandleBatch runs handle on each record of an SQS batch on its own, one
// after another in the batch's order, with the message id in its context
// for every log line (logctx), and reports only the records that failed,
// so that Lambda redelivers those (and, after the queue's maxReceiveCount,
// dead-letters them) and deletes the rest. The function's event source
// must set ReportBatchItemFailures.
//
// Records share the invocation's deadline, less Margin
// (lambdaenv.Budget): each record runs under its own deadline, which
// keeps MinStart for each record after it, and a record whose turn comes
// with less than MinStart left is not started. A slow or hung record
// therefore cannot take the later records' time, and a record that cannot
// finish is reported failed while the invocation can still answer, rather
// than the whole batch being killed at the timeout. handle must honour its
// context (every SDK call does).
//
// Why not an equal share each: records that all need a little more than
// a tenth of the time would then all fail, on every try. Measured with
// TestHandleBatchThroughput (QUEUE_MEASURE=1; 10 records each taking a
// quarter of a 2 s budget): equal shares finished 0 of 10; these
// deadlines finished 3, as many as fit, and failed the other 7 in time;
// the old single deadline also finished 3, then failed the rest at the
// deadline itself, where Lambda kills the function and its answer is
// lost. Records are not run side by side: the handlers and their tests
// assume one record at a time, and allocation's records meet on the same
// caseload items, where running them at once adds write conflicts.
//
// A record reported failed, whether it ran out of time or was never
// started, comes back after the queue's visibility timeout with its
// ApproximateReceiveCount one higher: SQS counts receives, not faults, and
// has no way to return a message uncounted. So running out of time costs
// a record one of its maxReceiveCount tries (MaxReceiveCount in
// template.yaml, 5 by default); the deadlines above keep that to the
// records that could not have finished. Only a record out of time on
// every try reaches the DLQ, where its alarm tells a person.
func HandleBatch(ctx context.Context, log *slog.Logger, ev events.SQSEvent, handle func(context.Context, events.SQSMessage) error) events.SQSEventResponse {
	ctx, cancel := lambdaenv.Budget(ctx, Margin)
	defer cancel()
	end, bounded := ctx.Deadline()
	var resp events.SQSEventResponse
	for i, msg := range ev.Records {
		mctx := logctx.With(ctx, "messageId", msg.MessageId)
		err := ctx.Err()
		if bounded && err == nil {
			if time.Until(end) < MinStart {
				err = fmt.Errorf("not started: less than %v left before the deadline", MinStart)
			}
		}
		if err == nil {
			err = run(mctx, msg, handle, end, bounded, len(ev.Records)-i-1)
		}
		if err != nil {
			log.ErrorContext(mctx, "message failed; it will be retried", "messageId", msg.MessageId,
				"receiveCount", msg.Attributes["ApproximateReceiveCount"], "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp
}

// run handles one record under its own deadline, which keeps MinStart for
// each of the later records, but gives it at least MinStart.
func run(ctx context.Context, msg events.SQSMessage, handle func(context.Context, events.SQSMessage) error, end time.Time, bounded bool, later int) (err error) {
	if bounded {
		own := end.Add(-time.Duration(later) * MinStart)
		if least := time.Now().Add(MinStart); own.Before(least) {
			own = least
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, own)
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return handle(ctx, msg)
}
