package notification_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// sesTagValue is what SES accepts as a message tag's value (SES API
// reference, MessageTag).
var sesTagValue = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func TestReceiptTagRoundTrips(t *testing.T) {
	longest := notification.Event{Kind: notification.KindSendFailed, Reference: ref, Status: referral.StatusWaitlisted,
		CaseManagerID: strings.Repeat("x", 40), Since: time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC), About: notification.KindReallocated}
	tests := []struct {
		name string
		id   string
	}{
		{"an email's receipt", longest.ReceiptID("someone@example.org")},
		{"a stage's receipt", longest.StageID("compose")},
		{"an outcome", notification.Event{Kind: notification.KindOutcome, Reference: ref, Status: referral.StatusIneligible}.ReceiptID("a@b.example")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := notification.ReceiptTag(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if !sesTagValue.MatchString(v) {
				t.Errorf("got tag %q, want only what SES allows in a tag value", v)
			}
			if got, ok := notification.ReceiptFromTag(v); !ok || got != tt.id {
				t.Errorf("got %q %v back, want %q", got, ok, tt.id)
			}
		})
	}
	if _, err := notification.ReceiptTag(strings.Repeat("x", 193)); err == nil {
		t.Errorf("got no error for an id too long for a tag, want one")
	}
	for _, bad := range []string{"", "not base64!", "a#b"} {
		if got, ok := notification.ReceiptFromTag(bad); ok {
			t.Errorf("ReceiptFromTag(%q) = %q, want not ok", bad, got)
		}
	}
}
