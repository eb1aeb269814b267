package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// TestEveryEmailLinksWhereItsReaderActs (the fresh tester's fault: the
// declined and withdrawn emails to staff linked to the status page): for
// every kind of email, each recipient's link goes where they act, by who
// they are: the officer who made the referral to its status page, Drive's
// staff (case managers and leads) to the case page, an IDVA or MARAC
// coordinator (no account) nowhere.
func TestEveryEmailLinksWhereItsReaderActs(t *testing.T) {
	const (
		cases  = "https://drive.example/cases/DRV-7K4M-Q9TX"
		status = "https://drive.example/referrals/DRV-7K4M-Q9TX/status"
		none   = ""
	)
	ended := func(s referral.Status) func(*notification.Event) {
		return func(e *notification.Event) { e.Status = s }
	}
	tests := []struct {
		name   string
		event  string
		status referral.Status // the referral's, when the email is composed
		want   map[string]string
	}{
		{"allocated", event(notification.KindAllocated, "essex-cm1"), referral.StatusAllocated,
			map[string]string{"essex-cm1@drive.example": cases, "idva@essex.example": none, "marac@essex.example": none}},
		{"outcome", event(notification.KindOutcome, ""), referral.StatusAllocated, map[string]string{"sam@essex.police.example": status}},
		{"reallocated (the case is no longer theirs)", event(notification.KindReallocated, "essex-cm9"), referral.StatusAllocated,
			map[string]string{"essex-cm9@drive.example": none}},
		{"reminder", event(notification.KindReminder, "essex-cm1"), referral.StatusAllocated, map[string]string{"essex-cm1@drive.example": cases}},
		{"escalation", event(notification.KindEscalation, "essex-cm1"), referral.StatusAllocated, map[string]string{"lead@drive.example": cases}},
		{"send-failed", event(notification.KindSendFailed, "essex-cm1", func(e *notification.Event) { e.About = notification.KindAllocated }),
			referral.StatusAllocated, map[string]string{"lead@drive.example": cases}},
		{"bounced", event(notification.KindBounced, "essex-cm1"), referral.StatusAllocated, map[string]string{"lead@drive.example": cases}},
		{"declined", event(notification.KindDeclined, "essex-cm1", func(e *notification.Event) { e.Reason = "no-capacity" }), referral.StatusEligible,
			map[string]string{"lead@drive.example": cases}},
		{"ended: closed", event(notification.KindEnded, "essex-cm1", ended(referral.StatusClosed), func(e *notification.Event) { e.Reason = "completed" }),
			referral.StatusClosed, map[string]string{"sam@essex.police.example": status, "idva@essex.example": none, "marac@essex.example": none}},
		{"ended: withdrawn", event(notification.KindEnded, "essex-cm1", ended(referral.StatusWithdrawn)), referral.StatusWithdrawn,
			map[string]string{"sam@essex.police.example": status, "idva@essex.example": none, "marac@essex.example": none, "essex-cm1@drive.example": cases}},
		{"linked", event(notification.KindLinked, "", func(e *notification.Event) { e.Linked = "DRV-AAAA-BBBB" }), referral.StatusAllocated,
			map[string]string{"essex-cm1@drive.example": "https://drive.example/cases/DRV-AAAA-BBBB"}},
	}
	var covered []notification.Kind
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			r.st.rec.Status = tt.status
			if failed := r.run(t, 1, tt.event); failed != nil {
				t.Fatalf("got failures %v, want none", failed)
			}
			got := map[string]string{}
			for _, e := range r.mail.sent {
				got[e.To] = ""
				if i := strings.Index(e.Text, "https://"); i >= 0 {
					got[e.To] = strings.Fields(e.Text[i:])[0]
				}
				if want, ok := tt.want[e.To]; ok && want != "" && !strings.Contains(e.HTML, `href="`+want+`"`) {
					t.Errorf("email to %s: HTML does not link %s", e.To, want)
				}
				covered = append(covered, e.Kind)
			}
			for to, want := range tt.want {
				if link, ok := got[to]; !ok || link != want {
					t.Errorf("email to %s: got link %q (sent: %v), want %q", to, link, ok, want)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got emails to %v, want %v", got, tt.want)
			}
		})
	}
	for _, k := range notification.Kinds {
		if !slices.Contains(covered, k) {
			t.Errorf("no email of kind %s checked", k)
		}
	}
}
