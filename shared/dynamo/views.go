package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/referral"
)

// A referral's views are items of their own in the referral's partition
// (REF#<ref>, VIEW#<time>#<subject>), one put each: recording a view never
// contends with another view or with a change of the referral, and there
// is no limit on how many a referral keeps. (They were once a list on the
// referral's item, capped at 1,000 views, after which the case page could
// not be shown to anyone: a record of who read what must never stop the
// reader reading.)
//
// A view expires with the referral: it takes the referral's expiresAt
// when the referral has one (it has ended), and when the referral ends,
// the views recorded while it was open are given its expiry after the
// change commits (expireViews). A view recorded while the referral ends
// is caught by RecordView's second look; a view of an ended referral
// gives any view still without an expiry the referral's (the repair
// after a crash between an ending's commit and its views' expiry).

func viewSK(v referral.View) string { return "VIEW#" + v.At.UTC().Format(sortable) + "#" + v.Subject }

// RecordView records v, a reading of referral ref's details, as an item
// of its own, with the referral's expiry if it has one. It returns
// referral.ErrNotFound when there is no such referral, and another error
// when the table cannot be read or written.
func (s *Store) RecordView(ctx context.Context, ref string, v referral.View) error {
	expires, err := s.expiryOf(ctx, ref)
	if err != nil {
		return fmt.Errorf("record a view of %s: %w", ref, err)
	}
	it, err := item(v, "PK", "REF#"+ref, "SK", viewSK(v))
	if err != nil {
		return fmt.Errorf("record a view of %s: %w", ref, err)
	}
	if expires != nil {
		it["expiresAt"] = expires
	}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: it}); err != nil {
		return fmt.Errorf("record a view of %s: %w", ref, err)
	}
	if expires == nil && s.retention > 0 {
		// The referral may have ended since it was read, and its views'
		// expiry been set before this one was written: look again.
		if expires, err = s.expiryOf(ctx, ref); err != nil && !errors.Is(err, referral.ErrNotFound) {
			return fmt.Errorf("record a view of %s: %w", ref, err)
		}
	}
	if expires != nil {
		if err := s.expireViews(ctx, ref, expires); err != nil {
			return fmt.Errorf("record a view of %s: %w", ref, err)
		}
	}
	return nil
}

// expiryOf returns referral ref's expiresAt, nil while it has none (it
// is open, or the store keeps data for ever), or referral.ErrNotFound.
func (s *Store) expiryOf(ctx context.Context, ref string) (types.AttributeValue, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: refKey(ref), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("PK, expiresAt")})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, referral.ErrNotFound
	}
	return out.Item["expiresAt"], nil
}

// expireViews gives every view of referral ref that has no expiry the
// one given: the referral's, once it has ended.
func (s *Store) expireViews(ctx context.Context, ref string, expires types.AttributeValue) error {
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{TableName: &s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :view)"),
		FilterExpression:          aws.String("attribute_not_exists(expiresAt)"),
		ProjectionExpression:      aws.String("PK, SK"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("REF#" + ref), ":view": str("VIEW#")},
		ConsistentRead:            aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("views of %s to expire: %w", ref, err)
		}
		for _, it := range page.Items {
			_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]},
				UpdateExpression: aws.String("SET expiresAt = :expires"), ExpressionAttributeValues: map[string]types.AttributeValue{":expires": expires}})
			if err != nil {
				return fmt.Errorf("expire a view of %s: %w", ref, err)
			}
		}
	}
	return nil
}

// expireViewsOnEnding gives the views of rec, which ended at the time
// given, the expiry the ending gave its other items; a failure is not
// the ending's (it has committed), and the next view of the referral
// repairs it (RecordView).
func (s *Store) expireViewsOnEnding(ctx context.Context, ref string, at time.Time) {
	if s.retention <= 0 {
		return
	}
	_ = s.expireViews(ctx, ref, epoch(at.Add(s.retention)))
}

// Views returns the newest views of referral ref, at most limit, newest
// first, and how many earlier ones it has; none for a referral that has
// none or does not exist. It reads the newest by a query, and counts the
// rest without reading them out. Views recorded before views were items
// of their own (a "views" list on the referral's item, all older than any
// item) are read with them.
func (s *Store) Views(ctx context.Context, ref string, limit int) (recent []referral.View, earlier int, err error) {
	key := map[string]types.AttributeValue{":pk": str("REF#" + ref), ":view": str("VIEW#")}
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{TableName: &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :view)"), ExpressionAttributeValues: key,
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, 0, fmt.Errorf("views of %s: %w", ref, err)
	}
	if err := attributevalue.UnmarshalListOfMapsWithOptions(out.Items, &recent, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" }); err != nil {
		return nil, 0, fmt.Errorf("views of %s: %w", ref, err)
	}
	if out.LastEvaluatedKey != nil {
		p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{TableName: &s.table,
			KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :view)"), ExpressionAttributeValues: key,
			ScanIndexForward: aws.Bool(false), ExclusiveStartKey: out.LastEvaluatedKey, Select: types.SelectCount, ConsistentRead: aws.Bool(true)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, 0, fmt.Errorf("count the views of %s: %w", ref, err)
			}
			earlier += int(page.Count)
		}
	}
	legacy, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: refKey(ref), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("#views"), ExpressionAttributeNames: map[string]string{"#views": "views"}})
	if err != nil {
		return nil, 0, fmt.Errorf("views of %s: %w", ref, err)
	}
	var old struct {
		Views []referral.View `json:"views"`
	}
	if err := unmarshal(legacy.Item, &old); err != nil {
		return nil, 0, fmt.Errorf("views of %s: %w", ref, err)
	}
	slices.Reverse(old.Views) // newest first
	for _, v := range old.Views {
		if len(recent) < limit {
			recent = append(recent, v)
		} else {
			earlier++
		}
	}
	return recent, earlier, nil
}
