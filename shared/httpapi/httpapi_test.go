package httpapi_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/httpapi"
)

func TestBody(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		req     events.APIGatewayV2HTTPRequest
		want    string
		tooBig  bool
		wantErr bool
	}{
		{"text", events.APIGatewayV2HTTPRequest{Body: `{"a":1}`}, `{"a":1}`, false, false},
		{"text at the limit", events.APIGatewayV2HTTPRequest{Body: strings.Repeat("a", 16)}, strings.Repeat("a", 16), false, false},
		{"text over the limit", events.APIGatewayV2HTTPRequest{Body: strings.Repeat("a", 17)}, "", true, true},
		{"base64", events.APIGatewayV2HTTPRequest{Body: b64(`{"a":1}`), IsBase64Encoded: true}, `{"a":1}`, false, false},
		{"base64 over the limit once decoded", events.APIGatewayV2HTTPRequest{Body: b64(strings.Repeat("a", 17)), IsBase64Encoded: true}, "", true, true},
		{"not base64", events.APIGatewayV2HTTPRequest{Body: `{"a":1}`, IsBase64Encoded: true}, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := httpapi.Body(tt.req, 16)
			if string(got) != tt.want || errors.Is(err, httpapi.ErrTooLarge) != tt.tooBig || (err != nil) != tt.wantErr {
				t.Errorf("got %q, %v; want %q, too large %v, error %v", got, err, tt.want, tt.tooBig, tt.wantErr)
			}
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	type ask struct {
		Reason string `json:"reason"`
	}
	const asJSON = "application/json"
	tests := []struct {
		body, contentType string
		status            int
		says              string
	}{
		{`{"reason": "x"}`, asJSON, 0, ""},
		{`{"reason": "x"}`, "application/json; charset=utf-8", 0, ""},
		{`{"reason": "` + strings.Repeat("x", 8<<10) + `"}`, asJSON, 413, "an ask must be 8 KiB or smaller"},
		{`{"Reason": "x"}`, asJSON, 422, `"field":"Reason"`},
		{`{"reason": "x"} {}`, asJSON, 400, `Send an ask as one JSON object, like {\"reason\": \"...\"}: unexpected data after the JSON object`},
		// Not said to be JSON: a form post, text/plain from another site, none.
		{`{"reason": "x"}`, "text/plain", 415, "Content-Type: application/json"},
		{`reason=x`, "application/x-www-form-urlencoded", 415, "Content-Type: application/json"},
		{`{"reason": "x"}`, "", 415, "Content-Type: application/json"},
	}
	for _, tt := range tests {
		var v ask
		req := events.APIGatewayV2HTTPRequest{Body: tt.body, Headers: map[string]string{"content-type": tt.contentType}}
		res, ok := httpapi.DecodeJSON(req, 8<<10, &v, "an ask", `{"reason": "..."}`)
		if ok != (tt.status == 0) || res.StatusCode != tt.status || !strings.Contains(res.Body, tt.says) {
			t.Errorf("%.40s: got %v %d %s, want %d saying %s", tt.body, ok, res.StatusCode, res.Body, tt.status, tt.says)
		}
	}
}
