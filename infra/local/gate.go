package local

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// gate is a reverse proxy in front of moto that lets one DynamoDB request
// through at a time, and injects the faults AWS makes (Faults).
//
// Why serialize: moto makes a transaction "atomic" by copying the whole
// table first and restoring the copy when a condition fails. Two
// transactions that overlap can then restore each other's half-applied
// writes, so a cancelled allocation could leave its case behind (seen in
// TestStaleAllocationsAreRefused). DynamoDB's transactions are
// serializable; serializing DynamoDB requests makes moto behave as
// DynamoDB does. moto runs Python requests one at a time anyway, so the
// cost in throughput is small. SQS and SES requests pass straight
// through. Transactions that meet are not serialized away when
// Faults.Overlap is set: the later one is cancelled, as in DynamoDB.
//
// It has two doors: URL for the stack's own machinery and the tests'
// clients, and FunctionsURL, the functions' AWS_ENDPOINT_URL, whose
// requests the faults are injected into.
type gate struct {
	URL          string
	FunctionsURL string
	srvs         []*http.Server
	count        *counter
	dynamo       *serialDynamo
	injector     *faultInjector
	meter        *meter // nil unless metered

	mu          sync.Mutex
	pausedUntil time.Time
	resumed     chan struct{} // closed when the pause ends
}

func startGate(target string, faults Faults, metering bool, logs io.Writer) (*gate, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	g := &gate{count: &counter{}}
	// The doors first: a wrapper may need the gate's own URL.
	var doors []net.Listener
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, d := range doors {
				d.Close()
			}
			return nil, err
		}
		doors = append(doors, l)
	}
	g.URL, g.FunctionsURL = "http://"+doors[0].Addr().String(), "http://"+doors[1].Addr().String()

	// The transport, from moto outwards: each wrapper sees only what the
	// ones outside it let through.
	var rt http.RoundTripper = http.DefaultTransport
	// SES's events for what reached moto (sesevents.go): seen only for
	// emails moto took, as SES publishes only for those.
	rt = withSESEvents(g.URL, rt)
	g.dynamo = &serialDynamo{next: rt}
	if faults.Overlap {
		g.dynamo.overlaps = &overlaps{next: rt, count: g.count}
	}
	g.injector = newFaultInjector(faults, g.dynamo, g.count)
	rt = &held{g: g, next: g.injector}
	if metering {
		g.meter = newMeter(aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), BaseEndpoint: aws.String(g.URL)})
		rt = &metered{m: g.meter, next: rt}
	}

	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = rt
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil { // a caller that gave up (a stopping poller) is no error
			fmt.Fprintf(logs, "gate: %s %s: %v\n", r.Method, r.Header.Get("X-Amz-Target"), err)
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	for i, l := range doors {
		functions := i == 1 // the functions' door: faults are injected there
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), doorKey{}, functions)))
		})
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
		g.srvs = append(g.srvs, srv)
		go srv.Serve(l)
	}
	return g, nil
}

func (g *gate) close() {
	if g != nil {
		for _, s := range g.srvs {
			_ = s.Close()
		}
	}
}

// pause holds every request that reaches the gate, from either door,
// until d has passed, as a hung AWS API server would. Requests already
// being answered finish.
func (g *gate) pause(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	until := time.Now().Add(d)
	if until.Before(g.pausedUntil) {
		return
	}
	g.pausedUntil = until
	if g.resumed == nil {
		g.resumed = make(chan struct{})
		resumed := g.resumed
		go func() {
			for {
				g.mu.Lock()
				left := time.Until(g.pausedUntil)
				if left <= 0 {
					g.resumed = nil
					g.mu.Unlock()
					close(resumed)
					return
				}
				g.mu.Unlock()
				time.Sleep(left)
			}
		}()
	}
	g.count.add("aws paused")
}

// held waits out a pause, then passes the request on. A request the
// gate took is carried out even when its caller gives up (it reached
// AWS; its answer is lost), as it would be by AWS.
type held struct {
	g    *gate
	next http.RoundTripper
}

func (h *held) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.WithContext(context.WithoutCancel(req.Context()))
	h.g.mu.Lock()
	resumed := h.g.resumed
	h.g.mu.Unlock()
	if resumed != nil {
		h.g.count.add("aws request held by the pause")
		<-resumed
	}
	return h.next.RoundTrip(req)
}

// serialDynamo lets one DynamoDB request reach moto at a time; with
// overlaps, transactions that meet conflict instead of waiting.
type serialDynamo struct {
	mu       sync.Mutex
	next     http.RoundTripper
	overlaps *overlaps
}

func (s *serialDynamo) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_") {
		return s.next.RoundTrip(req)
	}
	if s.overlaps != nil {
		body, err := readBody(req)
		if err != nil {
			return nil, err
		}
		refused, release, err := s.overlaps.admit(req, body)
		if err != nil {
			return nil, err
		}
		defer release()
		if refused != nil {
			return refused, nil
		}
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
	if resp.Header.Get("X-Amz-Crc32") == "" {
		// DynamoDB signs every answer so; the SDK checks it, and warns
		// of moto's answers without one.
		resp.Header.Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE(body)))
	}
	return resp, nil
}
