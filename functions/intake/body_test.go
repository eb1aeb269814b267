package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// TestBodiesAreRefusedWhole: a referral's body is held to the limits and
// the strict decoding every route has, whichever way it comes.
func TestBodiesAreRefusedWhole(t *testing.T) {
	tests := []struct {
		name   string
		change func(*events.APIGatewayV2HTTPRequest)
		want   int
		says   string
	}{
		{"a key given twice", func(e *events.APIGatewayV2HTTPRequest) {
			e.Body = strings.Replace(e.Body, `"area":"essex"`, `"area":"essex","area":"kent"`, 1)
		}, 422, `"field":"area"`},
		{"a key in another letter case", func(e *events.APIGatewayV2HTTPRequest) {
			e.Body = strings.Replace(e.Body, `"area":"essex"`, `"Area":"essex"`, 1)
		}, 422, `"field":"Area"`},
		{"data after the referral", func(e *events.APIGatewayV2HTTPRequest) { e.Body += ` {}` }, 400, "not valid JSON"},
		{"over 64 KiB in base64", func(e *events.APIGatewayV2HTTPRequest) {
			e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(e.Body+strings.Repeat(" ", maxBody))), true
		}, 413, "64 KiB or smaller"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, st, q := newHandler(io.Discard)
			code, _, raw := invoke(t, h, event(t, "post-referral.json", tt.change))
			if code != tt.want || !strings.Contains(raw, tt.says) {
				t.Errorf("got %d %.300s, want %d saying %s", code, raw, tt.want, tt.says)
			}
			if len(st.records) != 0 || len(q.sent) != 0 {
				t.Errorf("stored %d and queued %d, want none", len(st.records), len(q.sent))
			}
		})
	}
}

// TestFormTooLarge: the form's post has the same limit, answered with a
// page that says what to do, not a 5xx.
func TestFormTooLarge(t *testing.T) {
	h, st, _ := newHandler(io.Discard)
	ev, _ := json.Marshal(events.APIGatewayV2HTTPRequest{RouteKey: "POST /referrals/new",
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"},
		Body:    "perpetrator.firstName=" + strings.Repeat("a", maxBody)})
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 413 || !strings.Contains(resp.Body, "64 KiB") || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Errorf("got %d %v %.300s, want a 413 page saying 64 KiB", resp.StatusCode, resp.Headers, resp.Body)
	}
	if len(st.records) != 0 {
		t.Errorf("stored %d referrals, want none", len(st.records))
	}
}
