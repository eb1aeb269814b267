package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Faults says which faults the gate injects into the functions' AWS
// calls, and how often, each in the shape AWS sends it so that the SDK
// and the code handle it as they would AWS's. The zero value injects
// none, and the gate then behaves as before. Only the functions' calls
// are faulted: the stack's own machinery (the SQS pollers standing in
// for Lambda's event source mappings, provisioning, seeding) and a
// test's own clients (Stack.AWS, Stack.Store) pass untouched, except by
// Overlap and Stack.Pause, which are what DynamoDB and a hung server do
// to everyone.
type Faults struct {
	// Seed seeds the random draws (0: 1). Draws interleave with the
	// requests' timing, so one seed gives the same rates, not the same
	// faults, from run to run.
	Seed int64
	// Overlap makes DynamoDB's optimistic concurrency real: a
	// TransactWriteItems that touches an item another transaction holds
	// (queued at the gate or being written) is cancelled with
	// TransactionConflict on that item, and a PutItem, UpdateItem or
	// DeleteItem of such an item fails with TransactionConflictException.
	// Without it the gate lets them wait their turn.
	Overlap bool
	// Conflict is the share of the functions' TransactWriteItems
	// cancelled with TransactionConflict on one item, at random.
	Conflict float64
	// Throttle is the share of the functions' DynamoDB requests
	// throttled (ProvisionedThroughputExceededException or
	// ThrottlingException, half each).
	Throttle float64
	// ServerError is the share of the functions' DynamoDB requests
	// answered 500 InternalServerError, before they reach the table.
	ServerError float64
	// SQSFail is the share of the functions' SQS requests answered 500
	// InternalError, before they reach the queue.
	SQSFail float64
	// SESFail is the share of the functions' SES requests refused, before
	// SES takes the email: 429 TooManyRequestsException ("Maximum sending
	// rate exceeded") or 500 InternalFailure, half each.
	SESFail float64
	// LatencyRate is the share of the functions' DynamoDB, SQS and SES
	// requests made slower by up to Latency: a DynamoDB request before it
	// reaches the table (it holds its items longer), an SQS or SES one
	// after the queue or SES took it (the answer is late: a caller that
	// gives up has sent it all the same).
	LatencyRate float64
	Latency     time.Duration
}

func (f Faults) any() bool {
	return f.Conflict > 0 || f.Throttle > 0 || f.ServerError > 0 || f.SQSFail > 0 || f.SESFail > 0 || (f.LatencyRate > 0 && f.Latency > 0)
}

// ParseFaults reads a fault mix written as make run's FAULTS takes it:
// comma-separated name:value pairs, e.g.
// "conflict:0.2,throttle:0.05,latency:2s@0.1,overlap,seed:7". Names:
// overlap, conflict, throttle, 500 (ServerError), sqs, ses (shares from 0
// to 1), latency (a duration, then @ and its share), seed. It returns an
// error naming the first pair it cannot read.
func ParseFaults(s string) (Faults, error) {
	var f Faults
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, ":")
		var err error
		share := func(p *float64) {
			if _, err = fmt.Sscanf(value, "%g", p); err == nil && (*p < 0 || *p > 1) {
				err = fmt.Errorf("a share from 0 to 1")
			}
		}
		switch name {
		case "overlap":
			f.Overlap = true
		case "conflict":
			share(&f.Conflict)
		case "throttle":
			share(&f.Throttle)
		case "500":
			share(&f.ServerError)
		case "sqs":
			share(&f.SQSFail)
		case "ses":
			share(&f.SESFail)
		case "seed":
			_, err = fmt.Sscanf(value, "%d", &f.Seed)
		case "latency":
			d, rate, ok := strings.Cut(value, "@")
			if f.Latency, err = time.ParseDuration(d); err == nil {
				f.LatencyRate = 1
				if ok {
					value = rate
					share(&f.LatencyRate)
				}
			}
		default:
			err = fmt.Errorf("unknown fault (overlap, conflict, throttle, 500, sqs, ses, latency, seed)")
		}
		if err != nil {
			return Faults{}, fmt.Errorf("faults %q: %s: %v", s, pair, err)
		}
	}
	return f, nil
}

// counter counts the faults injected, by kind.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[kind]++
}

func (c *counter) snapshot(into map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.n {
		into[k] += v
	}
}

// service tells which AWS service a request to the gate is for.
func service(req *http.Request, body []byte) string {
	target := req.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "DynamoDB_"):
		return "dynamodb"
	case strings.HasPrefix(target, "AmazonSQS."):
		return "sqs"
	case strings.HasPrefix(req.URL.Path, "/v2/email/"):
		return "ses"
	case strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		// The query protocol: SES v1 and older SQS clients.
		if bytes.Contains(body, []byte("Action=SendEmail")) || bytes.Contains(body, []byte("Action=SendRawEmail")) {
			return "ses"
		}
		if bytes.Contains(body, []byte("QueueUrl=")) || bytes.Contains(body, []byte("Action=SendMessage")) {
			return "sqs-query"
		}
	}
	return ""
}

// operation is the request's operation: "TransactWriteItems",
// "SendMessage"...
func operation(req *http.Request) string {
	t := req.Header.Get("X-Amz-Target")
	return t[strings.LastIndex(t, ".")+1:]
}

type doorKey struct{}

// faulty reports whether the request came through the functions' door.
func faulty(req *http.Request) bool {
	f, _ := req.Context().Value(doorKey{}).(bool)
	return f
}

// faultInjector answers a share of the functions' requests with the
// errors AWS answers with, and delays a share of them.
type faultInjector struct {
	f     Faults
	next  http.RoundTripper
	count *counter

	mu  sync.Mutex
	rnd *rand.Rand
}

func newFaultInjector(f Faults, next http.RoundTripper, count *counter) *faultInjector {
	seed := f.Seed
	if seed == 0 {
		seed = 1
	}
	return &faultInjector{f: f, next: next, count: count, rnd: rand.New(rand.NewPCG(uint64(seed), 0x5eed))}
}

// draw reports whether an event of probability p happens.
func (fi *faultInjector) draw(p float64) bool {
	if p <= 0 {
		return false
	}
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.rnd.Float64() < p
}

func (fi *faultInjector) intN(n int) int {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.rnd.IntN(n)
}

func (fi *faultInjector) latency() time.Duration {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return time.Duration(1 + fi.rnd.Int64N(int64(fi.f.Latency)))
}

func (fi *faultInjector) RoundTrip(req *http.Request) (*http.Response, error) {
	if !faulty(req) || !fi.f.any() {
		return fi.next.RoundTrip(req)
	}
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	svc := service(req, body)
	slow := fi.draw(fi.f.LatencyRate) && fi.f.Latency > 0
	switch svc {
	case "dynamodb":
		op := operation(req)
		switch {
		case op == "TransactWriteItems" && fi.draw(fi.f.Conflict):
			var in transactWrite
			if json.Unmarshal(body, &in) == nil && len(in.TransactItems) > 0 {
				fi.count.add("dynamodb TransactionConflict (at random)")
				conflicts := make([]bool, len(in.TransactItems))
				conflicts[fi.intN(len(conflicts))] = true
				return transactionCanceled(req, conflicts), nil
			}
		case fi.draw(fi.f.Throttle):
			if fi.draw(0.5) {
				fi.count.add("dynamodb ProvisionedThroughputExceededException")
				return jsonError(req, http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
					"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."), nil
			}
			fi.count.add("dynamodb ThrottlingException")
			return jsonError(req, http.StatusBadRequest, "com.amazon.coral.availability#ThrottlingException", "Rate of requests exceeds the allowed throughput."), nil
		case fi.draw(fi.f.ServerError):
			fi.count.add("dynamodb InternalServerError")
			return jsonError(req, http.StatusInternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error"), nil
		}
		if slow {
			fi.count.add("dynamodb latency")
			time.Sleep(fi.latency())
		}
		return fi.next.RoundTrip(req)
	case "sqs", "sqs-query":
		if fi.draw(fi.f.SQSFail) {
			fi.count.add("sqs InternalError")
			if svc == "sqs-query" {
				return xmlError(req, http.StatusInternalServerError, "Receiver", "InternalError", "We encountered an internal error. Please try again."), nil
			}
			resp := jsonError(req, http.StatusInternalServerError, "com.amazonaws.sqs#InternalError", "We encountered an internal error. Please try again.")
			resp.Header.Set("X-Amzn-Query-Error", "InternalError;Receiver")
			return resp, nil
		}
	case "ses":
		if fi.draw(fi.f.SESFail) {
			code, kind, msg := http.StatusTooManyRequests, "TooManyRequestsException", "Maximum sending rate exceeded."
			if fi.draw(0.5) {
				code, kind, msg = http.StatusInternalServerError, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure."
			}
			fi.count.add("ses " + kind)
			if !strings.HasPrefix(req.URL.Path, "/v2/") {
				return xmlError(req, code, "Receiver", kind, msg), nil
			}
			return restJSONError(req, code, kind, msg), nil
		}
	default:
		return fi.next.RoundTrip(req)
	}
	resp, err := fi.next.RoundTrip(req)
	if err == nil && slow {
		fi.count.add(svc[:3] + " latency")
		// The queue or SES took it; the answer is late.
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		time.Sleep(fi.latency())
	}
	return resp, err
}

// readBody reads the request's body and puts it back.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

func response(req *http.Request, code int, contentType string, body []byte) *http.Response {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-Requestid", fmt.Sprintf("local-fault-%d", time.Now().UnixNano()))
	return &http.Response{StatusCode: code, Status: fmt.Sprintf("%d %s", code, http.StatusText(code)), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req}
}

// jsonError is an error of the AWS JSON protocol (DynamoDB, SQS) as AWS
// writes it.
func jsonError(req *http.Request, code int, kind, message string) *http.Response {
	body, _ := json.Marshal(map[string]string{"__type": kind, "message": message})
	return dynamoSigned(response(req, code, "application/x-amz-json-1.0", body), body)
}

// restJSONError is an error of the REST-JSON protocol (SES v2).
func restJSONError(req *http.Request, code int, kind, message string) *http.Response {
	body, _ := json.Marshal(map[string]string{"message": message})
	resp := response(req, code, "application/json", body)
	resp.Header.Set("X-Amzn-Errortype", kind+":http://internal.amazon.com/coral/com.amazonaws.simpleemailv2/")
	return resp
}

// xmlError is an error of the query protocol (SES v1, SQS before JSON).
func xmlError(req *http.Request, code int, who, kind, message string) *http.Response {
	body := fmt.Sprintf(`<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>local-fault</RequestId></ErrorResponse>`, who, kind, message)
	return response(req, code, "text/xml", []byte(body))
}

// transactionCanceled is DynamoDB's answer to a transaction cancelled
// because other transactions hold some of its items: TransactionConflict
// on those, None on the others.
func transactionCanceled(req *http.Request, conflicts []bool) *http.Response {
	type reason struct {
		Code    string `json:"Code"`
		Message string `json:"Message,omitempty"`
	}
	reasons := make([]reason, len(conflicts))
	codes := make([]string, len(conflicts))
	for i, c := range conflicts {
		reasons[i], codes[i] = reason{Code: "None"}, "None"
		if c {
			reasons[i], codes[i] = reason{Code: "TransactionConflict", Message: "Transaction is ongoing for the item"}, "TransactionConflict"
		}
	}
	body, _ := json.Marshal(map[string]any{
		"__type":              "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
		"Message":             "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]",
		"CancellationReasons": reasons,
	})
	return dynamoSigned(response(req, http.StatusBadRequest, "application/x-amz-json-1.0", body), body)
}

// dynamoSigned adds the body's CRC32, as DynamoDB sends with every
// answer (SQS ignores it).
func dynamoSigned(resp *http.Response, body []byte) *http.Response {
	resp.Header.Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE(body)))
	return resp
}

// transactWrite is the part of a TransactWriteItems request that says
// which items it touches.
type transactWrite struct {
	TransactItems []map[string]struct {
		TableName string                     `json:"TableName"`
		Key       map[string]json.RawMessage `json:"Key"`
		Item      map[string]json.RawMessage `json:"Item"`
	} `json:"TransactItems"`
}

// plainWrite is the same of a PutItem, UpdateItem or DeleteItem.
type plainWrite struct {
	TableName string                     `json:"TableName"`
	Key       map[string]json.RawMessage `json:"Key"`
	Item      map[string]json.RawMessage `json:"Item"`
}

// overlaps keeps which items DynamoDB transactions hold, to make
// transactions that meet conflict as DynamoDB's optimistic concurrency
// makes them (Faults.Overlap).
type overlaps struct {
	next  http.RoundTripper // to moto, for a table's key schema
	count *counter

	mu      sync.Mutex
	held    map[string]int      // item (table and key) → transactions holding it
	schemas map[string][]string // table → key attribute names
}

// itemKey names one item: its table and its key's values.
func (o *overlaps) itemKey(ctx context.Context, req *http.Request, table string, key, item map[string]json.RawMessage) (string, error) {
	if key == nil {
		names, err := o.keySchema(ctx, req, table)
		if err != nil {
			return "", err
		}
		key = map[string]json.RawMessage{}
		for _, n := range names {
			key[n] = item[n]
		}
	}
	names := make([]string, 0, len(key))
	for n := range key {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(table)
	for _, n := range names {
		var v any
		_ = json.Unmarshal(key[n], &v) // canonical: the same value whatever its spacing
		c, _ := json.Marshal(v)
		fmt.Fprintf(&b, "|%s=%s", n, c)
	}
	return b.String(), nil
}

// keySchema returns a table's key attribute names, asking moto once.
func (o *overlaps) keySchema(ctx context.Context, req *http.Request, table string) ([]string, error) {
	o.mu.Lock()
	names, ok := o.schemas[table]
	o.mu.Unlock()
	if ok {
		return names, nil
	}
	body, _ := json.Marshal(map[string]string{"TableName": table})
	d, _ := http.NewRequestWithContext(ctx, http.MethodPost, req.URL.String(), bytes.NewReader(body))
	d.Header.Set("Content-Type", "application/x-amz-json-1.0")
	d.Header.Set("X-Amz-Target", "DynamoDB_20120810.DescribeTable")
	d.Header.Set("Authorization", req.Header.Get("Authorization")) // moto reads the region from it
	resp, err := o.next.RoundTrip(d)
	if err != nil {
		return nil, fmt.Errorf("describe table %s: %w", table, err)
	}
	defer resp.Body.Close()
	var out struct {
		Table struct {
			KeySchema []struct{ AttributeName string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Table.KeySchema) == 0 {
		return nil, fmt.Errorf("describe table %s: %d, no key schema (%v)", table, resp.StatusCode, err)
	}
	for _, k := range out.Table.KeySchema {
		names = append(names, k.AttributeName)
	}
	o.mu.Lock()
	if o.schemas == nil {
		o.schemas = map[string][]string{}
	}
	o.schemas[table] = names
	o.mu.Unlock()
	return names, nil
}

// admit decides a DynamoDB write against the transactions that hold
// items now. A transaction that meets none holds its items until release
// is called; one that meets some is answered with the cancellation
// DynamoDB gives (resp). A plain write of a held item is answered with
// TransactionConflictException. Anything else passes (resp nil). release
// is never nil.
func (o *overlaps) admit(req *http.Request, body []byte) (resp *http.Response, release func(), err error) {
	release = func() {}
	switch op := operation(req); op {
	case "TransactWriteItems":
		var in transactWrite
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, release, nil // moto will say what is wrong with it
		}
		keys := make([]string, len(in.TransactItems))
		for i, it := range in.TransactItems {
			for _, a := range it { // one of Put, Update, Delete, ConditionCheck
				if keys[i], err = o.itemKey(req.Context(), req, a.TableName, a.Key, a.Item); err != nil {
					return nil, release, err
				}
			}
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.held == nil {
			o.held = map[string]int{}
		}
		conflicts, any := make([]bool, len(keys)), false
		for i, k := range keys {
			conflicts[i] = o.held[k] > 0
			any = any || conflicts[i]
		}
		if any {
			o.count.add("dynamodb TransactionConflict (transactions met)")
			return transactionCanceled(req, conflicts), release, nil
		}
		for _, k := range keys {
			o.held[k]++
		}
		return nil, func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			for _, k := range keys {
				if o.held[k]--; o.held[k] == 0 {
					delete(o.held, k)
				}
			}
		}, nil
	case "PutItem", "UpdateItem", "DeleteItem":
		var in plainWrite
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, release, nil
		}
		k, err := o.itemKey(req.Context(), req, in.TableName, in.Key, in.Item)
		if err != nil {
			return nil, release, err
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.held[k] > 0 {
			o.count.add("dynamodb TransactionConflictException (" + op + " met a transaction)")
			return jsonError(req, http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#TransactionConflictException",
				"Transaction is ongoing for the item"), release, nil
		}
	}
	return nil, release, nil
}
