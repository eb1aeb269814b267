package queue

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
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
// lost. HandleBatch runs records one at a time, for handlers whose
// records meet: allocation's records meet on the same caseload items,
// where running them at once adds write conflicts, not allocations.
// Handlers whose records are independent use HandleBatchConcurrently.
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
	return handleBatch(ctx, log, ev, 1, handle)
}

// HandleBatchConcurrently is HandleBatch with up to limit records running
// at once (limit < 1 counts as 1), for handlers whose records do not meet:
// each record is about its own referral or email, and what two records
// share (one referral's duplicate messages, say) is guarded in the table
// as it is between invocations, which Lambda runs side by side anyway.
// handle must be safe to call from several goroutines at once. Records
// start in the batch's order as places free up; each runs under its own
// deadline, which keeps MinStart for each round of limit records still to
// start after it, and a record whose turn comes with less than MinStart
// left is not started. Its answer is HandleBatch's: the failed records,
// in the batch's order, each logged with its message id.
//
// Why: a record mostly waits on the network (DynamoDB, SES, SQS), so
// records side by side finish a batch in a fraction of the time, and a
// record's turn no longer comes after nine others' waits. The bound keeps
// a batch from sending ten times the requests at once to DynamoDB and SES,
// whose throttling would then fail records instead.
func HandleBatchConcurrently(ctx context.Context, log *slog.Logger, ev events.SQSEvent, limit int, handle func(context.Context, events.SQSMessage) error) events.SQSEventResponse {
	return handleBatch(ctx, log, ev, limit, handle)
}

func handleBatch(ctx context.Context, log *slog.Logger, ev events.SQSEvent, limit int, handle func(context.Context, events.SQSMessage) error) events.SQSEventResponse {
	ctx, cancel := lambdaenv.Budget(ctx, Margin)
	defer cancel()
	end, bounded := ctx.Deadline()
	limit = max(limit, 1)
	errs := make([]error, len(ev.Records))
	places := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, msg := range ev.Records {
		places <- struct{}{}
		err := ctx.Err()
		if bounded && err == nil && time.Until(end) < MinStart {
			err = fmt.Errorf("not started: less than %v left before the deadline", MinStart)
		}
		if err != nil {
			errs[i] = err
			<-places
			continue
		}
		// The rounds of records still to start after this one.
		later := (len(ev.Records) - i - 1 + limit - 1) / limit
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-places }()
			errs[i] = run(logctx.With(ctx, "messageId", msg.MessageId), msg, handle, end, bounded, later)
		}()
	}
	wg.Wait()
	var resp events.SQSEventResponse
	for i, msg := range ev.Records {
		if err := errs[i]; err != nil {
			log.ErrorContext(logctx.With(ctx, "messageId", msg.MessageId), "message failed; it will be retried", "messageId", msg.MessageId,
				"receiveCount", msg.Attributes["ApproximateReceiveCount"], "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp
}

// run handles one record under its own deadline, which keeps MinStart for
// each of the later rounds of records, but gives it at least MinStart.
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
