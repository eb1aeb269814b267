package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestTheFaviconIsServed (the fresh tester's fault: /favicon.ico answered a
// JSON 404): browsers ask for /favicon.ico whatever a page links, on every
// function's pages; it answers the pages' icon, as /assets/favicon.svg
// does.
func TestTheFaviconIsServed(t *testing.T) {
	h, _, _ := newHandler(io.Discard)
	for route, path := range map[string]string{"GET /favicon.ico": "/favicon.ico", "GET /assets/{file}": "/assets/favicon.svg"} {
		ev, _ := json.Marshal(events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: route, RawPath: path, PathParameters: map[string]string{"file": "favicon.svg"}})
		resp := call(t, h, ev)
		if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "image/svg+xml" || !strings.HasPrefix(resp.Body, "<svg") {
			t.Errorf("%s: got %d %q %.40q, want 200 and the SVG icon", path, resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
		}
	}
}
