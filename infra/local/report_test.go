package local_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/referral"
)

// countReads adds to n the items each Query or Scan reads (its
// ScannedCount: what DynamoDB charges for, before any filter).
func countReads(n *atomic.Int64) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countReads",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				switch r := out.Result.(type) {
				case *dynamodb.QueryOutput:
					n.Add(int64(r.ScannedCount))
				case *dynamodb.ScanOutput:
					n.Add(int64(r.ScannedCount))
				}
				return out, md, err
			}), middleware.Before)
	}
}

// TestReportReadsOnlyTheArea: the report reads the chosen area's items,
// through its index by the time received (GSI4), and nothing of other
// areas: the items it reads (ScannedCount) grow with the area, not with
// the table. It seeds one area, then 19 more of the same size, and
// counts what the report of the first reads each time, against what a
// scan of the table filtered by area (the report before issue 15) reads.
func TestReportReadsOnlyTheArea(t *testing.T) {
	serial(t)
	ctx := t.Context()
	const perArea = 12
	run := fmt.Sprintf("%d", time.Now().UnixNano()%1e6)
	areaOf := func(i int) string { return fmt.Sprintf("scale%s-%02d", run, i) }
	start := time.Now().UTC().Add(-perArea * 24 * time.Hour)
	seed := func(area string, n int) {
		t.Helper()
		for i := range n {
			r, err := referral.Parse(submission(t, area, nil))
			if err != nil {
				t.Fatal(err)
			}
			ref, err := referral.NewReference()
			if err != nil {
				t.Fatal(err)
			}
			// One a day, so that a range of days holds some of them.
			rec := referral.Record{Reference: ref, Status: referral.StatusReceived, ReceivedAt: start.Add(time.Duration(i) * 24 * time.Hour), Referral: r}
			if err := stack.Store.CreateReferral(ctx, rec, "", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	var read atomic.Int64
	counted := dynamo.New(dynamodb.NewFromConfig(stack.AWS, func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, countReads(&read)) }), stack.Table)
	ddb := dynamodb.NewFromConfig(stack.AWS)
	// measure returns the items the report of area reads, the rows it
	// gives, what a scan of the table filtered by area reads, and the
	// table's size.
	measure := func(area string, from, to time.Time) (reportRead int64, rows int, scanRead int64) {
		t.Helper()
		read.Store(0)
		got, err := counted.ReportRows(ctx, area, from, to)
		if err != nil {
			t.Fatal(err)
		}
		reportRead, rows = read.Load(), len(got)
		var scanned int64
		p := dynamodb.NewScanPaginator(ddb, &dynamodb.ScanInput{TableName: aws.String(stack.Table),
			FilterExpression:          aws.String("(SK = :sk OR SK = :eval) AND area = :area"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":sk": &ddbtypes.AttributeValueMemberS{Value: "REFERRAL"}, ":eval": &ddbtypes.AttributeValueMemberS{Value: "EVAL"}, ":area": &ddbtypes.AttributeValueMemberS{Value: area}}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			scanned += int64(page.ScannedCount)
		}
		return reportRead, rows, scanned
	}

	first := areaOf(1)
	seed(first, perArea)
	read1, rows1, scan1 := measure(first, time.Time{}, time.Time{})
	for i := 2; i <= 20; i++ {
		seed(areaOf(i), perArea)
	}
	read20, rows20, scan20 := measure(first, time.Time{}, time.Time{})
	fmt.Printf("report of one area of %d referrals: %d items read with 1 area seeded, %d with 20 (a scan of the table, as before: %d and %d)\n",
		perArea, read1, read20, scan1, scan20)
	if rows1 != perArea || rows20 != perArea {
		t.Errorf("got %d and %d rows, want the area's %d each time", rows1, rows20, perArea)
	}
	if read1 != perArea || read20 != perArea {
		t.Errorf("the report read %d items with 1 area and %d with 20, want the area's %d each time", read1, read20, perArea)
	}
	if scan20 < scan1+19*perArea {
		t.Errorf("control: a scan read %d then %d items, want it to grow with the table", scan1, scan20)
	}

	// It grows with the area: twice the referrals, twice the reads.
	last := areaOf(20)
	seed(last, perArea)
	if got, _, _ := measure(last, time.Time{}, time.Time{}); got != 2*perArea {
		t.Errorf("an area of %d referrals: read %d items, want %d", 2*perArea, got, 2*perArea)
	}
	// And a range of days reads only the days': the first area's
	// referrals were received one a day.
	from, to := start.Add(-time.Hour), start.Add(3*24*time.Hour-time.Hour)
	if got, rows, _ := measure(first, from, to); got != 3 || rows != 3 {
		t.Errorf("three days' range: read %d items for %d rows, want 3 and 3", got, rows)
	}
}

// TestIndexAreasIndexesWhatCameBefore: a referral and an evaluation
// record written before the area index existed (without its keys) are
// not in the report until IndexAreas (make backfill) indexes them;
// then they are, and a second run indexes nothing more.
func TestIndexAreasIndexesWhatCameBefore(t *testing.T) {
	serial(t)
	ctx := t.Context()
	area := fmt.Sprintf("before%d", time.Now().UnixNano()%1e6)
	r, err := referral.Parse(submission(t, area, nil))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := referral.NewReference()
	if err := stack.Store.CreateReferral(ctx, referral.Record{Reference: ref, Status: referral.StatusReceived, ReceivedAt: time.Now().UTC(), Referral: r}, "", ""); err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(stack.AWS)
	s := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	// As written before the index: the referral without its keys, and
	// an evaluation record of one whose personal data has gone.
	if _, err := ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(stack.Table),
		Key: map[string]ddbtypes.AttributeValue{"PK": s("REF#" + ref), "SK": s("REFERRAL")}, UpdateExpression: aws.String("REMOVE GSI4PK, GSI4SK")}); err != nil {
		t.Fatal(err)
	}
	old, _ := referral.NewReference()
	if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(stack.Table), Item: map[string]ddbtypes.AttributeValue{
		"PK": s("EVAL#" + old), "SK": s("EVAL"), "reference": s(old), "area": s(area), "route": s("police"), "status": s("closed"),
		"receivedAt": s(time.Now().UTC().Add(-400 * 24 * time.Hour).Format(time.RFC3339Nano)), "endedAt": s(time.Now().UTC().Format(time.RFC3339Nano)),
		"closeReason": s("completed")}}); err != nil {
		t.Fatal(err)
	}
	if rows, err := stack.Store.ReportRows(ctx, area, time.Time{}, time.Time{}); err != nil || len(rows) != 0 {
		t.Fatalf("before indexing: got %d rows, %v; want none (the test's premise)", len(rows), err)
	}
	n, err := stack.Store.IndexAreas(ctx)
	if err != nil || n < 2 {
		t.Fatalf("IndexAreas: got %d, %v; want at least the 2 written before", n, err)
	}
	rows, err := stack.Store.ReportRows(ctx, area, time.Time{}, time.Time{})
	if err != nil || len(rows) != 2 || rows[0].Reference != old || rows[0].CloseReason != "completed" || rows[1].Reference != ref {
		t.Errorf("after indexing: got %+v, %v; want the evaluation record then the referral", rows, err)
	}
	if again, err := stack.Store.IndexAreas(ctx); err != nil || again != 0 {
		t.Errorf("a second run: indexed %d, %v; want nothing", again, err)
	}
}
