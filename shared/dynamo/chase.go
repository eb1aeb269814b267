package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// chasePK is the GSI1 partition of allocations not yet accepted.
const chasePK = "CHASE"

// Unaccepted returns the allocations made at or before the given time and
// not yet accepted, ended or escalated, oldest first.
func (s *Store) Unaccepted(ctx context.Context, by time.Time) ([]notification.Unaccepted, error) {
	var items []struct {
		Reference   string             `json:"reference"`
		Area        string             `json:"area"`
		CaseManager *referral.Assignee `json:"caseManager"`
		Chased      notification.Kind  `json:"chased"`
	}
	err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:              aws.String("GSI1"),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND GSI1SK < :before"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(chasePK), ":before": str(by.UTC().Format(sortable) + "~")}, // "~" sorts after "#<ref>"
	}, &items)
	if err != nil {
		return nil, fmt.Errorf("unaccepted allocations: %w", err)
	}
	out := make([]notification.Unaccepted, 0, len(items))
	for _, it := range items {
		if it.CaseManager == nil {
			continue
		}
		out = append(out, notification.Unaccepted{Reference: it.Reference, Area: it.Area, CaseManagerID: it.CaseManager.ID, Since: it.CaseManager.Since, Chased: it.Chased})
	}
	return out, nil
}

// MarkChased records that the reminder or escalation of an allocation
// is due, while the referral is still allocated to the same manager since
// the same time, and keeps msgs (the chase's email event) in the outbox in
// the same transaction, so that a chase is never marked without its
// email, nor emailed for an allocation that moved; after the escalation
// the allocation leaves the list. It returns referral.ErrConflict when
// the allocation has changed meanwhile.
func (s *Store) MarkChased(ctx context.Context, u notification.Unaccepted, stage notification.Kind, msgs ...Message) error {
	since, err := attributevalue.Marshal(u.Since)
	if err != nil {
		return fmt.Errorf("mark %s chased: %w", u.Reference, err)
	}
	expr := "SET chased = :stage"
	if stage == notification.KindEscalation {
		expr += " REMOVE GSI1PK, GSI1SK"
	}
	_, err = s.transact(ctx, append([]types.TransactWriteItem{{Update: &types.Update{
		TableName:                &s.table,
		Key:                      refKey(u.Reference),
		UpdateExpression:         aws.String(expr),
		ConditionExpression:      aws.String("#status = :allocated AND caseManager.#id = :cm AND caseManager.#since = :since"),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#id": "id", "#since": "since"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":stage": str(string(stage)), ":allocated": str(string(referral.StatusAllocated)), ":cm": str(u.CaseManagerID), ":since": since},
	}}}, s.outboxPuts(msgs)...))
	if failed(err, 0) {
		return fmt.Errorf("mark %s chased: %w", u.Reference, referral.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("mark %s chased: %w", u.Reference, err)
	}
	return nil
}

// ChaseStage returns how far an allocation of the referral has been
// chased: "", notification.KindReminder or notification.KindEscalation;
// referral.ErrNotFound when there is no such referral.
func (s *Store) ChaseStage(ctx context.Context, ref string) (notification.Kind, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: refKey(ref),
		ProjectionExpression: aws.String("chased, #ref"), ExpressionAttributeNames: map[string]string{"#ref": "reference"}})
	if err != nil {
		return "", fmt.Errorf("chase stage of %s: %w", ref, err)
	}
	if out.Item == nil {
		return "", fmt.Errorf("chase stage of %s: %w", ref, referral.ErrNotFound)
	}
	var it struct {
		Chased notification.Kind `json:"chased"`
	}
	if err := unmarshal(out.Item, &it); err != nil {
		return "", fmt.Errorf("chase stage of %s: %w", ref, err)
	}
	return it.Chased, nil
}
