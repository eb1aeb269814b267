package notification_test

import (
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/notification"
)

func TestChaseDue(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	c := notification.Chase{Remind: 24 * time.Hour, Escalate: 24 * time.Hour}
	tests := []struct {
		after  time.Duration
		chased notification.Kind
		want   notification.Kind
	}{
		{23 * time.Hour, "", ""},
		{24 * time.Hour, "", notification.KindReminder},
		{30 * time.Hour, notification.KindReminder, ""},
		{48 * time.Hour, notification.KindReminder, notification.KindEscalation},
		{72 * time.Hour, "", notification.KindReminder}, // late: the reminder still comes first
		{72 * time.Hour, notification.KindEscalation, ""},
	}
	for _, tt := range tests {
		u := notification.Unaccepted{Reference: "DRV-7K4M-Q9TX", CaseManagerID: "cm1", Since: t0, Chased: tt.chased}
		if got := c.Due(u, t0.Add(tt.after)); got != tt.want {
			t.Errorf("after %v, chased %q: due %q, want %q", tt.after, tt.chased, got, tt.want)
		}
	}
}
