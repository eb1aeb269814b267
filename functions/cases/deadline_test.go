package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/httpapi"
	"github.com/driveprogramme/referrals/shared/referral"
)

// hungStore is the table hanging once the caller is known: every read of
// a referral waits until its context ends.
type hungStore struct{ *fakeStore }

func (hungStore) Referral(ctx context.Context, _ string) (referral.Record, error) {
	<-ctx.Done()
	return referral.Record{}, ctx.Err()
}

// TestHungTableIsAnswered503InTime: closing a case while the table hangs
// is answered 503, asking to try again, before the invocation's deadline,
// at which Lambda would kill the function and the lead get a bare 500.
func TestHungTableIsAnswered503InTime(t *testing.T) {
	h, st := newHandler(&bytes.Buffer{})
	h.store = hungStore{st}
	deadline := time.Now().Add(httpapi.Margin + time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	out, err := lambda.NewHandler(h.Handle).Invoke(ctx, action(t, closeCase, `{"reason":"completed"}`, ""))
	answered := time.Now()
	if err != nil {
		t.Fatalf("handler returned an error (API Gateway would answer 500): %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(resp.Body, "try again") {
		t.Errorf("got %d %s, want 503 asking to try again", resp.StatusCode, resp.Body)
	}
	if !answered.Before(deadline) {
		t.Errorf("got the answer %v after the invocation's deadline, want it before", answered.Sub(deadline))
	}
}
