package local

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Usage is what the stack's functions asked of AWS and of Lambda since
// the stack started, the billable quantities of each service as AWS
// counts them (Stack.Usage). It counts the functions' own calls (their
// AWS_ENDPOINT_URL door of the gate), the SQS calls of the pollers that
// stand in for Lambda's event source mappings (AWS bills those polls to
// the account), the HTTP API's requests and the functions' invocations;
// not a test's or a command's own DynamoDB or SES requests. Counted only
// with Config.Meter.
type Usage struct {
	// Requests counts AWS API requests by "service Operation", e.g.
	// "dynamodb TransactWriteItems", "sqs ReceiveMessage", "ses SendEmail".
	Requests map[string]int
	// WriteUnits and ReadUnits are DynamoDB on-demand write and read
	// request units, computed from item sizes by DynamoDB's published
	// rules (moto does not size them): a write costs one unit per KB
	// (rounded up) of the item after it (read when the usage is read), twice in a transaction, plus as
	// many again for each global secondary index the item is in
	// (projection ALL; otherwise one unit);
	// a read one unit per 4 KB of the items read, half for an eventually
	// consistent read, twice in a transaction. Item sizes follow
	// DynamoDB's "Item sizes and formats" (ItemSize).
	WriteUnits, ReadUnits float64
	// SQSRequests is SQS's billed requests: each 64 KB chunk of a
	// request's payload is one.
	SQSRequests int
	// SESEmails is the emails SES sent, one per recipient, as SES bills.
	SESEmails int
	// Invocations counts each function's invocations, by logical id.
	Invocations map[string]int
	// Duration is each function's billed time in total: from the moment
	// a process took an invocation to its answer, rounded up to the
	// millisecond per invocation, as Lambda bills it; a timed-out one is
	// billed its timeout.
	Duration map[string]time.Duration
	// APIRequests is the HTTP API's requests that reached a function.
	APIRequests int
	// LogBytes is the bytes the functions wrote to their logs (what
	// CloudWatch Logs ingests).
	LogBytes int64
}

// Sub returns u minus earlier, for the usage between two snapshots.
func (u Usage) Sub(earlier Usage) Usage {
	d := Usage{Requests: map[string]int{}, Invocations: map[string]int{}, Duration: map[string]time.Duration{},
		WriteUnits: u.WriteUnits - earlier.WriteUnits, ReadUnits: u.ReadUnits - earlier.ReadUnits,
		SQSRequests: u.SQSRequests - earlier.SQSRequests, SESEmails: u.SESEmails - earlier.SESEmails,
		APIRequests: u.APIRequests - earlier.APIRequests, LogBytes: u.LogBytes - earlier.LogBytes}
	for k, v := range u.Requests {
		if n := v - earlier.Requests[k]; n != 0 {
			d.Requests[k] = n
		}
	}
	for k, v := range u.Invocations {
		if n := v - earlier.Invocations[k]; n != 0 {
			d.Invocations[k] = n
			d.Duration[k] = u.Duration[k] - earlier.Duration[k]
		}
	}
	return d
}

// meter counts Usage. Its methods are safe for concurrent use.
type meter struct {
	mu sync.Mutex
	u  Usage

	// The table's global secondary indexes, read once: hash key
	// attribute → projection ALL.
	indexOnce sync.Once
	indexes   map[string]bool
	describe  func(ctx context.Context, table string) (map[string]bool, error)
	getItem   func(ctx context.Context, table string, key map[string]json.RawMessage) (map[string]json.RawMessage, error)
	pending   []pendingWrite // writes sized when the usage is read
}

func newMeter(cfg aws.Config) *meter {
	client := dynamodb.NewFromConfig(cfg)
	m := &meter{u: Usage{Requests: map[string]int{}, Invocations: map[string]int{}, Duration: map[string]time.Duration{}}}
	m.describe = func(ctx context.Context, table string) (map[string]bool, error) {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
		if err != nil {
			return nil, err
		}
		idx := map[string]bool{}
		for _, g := range out.Table.GlobalSecondaryIndexes {
			if len(g.KeySchema) > 0 && g.Projection != nil {
				idx[aws.ToString(g.KeySchema[0].AttributeName)] = g.Projection.ProjectionType == "ALL"
			}
		}
		return idx, nil
	}
	m.getItem = func(ctx context.Context, table string, key map[string]json.RawMessage) (map[string]json.RawMessage, error) {
		// The low-level JSON protocol, to keep the item as DynamoDB JSON.
		body, _ := json.Marshal(map[string]any{"TableName": table, "Key": key, "ConsistentRead": true})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, aws.ToString(cfg.BaseEndpoint), bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var out struct{ Item map[string]json.RawMessage }
		return out.Item, json.NewDecoder(resp.Body).Decode(&out)
	}
	return m
}

func (m *meter) snapshot(ctx context.Context) Usage {
	if m == nil {
		return Usage{}
	}
	m.resolve(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.u
	u.Requests, u.Invocations, u.Duration = maps.Clone(u.Requests), maps.Clone(u.Invocations), maps.Clone(u.Duration)
	return u
}

func (m *meter) add(f func(u *Usage)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(&m.u)
}

// invoked counts one invocation of function that ran for d.
func (m *meter) invoked(function string, d time.Duration) {
	if m == nil {
		return
	}
	billed := time.Duration(math.Ceil(float64(d)/float64(time.Millisecond))) * time.Millisecond
	m.add(func(u *Usage) { u.Invocations[function]++; u.Duration[function] += billed })
}

// requested counts one request of the HTTP API.
func (m *meter) requested() {
	if m != nil {
		m.add(func(u *Usage) { u.APIRequests++ })
	}
}

// Write counts log bytes: the meter is also the functions' log writer's tee.
func (m *meter) Write(p []byte) (int, error) {
	m.add(func(u *Usage) { u.LogBytes += int64(len(p)) })
	return len(p), nil
}

// metered counts the requests that pass through it: the functions'
// (their door), and the pollers' SQS requests (either door).
type metered struct {
	m    *meter
	next http.RoundTripper
}

func (mt *metered) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	svc := service(req, body)
	op := operation(req)
	if svc == "ses" {
		op = "SendEmail"
	}
	if svc == "" || (!faulty(req) && svc != "sqs") || (svc == "sqs" && !faulty(req) && !polling(op)) {
		return mt.next.RoundTrip(req)
	}
	resp, err := mt.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	ok := resp.StatusCode < 300
	switch svc {
	case "dynamodb":
		w, r := mt.dynamoUnits(req.Context(), op, body, out, ok)
		mt.m.add(func(u *Usage) { u.Requests["dynamodb "+op]++; u.WriteUnits += w; u.ReadUnits += r })
	case "sqs", "sqs-query":
		chunks := max(1, (len(body)+64<<10-1)/(64<<10))
		mt.m.add(func(u *Usage) { u.Requests["sqs "+op]++; u.SQSRequests += chunks })
	case "ses":
		n := 0
		if ok {
			n = recipients(body)
		}
		mt.m.add(func(u *Usage) { u.Requests["ses SendEmail"]++; u.SESEmails += n })
	}
	return resp, nil
}

// polling reports whether an SQS operation is one of an event source
// mapping's.
func polling(op string) bool {
	switch op {
	case "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch":
		return true
	}
	return false
}

// recipients counts the addresses of an SES v2 SendEmail request.
func recipients(body []byte) int {
	var in struct {
		Destination struct{ ToAddresses, CcAddresses, BccAddresses []string }
	}
	if json.Unmarshal(body, &in) != nil {
		return 1
	}
	d := in.Destination
	return max(1, len(d.ToAddresses)+len(d.CcAddresses)+len(d.BccAddresses))
}

// dynamoUnits returns the write and read units of one DynamoDB request
// and its answer (see Usage). A request that failed a condition still
// consumes its write units, as DynamoDB's does; one refused before it
// reached the table (throttled, a server error) consumes none.
func (mt *metered) dynamoUnits(ctx context.Context, op string, in, out []byte, ok bool) (write, read float64) {
	var req struct {
		TableName      string
		Item, Key      map[string]json.RawMessage
		ConsistentRead bool
		TransactItems  []map[string]struct {
			TableName string
			Item, Key map[string]json.RawMessage
		}
		RequestItems map[string]json.RawMessage
	}
	var resp struct {
		Item      map[string]json.RawMessage
		Items     []map[string]json.RawMessage
		Responses json.RawMessage
		Count     int
		Scanned   int `json:"ScannedCount"`
	}
	_ = json.Unmarshal(in, &req)
	_ = json.Unmarshal(out, &resp)
	conditional := !ok && bytes.Contains(out, []byte("ConditionalCheckFailed"))
	if !ok && !conditional && !bytes.Contains(out, []byte("TransactionCanceled")) {
		return 0, 0
	}
	factor := 0.5
	if req.ConsistentRead {
		factor = 1
	}
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem":
		return mt.writeUnits(ctx, req.TableName, req.Key, req.Item, 1, true), 0
	case "TransactWriteItems":
		for _, action := range req.TransactItems {
			for kind, a := range action {
				write += mt.writeUnits(ctx, a.TableName, a.Key, a.Item, 2, kind != "ConditionCheck")
			}
		}
		return write, 0
	case "GetItem":
		return 0, factor * readUnits(ItemSize(resp.Item))
	case "Query", "Scan":
		size := 0
		for _, it := range resp.Items {
			size += ItemSize(it)
		}
		if resp.Count > 0 && resp.Scanned > resp.Count { // filtered: DynamoDB bills what it read
			size = size * resp.Scanned / resp.Count
		}
		return 0, factor * readUnits(size)
	case "TransactGetItems", "BatchGetItem":
		var r struct {
			Responses json.RawMessage
		}
		_ = json.Unmarshal(out, &r)
		var tx []struct{ Item map[string]json.RawMessage }
		if json.Unmarshal(r.Responses, &tx) == nil {
			for _, it := range tx {
				read += 2 * readUnits(ItemSize(it.Item))
			}
			return 0, read
		}
		var batch map[string][]map[string]json.RawMessage
		if json.Unmarshal(r.Responses, &batch) == nil {
			for _, items := range batch {
				for _, it := range items {
					read += factor * readUnits(ItemSize(it))
				}
			}
		}
		return 0, read
	}
	return 0, 0
}

// writeUnits is one item's write units (see Usage), times factor (2 in
// a transaction) for the table and once for each index the item is in,
// sized by the request's item, or, for a write that names only the key
// (an update, a delete, a condition check), by the item as it is when
// the usage is read (meter.resolve): reading it back now would double
// the table's traffic on the functions' path.
func (mt *metered) writeUnits(ctx context.Context, table string, key, item map[string]json.RawMessage, factor float64, indexed bool) float64 {
	m := mt.m
	m.indexOnce.Do(func() {
		if idx, err := m.describe(ctx, table); err == nil {
			m.indexes = idx
		}
	})
	if item == nil {
		m.mu.Lock()
		m.pending = append(m.pending, pendingWrite{table: table, key: key, factor: factor, indexed: indexed})
		m.mu.Unlock()
		return 0
	}
	return m.units(item, factor, indexed)
}

// units is the write units of an item of that size (see Usage).
func (m *meter) units(item map[string]json.RawMessage, factor float64, indexed bool) float64 {
	units := math.Max(1, math.Ceil(float64(ItemSize(item))/1024))
	total := factor * units
	if !indexed {
		return total
	}
	for attr, all := range m.indexes {
		if _, in := item[attr]; !in {
			continue
		}
		if all {
			total += units
		} else {
			total++
		}
	}
	return total
}

// pendingWrite is a write to be sized when the usage is read.
type pendingWrite struct {
	table   string
	key     map[string]json.RawMessage
	factor  float64
	indexed bool
}

// resolve sizes the pending writes by the items as they are now (an item
// gone since: its key), each item read once.
func (m *meter) resolve(ctx context.Context) {
	m.mu.Lock()
	pending := m.pending
	m.pending = nil
	m.mu.Unlock()
	items := map[string]map[string]json.RawMessage{}
	var units float64
	for _, w := range pending {
		id, _ := json.Marshal(w.key)
		item, ok := items[w.table+string(id)]
		if !ok {
			got, err := m.getItem(ctx, w.table, w.key)
			if err != nil || got == nil {
				got = w.key
			}
			item, items[w.table+string(id)] = got, got
		}
		units += m.units(item, w.factor, w.indexed)
	}
	m.add(func(u *Usage) { u.WriteUnits += units })
}

func readUnits(size int) float64 { return math.Max(1, math.Ceil(float64(size)/4096)) }

// ItemSize returns the size in bytes of an item in DynamoDB JSON, by
// DynamoDB's rules ("Item sizes and formats" in the DynamoDB developer
// guide): each attribute's name in UTF-8 plus its value: a string its
// UTF-8 bytes, a number about one byte per two significant digits plus
// one, binary its bytes, a boolean or null one byte, a list or map 3
// bytes plus one per element plus its elements (and, for a map, their
// names), a set its elements.
func ItemSize(item map[string]json.RawMessage) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(raw json.RawMessage) int {
	var v map[string]json.RawMessage
	if json.Unmarshal(raw, &v) != nil {
		return 0
	}
	n := 0
	for kind, val := range v {
		switch kind {
		case "S":
			var s string
			_ = json.Unmarshal(val, &s)
			n += len(s)
		case "N":
			var s string
			_ = json.Unmarshal(val, &s)
			n += numberSize(s)
		case "B":
			var s string
			_ = json.Unmarshal(val, &s)
			n += len(s) * 3 / 4 // base64
		case "BOOL", "NULL":
			n++
		case "SS", "NS", "BS":
			var ss []string
			_ = json.Unmarshal(val, &ss)
			for _, s := range ss {
				switch kind {
				case "NS":
					n += numberSize(s)
				case "BS":
					n += len(s) * 3 / 4
				default:
					n += len(s)
				}
			}
		case "L":
			var l []json.RawMessage
			_ = json.Unmarshal(val, &l)
			n += 3 + len(l)
			for _, e := range l {
				n += valueSize(e)
			}
		case "M":
			var m map[string]json.RawMessage
			_ = json.Unmarshal(val, &m)
			n += 3 + len(m) + ItemSize(m)
		}
	}
	return n
}

// numberSize is a number's size: about one byte per two significant
// digits, plus one.
func numberSize(s string) int {
	digits := strings.Trim(strings.NewReplacer("-", "", ".", "", "+", "").Replace(strings.ToLower(strings.SplitN(s, "e", 2)[0])), "0")
	return (utf8.RuneCountInString(digits)+1)/2 + 1
}
