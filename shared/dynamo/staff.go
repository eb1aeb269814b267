package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/allocation"
)

// returnsPK is the GSI1 partition of case managers on leave with a date
// back, keyed <date>#<area>#<id>: one partition, as Drive has a few dozen
// case managers.
const returnsPK = "RETURNS"

// removeClause is an update expression's REMOVE clause for the names, or
// "" for none.
func removeClause(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "REMOVE " + strings.Join(names, ", ")
}

// changeKey is the sort key of a change record in its area's partition:
// newest last, two made at once kept apart by the case manager and their
// place in the change.
func changeKey(c allocation.Change, i int) string {
	return fmt.Sprintf("LOG#%s#%s#%02d", c.At.UTC().Format(sortable), c.CaseManagerID, i)
}

// changePuts are the puts of an area's change records.
func (s *Store) changePuts(area string, changes []allocation.Change) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	for i, c := range changes {
		it, err := item(c, "PK", "AREA#"+area, "SK", changeKey(c, i))
		if err != nil {
			return nil, fmt.Errorf("record change: %w", err)
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: it}})
	}
	return out, nil
}

// ChangeCaseManager creates or changes case manager m as PutCaseManager
// does, and records each change from what was stored (allocation.Changes)
// as made by by (their account) and byName (their name) at the time at,
// with the release of the area's waitlist (a new, larger or returning
// caseload may have room), in one transaction. It is the one operation
// behind every change of a case manager: the API, the area page, and the
// end of leave on its day. It returns the changes recorded (none when
// nothing differed) and the release, for the caller to send (Deliver); its
// errors are PutCaseManager's.
func (s *Store) ChangeCaseManager(ctx context.Context, m allocation.CaseManager, by, byName string, at time.Time) ([]allocation.Change, Message, error) {
	release, err := NewMessage(QueueAllocation, map[string]string{"area": m.Area}, at)
	if err != nil {
		return nil, Message{}, fmt.Errorf("change case manager %s/%s: %w", m.Area, m.ID, err)
	}
	changes, err := s.putCaseManager(ctx, m, func(old *allocation.CaseManager) []allocation.Change {
		cs := allocation.Changes(old, m)
		for i := range cs {
			cs[i].At, cs[i].By, cs[i].ByName = at, by, byName
		}
		return cs
	}, []Message{release})
	return changes, release, err
}

// RecordChange records a change to an area's case managers that is not a
// change of their record (a leaver's cases moved, with the outcome of
// each case in its Details).
func (s *Store) RecordChange(ctx context.Context, area string, c allocation.Change) error {
	it, err := item(c, "PK", "AREA#"+area, "SK", changeKey(c, 0))
	if err != nil {
		return fmt.Errorf("record change in %s: %w", area, err)
	}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: it}); err != nil {
		return fmt.Errorf("record change in %s: %w", area, err)
	}
	return nil
}

// ChangeLog returns the latest limit changes to an area's case managers,
// newest first.
func (s *Store) ChangeLog(ctx context.Context, area string, limit int) ([]allocation.Change, error) {
	var out []allocation.Change
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :log)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("AREA#" + area), ":log": str("LOG#")},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	}
	page, err := s.client.Query(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("change log of %s: %w", area, err)
	}
	for _, it := range page.Items {
		var c allocation.Change
		if err := unmarshal(it, &c); err != nil {
			return nil, fmt.Errorf("change log of %s: %w", area, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// OnLeave returns the case managers, of any area, inactive for leave with
// a date back on or before day (YYYY-MM-DD), soonest first.
func (s *Store) OnLeave(ctx context.Context, day string) ([]allocation.CaseManager, error) {
	var out []allocation.CaseManager
	err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:              aws.String("GSI1"),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND GSI1SK < :after"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(returnsPK), ":after": str(day + "~")}, // "~" sorts after "#<area>"
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("case managers back by %s: %w", day, err)
	}
	return out, nil
}
