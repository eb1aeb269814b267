package local_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// openAPICheck is an HTTP transport that checks every request the tests
// send, and every response they get, against functions/intake/openapi.yaml:
// responses always; requests when the API accepted them (the tests send
// invalid ones on purpose).
type openAPICheck struct {
	router routers.Router
	next   http.RoundTripper

	mu       sync.Mutex
	checked  int
	problems []string
}

func newOpenAPICheck(path string) (*openAPICheck, error) {
	// Pages and styles are checked as strings.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/css", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/svg+xml", openapi3filter.FileBodyDecoder)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("%s is not valid OpenAPI: %w", path, err)
	}
	doc.Servers = nil // match paths on whatever port the stack has
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &openAPICheck{router: router, next: http.DefaultTransport}, nil
}

func (c *openAPICheck) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil || stack == nil || "http://"+displayHost(req.URL.Host) != stack.URL || req.URL.Path == "/local/outbox" {
		return resp, err // not the API: moto, or the local outbox
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	c.check(req, reqBody, resp, respBody)
	return resp, nil
}

func (c *openAPICheck) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked++
	what := req.Method + " " + req.URL.Path
	probe := req.Clone(context.Background())
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := c.router.FindRoute(probe)
	if err != nil {
		if resp.StatusCode != http.StatusNotFound {
			c.problems = append(c.problems, fmt.Sprintf("%s: not in the description but answered %d", what, resp.StatusCode))
		}
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
	if resp.StatusCode < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			c.problems = append(c.problems, fmt.Sprintf("%s: accepted (%d) a request the description refuses: %v", what, resp.StatusCode, err))
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.problems = append(c.problems, fmt.Sprintf("%s: response %d does not match the description: %v", what, resp.StatusCode, err))
	}
}

func displayHost(h string) string { return strings.Replace(h, "127.0.0.1", "localhost", 1) }
