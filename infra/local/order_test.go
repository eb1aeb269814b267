package local_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/referral"
)

// TestBurstIsAllocatedInArrivalOrder sends a burst of referrals to one
// area, more than its places, at once: when the pipeline settles, exactly
// the first arrivals (allocation.InOrder: found eligible first, then
// received first) hold the places, and the rest wait in that order
// (issue 12, fault 5: "the 5th arrival was waitlisted while the 6th and
// 7th were allocated").
func TestBurstIsAllocatedInArrivalOrder(t *testing.T) {
	serial(t)
	const n, places = 9, 5 // two managers, of capacity 3 and 2
	ctx := context.Background()
	refs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); refs[i] = submit(t, submission(t, "order", nil)) }()
	}
	wg.Wait()
	recs := map[string]referral.Record{}
	eventually(t, 60*time.Second, "referrals still in flight", func() bool {
		for _, ref := range refs {
			rec, err := stack.Store.Referral(ctx, ref)
			if err != nil || (rec.Status != referral.StatusAllocated && rec.Status != referral.StatusWaitlisted) {
				return false
			}
			recs[ref] = rec
		}
		return true
	})
	awaitQueuesEmpty(t)
	var arrivals []allocation.Arrival
	for _, ref := range refs {
		rec, err := stack.Store.Referral(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		arrivals = append(arrivals, allocation.ArrivalOf(rec))
	}
	slices.SortFunc(arrivals, allocation.InOrder)
	var wantWaiting []string
	for i, a := range arrivals {
		want := referral.StatusAllocated
		if i >= places {
			want = referral.StatusWaitlisted
			wantWaiting = append(wantWaiting, a.Reference)
		}
		if a.Status != want {
			t.Errorf("arrival %d (%s, eligible at %s, received at %s): got %s, want %s", i+1, a.Reference,
				a.EligibleAt.Format(time.StampMicro), a.ReceivedAt.Format(time.StampMicro), a.Status, want)
		}
	}
	waiting, err := stack.Store.Waiting(ctx, "order")
	if err != nil || !slices.Equal(waiting, wantWaiting) {
		t.Errorf("got waitlist %v (%v), want %v", waiting, err, wantWaiting)
	}
	checkCapacity(t, stack, "order")
}
