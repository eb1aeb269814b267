package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/driveprogramme/referrals/infra/local"
)

// Prices are AWS's published on-demand prices in eu-west-2 (London), in
// US dollars, without free tiers, which differ by account; every other
// figure of the cost comes from these. Check them against the pages
// named before quoting a cost: prices change.
type Prices struct {
	// https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the
	// November 2024 halving of on-demand request prices)
	DynamoWriteUnit, DynamoReadUnit float64
	// https://aws.amazon.com/sqs/pricing/: standard queues, per request
	// (64 KB chunk)
	SQSRequest float64
	// https://aws.amazon.com/ses/pricing/: per email (recipient) sent
	SESEmail float64
	// https://aws.amazon.com/lambda/pricing/: per request, and per
	// GB-second on Arm (the template's arm64)
	LambdaRequest, LambdaArmGBSecond float64
	// https://aws.amazon.com/api-gateway/pricing/: HTTP APIs, per request
	// (first 300 million a month)
	HTTPAPIRequest float64
	// https://aws.amazon.com/cloudwatch/pricing/: logs ingested per GB;
	// a standard-resolution alarm per month; a dashboard per month
	LogsIngestGB, AlarmMonth, DashboardMonth float64
	// https://aws.amazon.com/kms/pricing/: a customer managed key per
	// month
	KMSKeyMonth float64
}

// London is eu-west-2's prices as last read from the pages above
// (2026-11). Where London's price is the same as every region's (SQS,
// SES, Lambda, KMS, alarms, dashboards), it is that price.
var London = Prices{
	DynamoWriteUnit:   0.7425 / 1e6,
	DynamoReadUnit:    0.1485 / 1e6,
	SQSRequest:        0.40 / 1e6,
	SESEmail:          0.10 / 1000,
	LambdaRequest:     0.20 / 1e6,
	LambdaArmGBSecond: 0.0000133334,
	HTTPAPIRequest:    1.11 / 1e6,
	LogsIngestGB:      0.5985,
	AlarmMonth:        0.10,
	DashboardMonth:    3.00,
	KMSKeyMonth:       1.00,
}

// line is one term of a cost: what, how many, the price of one, and the
// product, in US dollars.
type line struct {
	What     string
	Quantity float64
	Unit     string
	Price    float64
}

func (l line) cost() float64 { return l.Quantity * l.Price }

// perReferral returns the cost terms of u shared over n referrals, with
// the functions' memory (MB, by logical id) for their GB-seconds.
func perReferral(p Prices, u local.Usage, n int, memoryMB map[string]int) []line {
	per := func(x float64) float64 { return x / float64(n) }
	lines := []line{
		{"DynamoDB write request units", per(u.WriteUnits), "WRU", p.DynamoWriteUnit},
		{"DynamoDB read request units", per(u.ReadUnits), "RRU", p.DynamoReadUnit},
		{"SQS requests (the functions' sends, the mappings' polls)", per(float64(u.SQSRequests)), "request", p.SQSRequest},
		{"SES emails", per(float64(u.SESEmails)), "email", p.SESEmail},
		{"HTTP API requests", per(float64(u.APIRequests)), "request", p.HTTPAPIRequest},
	}
	var invocations float64
	var gbs float64
	ids := make([]string, 0, len(u.Invocations))
	for id := range u.Invocations {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		invocations += float64(u.Invocations[id])
		gbs += u.Duration[id].Seconds() * float64(memoryMB[id]) / 1024
	}
	lines = append(lines,
		line{"Lambda requests", per(invocations), "invocation", p.LambdaRequest},
		line{"Lambda duration (arm64)", per(gbs), "GB-s", p.LambdaArmGBSecond},
		line{"CloudWatch Logs ingested", per(float64(u.LogBytes)) / (1 << 30), "GB", p.LogsIngestGB},
	)
	return lines
}

// fixedMonthly returns the stack's costs that do not depend on
// referrals, from the template's resources: counts by resource type, and
// the event source mappings' empty polls.
func fixedMonthly(p Prices, types map[string]int, sqsMappings int) []line {
	// Lambda's SQS event source mapping long-polls each queue with 5
	// connections when it is idle, each receive waiting up to 20 s: about
	// 3 receives a minute each (the AWS Lambda developer guide, "Using
	// Lambda with Amazon SQS").
	const pollsPerMonth = 5 * 3 * 60 * 24 * 30.4
	return []line{
		{"KMS customer managed key", float64(types["AWS::KMS::Key"]), "key-month", p.KMSKeyMonth},
		{"CloudWatch alarms", float64(types["AWS::CloudWatch::Alarm"]), "alarm-month", p.AlarmMonth},
		{"CloudWatch dashboard (the first 3 of an account are free)", float64(types["AWS::CloudWatch::Dashboard"]), "dashboard-month", p.DashboardMonth},
		{"SQS empty polls of the event source mappings", float64(sqsMappings) * pollsPerMonth, "request", p.SQSRequest},
	}
}

// printLines writes lines as a table with their total, and returns the
// total in US dollars.
func printLines(w io.Writer, title string, lines []line) float64 {
	fmt.Fprintln(w, title)
	total := 0.0
	for _, l := range lines {
		total += l.cost()
		fmt.Fprintf(w, "  %-62s %12s %-15s × $%-12s = $%.6f\n", l.What, number(l.Quantity), l.Unit, number(l.Price), l.cost())
	}
	fmt.Fprintf(w, "  %-62s %12s %-15s   %-13s   $%.6f\n", "total", "", "", "", total)
	return total
}

// number writes x with as many significant digits as it needs (4).
func number(x float64) string {
	if x == 0 {
		return "0"
	}
	s := fmt.Sprintf("%.4g", x)
	if strings.Contains(s, "e") {
		s = fmt.Sprintf("%.*f", max(0, 3-int(math.Floor(math.Log10(math.Abs(x))))), x)
	}
	return s
}

// percentile returns the p-th percentile (0..100) of ds by the nearest
// rank, or 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}
