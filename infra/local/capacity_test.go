package local_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/infra/local"
	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/referral"
)

// checkCapacity reads the whole table of s, as it is stored, and checks
// the capacity invariant that every concurrent test must leave true:
//   - each case manager's caseload counter equals the number of their
//     cases that hold a place (allocated or accepted), and is at most
//     their capacity;
//   - no case is held by two managers: each referral holding a place has
//     one case item, held by the manager the referral names, in the same
//     status, and listed (GSI1) only under that manager.
//
// With areas named, only their managers, referrals and cases are checked
// (the shared test stack holds other tests' areas, some deliberately
// changed by hand); with none, every area is. Run it once the pipeline
// has settled (queues drained, nothing in flight). It returns what it
// found wrong, counted, for a test's summary.
func checkCapacity(t *testing.T, s *local.Stack, areas ...string) capacityFaults {
	t.Helper()
	var found capacityFaults
	ctx := context.Background()
	client := dynamodb.NewFromConfig(s.AWS)
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("check capacity: scan: %v", err)
		}
		items = append(items, page.Items...)
	}
	type row struct {
		PK            string             `json:"PK"`
		SK            string             `json:"SK"`
		GSI1PK        string             `json:"GSI1PK"`
		ID            string             `json:"id"`
		Area          string             `json:"area"`
		Status        referral.Status    `json:"status"`
		Caseload      int                `json:"caseload"`
		Capacity      int                `json:"capacity"`
		CaseManagerID string             `json:"caseManagerId"`
		CaseManager   *referral.Assignee `json:"caseManager"`
	}
	type manager struct{ caseload, capacity int }
	managers := map[string]manager{}
	held := map[string]int{}      // manager id → cases holding a place
	cases := map[string]row{}     // case id → case item
	referrals := map[string]row{} // reference → referral item
	for _, it := range items {
		var r row
		if err := attributevalue.UnmarshalMapWithOptions(it, &r, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" }); err != nil {
			t.Fatalf("check capacity: %v", err)
		}
		if len(areas) > 0 && !slices.Contains(areas, r.Area) {
			continue
		}
		switch {
		case len(r.PK) > 5 && r.PK[:5] == "AREA#" && len(r.SK) > 3 && r.SK[:3] == "CM#":
			managers[r.SK[3:]] = manager{r.Caseload, r.Capacity}
		case r.SK == "CASE":
			cases[r.PK[len("CASE#"):]] = r
			if referral.HoldsCapacity(r.Status) {
				held[r.CaseManagerID]++
			}
		case r.SK == "REFERRAL":
			referrals[r.PK[len("REF#"):]] = r
		}
	}
	for id, m := range managers {
		if m.caseload != held[id] {
			found.falseCounters++
			t.Errorf("capacity: manager %s: caseload counter %d, but %d allocated or accepted cases", id, m.caseload, held[id])
		}
		if m.caseload > m.capacity || held[id] > m.capacity {
			found.overCapacity++
			t.Errorf("capacity: manager %s: %d cases, counter %d, over capacity %d", id, held[id], m.caseload, m.capacity)
		}
	}
	for ref, r := range referrals {
		c, ok := cases[ref]
		if !referral.HoldsCapacity(r.Status) {
			if ok && referral.HoldsCapacity(c.Status) {
				found.heldTwice++
				t.Errorf("capacity: referral %s is %s, but its case, with %s, is %s", ref, r.Status, c.CaseManagerID, c.Status)
			}
			continue
		}
		if !ok || r.CaseManager == nil || c.CaseManagerID != r.CaseManager.ID || c.Status != r.Status || c.GSI1PK != "CM#"+c.CaseManagerID {
			found.heldTwice++
		}
		switch {
		case !ok:
			t.Errorf("capacity: referral %s is %s with no case", ref, r.Status)
		case r.CaseManager == nil || c.CaseManagerID != r.CaseManager.ID:
			t.Errorf("capacity: referral %s is held by %v, its case by %s", ref, r.CaseManager, c.CaseManagerID)
		case c.Status != r.Status:
			t.Errorf("capacity: referral %s is %s, its case %s", ref, r.Status, c.Status)
		case c.GSI1PK != "CM#"+c.CaseManagerID:
			t.Errorf("capacity: case %s is held by %s but listed under %s", ref, c.CaseManagerID, c.GSI1PK)
		}
	}
	for id, c := range cases {
		if _, ok := referrals[id]; !ok && referral.HoldsCapacity(c.Status) {
			found.heldTwice++
			t.Errorf("capacity: case %s is %s with %s, but its referral is gone", id, c.Status, c.CaseManagerID)
		}
	}
	found.managers, found.cases = len(managers), len(cases)
	if found != (capacityFaults{managers: len(managers), cases: len(cases)}) {
		return found
	}
	t.Logf("capacity: %d managers, %d cases: every counter true, none over capacity, none held twice", len(managers), len(cases))
	return found
}

// capacityFaults is what checkCapacity found wrong, counted.
type capacityFaults struct {
	managers, cases int // checked
	// Managers whose counter is not their number of cases; managers over
	// capacity; referrals whose case is held otherwise than they say (by
	// another manager, twice, or by none).
	falseCounters, overCapacity, heldTwice int
}

// TestEndingRacingReallocationKeepsCapacity sends, at the same moment, a
// withdrawal by the officer (or a close by the case's holder) and a
// reallocation by the lead, for 8 cases each. A change decided on the
// case's holder must find the same holder when written: the old holder
// cannot close a case that has moved, a withdrawal frees the place of the
// manager who holds the case, and no counter drifts.
func TestEndingRacingReallocationKeepsCapacity(t *testing.T) {
	serial(t)
	const pairs = 8 // "clash": three managers of capacity 12
	refs := make([]string, 2*pairs)
	for i := range refs {
		refs[i] = submit(t, submission(t, "clash", nil))
	}
	for _, ref := range refs {
		awaitStatus(t, ref, "allocated")
	}
	send := func(who, method, path, body string) (int, map[string]any) { return call(t, who, method, path, body) }
	ending, moving := raceEndings(t, stack, "clash", refs, send)

	outcomes := map[string]int{}
	for i, ref := range refs {
		e, m := ending[i], moving[i]
		kind := "withdraw"
		if i >= pairs {
			kind = "close"
		}
		outcomes[fmt.Sprintf("%s %d, reallocate %d", kind, e.code, m.code)]++
		// A withdrawal is refused only for a case that moved after it was
		// read: the officer is told to look again.
		if msg, _ := e.out["message"].(string); kind == "withdraw" && e.code == 409 && !strings.HasPrefix(msg, "The case has changed since you opened it") {
			t.Errorf("withdraw %s refused with %q, want \"The case has changed since you opened it ...: reload it and try again.\"", ref, msg)
		}
		for _, a := range []answer{e, m} {
			if a.code != 200 && a.code != 409 {
				t.Errorf("%s %s against reallocate: got %d %v, want 200 or 409", kind, ref, a.code, a.out)
			}
			if msg, _ := a.out["message"].(string); a.code == 409 && msg == "" {
				t.Errorf("%s %s against reallocate: 409 without a message: %v", kind, ref, a.out)
			}
		}
		_, v := status(t, ref)
		switch {
		case e.code == 200 && m.code == 200:
			// Only one after the other: the reallocation, then the
			// withdrawal of the moved case. An old holder cannot close a
			// case once it moved, so a close never succeeds with a move.
			var path []string
			for _, h := range v.History {
				path = append(path, string(h.To))
			}
			if kind == "close" || !strings.HasSuffix(strings.Join(path, ">"), "allocated>allocated>withdrawn") {
				t.Errorf("%s %s and reallocate both succeeded; history %v, want one of them refused with 409", kind, ref, path)
			}
		case e.code == 200:
			if want := map[string]string{"withdraw": "withdrawn", "close": "closed"}[kind]; v.Status != want {
				t.Errorf("%s %s won: status %s, want %s", kind, ref, v.Status, want)
			}
		case m.code == 200:
			if v.Status != "allocated" {
				t.Errorf("reallocate of %s won over %s: status %s, want allocated", ref, kind, v.Status)
			}
		default:
			t.Errorf("%s %s against reallocate: both refused (%v, %v), want one to succeed", kind, ref, e.out, m.out)
		}
	}
	t.Logf("answers to the pairs: %v", outcomes)
	awaitQueuesEmpty(t)
	checkCapacity(t, stack, "clash")
}

// TestChangeDecidedOnAnOldHolderIsRefused forces the interleaving the
// race above can only hope for: each change is decided on a read of the
// case taken before a reallocation moved it, and written after, through
// the store the functions use. Every one must be refused as a conflict
// (a 409 at the HTTP edge), and no caseload may move.
func TestChangeDecidedOnAnOldHolderIsRefused(t *testing.T) {
	serial(t)
	ctx := t.Context()
	manager := func(id string) allocation.CaseManager {
		m, err := stack.Store.CaseManager(ctx, "clash", id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	other := func(id string) string {
		if id == "clash-cm1" {
			return "clash-cm2"
		}
		return "clash-cm1"
	}
	at := time.Now().UTC()
	tests := []struct {
		name string
		// change applies the change decided on the stale read.
		change func(stale referral.Record) error
		// back: the case moves away and back again, so that only the
		// time it was allocated since tells the reads apart.
		back bool
	}{
		{"withdraw by the officer", func(r referral.Record) error {
			_, err := stack.Store.Transition(ctx, r, referral.ActionWithdraw, officer, "", referral.Ending{Reason: "Victim moved away"}, at)
			return err
		}, false},
		{"close by the old holder", func(r referral.Record) error {
			_, err := stack.Store.Transition(ctx, r, referral.ActionClose, r.CaseManager.ID, "", referral.Ending{Reason: "completed"}, at)
			return err
		}, false},
		{"accept by the old holder", func(r referral.Record) error {
			_, err := stack.Store.Transition(ctx, r, referral.ActionAccept, r.CaseManager.ID, "", referral.Ending{}, at)
			return err
		}, false},
		{"reallocate from the old holder", func(r referral.Record) error {
			third := "clash-cm3"
			if from := r.CaseManager.ID; from == third || other(from) == third {
				third = "clash-cm2"
			}
			_, err := stack.Store.Reallocate(ctx, r, manager(third), lead("clash"), "", "Manager leaving", at)
			return err
		}, true},
		{"close by the holder before it moved away and back", func(r referral.Record) error {
			_, err := stack.Store.Transition(ctx, r, referral.ActionClose, r.CaseManager.ID, "", referral.Ending{Reason: "completed"}, at)
			return err
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := submit(t, submission(t, "clash", nil))
			awaitStatus(t, ref, "allocated")
			closes := strings.HasPrefix(tt.name, "close")
			if closes {
				// Only an accepted case closes: its holder accepts it first.
				rec, err := stack.Store.Referral(ctx, ref)
				if err == nil {
					_, err = stack.Store.Transition(ctx, rec, referral.ActionAccept, rec.CaseManager.ID, "", referral.Ending{}, time.Now().UTC())
				}
				if err != nil {
					t.Fatalf("accept: %v", err)
				}
			}
			stale, err := stack.Store.Referral(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			from := stale.CaseManager.ID
			moved, err := stack.Store.Reallocate(ctx, stale, manager(other(from)), lead("clash"), "", "Conflict of interest", time.Now().UTC())
			if err != nil {
				t.Fatalf("reallocate: %v", err)
			}
			if tt.back {
				back, err := stack.Store.Reallocate(ctx, moved, manager(from), lead("clash"), "", "Conflict resolved", time.Now().UTC())
				if err != nil {
					t.Fatalf("reallocate back: %v", err)
				}
				if closes {
					// Accepted again: the same holder and status as the
					// stale read, only the time it came to them differs.
					if _, err := stack.Store.Transition(ctx, back, referral.ActionAccept, from, "", referral.Ending{}, time.Now().UTC()); err != nil {
						t.Fatalf("accept again: %v", err)
					}
				}
			}
			before, _ := stack.Store.CaseManagers(ctx, "clash")
			if err := tt.change(stale); !errors.Is(err, referral.ErrConflict) {
				t.Errorf("got %v, want a conflict: the case moved after it was read", err)
			}
			after, _ := stack.Store.CaseManagers(ctx, "clash")
			if !slices.Equal(before, after) {
				t.Errorf("caseloads: got %v, want them unchanged %v", after, before)
			}
		})
	}
	awaitQueuesEmpty(t)
	checkCapacity(t, stack, "clash")
}

// answer is an HTTP answer: its status and JSON body.
type answer struct {
	code int
	out  map[string]any
}

// raceEndings races, for each of refs (allocated referrals of area, an
// even number), an ending against a reallocation by the area's lead:
// a withdrawal by the officer for the first half, a close by the case's
// holder for the second half (accepted by them first). It sends the
// requests with send and returns the answers to the endings and to the
// reallocations, in the order of refs.
func raceEndings(t *testing.T, s *local.Stack, area string, refs []string, send func(who, method, path, body string) (int, map[string]any)) (ending, moving []answer) {
	t.Helper()
	pairs := len(refs) / 2
	holder := func(ref string) string {
		rec, err := s.Store.Referral(t.Context(), ref)
		if err != nil || rec.CaseManager == nil {
			t.Fatalf("%s: %v, no case manager", ref, err)
		}
		// clash-cm2 signs in as cm2@clash.drive.example
		return strings.TrimPrefix(rec.CaseManager.ID, area+"-") + "@" + area + ".drive.example"
	}
	for _, ref := range refs[pairs:] { // the cases to close are accepted first
		if code, out := send(holder(ref), "POST", "/cases/"+ref+"/accept", ""); code != 200 {
			t.Fatalf("accept %s: got %d %v, want 200", ref, code, out)
		}
	}
	ending = make([]answer, len(refs))
	moving = make([]answer, len(refs))
	// One pair at a time, so that the two requests of a pair meet (the
	// stack runs two processes of the cases function). The ending starts
	// a little after the reallocation, later for each pair (0 to 140 ms),
	// so that across the pairs it reads the case before, during and after
	// the reallocation's write: which one wins varies, and the tests
	// assert only what must hold whichever does.
	for i, ref := range refs {
		lag := time.Duration(i%pairs) * 20 * time.Millisecond
		who, path, body := officer, "/referrals/"+ref+"/withdraw", `{"reason": "Victim moved away"}`
		if i >= pairs {
			who, path, body = holder(ref), "/cases/"+ref+"/close", `{"reason": "completed"}`
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			time.Sleep(lag)
			ending[i].code, ending[i].out = send(who, "POST", path, body)
		}()
		go func() {
			defer wg.Done()
			<-start
			moving[i].code, moving[i].out = send(lead(area), "POST", "/cases/"+ref+"/reallocate", `{"reason": "Manager leaving"}`)
		}()
		close(start)
		wg.Wait()
	}
	return ending, moving
}

// TestCapacityBelowCaseloadIsRefused: a case manager's capacity may not
// be set below the cases they hold, by the area's lead through the API
// (422 naming the capacity field and the least capacity) or by any writer
// through the store: the write is conditional on the caseload stored, so
// it is refused even when the writer's read came before the allocations,
// and whatever else changes with it (a new address is not claimed).
// Lowering it to the caseload, or making the manager inactive, is allowed.
func TestCapacityBelowCaseloadIsRefused(t *testing.T) {
	serial(t)
	ctx := t.Context()
	const path = "/areas/shrink/case-managers/shrink-cm1"
	// Read before the allocations land: caseload 0, capacity 2.
	stale, err := stack.Store.CaseManager(ctx, "shrink", "shrink-cm1")
	if err != nil || stale.Caseload != 0 || stale.Capacity != 2 {
		t.Fatalf("got %+v, %v; want caseload 0, capacity 2", stale, err)
	}
	for range 2 {
		awaitStatus(t, submit(t, submission(t, "shrink", nil)), "allocated")
	}

	body := func(email string, capacity int, active bool) string {
		return fmt.Sprintf(`{"name": %q, "email": %q, "capacity": %d, "active": %v}`, stale.Name, email, capacity, active)
	}
	want := "Capacity must be at least 2, the number of cases " + stale.Name + " holds now: reallocate cases first to lower it. " +
		"To stop new cases while they are away, make them inactive instead"
	for _, b := range []string{body(stale.Email, 1, true), body(stale.Email, 0, false), body("moved@shrink.drive.example", 1, true)} {
		code, out := call(t, lead("shrink"), "PUT", path, b)
		wantErrs := []any{map[string]any{"field": "capacity", "message": want}}
		if code != 422 || !reflect.DeepEqual(out["errors"], wantErrs) {
			t.Errorf("PUT %s: got %d %v, want 422 with the capacity field's error %q", b, code, out, want)
		}
	}

	// A writer that decided on the stale read: the condition refuses it.
	lowered := stale
	lowered.Capacity, lowered.Email = 1, "moved@shrink.drive.example"
	err = stack.Store.PutCaseManager(ctx, lowered)
	var below *allocation.BelowCaseloadError
	if !errors.As(err, &below) || below.Caseload != 2 || below.Capacity != 1 {
		t.Errorf("put capacity 1 over caseload 2: got %v, want allocation.BelowCaseloadError{Caseload: 2, Capacity: 1}", err)
	}
	if st, err := stack.Store.Staff(ctx, lowered.Email); err != nil || st.CaseManagerID != "" {
		t.Errorf("the refused change's new address: got %+v, %v; want it unclaimed", st, err)
	}
	if got, err := stack.Store.CaseManager(ctx, "shrink", "shrink-cm1"); err != nil || got.Capacity != 2 || got.Caseload != 2 || got.Email != stale.Email {
		t.Errorf("after the refusals: got %+v, %v; want capacity 2, caseload 2, %s", got, err, stale.Email)
	}
	awaitQueuesEmpty(t)
	checkCapacity(t, stack, "shrink")

	// To the caseload, and inactive (on leave): allowed.
	if code, out := call(t, lead("shrink"), "PUT", path, body(stale.Email, 2, false)); code != 200 || out["capacity"] != 2.0 || out["caseload"] != 2.0 {
		t.Errorf("lower to the caseload and make inactive: got %d %v, want 200, capacity 2, caseload 2", code, out)
	}
	awaitQueuesEmpty(t)
	checkCapacity(t, stack, "shrink")
}
