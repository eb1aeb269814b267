package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// closingMail is SES, while the case is closed (or withdrawn) just after
// the first email of an event leaves.
type closingMail struct {
	*fakeMail
	st *fakeStore
	to referral.Status
}

func (m closingMail) Send(ctx context.Context, e notification.Email) (string, error) {
	id, err := m.fakeMail.Send(ctx, e)
	m.st.rec.Status = m.to
	return id, err
}

// TestACaseEndedMidwayStopsTheRestOfItsEmails: an allocation's emails go
// one after another; a case closed or withdrawn after the first has left
// sends none of the rest, and the event's receipt says why (found by a
// tester: the IDVA and MARAC emails left after a withdrawal).
func TestACaseEndedMidwayStopsTheRestOfItsEmails(t *testing.T) {
	for _, to := range []referral.Status{referral.StatusClosed, referral.StatusWithdrawn} {
		t.Run(string(to), func(t *testing.T) {
			r := newRig()
			mail := closingMail{fakeMail: r.mail, st: r.st, to: to}
			h := r.handler()
			h.mail = mail
			if failed := r.runWith(t, h, 1, allocated); len(failed) != 0 {
				t.Fatalf("got failures %v, want none", failed)
			}
			if len(r.mail.sent) != 1 {
				t.Errorf("got %d emails sent (%v), want only the first: the case was %s after it", len(r.mail.sent), r.mail.to(), to)
			}
			var ev notification.Event
			_ = json.Unmarshal([]byte(allocated), &ev)
			if got := r.st.receipts[ev.StageID("skipped")]; got.State != notification.StateSkipped || got.Why == "" {
				t.Errorf("got receipt %+v, want the rest recorded skipped, saying why", got)
			}
		})
	}
}
