package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/htmlcheck"
	"github.com/driveprogramme/referrals/shared/httpapi"
	"github.com/driveprogramme/referrals/shared/referral"
)

// hungStore is the table hanging, as when the AWS API server is paused:
// once hung, every call waits until its context ends. It notes each
// call's deadline.
type hungStore struct {
	*fakeStore
	mu sync.Mutex
	// hung hangs the referrals' and areas' calls; staffHung, the
	// lookup of who is calling as well.
	hung, staffHung bool
	deadlines       []time.Time
}

func (s *hungStore) wait(ctx context.Context) error {
	return s.hang(ctx, func() bool { return s.hung })
}

func (s *hungStore) Staff(ctx context.Context, email string) (auth.Staff, error) {
	if err := s.hang(ctx, func() bool { return s.staffHung }); err != nil {
		return auth.Staff{}, err
	}
	return s.fakeStore.Staff(ctx, email)
}

// hang waits until ctx ends when hung says so, noting its deadline.
func (s *hungStore) hang(ctx context.Context, hung func() bool) error {
	s.mu.Lock()
	h := hung()
	if h {
		d, _ := ctx.Deadline()
		s.deadlines = append(s.deadlines, d)
	}
	s.mu.Unlock()
	if !h {
		return nil
	}
	<-ctx.Done()
	return fmt.Errorf("call the table: %w", ctx.Err())
}

func (s *hungStore) KeyResult(ctx context.Context, key string) (string, string, error) {
	if err := s.wait(ctx); err != nil {
		return "", "", err
	}
	return s.fakeStore.KeyResult(ctx, key)
}

func (s *hungStore) SamePerpetrator(ctx context.Context, r referral.Referral) ([]referral.Summary, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.fakeStore.SamePerpetrator(ctx, r)
}

func (s *hungStore) Create(ctx context.Context, n dynamo.NewReferral) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.fakeStore.Create(ctx, n)
}

func (s *hungStore) Areas(ctx context.Context) ([]eligibility.Area, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.fakeStore.Areas(ctx)
}

func (s *hungStore) Referral(ctx context.Context, ref string) (referral.Record, error) {
	if err := s.wait(ctx); err != nil {
		return referral.Record{}, err
	}
	return s.fakeStore.Referral(ctx, ref)
}

// callBefore runs the handler as Lambda would, with the invocation's
// deadline, and says whether it answered before that deadline.
func callBefore(t *testing.T, h *handler, ev events.APIGatewayV2HTTPRequest, deadline time.Time) (events.APIGatewayV2HTTPResponse, bool) {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	raw, _ := json.Marshal(ev)
	out, err := lambda.NewHandler(h.Handle).Invoke(ctx, raw)
	inTime := time.Now().Before(deadline)
	if err != nil {
		t.Fatalf("handler returned an error (API Gateway would answer 500): %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		for _, problem := range htmlcheck.Check([]byte(resp.Body)) {
			t.Errorf("%s answered %d with a faulty page: %s", ev.RouteKey, resp.StatusCode, problem)
		}
	}
	return resp, inTime
}

// TestHungTableIsAnswered503InTime: with the table hanging, a referral
// sent as JSON or with the form, and a status asked for, are answered
// 503 in our words before the invocation's deadline (Lambda would kill
// the function at it, and the officer would get a bare 500), with every
// call given up httpapi.Margin before it; the form comes back with every
// answer kept.
func TestHungTableIsAnswered503InTime(t *testing.T) {
	h, fake := pageHandler()
	st := &hungStore{fakeStore: fake}
	h.store, h.areaList = st, &areaList{}
	tb := newTab(t, h, "officer")
	form := completeForm(tb.openForm()) // the areas are read, before the table hangs
	st.hung = true

	var jsonReq events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event(t, "post-referral.json", nil), &jsonReq); err != nil {
		t.Fatal(err)
	}
	formReq := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST /referrals/new", RawPath: "/referrals/new",
		Headers: map[string]string{"host": "abc123.execute-api.eu-west-2.amazonaws.com", "content-type": "application/x-www-form-urlencoded"},
		Body:    form.Encode(), Cookies: []string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: "abc123.execute-api.eu-west-2.amazonaws.com",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: "/referrals/new"}}}
	for k, v := range tb.cookies {
		formReq.Cookies = append(formReq.Cookies, k+"="+v)
	}
	statusReq := jsonReq
	statusReq.RouteKey, statusReq.Body = "GET /referrals/{reference}", ""
	statusReq.PathParameters = map[string]string{"reference": refs[1]}

	formWants := []string{"govuk-notification-banner", unavailable,
		`name="perpetrator.lastName" type="text" value="Pages"`, `value="essex" checked`, ">Essex<"}
	tests := []struct {
		name string
		req  events.APIGatewayV2HTTPRequest
		// staffHung hangs the lookup of who is calling too.
		staffHung bool
		// want are what the answer must say.
		want []string
	}{
		{"referral as JSON", jsonReq, false, []string{`"message":"` + unavailable + `"`}},
		{"referral as JSON, the caller unknown", jsonReq, true, []string{`"message":"` + unavailable + `"`}},
		{"referral with the form", formReq, false, formWants},
		{"referral with the form, the caller unknown", formReq, true, formWants},
		{"status as JSON", statusReq, false, []string{"cannot be read just now: please try again in a minute"}},
		{"status as JSON, the caller unknown", statusReq, true, []string{"please try again in a minute"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st.mu.Lock()
			st.deadlines, st.staffHung = nil, tt.staffHung
			st.mu.Unlock()
			deadline := time.Now().Add(httpapi.Margin + time.Second)
			resp, inTime := callBefore(t, h, tt.req, deadline)
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("got %d, want 503", resp.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(resp.Body, w) {
					t.Errorf("got an answer without %q:\n%s", w, resp.Body)
				}
			}
			if !inTime {
				t.Errorf("got the answer after the invocation's deadline, want it before")
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			if len(st.deadlines) == 0 {
				t.Errorf("got no call to the hung table, want at least one")
			}
			for _, d := range st.deadlines {
				if d.IsZero() || d.After(deadline.Add(-httpapi.Margin)) {
					t.Errorf("got a call with deadline %v, want one at least %v before the invocation's %v", d, httpapi.Margin, deadline)
				}
			}
		})
	}
}
