package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// Reallocated returns the messages that must follow rec's move to case
// manager to at the time given: the emails to the new manager and to the
// old one, and the release of the old manager's place to the area's
// waitlist. It returns none for a referral that cannot be reallocated
// (the store refuses it), and an error when a message cannot be made.
func Reallocated(rec referral.Record, to string, at time.Time) ([]Message, error) {
	status, err := referral.Next(referral.ActionReallocate, rec.Status)
	if err != nil || rec.CaseManager == nil {
		return nil, nil
	}
	var msgs []Message
	for _, q := range []struct {
		queue string
		body  any
	}{
		{QueueNotify, notification.Event{Kind: notification.KindAllocated, Reference: rec.Reference, Status: status, CaseManagerID: to, Since: at}},
		{QueueNotify, notification.Event{Kind: notification.KindReallocated, Reference: rec.Reference, Status: status, CaseManagerID: rec.CaseManager.ID, Since: at}},
		{QueueAllocation, map[string]string{"area": rec.Referral.Area}},
	} {
		m, err := NewMessage(q.queue, q.body, at)
		if err != nil {
			return nil, fmt.Errorf("messages of %s's reallocation: %w", rec.Reference, err)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// Reallocator moves a case in one transaction (Store.Reallocate).
type Reallocator interface {
	Reallocate(ctx context.Context, rec referral.Record, m allocation.CaseManager, by, lead, reason string, at time.Time, msgs ...Message) (referral.Record, error)
}

// ReallocateFirst moves rec to the first of candidates with room, each try
// through the one reallocation transaction (Store.Reallocate) with the
// messages that must follow it (Reallocated), made at now(). It is the
// one way a case is reallocated, and never to a case manager who
// declined it (rec.Declined): the case page, POST
// /cases/{id}/reallocate, and a leaver's cases moved from the area page.
// by is the lead's account, lead their name, reason their note. It
// returns the record as moved, the manager it went to and the messages
// to send (Deliver); an error wrapping allocation.ErrNoCapacity when none
// of candidates had room (or there were none), referral.ErrConflict when
// the case changed since rec was read, or a fault.
func ReallocateFirst(ctx context.Context, s Reallocator, rec referral.Record, candidates []allocation.CaseManager, by, lead, reason string, now func() time.Time) (referral.Record, allocation.CaseManager, []Message, error) {
	for _, m := range candidates {
		if slices.Contains(rec.Declined, m.ID) {
			continue // never back to who declined it (allocation.CandidatesFor), whoever listed them
		}
		at := now().UTC()
		msgs, err := Reallocated(rec, m.ID, at)
		if err != nil {
			return rec, m, nil, err
		}
		got, err := s.Reallocate(ctx, rec, m, by, lead, reason, at, msgs...)
		if errors.Is(err, allocation.ErrNoCapacity) {
			continue
		}
		if err != nil {
			return rec, m, nil, err
		}
		return got, m, msgs, nil
	}
	return rec, allocation.CaseManager{}, nil, fmt.Errorf("reallocate %s: %w", rec.Reference, allocation.ErrNoCapacity)
}
