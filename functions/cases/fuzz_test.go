package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzBody: any body sent to a case route (accept, close, withdraw,
// reallocate; route picks one) by a caller who may act is taken (2xx) or
// refused as the client's mistake (4xx), never a 5xx or an error logged.
func FuzzBody(f *testing.F) {
	raw, err := os.ReadFile("testdata/post-close.json")
	if err != nil {
		f.Fatal(err)
	}
	var base events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &base); err != nil {
		f.Fatal(err)
	}
	base.PathParameters = map[string]string{"id": ref, "reference": ref}
	base.RequestContext.Authorizer.JWT.Claims = map[string]string{"sub": "officer-sam-taylor", "roles": "[officer case-manager area-lead]"}
	routes := []string{accept, closeCase, withdraw, reallocate}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		var logs bytes.Buffer
		h, _ := newHandler(&logs)
		req := base
		req.RouteKey = routes[int(route)%len(routes)]
		req.Body = string(body)
		if !utf8.Valid(body) {
			req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
		resp, err := h.Handle(context.Background(), req)
		if err != nil {
			t.Fatalf("got %v, want an HTTP answer", err)
		}
		if resp.StatusCode < 200 || resp.StatusCode >= 500 {
			t.Fatalf("%s with %q: got %d %.300s, want 2xx or 4xx", req.RouteKey, body, resp.StatusCode, resp.Body)
		}
		if strings.Contains(logs.String(), `"level":"ERROR"`) {
			t.Fatalf("%s with %q: got an error logged: %.500s", req.RouteKey, body, logs.String())
		}
	})
}
