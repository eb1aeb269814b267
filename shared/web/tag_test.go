package web

import (
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/referral"
)

func TestEveryStatusHasWordsAndAColour(t *testing.T) {
	for _, s := range referral.Statuses {
		tg, ok := statusTags[s]
		switch {
		case !ok || tg.Words == "" || strings.Contains(tg.Words, string(s)):
			t.Errorf("status %s: got %+v, want words of its own", s, tg)
		case !strings.HasPrefix(tg.Colour, "govuk-tag--") || !strings.Contains(string(govukCSS), "."+tg.Colour+"{"):
			t.Errorf("status %s: got colour %q, want a GOV.UK tag colour class of the embedded styles", s, tg.Colour)
		}
	}
}
