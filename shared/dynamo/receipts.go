package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/notification"
)

// receiptTTL is how long a notification's receipt is kept to catch
// redelivered messages; SQS keeps a message at most 14 days.
const receiptTTL = 15 * 24 * time.Hour

// Claim takes the right to send notification id until now+lease. It returns
// notification.ErrAlreadySent when it was sent before, and
// notification.ErrInFlight while another worker holds an unexpired claim.
func (s *Store) Claim(ctx context.Context, id string, now time.Time, lease time.Duration) error {
	epoch := func(t time.Time) types.AttributeValue {
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
	}
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table,
		Item: map[string]types.AttributeValue{
			"PK": str("NOTE#" + id), "SK": str("NOTE"), "state": str("sending"),
			"leaseUntil": epoch(now.Add(lease)), "expiresAt": epoch(now.Add(receiptTTL)),
		},
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR (#state = :sending AND leaseUntil < :now)"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sending": str("sending"), ":now": epoch(now)},
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		if err != nil {
			return fmt.Errorf("claim notification %s: %w", id, err)
		}
		return nil
	}
	var receipt struct {
		State string `json:"state"`
	}
	if err := s.get(ctx, keyOf("NOTE#"+id, "NOTE"), &receipt); err != nil {
		return fmt.Errorf("claim notification %s: %w", id, err)
	}
	if receipt.State == "sent" {
		return fmt.Errorf("claim notification %s: %w", id, notification.ErrAlreadySent)
	}
	return fmt.Errorf("claim notification %s: %w", id, notification.ErrInFlight)
}

// MarkSent records that notification id was sent, so that a redelivered
// message does not send it again.
func (s *Store) MarkSent(ctx context.Context, id string, at time.Time) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       keyOf("NOTE#"+id, "NOTE"),
		UpdateExpression:          aws.String("SET #state = :sent, sentAt = :at"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sent": str("sent"), ":at": str(at.UTC().Format(time.RFC3339Nano))},
	})
	if err != nil {
		return fmt.Errorf("mark notification %s sent: %w", id, err)
	}
	return nil
}

// Release gives up a claim after a failed send, so that the retry need not
// wait for the lease to run out.
func (s *Store) Release(ctx context.Context, id string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       keyOf("NOTE#"+id, "NOTE"),
		ConditionExpression:       aws.String("#state = :sending"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sending": str("sending")},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("release notification %s: %w", id, err)
	}
	return nil
}
