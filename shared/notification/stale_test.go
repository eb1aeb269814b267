package notification_test

import (
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// TestStale goes through every kind of email against the referral as it
// may be when the email is about to be sent.
func TestStale(t *testing.T) {
	since := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	held := func(s referral.Status, cm string, at time.Time) referral.Record {
		r := referral.Record{Reference: ref, Status: s}
		if cm != "" {
			r.CaseManager = &referral.Assignee{ID: cm, Since: at}
		}
		return r
	}
	ev := func(k notification.Kind, mods ...func(*notification.Event)) notification.Event {
		e := notification.Event{Kind: k, Reference: ref, CaseManagerID: "cm1", Since: since}
		for _, m := range mods {
			m(&e)
		}
		return e
	}
	status := func(s referral.Status) func(*notification.Event) {
		return func(e *notification.Event) { e.Status, e.CaseManagerID, e.Since = s, "", time.Time{} }
	}
	about := func(k notification.Kind) func(*notification.Event) {
		return func(e *notification.Event) { e.About = k }
	}
	tests := []struct {
		name string
		ev   notification.Event
		rec  referral.Record
		want string
	}{
		{"allocated, current", ev(notification.KindAllocated), held(referral.StatusAllocated, "cm1", since), ""},
		{"allocated, accepted since", ev(notification.KindAllocated), held(referral.StatusAccepted, "cm1", since), ""},
		{"allocated, closed since", ev(notification.KindAllocated), held(referral.StatusClosed, "cm1", since), "the referral has since been closed"},
		{"allocated, withdrawn since", ev(notification.KindAllocated), held(referral.StatusWithdrawn, "cm1", since), "the referral has since been withdrawn"},
		{"allocated, moved to another", ev(notification.KindAllocated), held(referral.StatusAllocated, "cm2", since.Add(time.Hour)), "the case has since moved to another case manager"},
		{"allocated, moved away and back", ev(notification.KindAllocated), held(referral.StatusAllocated, "cm1", since.Add(time.Hour)), "the case has since been reallocated: this allocation is no longer the current one"},
		{"allocated, event without a time", ev(notification.KindAllocated, func(e *notification.Event) { e.Since = time.Time{} }), held(referral.StatusAllocated, "cm1", since), ""},
		{"allocated, held by no one", ev(notification.KindAllocated), held(referral.StatusWaitlisted, "", since), "the referral is now waitlisted, not allocated"},
		{"reminder, current", ev(notification.KindReminder), held(referral.StatusAllocated, "cm1", since), ""},
		{"reminder, accepted since", ev(notification.KindReminder), held(referral.StatusAccepted, "cm1", since), "the allocation has since been accepted"},
		{"reminder, moved", ev(notification.KindReminder), held(referral.StatusAllocated, "cm2", since), "the case has since moved to another case manager"},
		{"escalation, closed since", ev(notification.KindEscalation), held(referral.StatusClosed, "cm1", since), "the referral has since been closed"},
		{"escalation, current", ev(notification.KindEscalation), held(referral.StatusAllocated, "cm1", since), ""},
		{"reallocated, moved on", ev(notification.KindReallocated), held(referral.StatusAllocated, "cm2", since.Add(time.Hour)), ""},
		{"reallocated, then closed", ev(notification.KindReallocated), held(referral.StatusClosed, "cm2", since.Add(time.Hour)), ""},
		{"reallocated, back to them", ev(notification.KindReallocated), held(referral.StatusAllocated, "cm1", since.Add(2*time.Hour)), "the case has since been allocated back to this case manager"},
		{"outcome allocated, current", ev(notification.KindOutcome, status(referral.StatusAllocated)), held(referral.StatusAllocated, "cm1", since), ""},
		{"outcome allocated, accepted since", ev(notification.KindOutcome, status(referral.StatusAllocated)), held(referral.StatusAccepted, "cm1", since), ""},
		{"outcome allocated, withdrawn since", ev(notification.KindOutcome, status(referral.StatusAllocated)), held(referral.StatusWithdrawn, "cm1", since), "the referral has since been withdrawn"},
		{"outcome waitlisted, allocated since", ev(notification.KindOutcome, status(referral.StatusWaitlisted)), held(referral.StatusAllocated, "cm1", since), "the referral has since been allocated: its own outcome email follows"},
		{"outcome waitlisted, current", ev(notification.KindOutcome, status(referral.StatusWaitlisted)), held(referral.StatusWaitlisted, "", since), ""},
		{"outcome ineligible", ev(notification.KindOutcome, status(referral.StatusIneligible)), held(referral.StatusIneligible, "", since), ""},
		{"outcome accepted, closed since", ev(notification.KindOutcome, status(referral.StatusAccepted)), held(referral.StatusClosed, "cm1", since), "the referral has since been closed"},
		{"send-failed about a current allocation", ev(notification.KindSendFailed, about(notification.KindAllocated)), held(referral.StatusAllocated, "cm1", since), ""},
		{"send-failed about an allocation since closed", ev(notification.KindSendFailed, about(notification.KindAllocated)), held(referral.StatusClosed, "cm1", since),
			"the email it is about is no longer needed: the referral has since been closed"},
		{"send-failed about an outcome", ev(notification.KindSendFailed, about(notification.KindOutcome), status(referral.StatusIneligible)), held(referral.StatusIneligible, "", since), ""},
		{"bounced, closed since", ev(notification.KindBounced), held(referral.StatusClosed, "cm2", since), ""},
		{"linked, held by another since", ev(notification.KindLinked), held(referral.StatusAllocated, "cm2", since.Add(time.Hour)), ""},
		{"linked, closed since", ev(notification.KindLinked), held(referral.StatusClosed, "cm1", since), ""},
		{"ended, closed", ev(notification.KindEnded), held(referral.StatusClosed, "cm1", since), ""},
		{"declined, allocated to another since", ev(notification.KindDeclined), held(referral.StatusAllocated, "cm2", since), ""},
	}
	kinds := map[notification.Kind]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kinds[tt.ev.Kind] = true
			if got := notification.Stale(tt.ev, tt.rec); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	for _, k := range notification.Kinds {
		if !kinds[k] {
			t.Errorf("got no case for kind %s, want every kind covered", k)
		}
	}
}
