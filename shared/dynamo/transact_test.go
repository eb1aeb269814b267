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

// TestStoredCaseload: the caseload a refused case manager's write found is
// read from the cancellation's item, and only from the item that failed.
func TestStoredCaseload(t *testing.T) {
	withItem := func(i int, item map[string]types.AttributeValue) error {
		e := cancelled("None", "None", "ConditionalCheckFailed")
		e.(*types.TransactionCanceledException).CancellationReasons[i].Item = item
		return e
	}
	tests := []struct {
		name   string
		err    error
		want   int
		wantOK bool
	}{
		{"the failed item's caseload", withItem(2, map[string]types.AttributeValue{"caseload": &types.AttributeValueMemberN{Value: "2"}}), 2, true},
		{"an item without a caseload", withItem(2, map[string]types.AttributeValue{"email": str("a@drive.example")}), 0, false},
		{"no item returned", cancelled("None", "None", "ConditionalCheckFailed"), 0, false},
		{"another item's", withItem(0, map[string]types.AttributeValue{"caseload": &types.AttributeValueMemberN{Value: "2"}}), 0, false},
		{"not a cancellation", errors.New("timeout"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := storedCaseload(tt.err, 2); got != tt.want || ok != tt.wantOK {
				t.Errorf("got %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
