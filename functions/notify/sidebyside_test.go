package main

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// lockedStore is the fake store as DynamoDB is to records handled side by
// side: each call whole, one at a time, so that a claim is a conditional
// write.
type lockedStore struct {
	mu sync.Mutex
	f  *fakeStore
}

var _ store = (*lockedStore)(nil)

func (s *lockedStore) Referral(ctx context.Context, ref string) (referral.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Referral(ctx, ref)
}

func (s *lockedStore) Area(ctx context.Context, id string) (eligibility.Area, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Area(ctx, id)
}

func (s *lockedStore) CaseManager(ctx context.Context, area, id string) (allocation.CaseManager, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.CaseManager(ctx, area, id)
}

func (s *lockedStore) Claim(ctx context.Context, r notification.Receipt, lease, reconcile time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Claim(ctx, r, lease, reconcile)
}

func (s *lockedStore) MarkSent(ctx context.Context, r notification.Receipt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.MarkSent(ctx, r)
}

func (s *lockedStore) MarkUnknown(ctx context.Context, r notification.Receipt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.MarkUnknown(ctx, r)
}

func (s *lockedStore) MarkFailed(ctx context.Context, r notification.Receipt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.MarkFailed(ctx, r)
}

func (s *lockedStore) MarkSkipped(ctx context.Context, r notification.Receipt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.MarkSkipped(ctx, r)
}

func (s *lockedStore) Enqueue(ctx context.Context, msgs ...dynamo.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Enqueue(ctx, msgs...)
}

func (s *lockedStore) Release(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Release(ctx, id)
}

func (s *lockedStore) Confirm(ctx context.Context, id, messageID string, at time.Time) (notification.Receipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Confirm(ctx, id, messageID, at)
}

func (s *lockedStore) Feedback(ctx context.Context, messageID string, state notification.State, why string, at time.Time) (notification.Receipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Feedback(ctx, messageID, state, why, at)
}

func (s *lockedStore) FlagBounced(ctx context.Context, area, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.FlagBounced(ctx, area, id, at)
}

func (s *lockedStore) DeleteOutbox(ctx context.Context, m dynamo.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.DeleteOutbox(ctx, m)
}

// lockedMail is the fake SES, taken by records side by side.
type lockedMail struct {
	mu sync.Mutex
	m  *fakeMail
}

func (l *lockedMail) Send(ctx context.Context, e notification.Email) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.Send(ctx, e)
}

// TestRecordsSideBySide runs batches whose records meet (the same event
// delivered more than once, as SQS may) with the function's records side
// by side: each email still goes once, and the records that found it
// being sent are retried, to find it sent. Run with -race, it also checks
// that the handler shares nothing unguarded between its records.
func TestRecordsSideBySide(t *testing.T) {
	tests := []struct {
		name   string
		bodies []string
		want   []string // the emails sent, sorted
	}{
		{"the same event four times in one batch",
			[]string{outcome, outcome, outcome, outcome},
			[]string{"outcome sam@essex.police.example"}},
		{"an allocation and its outcome, each twice",
			[]string{allocated, outcome, allocated, outcome},
			[]string{"allocated essex-cm1@drive.example", "allocated idva@essex.example", "allocated marac@essex.example", "outcome sam@essex.police.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			h := r.handler()
			h.store, h.mail, h.atOnce = &lockedStore{f: r.st}, &lockedMail{m: r.mail}, recordsAtOnce
			failed := r.runWith(t, h, 1, tt.bodies...)
			if len(failed) > len(tt.bodies)/2 {
				t.Errorf("got %d records failed, want at most the %d duplicates", len(failed), len(tt.bodies)/2)
			}
			// The failed ones come back, after the claims' lease.
			r.now = r.now.Add(lease + time.Second)
			if again := r.runWith(t, h, 2, tt.bodies...); again != nil {
				t.Errorf("got %v failed on the next try, want none", again)
			}
			got := r.mail.to()
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got emails %v, want %v, each once", got, tt.want)
			}
		})
	}
}
