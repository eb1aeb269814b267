package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/referral"
)

// ErrViewsFull is returned (wrapped) by RecordView when the referral
// already keeps referral.MaxViews views.
var ErrViewsFull = errors.New("the referral's record of views is full")

// RecordView adds v to the views of referral ref (referral.View). The
// views are a list on the referral's own item, so that they are kept as
// long as the referral and expire with it, with nothing more to expire.
// It returns referral.ErrNotFound when there is no such referral, an
// error wrapping ErrViewsFull when it keeps referral.MaxViews views
// already, and another error when the table cannot be written.
func (s *Store) RecordView(ctx context.Context, ref string, v referral.View) error {
	item, err := attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
	if err != nil {
		return fmt.Errorf("record a view of %s: %w", ref, err)
	}
	_, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      refKey(ref),
		UpdateExpression:         aws.String("SET #views = list_append(if_not_exists(#views, :none), :view)"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND (attribute_not_exists(#views) OR size(#views) < :max)"),
		ExpressionAttributeNames: map[string]string{"#views": "views"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":none": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
			":view": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: item}}},
			":max":  &types.AttributeValueMemberN{Value: fmt.Sprint(referral.MaxViews)},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if _, gerr := s.Referral(ctx, ref); errors.Is(gerr, referral.ErrNotFound) {
			return fmt.Errorf("record a view of %s: %w", ref, referral.ErrNotFound)
		}
		return fmt.Errorf("record a view of %s: %w", ref, ErrViewsFull)
	}
	if err != nil {
		return fmt.Errorf("record a view of %s: %w", ref, err)
	}
	return nil
}

// Views returns the views of referral ref, oldest first; none for a
// referral that has none or does not exist.
func (s *Store) Views(ctx context.Context, ref string) ([]referral.View, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: refKey(ref), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("#views"), ExpressionAttributeNames: map[string]string{"#views": "views"}})
	if err != nil {
		return nil, fmt.Errorf("views of %s: %w", ref, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	var got struct {
		Views []referral.View `json:"views"`
	}
	if err := unmarshal(out.Item, &got); err != nil {
		return nil, fmt.Errorf("views of %s: %w", ref, err)
	}
	return got.Views, nil
}
