package dynamo

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func cancelled(codes ...string) error {
	e := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
	for _, c := range codes {
		e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
	}
	return e
}

func TestRetryConflictsRetriesOnlyAConflict(t *testing.T) {
	tests := []struct {
		name      string
		errs      []error // what each try returns; the last repeats
		wantTries int
		wantErr   bool
	}{
		{"success", []error{nil}, 1, false},
		{"a condition failed: a decision", []error{cancelled("None", "ConditionalCheckFailed")}, 1, true},
		{"a conflict and a failed condition: a decision", []error{cancelled("TransactionConflict", "ConditionalCheckFailed")}, 1, true},
		{"a conflict, then success", []error{cancelled("None", "TransactionConflict"), nil}, 2, false},
		{"a conflict, then a failed condition", []error{cancelled("TransactionConflict"), cancelled("ConditionalCheckFailed", "None")}, 2, true},
		{"conflicts every time: given up", []error{cancelled("TransactionConflict")}, conflictTries, true},
		{"another error", []error{errors.New("throttled")}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tries := 0
			err := retryConflicts(context.Background(), func() error {
				e := tt.errs[min(tries, len(tt.errs)-1)]
				tries++
				return e
			})
			if tries != tt.wantTries || (err != nil) != tt.wantErr {
				t.Errorf("got %d tries, error %v; want %d tries, error %t", tries, err, tt.wantTries, tt.wantErr)
			}
		})
	}
}

func TestRetryConflictsStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	tries := 0
	err := retryConflicts(ctx, func() error {
		tries++
		cancel()
		return cancelled("TransactionConflict")
	})
	if tries != 1 || !conflicted(err) {
		t.Errorf("got %d tries, error %v; want 1 try and the conflict", tries, err)
	}
}
