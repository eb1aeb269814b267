package local

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// gate is a reverse proxy in front of moto that lets one DynamoDB request
// through at a time.
//
// Why: moto makes a transaction "atomic" by copying the whole table first
// and restoring the copy when a condition fails. Two transactions that
// overlap can then restore each other's half-applied writes, so a
// cancelled allocation could leave its case behind (seen in
// TestStaleAllocationsAreRefused). DynamoDB's transactions are
// serializable; serializing DynamoDB requests makes moto behave as
// DynamoDB does. moto runs Python requests one at a time anyway, so the
// cost in throughput is small. SQS and SES requests pass straight through.
type gate struct {
	URL string
	srv *http.Server
}

func startGate(target string, logs io.Writer) (*gate, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = &serialDynamo{next: withSESEvents("http://"+l.Addr().String(), http.DefaultTransport)}
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil { // a caller that gave up (a stopping poller) is no error
			fmt.Fprintf(logs, "gate: %s %s: %v\n", r.Method, r.Header.Get("X-Amz-Target"), err)
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	g := &gate{URL: "http://" + l.Addr().String(), srv: &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}}
	go g.srv.Serve(l)
	return g, nil
}

func (g *gate) close() {
	if g != nil {
		_ = g.srv.Close()
	}
}

type serialDynamo struct {
	mu   sync.Mutex
	next http.RoundTripper
}

func (s *serialDynamo) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_") {
		return s.next.RoundTrip(req)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp, err := s.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	// Hold the gate until the whole answer is read.
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
