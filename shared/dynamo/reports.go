package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/report"
)

// The area's index by the time received (GSI4) and what reads it: the
// report, its download and the area's list of referrals.

// ReportRows returns what the area's report needs of each of its
// referrals received from from (inclusive) to to (exclusive; a zero time
// is no bound), oldest first. It queries the area's index by the time
// received (GSI4), so that it reads the area's items of the range and
// nothing of other areas: each referral's item and, once it has ended,
// its evaluation record (EVAL#); after the referral's personal data has
// expired, the evaluation record alone counts it. It returns an error
// when the table cannot be read.
func (s *Store) ReportRows(ctx context.Context, area string, from, to time.Time) ([]report.Referral, error) {
	items, err := s.areaItems(ctx, area, from, to)
	if err != nil {
		return nil, fmt.Errorf("report rows of %s: %w", area, err)
	}
	var out []report.Referral
	byRef := map[string]int{}
	for _, it := range items {
		sk, _ := it["SK"].(*types.AttributeValueMemberS)
		var row report.Referral
		switch {
		case sk != nil && sk.Value == "REFERRAL":
			var r struct {
				referral.Record
				AllocatedAt time.Time `json:"allocatedAt"`
				EndedReason string    `json:"endedReason"`
			}
			if err := unmarshal(it, &r); err != nil {
				return nil, fmt.Errorf("report rows of %s: %w", area, err)
			}
			row = report.Referral{Reference: r.Reference, Area: r.Referral.Area, Route: r.Referral.Route, Status: r.Status,
				ReceivedAt: r.ReceivedAt, AllocatedAt: r.AllocatedAt}
			if r.WaitingFrom != nil {
				row.WaitingFrom = *r.WaitingFrom
			}
			if d := r.Decision; d != nil {
				row.RulesVersion = d.RulesVersion
				for _, o := range d.Outcomes {
					row.Rules = append(row.Rules, report.Rule{Rule: o.Rule, Passed: o.Passed})
				}
			}
			if r.Status == referral.StatusClosed && slices.Contains(referral.CloseReasons, r.EndedReason) {
				row.CloseReason = r.EndedReason
			}
		case sk != nil && sk.Value == "EVAL":
			var ev evaluation
			if err := unmarshal(it, &ev); err != nil {
				return nil, fmt.Errorf("report rows of %s: %w", area, err)
			}
			row = report.Referral{Reference: ev.Reference, Area: ev.Area, Route: ev.Route, Status: ev.Status,
				ReceivedAt: ev.ReceivedAt, AllocatedAt: ev.AllocatedAt, RulesVersion: ev.RulesVersion, CloseReason: ev.CloseReason, Evaluated: true}
			if ev.WaitingFrom != nil {
				row.WaitingFrom = *ev.WaitingFrom
			}
			for _, st := range ev.Path {
				row.Path = append(row.Path, report.Step{Status: st.Status, At: st.At})
			}
			for _, rule := range eligibilityRules(ev.Rules) {
				row.Rules = append(row.Rules, report.Rule{Rule: rule, Passed: ev.Rules[rule]})
			}
		default:
			continue
		}
		// An ended referral has both until its personal data expires;
		// the referral's own item then is the fuller, but the evaluation
		// record has its path.
		if j, seen := byRef[row.Reference]; seen {
			if row.Evaluated {
				out[j].Path, out[j].Evaluated = row.Path, true
			} else {
				row.Path, row.Evaluated = out[j].Path, true
				out[j] = row
			}
			continue
		}
		byRef[row.Reference] = len(out)
		out = append(out, row)
	}
	return out, nil
}

// eligibilityRules are the rules of an evaluation record in the order
// eligibility decides them, then any others by name.
func eligibilityRules(m map[string]bool) []string {
	var out []string
	for _, r := range eligibility.RuleOrder {
		if _, ok := m[r]; ok {
			out = append(out, r)
		}
	}
	var rest []string
	for r := range m {
		if !slices.Contains(out, r) {
			rest = append(rest, r)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// AreaReferrals returns the area's referrals received from from
// (inclusive) to to (exclusive; a zero time is no bound), oldest first,
// through the area's index by the time received (GSI4): those whose
// personal data has expired are not among them. It returns an error
// when the table cannot be read.
func (s *Store) AreaReferrals(ctx context.Context, area string, from, to time.Time) ([]referral.Record, error) {
	items, err := s.areaItems(ctx, area, from, to)
	if err != nil {
		return nil, fmt.Errorf("referrals of %s: %w", area, err)
	}
	var out []referral.Record
	for _, it := range items {
		if sk, _ := it["SK"].(*types.AttributeValueMemberS); sk == nil || sk.Value != "REFERRAL" {
			continue
		}
		var rec referral.Record
		if err := unmarshal(it, &rec); err != nil {
			return nil, fmt.Errorf("referrals of %s: %w", area, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// areaItems reads the area's items in its index by the time received
// (GSI4), received from from (inclusive) to to (exclusive).
func (s *Store) areaItems(ctx context.Context, area string, from, to time.Time) ([]map[string]types.AttributeValue, error) {
	cond := "GSI4PK = :pk"
	vals := map[string]types.AttributeValue{":pk": str(areaPK(area))}
	// The sort key is <received time>#<ref>: a time's own formatting sorts
	// before any key of that time, so the range is [from, to).
	switch {
	case !from.IsZero() && !to.IsZero():
		cond += " AND GSI4SK BETWEEN :from AND :to"
		vals[":from"], vals[":to"] = str(from.UTC().Format(sortable)), str(to.UTC().Format(sortable))
	case !from.IsZero():
		cond += " AND GSI4SK >= :from"
		vals[":from"] = str(from.UTC().Format(sortable))
	case !to.IsZero():
		cond += " AND GSI4SK < :to"
		vals[":to"] = str(to.UTC().Format(sortable))
	}
	var items []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{TableName: &s.table, IndexName: aws.String("GSI4"),
		KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: vals})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		items = append(items, page.Items...)
	}
	return items, nil
}

// IndexAreas puts in the area's index by the time received (GSI4) every
// referral and evaluation record written before the index was (without
// its keys), so that the report counts them: run once after deploying
// the index (make backfill). It scans the table, the one read that
// must, and returns how many items it indexed; an item changed or
// deleted meanwhile is left as it is. It returns an error when the table
// cannot be read or written.
func (s *Store) IndexAreas(ctx context.Context) (int, error) {
	p := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{TableName: &s.table,
		FilterExpression:          aws.String("(SK = :ref OR SK = :eval) AND attribute_not_exists(GSI4PK)"),
		ProjectionExpression:      aws.String("PK, SK, area, #ref, receivedAt"),
		ExpressionAttributeNames:  map[string]string{"#ref": "reference"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":ref": str("REFERRAL"), ":eval": str("EVAL")},
	})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("index areas: %w", err)
		}
		for _, it := range page.Items {
			var k struct {
				PK         string    `json:"PK"`
				SK         string    `json:"SK"`
				Area       string    `json:"area"`
				Reference  string    `json:"reference"`
				ReceivedAt time.Time `json:"receivedAt"`
			}
			if err := unmarshal(it, &k); err != nil || k.Area == "" || k.Reference == "" || k.ReceivedAt.IsZero() {
				return n, fmt.Errorf("index areas: %s %s cannot be read: %v", k.PK, k.SK, err)
			}
			_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: keyOf(k.PK, k.SK),
				UpdateExpression:    aws.String("SET GSI4PK = :pk, GSI4SK = :sk"),
				ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(GSI4PK)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":pk": str(areaPK(k.Area)), ":sk": str(areaSK(k.ReceivedAt, k.Reference))}})
			var ccf *types.ConditionalCheckFailedException
			if errors.As(err, &ccf) {
				continue
			}
			if err != nil {
				return n, fmt.Errorf("index areas: %s %s: %w", k.PK, k.SK, err)
			}
			n++
		}
	}
	return n, nil
}
