package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/referral"
)

// racingStore is the fake store, one call at a time, whose first n reads
// of a perpetrator's referrals wait until all n have been made: n
// referrals sent at the same moment, each reading before any is stored.
type racingStore struct {
	mu sync.Mutex
	*fakeStore
	n, arrived int
	all        chan struct{}
}

func (s *racingStore) SamePerpetrator(ctx context.Context, r referral.Referral) ([]referral.Summary, error) {
	s.mu.Lock()
	out, err := s.fakeStore.SamePerpetrator(ctx, r)
	s.arrived++
	first := s.arrived <= s.n
	if s.arrived == s.n {
		close(s.all)
	}
	s.mu.Unlock()
	if first {
		<-s.all
	}
	return out, err
}

func (s *racingStore) Create(ctx context.Context, n dynamo.NewReferral) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fakeStore.Create(ctx, n)
}

func (s *racingStore) Claims(ctx context.Context, keys []string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fakeStore.Claims(ctx, keys)
}

func (s *racingStore) Referral(ctx context.Context, ref string) (referral.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fakeStore.Referral(ctx, ref)
}

func (s *racingStore) KeyResult(ctx context.Context, key string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fakeStore.KeyResult(ctx, key)
}

func (s *racingStore) DeleteOutbox(ctx context.Context, m dynamo.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fakeStore.DeleteOutbox(ctx, m)
}

func (s *racingStore) Areas(ctx context.Context) ([]eligibility.Area, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fakeStore.Areas(ctx)
}

func (s *racingStore) Staff(ctx context.Context, email string) (auth.Staff, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fakeStore.Staff(ctx, email)
}

// anyQueue takes every message, one at a time.
type anyQueue struct{ mu sync.Mutex }

func (q *anyQueue) Send(context.Context, string, string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return nil
}

// TestReferralsOfOnePersonAtOnceAreOneOpenTheRestLinked (issue 13, found
// by a fresh tester): referrals of one person sent at the same moment,
// each reading the person's referrals before any is stored, end as
// exactly one open referral (received, holding the person's claims) and
// the rest linked to it, whatever the interleaving. Before, each read
// found none, every one was stored as received, and eligibility then
// found all but the first ineligible ("already has an open referral").
func TestReferralsOfOnePersonAtOnceAreOneOpenTheRestLinked(t *testing.T) {
	for _, n := range []int{2, 4} {
		t.Run(fmt.Sprintf("%d at once", n), func(t *testing.T) {
			h, st, _ := newHandler(io.Discard)
			rs := &racingStore{fakeStore: st, n: n, all: make(chan struct{})}
			h.store, h.queues, h.newRef = rs, &anyQueue{}, referral.NewReference
			ev := event(t, "post-referral.json", nil)
			answers := make([]map[string]any, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), ev)
					var resp events.APIGatewayV2HTTPResponse
					if err == nil {
						err = json.Unmarshal(out, &resp)
					}
					if err == nil {
						err = json.Unmarshal([]byte(resp.Body), &answers[i])
					}
					if err != nil || resp.StatusCode != 202 {
						answers[i] = map[string]any{"error": fmt.Sprint(err, resp.StatusCode, resp.Body)}
					}
				}()
			}
			wg.Wait()
			var open []string
			linked := map[string]string{}
			for _, a := range answers {
				ref, _ := a["reference"].(string)
				rec, ok := st.records[ref]
				switch {
				case !ok:
					t.Fatalf("answer %v: nothing stored", a)
				case a["status"] == "received" && rec.Status == referral.StatusReceived:
					open = append(open, ref)
				case a["status"] == "linked" && rec.Status == referral.StatusLinked:
					linked[ref] = rec.LinkedTo
				default:
					t.Errorf("answer %v, stored %s", a, rec.Status)
				}
			}
			if len(open) != 1 || len(linked) != n-1 {
				t.Fatalf("got open %v and linked %v, want exactly one open and %d linked to it", open, linked, n-1)
			}
			for ref, to := range linked {
				if to != open[0] {
					t.Errorf("%s is linked to %s, want %s", ref, to, open[0])
				}
			}
			keys, _ := st.records[open[0]].Referral.ClaimKeys()
			for _, k := range keys {
				if st.claims[k] != open[0] {
					t.Errorf("claim %s holds %q, want the open referral %s", k, st.claims[k], open[0])
				}
			}
		})
	}
}
