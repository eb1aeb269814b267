package local

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestItemSize(t *testing.T) {
	for _, tc := range []struct {
		item string
		want int
	}{
		{`{"PK":{"S":"abc"}}`, 2 + 3},
		{`{"n":{"N":"123"}}`, 1 + 3},      // 3 digits: 2 bytes + 1
		{`{"n":{"N":"-0.00120"}}`, 1 + 2}, // significant digits "12"
		{`{"b":{"BOOL":true},"z":{"NULL":true}}`, 2 + 2},
		{`{"l":{"L":[{"S":"ab"},{"N":"1"}]}}`, 1 + 3 + 2 + 2 + 2},
		{`{"m":{"M":{"a":{"S":"x"}}}}`, 1 + 3 + 1 + 1 + 1},
		{`{"s":{"SS":["ab","c"]}}`, 1 + 3},
		{`{"name":{"S":"Zoë"}}`, 4 + 4}, // UTF-8 bytes, not characters
	} {
		var item map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tc.item), &item); err != nil {
			t.Fatal(err)
		}
		if got := ItemSize(item); got != tc.want {
			t.Errorf("ItemSize(%s) = %d, want %d", tc.item, got, tc.want)
		}
	}
}

// answer is a RoundTripper that answers every request with one body.
type answer struct {
	status int
	body   string
}

func (a answer) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Body: io.NopCloser(strings.NewReader(a.body)), Header: http.Header{}, Request: req}, nil
}

func TestMeteredCountsUnitsAsDynamoDBBills(t *testing.T) {
	big := `{"S":"` + strings.Repeat("x", 1500) + `"}` // a 1.5 KB attribute: 2 units
	stored := map[string]string{
		"small": `{"PK":{"S":"small"}}`,
		"big":   `{"PK":{"S":"big"},"x":` + big + `,"GSI1PK":{"S":"CM#1"},"GSI2PK":{"S":"P"}}`,
	}
	for _, tc := range []struct {
		name, op, in string
		status       int
		out          string
		write, read  float64
	}{
		{"a put of a small item in no index", "PutItem", `{"TableName":"t","Item":{"PK":{"S":"a"}}}`, 200, `{}`, 1, 0},
		{"a put of 1.5 KB in an ALL index and an INCLUDE one", "PutItem",
			`{"TableName":"t","Item":{"PK":{"S":"a"},"x":` + big + `,"GSI1PK":{"S":"CM#1"},"GSI2PK":{"S":"P"}}}`, 200, `{}`, 2 + 2 + 1, 0},
		{"an update is sized by the item after it", "UpdateItem", `{"TableName":"t","Key":{"PK":{"S":"big"}}}`, 200, `{}`, 2 + 2 + 1, 0},
		{"a failed condition still costs", "UpdateItem", `{"TableName":"t","Key":{"PK":{"S":"small"}}}`, 400,
			`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"}`, 1, 0},
		{"a throttled write costs nothing", "PutItem", `{"TableName":"t","Item":{"PK":{"S":"a"}}}`, 400,
			`{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException"}`, 0, 0},
		{"a transaction doubles the table's units", "TransactWriteItems",
			`{"TransactItems":[{"Update":{"TableName":"t","Key":{"PK":{"S":"small"}}}},{"ConditionCheck":{"TableName":"t","Key":{"PK":{"S":"small"}}}}]}`,
			200, `{}`, 2 + 2, 0},
		{"an eventually consistent get is half a unit", "GetItem", `{"TableName":"t","Key":{"PK":{"S":"small"}}}`, 200, `{"Item":{"PK":{"S":"small"}}}`, 0, 0.5},
		{"a strongly consistent get of 1.5 KB", "GetItem", `{"TableName":"t","ConsistentRead":true}`, 200, `{"Item":{"x":` + big + `}}`, 0, 1},
		{"a query bills 4 KB blocks of what it read", "Query", `{"TableName":"t"}`, 200,
			`{"Count":3,"ScannedCount":3,"Items":[{"x":` + big + `},{"x":` + big + `},{"x":` + big + `}]}`, 0, 0.5 * 2},
		{"a filtered query bills what it scanned", "Query", `{"TableName":"t","ConsistentRead":true}`, 200,
			`{"Count":1,"ScannedCount":4,"Items":[{"x":` + big + `}]}`, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &meter{u: Usage{Requests: map[string]int{}}}
			m.describe = func(context.Context, string) (map[string]bool, error) {
				return map[string]bool{"GSI1PK": true, "GSI2PK": false}, nil
			}
			m.getItem = func(_ context.Context, _ string, key map[string]json.RawMessage) (map[string]json.RawMessage, error) {
				var k struct{ S string }
				_ = json.Unmarshal(key["PK"], &k)
				var item map[string]json.RawMessage
				err := json.Unmarshal([]byte(stored[k.S]), &item)
				return item, err
			}
			rt := &metered{m: m, next: answer{tc.status, tc.out}}
			req, _ := http.NewRequestWithContext(context.WithValue(t.Context(), doorKey{}, true), http.MethodPost, "http://gate/", bytes.NewReader([]byte(tc.in)))
			req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+tc.op)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			if body, _ := io.ReadAll(resp.Body); string(body) != tc.out {
				t.Errorf("the answer was changed: %s", body)
			}
			u := m.snapshot(t.Context())
			if u.WriteUnits != tc.write || u.ReadUnits != tc.read {
				t.Errorf("got %v write and %v read units, want %v and %v", u.WriteUnits, u.ReadUnits, tc.write, tc.read)
			}
			if u.Requests["dynamodb "+tc.op] != 1 {
				t.Errorf("requests %v, want one %s", u.Requests, tc.op)
			}
		})
	}
}

func TestMeteredCountsSQSChunksAndSESRecipients(t *testing.T) {
	m := &meter{u: Usage{Requests: map[string]int{}}}
	rt := &metered{m: m, next: answer{200, `{}`}}
	send := func(door bool, target, path, body string) {
		req, _ := http.NewRequestWithContext(context.WithValue(t.Context(), doorKey{}, door), http.MethodPost, "http://gate"+path, strings.NewReader(body))
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		req.Header.Set("Content-Type", "application/json")
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	send(true, "AmazonSQS.SendMessage", "/", `{"MessageBody":"`+strings.Repeat("x", 100<<10)+`"}`) // 2 chunks
	send(false, "AmazonSQS.ReceiveMessage", "/", `{}`)                                             // a poller's: billed
	send(false, "AmazonSQS.SendMessage", "/", `{}`)                                                // a test's own: not counted
	send(true, "", "/v2/email/outbound-emails", `{"Destination":{"ToAddresses":["a@x","b@x"],"CcAddresses":["c@x"]}}`)
	u := m.snapshot(t.Context())
	if u.SQSRequests != 3 || u.Requests["sqs SendMessage"] != 1 || u.Requests["sqs ReceiveMessage"] != 1 {
		t.Errorf("SQS: %d billed requests, %v; want 3, one send and one receive", u.SQSRequests, u.Requests)
	}
	if u.SESEmails != 3 || u.Requests["ses SendEmail"] != 1 {
		t.Errorf("SES: %d emails, %v; want 3 in one request", u.SESEmails, u.Requests)
	}
}
