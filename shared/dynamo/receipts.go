package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// noteKey is the key of email receipt id.
func noteKey(id string) map[string]types.AttributeValue { return keyOf("NOTE#"+id, "NOTE") }

// receiptSets adds to an update what a receipt says of its email (never
// its address or words): its id, kind, referral, area and case manager,
// state and time. Empty fields are left as they are.
func receiptSets(r notification.Receipt, names map[string]string, values map[string]types.AttributeValue) []string {
	names["#state"], names["#at"] = "state", "at"
	values[":state"], values[":at"] = str(string(r.State)), str(r.At.UTC().Format(time.RFC3339Nano))
	values[":id"], values[":expires"] = str(r.ID), epoch(r.At.Add(receiptTTL))
	sets := []string{"#state = :state", "#at = :at", "#id = :id", "expiresAt = :expires"}
	names["#id"] = "id"
	for name, v := range map[string]string{"kind": string(r.Kind), "reference": r.Reference, "area": r.Area, "caseManagerId": r.CaseManagerID, "messageId": r.MessageID, "why": r.Why} {
		if v != "" { // each by a name placeholder: some (reference) may be DynamoDB reserved words
			names["#"+name], values[":"+name] = name, str(v)
			sets = append(sets, "#"+name+" = :"+name)
		}
	}
	slices.Sort(sets)
	return sets
}

// Claim records an attempt to send email r.ID, at r.At, before SES is
// called: the receipt becomes "sending" with the attempt's time and count,
// and holds off other workers until r.At+lease. The record is what stops
// a blind resend when the call's outcome is unknown.
//
// It returns notification.ErrAlreadySent when the email was sent (or
// bounced, or complained of), and notification.ErrInFlight while another
// worker's claim is unexpired, or while an earlier attempt's outcome is
// unknown (marked unknown, or a claim whose worker died mid-send) and
// reconcile has not passed since that attempt: SES's Send event may yet
// mark it sent. After that it may be claimed again, as may an email
// recorded as failed (a redriven message tries once more).
func (s *Store) Claim(ctx context.Context, r notification.Receipt, lease, reconcile time.Duration) error {
	r.State, r.MessageID, r.Why = notification.StateSending, "", ""
	names, values := map[string]string{}, map[string]types.AttributeValue{}
	sets := receiptSets(r, names, values)
	values[":lease"], values[":now"], values[":attempt"] = epoch(r.At.Add(lease)), epoch(r.At), epoch(r.At)
	values[":attemptAt"], values[":one"] = values[":at"], &types.AttributeValueMemberN{Value: "1"}
	values[":windowAgo"] = epoch(r.At.Add(-reconcile))
	values[":sending"], values[":unknown"], values[":failed"] = str(string(notification.StateSending)), str(string(notification.StateUnknown)), str(string(notification.StateFailed))
	sets = append(sets, "leaseUntil = :lease", "attemptEpoch = :attempt", "attemptAt = :attemptAt")
	names["#why"], names["#messageId"] = "why", "messageId"
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.table,
		Key:              noteKey(r.ID),
		UpdateExpression: aws.String("SET " + strings.Join(sets, ", ") + " ADD attempts :one REMOVE #why, #messageId"),
		ConditionExpression: aws.String("attribute_not_exists(PK) OR #state = :failed" +
			" OR (#state = :sending AND leaseUntil < :now AND (attribute_not_exists(attemptEpoch) OR attemptEpoch < :windowAgo))" +
			" OR (#state = :unknown AND attemptEpoch < :windowAgo)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		if err != nil {
			return fmt.Errorf("claim notification %s: %w", r.ID, err)
		}
		return nil
	}
	var was notification.Receipt
	if err := s.get(ctx, noteKey(r.ID), &was); err != nil {
		return fmt.Errorf("claim notification %s: %w", r.ID, err)
	}
	if was.State == notification.StateSending || was.State == notification.StateUnknown {
		return fmt.Errorf("claim notification %s (%s, attempt %d at %s): %w", r.ID, was.State, was.Attempts, was.AttemptAt.Format(time.RFC3339), notification.ErrInFlight)
	}
	return fmt.Errorf("claim notification %s: %w", r.ID, notification.ErrAlreadySent)
}

// unsent is the condition under which a receipt may still be marked: it
// is not yet known to SES's events as sent, bounced or complained of.
const unsent = "attribute_not_exists(PK) OR #state IN (:sending, :unknown, :failed)"

func unsentValues(values map[string]types.AttributeValue) {
	values[":sending"], values[":unknown"], values[":failed"] = str(string(notification.StateSending)), str(string(notification.StateUnknown)), str(string(notification.StateFailed))
}

// MarkSent records that SES took an email, so that a redelivered message
// does not send it again, and then maps SES's message id to it for bounces
// and complaints. A receipt SES's events have marked already (sent,
// bounced) is left as it is. Two writes, not a transaction: the receipt is
// what idempotency needs, and it goes first; a link left unwritten (the
// error says so, and notify logs it) only loses a later bounce's match,
// and SES's events carry the receipt's tag anyway. A transaction would
// also cost moto a copy of the whole table per email.
func (s *Store) MarkSent(ctx context.Context, r notification.Receipt) error {
	r.State = notification.StateSent
	names, values := map[string]string{}, map[string]types.AttributeValue{}
	sets := receiptSets(r, names, values)
	unsentValues(values)
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: noteKey(r.ID),
		UpdateExpression:    aws.String("SET " + strings.Join(sets, ", ") + " REMOVE leaseUntil"),
		ConditionExpression: aws.String(unsent), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("mark notification %s sent: %w", r.ID, err)
	}
	return s.link(ctx, r)
}

// link maps SES's message id to the receipt, for bounces and complaints.
func (s *Store) link(ctx context.Context, r notification.Receipt) error {
	if r.MessageID == "" {
		return nil
	}
	link := map[string]types.AttributeValue{"PK": str("SES#" + r.MessageID), "SK": str("SES"), "id": str(r.ID), "expiresAt": epoch(r.At.Add(receiptTTL))}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: link}); err != nil {
		return fmt.Errorf("link SES message %s to notification %s: %w", r.MessageID, r.ID, err)
	}
	return nil
}

// MarkUnknown records that SES may have taken an email although the call
// failed (notification.ErrOutcomeUnknown), keeping the attempt's time, so
// that no retry sends it again before SES's Send event can mark it sent
// (Claim). A receipt SES's events have marked already is left as it is.
func (s *Store) MarkUnknown(ctx context.Context, r notification.Receipt) error {
	r.State = notification.StateUnknown
	names, values := map[string]string{}, map[string]types.AttributeValue{}
	sets := receiptSets(r, names, values)
	values[":sending"], values[":unknown"] = str(string(notification.StateSending)), str(string(notification.StateUnknown))
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: noteKey(r.ID),
		UpdateExpression:    aws.String("SET " + strings.Join(sets, ", ")),
		ConditionExpression: aws.String("#state IN (:sending, :unknown)"), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("mark notification %s unknown: %w", r.ID, err)
	}
	return nil
}

// MarkFailed records that every try to send an email failed, or that its
// event could not be composed (a receipt of the event, Event.StageID).
func (s *Store) MarkFailed(ctx context.Context, r notification.Receipt) error {
	r.State = notification.StateFailed
	note, err := receiptItem(r)
	if err != nil {
		return fmt.Errorf("mark notification %s failed: %w", r.ID, err)
	}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: note}); err != nil {
		return fmt.Errorf("mark notification %s failed: %w", r.ID, err)
	}
	return nil
}

// MarkSkipped records that an event's emails were not sent because the
// referral had moved on (notification.Stale), and why.
func (s *Store) MarkSkipped(ctx context.Context, r notification.Receipt) error {
	r.State = notification.StateSkipped
	note, err := receiptItem(r)
	if err != nil {
		return fmt.Errorf("mark notification %s skipped: %w", r.ID, err)
	}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: note}); err != nil {
		return fmt.Errorf("mark notification %s skipped: %w", r.ID, err)
	}
	return nil
}

// Confirm records what SES's event about email id says: SES took it, as
// message messageID (a Send, Delivery, Bounce or Complaint event carrying
// the receipt's tag). A receipt still sending, unknown or failed becomes
// sent, and the message id is linked to it, and Confirm returns it; one
// already sent, bounced or complained of, or none at all (expired), is
// left as it is, and Confirm returns a receipt with only its id (State
// empty). It returns an error only when DynamoDB fails.
func (s *Store) Confirm(ctx context.Context, id, messageID string, at time.Time) (notification.Receipt, error) {
	values := map[string]types.AttributeValue{":sent": str(string(notification.StateSent)), ":mid": str(messageID), ":at": str(at.UTC().Format(time.RFC3339Nano))}
	unsentValues(values)
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: noteKey(id),
		UpdateExpression:         aws.String("SET #state = :sent, messageId = :mid, confirmedAt = :at REMOVE leaseUntil"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND #state IN (:sending, :unknown, :failed)"),
		ExpressionAttributeNames: map[string]string{"#state": "state"}, ExpressionAttributeValues: values,
		ReturnValues: types.ReturnValueAllNew,
	})
	var r notification.Receipt
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		// Marked already (the usual case: MarkSent came first), or no
		// such receipt: nothing to do, and not worth a read to tell which.
		return notification.Receipt{ID: id}, nil
	case err != nil:
		return r, fmt.Errorf("confirm notification %s: %w", id, err)
	}
	if err := unmarshal(out.Attributes, &r); err != nil {
		return r, fmt.Errorf("confirm notification %s: %w", id, err)
	}
	r.At = at
	return r, s.link(ctx, r)
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

// Release gives up a claim after SES refused the email (a definite error:
// nothing was sent), so that the retry need not wait for the lease to run
// out. It must not be called when the outcome is unknown (MarkUnknown).
func (s *Store) Release(ctx context.Context, id string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       noteKey(id),
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
