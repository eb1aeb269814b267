package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
)

// fuzzRequest is the put-area fixture, sent by an admin who also leads
// kent, to route.
func fuzzRequest(f *testing.F, route string) events.APIGatewayV2HTTPRequest {
	raw, err := os.ReadFile("testdata/put-area.json")
	if err != nil {
		f.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		f.Fatal(err)
	}
	req.RouteKey = route
	req.PathParameters = map[string]string{"area": "kent", "id": "kent-cm1"}
	req.RequestContext.Authorizer.JWT.Claims["roles"] = "[admin area-lead]"
	return req
}

// leadStore is the fake store whose caller leads kent.
type leadStore struct{ *fakeStore }

func (leadStore) Staff(context.Context, string) (auth.Staff, error) {
	return auth.Staff{Leads: []string{"kent"}}, nil
}

// serve answers req and fails t for a 5xx or an error logged: whatever
// the client sends is taken (2xx) or refused as its mistake (4xx).
func serve(t *testing.T, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	var logs bytes.Buffer
	h := &handler{store: leadStore{&fakeStore{}}, queues: &fakeQueue{}, rolesClaim: "roles",
		log: slog.New(slog.NewJSONHandler(&logs, nil)), now: func() time.Time { return time.Date(2026, 11, 23, 10, 15, 30, 0, time.UTC) }}
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("got %v, want an HTTP answer", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 500 {
		t.Fatalf("%s: got %d %.300s, want 2xx or 4xx", req.RouteKey, resp.StatusCode, resp.Body)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Fatalf("%s: got an error logged: %.500s", req.RouteKey, logs.String())
	}
	return resp
}

// withBody is req with body, as API Gateway passes it.
func withBody(req events.APIGatewayV2HTTPRequest, body []byte) events.APIGatewayV2HTTPRequest {
	req.Body, req.IsBase64Encoded = string(body), false
	if !utf8.Valid(body) {
		req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return req
}

// FuzzAreaBody: any body PUT to /areas/kent by an admin is saved or
// refused as the client's mistake.
func FuzzAreaBody(f *testing.F) {
	base := fuzzRequest(f, putArea)
	f.Fuzz(func(t *testing.T, body []byte) { serve(t, withBody(base, body)) })
}

// FuzzCaseManagerBody: any body PUT to /areas/kent/case-managers/kent-cm1
// by an admin is saved or refused as the client's mistake.
func FuzzCaseManagerBody(f *testing.F) {
	base := fuzzRequest(f, putCaseManager)
	f.Fuzz(func(t *testing.T, body []byte) { serve(t, withBody(base, body)) })
}

// FuzzReportQuery: any query on GET /reports/summary (area, and whatever
// else a client adds, like a date range the report does not take) by
// kent's lead is answered with the report or refused as the client's
// mistake: 400 without a well-formed area, 403 for another's, 404 for
// none.
func FuzzReportQuery(f *testing.F) {
	base := fuzzRequest(f, "GET /reports/summary")
	base.Body = ""
	f.Fuzz(func(t *testing.T, query string) {
		req := base
		req.RawQueryString = query
		req.QueryStringParameters = map[string]string{}
		// API Gateway joins a parameter given twice with commas.
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if d, err := url.QueryUnescape(v); err == nil {
				v = d
			}
			if old, ok := req.QueryStringParameters[k]; ok {
				v = old + "," + v
			}
			req.QueryStringParameters[k] = v
		}
		resp := serve(t, req)
		area := req.QueryStringParameters["area"]
		if resp.StatusCode == 200 && !strings.EqualFold(strings.TrimSpace(area), "kent") {
			t.Fatalf("area %q: got the report (200), want kent's only", area)
		}
	})
}
