package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// receiptTTL is how long a notification's receipt is kept to catch
// redelivered messages and late bounces; SQS keeps a message at most 14
// days.
const receiptTTL = 15 * 24 * time.Hour

func epoch(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// Claim takes the right to send notification id until now+lease. It returns
// notification.ErrAlreadySent when it was sent before, and
// notification.ErrInFlight while another worker holds an unexpired claim.
// An email recorded as failed may be claimed again: a redriven message
// tries once more.
func (s *Store) Claim(ctx context.Context, id string, now time.Time, lease time.Duration) error {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table,
		Item: map[string]types.AttributeValue{
			"PK": str("NOTE#" + id), "SK": str("NOTE"), "id": str(id), "state": str(string(notification.StateSending)),
			"leaseUntil": epoch(now.Add(lease)), "expiresAt": epoch(now.Add(receiptTTL)),
		},
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR #state = :failed OR (#state = :sending AND leaseUntil < :now)"),
		ExpressionAttributeNames: map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": str(string(notification.StateSending)), ":failed": str(string(notification.StateFailed)), ":now": epoch(now)},
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		if err != nil {
			return fmt.Errorf("claim notification %s: %w", id, err)
		}
		return nil
	}
	var receipt notification.Receipt
	if err := s.get(ctx, keyOf("NOTE#"+id, "NOTE"), &receipt); err != nil {
		return fmt.Errorf("claim notification %s: %w", id, err)
	}
	if receipt.State == notification.StateSending {
		return fmt.Errorf("claim notification %s: %w", id, notification.ErrInFlight)
	}
	return fmt.Errorf("claim notification %s: %w", id, notification.ErrAlreadySent)
}

// MarkSent records that an email was sent, so that a redelivered message
// does not send it again, and then maps SES's message id to it for bounces
// and complaints. Two writes, not a transaction: the receipt is what
// idempotency needs, and it goes first; a link left unwritten (the error
// says so, and notify logs it) only loses a later bounce's match. A
// transaction would also cost moto a copy of the whole table per email.
func (s *Store) MarkSent(ctx context.Context, r notification.Receipt) error {
	r.State = notification.StateSent
	note, err := receiptItem(r)
	if err != nil {
		return fmt.Errorf("mark notification %s sent: %w", r.ID, err)
	}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: note}); err != nil {
		return fmt.Errorf("mark notification %s sent: %w", r.ID, err)
	}
	if r.MessageID == "" {
		return nil
	}
	link := map[string]types.AttributeValue{"PK": str("SES#" + r.MessageID), "SK": str("SES"), "id": str(r.ID), "expiresAt": note["expiresAt"]}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: link}); err != nil {
		return fmt.Errorf("link SES message %s to notification %s: %w", r.MessageID, r.ID, err)
	}
	return nil
}

// MarkFailed records that every try to send an email failed, and keeps
// msgs (the event that tells the area's leads) in the outbox in the same
// transaction, so that a failure recorded is always told.
func (s *Store) MarkFailed(ctx context.Context, r notification.Receipt, msgs ...Message) error {
	r.State = notification.StateFailed
	note, err := receiptItem(r)
	if err != nil {
		return fmt.Errorf("mark notification %s failed: %w", r.ID, err)
	}
	if len(msgs) == 0 {
		_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: note})
	} else {
		_, err = s.transact(ctx, append([]types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: note}}}, s.outboxPuts(msgs)...))
	}
	if err != nil {
		return fmt.Errorf("mark notification %s failed: %w", r.ID, err)
	}
	return nil
}

// receiptItem is a receipt as stored, expiring receiptTTL after it was made.
func receiptItem(r notification.Receipt) (map[string]types.AttributeValue, error) {
	note, err := item(r, "PK", "NOTE#"+r.ID, "SK", "NOTE")
	if err != nil {
		return nil, err
	}
	note["expiresAt"] = epoch(r.At.Add(receiptTTL))
	return note, nil
}

// Release gives up a claim after a failed send, so that the retry need not
// wait for the lease to run out.
func (s *Store) Release(ctx context.Context, id string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       keyOf("NOTE#"+id, "NOTE"),
		ConditionExpression:       aws.String("#state = :sending"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sending": str(string(notification.StateSending))},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("release notification %s: %w", id, err)
	}
	return nil
}

// Receipt returns what is kept of an email, or referral.ErrNotFound.
func (s *Store) Receipt(ctx context.Context, id string) (notification.Receipt, error) {
	var r notification.Receipt
	if err := s.get(ctx, keyOf("NOTE#"+id, "NOTE"), &r); err != nil {
		return r, fmt.Errorf("receipt %s: %w", id, err)
	}
	return r, nil
}

// Feedback records what SES learnt of a sent email (a bounce, a
// complaint) and returns its receipt; referral.ErrNotFound when Drive has
// no record of SES message id messageID.
func (s *Store) Feedback(ctx context.Context, messageID string, state notification.State, why string, at time.Time) (notification.Receipt, error) {
	var link struct {
		ID string `json:"id"`
	}
	if err := s.get(ctx, keyOf("SES#"+messageID, "SES"), &link); err != nil {
		return notification.Receipt{}, fmt.Errorf("feedback on %s: %w", messageID, err)
	}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      keyOf("NOTE#"+link.ID, "NOTE"),
		UpdateExpression:         aws.String("SET #state = :state, why = :why, feedbackAt = :at"),
		ConditionExpression:      aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames: map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":state": str(string(state)), ":why": str(why), ":at": str(at.UTC().Format(time.RFC3339Nano))},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return notification.Receipt{}, fmt.Errorf("feedback on %s: receipt %s: %w", messageID, link.ID, referral.ErrNotFound)
	}
	if err != nil {
		return notification.Receipt{}, fmt.Errorf("feedback on %s: %w", messageID, err)
	}
	var r notification.Receipt
	if err := unmarshal(out.Attributes, &r); err != nil {
		return r, fmt.Errorf("feedback on %s: %w", messageID, err)
	}
	return r, nil
}

// FlagBounced marks a case manager whose address bounces, for the area
// lead to see; saving the case manager again clears it.
func (s *Store) FlagBounced(ctx context.Context, area, id string, at time.Time) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       keyOf("AREA#"+area, "CM#"+id),
		UpdateExpression:          aws.String("SET emailBouncedAt = :at"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(at.UTC().Format(time.RFC3339Nano))},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("flag case manager %s: %w", id, referral.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("flag case manager %s: %w", id, err)
	}
	return nil
}

// Receipts returns every email receipt, for the local outbox: a scan,
// which a deployed function never does.
func (s *Store) Receipts(ctx context.Context) ([]notification.Receipt, error) {
	var out []notification.Receipt
	p := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{
		TableName:                 &s.table,
		FilterExpression:          aws.String("SK = :note"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":note": str("NOTE")},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("receipts: %w", err)
		}
		var rs []notification.Receipt
		if err := attributevalue.UnmarshalListOfMapsWithOptions(page.Items, &rs, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" }); err != nil {
			return nil, fmt.Errorf("receipts: %w", err)
		}
		out = append(out, rs...)
	}
	return out, nil
}
