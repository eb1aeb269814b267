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

// TestEveryPageHasAnIconThatIsServed: the layout names an icon, and it is
// served, so that no page's icon request is a 404 (issue 14).
func TestEveryPageHasAnIconThatIsServed(t *testing.T) {
	page := Message(200, Page{Title: "A page"})
	if !strings.Contains(page.Body, `<link rel="icon" href="/assets/favicon.svg"`) {
		t.Errorf("got a page without the icon link:\n%s", page.Body)
	}
	if got := Asset("favicon.svg"); got.StatusCode != 200 || !strings.HasPrefix(got.Body, "<svg") {
		t.Errorf("GET /assets/favicon.svg: got %d, want 200 with the icon", got.StatusCode)
	}
}
