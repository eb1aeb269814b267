package notification_test

import (
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/privacytest"
	"github.com/driveprogramme/referrals/shared/referral"
)

const ref = "DRV-7K4M-Q9TX"

// pii is what a referral holds that no email may show.
var pii = []privacytest.Detail{privacytest.Text("a first name", "John"), privacytest.Text("a last name", "Doe"),
	privacytest.Text("a victim's first name", "Jane"), privacytest.Text("a victim's last name", "Roe"),
	privacytest.Date("a date of birth", "1984-03-02"), privacytest.Postcode("a postcode", "CO1 1AA")}

func decision() *referral.Decision {
	return &referral.Decision{Outcomes: []referral.Outcome{{Rule: "r1", Passed: true, Reason: "passed rule"}, {Rule: "r2", Reason: "DASH score 9 is below this area's threshold of 14"}}}
}

// TestEveryEmail renders the email of every event, in text and HTML, and
// checks what each must and must not say.
func TestEveryEmail(t *testing.T) {
	link := "https://drive.example/referrals/" + ref + "/status"
	cm := notification.Contact{Name: "Alex Morgan", Email: "alex@drive.example"}
	tests := []struct {
		name     string
		n        notification.Notice
		subject  string   // in the subject
		say      []string // in both text and HTML
		wantLink bool
	}{
		{"allocated to the case manager", notification.Notice{Kind: notification.KindAllocated}, "allocated to you", []string{"accept it", "decline it"}, true},
		{"allocated, to the IDVA", notification.Notice{Kind: notification.KindAllocated, Support: true, CaseManager: cm}, "case manager allocated", []string{"Alex Morgan", "alex@drive.example"}, false},
		{"reallocated", notification.Notice{Kind: notification.KindReallocated}, "reallocated", []string{"no longer counts"}, false},
		{"outcome allocated", notification.Notice{Kind: notification.KindOutcome, Status: referral.StatusAllocated, CaseManager: notification.Contact{Name: "Alex Morgan"}}, "allocated", []string{"Alex Morgan"}, true},
		{"outcome accepted", notification.Notice{Kind: notification.KindOutcome, Status: referral.StatusAccepted, CaseManager: notification.Contact{Name: "Alex Morgan"}}, "accepted", []string{"accepted the referral"}, true},
		{"outcome waitlisted", notification.Notice{Kind: notification.KindOutcome, Status: referral.StatusWaitlisted}, "waiting list", []string{"order of arrival"}, true},
		{"outcome ineligible", notification.Notice{Kind: notification.KindOutcome, Status: referral.StatusIneligible, Reasons: notification.Reasons(decision())}, "not eligible", []string{"DASH score 9 is below this area&#39;s threshold of 14|DASH score 9 is below this area's threshold of 14"}, true},
		{"reminder", notification.Notice{Kind: notification.KindReminder, Waiting: 25 * time.Hour}, "Reminder", []string{"25 hours ago", "accept it", "decline it", "Accept or decline"}, true},
		{"escalation", notification.Notice{Kind: notification.KindEscalation, Waiting: 4 * 24 * time.Hour, CaseManager: notification.Contact{Name: "Alex Morgan"}}, "not been accepted", []string{"4 days ago", "Alex Morgan"}, true},
		{"send failed", notification.Notice{Kind: notification.KindSendFailed, About: notification.KindAllocated}, "could not send", []string{"telling a case manager of an allocation"}, true},
		{"send failed, maybe sent", notification.Notice{Kind: notification.KindSendFailed, About: notification.KindOutcome, Unsure: true}, "could not send", []string{"telling the referrer of the outcome", "may not have arrived"}, true},
		{"linked", notification.Notice{Kind: notification.KindLinked, Linked: "DRV-8W2N-R3PY"}, "another referral for the same person", []string{"DRV-8W2N-R3PY", "linked it to this one"}, true},
		{"bounced", notification.Notice{Kind: notification.KindBounced, CaseManager: notification.Contact{Name: "Alex Morgan"}}, "bouncing", []string{"Alex Morgan", ref}, true},
		{"closed", notification.Notice{Kind: notification.KindEnded, Status: referral.StatusClosed, Reason: "moved-out-of-area"}, "has been closed", []string{"moved out of area", "intervention has stopped"}, true},
		{"closed, to the IDVA", notification.Notice{Kind: notification.KindEnded, Status: referral.StatusClosed, Reason: "custody", Support: true}, "has been closed", []string{"in custody"}, false},
		{"withdrawn", notification.Notice{Kind: notification.KindEnded, Status: referral.StatusWithdrawn}, "has been withdrawn", []string{"withdrawn it"}, true},
		// A linked referral (issue 13): its officer's outcome names no other
		// referral; its withdrawal is told to its officer, and to the open
		// referral's team with both references.
		{"outcome linked", notification.Notice{Kind: notification.KindOutcome, Status: referral.StatusLinked}, "passed to the team already working with this person", []string{"already working with the person", "withdraw it"}, true},
		{"linked, withdrawn, to its officer", notification.Notice{Kind: notification.KindEnded, Status: referral.StatusWithdrawn, Passed: true}, "has been withdrawn", []string{"had been passed to the Drive team"}, true},
		{"linked, withdrawn, to the open one's team", notification.Notice{Kind: notification.KindEnded, Status: referral.StatusWithdrawn, LinkedTo: "DRV-8W2N-R3PY"}, "linked to DRV-8W2N-R3PY, has been withdrawn", []string{"DRV-8W2N-R3PY", "is not changed"}, true},
		{"declined", notification.Notice{Kind: notification.KindDeclined, CaseManager: notification.Contact{Name: "Alex Morgan"}, Reason: "knows-the-family"}, "declined", []string{"Alex Morgan", "knows the family", "back to allocation"}, true},
	}
	covered := map[notification.Kind]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.n.Reference, tt.n.Link = ref, link
			e, err := notification.Compose("id-1", "to@drive.example", tt.n)
			if err != nil {
				t.Fatal(err)
			}
			covered[tt.n.Kind] = true
			if e.ID != "id-1" || e.To != "to@drive.example" || e.Kind != tt.n.Kind {
				t.Errorf("got id %q to %q kind %q", e.ID, e.To, e.Kind)
			}
			if !strings.Contains(e.Subject, ref) && tt.n.Kind != notification.KindBounced {
				t.Errorf("subject %q lacks the reference", e.Subject)
			}
			if !strings.Contains(e.Subject, tt.subject) {
				t.Errorf("subject %q lacks %q", e.Subject, tt.subject)
			}
			for name, body := range map[string]string{"text": e.Text, "html": e.HTML} {
				if !strings.Contains(body, ref) {
					t.Errorf("%s lacks the reference:\n%s", name, body)
				}
				if strings.Contains(body, link) != tt.wantLink {
					t.Errorf("%s: link present = %v, want %v:\n%s", name, !tt.wantLink, tt.wantLink, body)
				}
				for _, s := range tt.say {
					if !containsAny(body, strings.Split(s, "|")) {
						t.Errorf("%s lacks %q:\n%s", name, s, body)
					}
				}
				for _, f := range privacytest.Find(e.Subject+"\n"+body, pii...) {
					t.Errorf("%s contains %s:\n%s", name, f, body)
				}
				for _, p := range []string{"passed rule", "<no value>"} {
					if strings.Contains(body, p) || strings.Contains(e.Subject, p) {
						t.Errorf("%s contains %q:\n%s", name, p, body)
					}
				}
			}
			if !strings.HasPrefix(e.HTML, "<!doctype html>") || !strings.Contains(e.HTML, "<title>"+htmlEscape(e.Subject)+"</title>") {
				t.Errorf("HTML is not a page titled with the subject:\n%s", e.HTML)
			}
		})
	}
	for _, k := range notification.Kinds {
		if !covered[k] {
			t.Errorf("no test renders the %s email", k)
		}
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func htmlEscape(s string) string { return strings.ReplaceAll(s, "'", "&#39;") }

func TestHTMLEscapesWhatItShows(t *testing.T) {
	e, err := notification.Compose("id", "to@drive.example", notification.Notice{Kind: notification.KindOutcome, Reference: ref, Link: "https://x.example/",
		Status: referral.StatusIneligible, Reasons: []string{`<script>alert(1)</script>`}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.HTML, "<script>") {
		t.Errorf("a reason was not escaped:\n%s", e.HTML)
	}
}

func TestComposeRefusesAnUnknownKind(t *testing.T) {
	if _, err := notification.Compose("id", "to@drive.example", notification.Notice{Kind: "party", Reference: ref}); err == nil {
		t.Error("an unknown kind composed an email")
	}
}

func TestEventValidate(t *testing.T) {
	tests := []struct {
		ev notification.Event
		ok bool
	}{
		{notification.Event{Kind: "outcome", Reference: ref}, true},
		{notification.Event{Kind: "allocated", Reference: ref, CaseManagerID: "cm1"}, true},
		{notification.Event{Kind: "allocated", Reference: ref}, false},
		{notification.Event{Kind: "reallocated", Reference: ref, CaseManagerID: "cm1"}, true},
		{notification.Event{Kind: "reallocated", Reference: ref}, false},
		{notification.Event{Kind: "reminder", Reference: ref}, false},
		{notification.Event{Kind: "escalation", Reference: ref, CaseManagerID: "cm1"}, true},
		{notification.Event{Kind: "send-failed", Reference: ref}, false},
		{notification.Event{Kind: "send-failed", Reference: ref, About: "allocated"}, true},
		{notification.Event{Kind: "bounced", Reference: ref, CaseManagerID: "cm1"}, true},
		{notification.Event{Kind: "party", Reference: ref}, false},
		{notification.Event{Kind: "outcome", Reference: "nope"}, false},
	}
	for _, tt := range tests {
		if err := tt.ev.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: got %v, want ok=%v", tt.ev, err, tt.ok)
		}
	}
}

func TestEventIDTellsAllocationsApart(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	first := notification.Event{Kind: notification.KindAllocated, Reference: ref, Status: referral.StatusAllocated, CaseManagerID: "cm1", Since: t0}
	again := first
	again.Since = t0.Add(time.Hour) // reallocated away and back
	if first.ID() == again.ID() {
		t.Errorf("two allocations to the same manager share the id %q: the second would never be sent", first.ID())
	}
	reminder := first
	reminder.Kind = notification.KindReminder
	if first.ID() == reminder.ID() {
		t.Error("the allocation and its reminder share an id")
	}
	a, b := first.ReceiptID("idva@support.example"), first.ReceiptID("marac@support.example")
	if a == b || a != first.ReceiptID("IDVA@support.example") || strings.Contains(a, "support.example") {
		t.Errorf("receipt ids %q and %q: want one per recipient, case-blind, without the address", a, b)
	}
}

// TestEmailsNameTheArea: every email names the referral's area as people
// do; a Notice has no field for an area's id, so none can show one.
func TestEmailsNameTheArea(t *testing.T) {
	for _, k := range notification.Kinds {
		n := notification.Notice{Kind: k, Reference: ref, Area: "West Sussex", Status: referral.StatusAllocated, About: notification.KindAllocated,
			CaseManager: notification.Contact{Name: "Alex Morgan", Email: "alex@drive.example"}}
		e, err := notification.Compose("id-1", "to@drive.example", n)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(e.Text, "Area: West Sussex") || !strings.Contains(e.HTML, "West Sussex") {
			t.Errorf("%s email: want the area, West Sussex, in text and HTML:\n%s", k, e.Text)
		}
	}
}
