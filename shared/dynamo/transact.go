package dynamo

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// conflictTries is how many times a transaction is tried while DynamoDB
// cancels it for a conflict with another transaction.
const conflictTries = 5

// conflictWait is the first wait between tries; it doubles each time,
// with jitter, so that two transactions that met do not meet again.
const conflictWait = 25 * time.Millisecond

// transact runs a transaction, trying it again while DynamoDB cancels it
// only because another transaction was changing one of its items at the
// same time (TransactionConflict). Nothing of a cancelled transaction was
// written, and each item's condition still carries the decision it was
// made on, so a retry either applies that decision or fails its
// condition: a ConditionalCheckFailed is an answer, never retried. See
// "Treat TransactionConflict as a retry" in STYLE.md and
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) (*dynamodb.TransactWriteItemsOutput, error) {
	var out *dynamodb.TransactWriteItemsOutput
	err := retryConflicts(ctx, func() error {
		var err error
		out, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		return err
	})
	return out, err
}

// retryConflicts calls try until it returns anything but a transaction
// cancelled for a conflict alone, conflictTries times at most, waiting a
// jittered, doubling time between tries while ctx lasts. It returns try's
// last error.
func retryConflicts(ctx context.Context, try func() error) error {
	wait := conflictWait
	for n := 1; ; n++ {
		err := try()
		if !conflicted(err) || n == conflictTries {
			return err
		}
		t := time.NewTimer(wait/2 + rand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 2
	}
}

// conflicted reports whether err is a transaction cancelled because
// another one was changing its items (TransactionConflict) and for no
// other reason: a condition that failed as well is a decision.
func conflicted(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	conflict := false
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "", "None":
		default:
			return false
		}
	}
	return conflict
}
