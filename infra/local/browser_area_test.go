package local_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/driveprogramme/referrals/infra/local"
)

// TestAreaPageInARealBrowser drives headless Chromium as the area's lead
// would: reads the area page (the waiting list with its estimates, the
// flags, the caseloads), sends the capacity form with nothing chosen (the
// error summary), raises a capacity and sees the waitlist move, sets a
// case manager on leave, and moves a leaver's cases, one of which cannot
// move. axe-core checks each page, and each is photographed.
func TestAreaPageInARealBrowser(t *testing.T) {
	serial(t)
	c := startChrome(t)
	run, shoot, audit := c.run, c.shoot, c.audit
	var refs []string
	for range 3 {
		ref := submit(t, submission(t, "areabrowser", nil))
		refs = append(refs, ref)
		if len(refs) < 3 {
			awaitStatus(t, ref, "allocated")
		}
	}
	awaitStatus(t, refs[2], "waitlisted")

	var shown string
	run("open the area page", chromedp.Navigate(stack.URL+"/areas/areabrowser"), chromedp.WaitVisible("#username, main h1", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#username') ? 'login' : 'page'`, &shown))
	if shown == "login" {
		run("sign in as the lead", chromedp.SendKeys("#username", lead("areabrowser"), chromedp.ByQuery), chromedp.SendKeys("#password", local.DemoPassword, chromedp.ByQuery),
			chromedp.Submit("#password", chromedp.ByQuery))
	}
	var waiting, pace string
	run("read the waiting list", chromedp.WaitVisible("#waiting", chromedp.ByQuery), chromedp.Text("#waiting", &waiting, chromedp.ByQuery),
		chromedp.Text("#pace", &pace, chromedp.ByQuery))
	if !strings.Contains(waiting, refs[2]) || !strings.Contains(pace, "How the wait is estimated") {
		t.Errorf("area page: waiting list %q, hint %q; want %s and how the wait is estimated", waiting, pace, refs[2])
	}
	audit("the area page")
	shoot("10-area.png")

	var links []string
	run("change a capacity with nothing chosen", chromedp.Click(`button[value="capacity"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-error-summary", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('.govuk-error-summary__list a')].map(a => a.getAttribute('href'))`, &links))
	if strings.Join(links, " ") != "#capacity-caseManager #capacity-capacity" {
		t.Errorf("capacity with nothing chosen: error summary links %v, want the manager and the capacity", links)
	}
	audit("the area page with an error")
	shoot("11-area-error.png")

	var banner string
	run("raise a capacity", chromedp.Click(`#capacity-caseManager`, chromedp.ByQuery), chromedp.SendKeys("#capacity-capacity", "2", chromedp.ByQuery),
		chromedp.Click(`button[value="capacity"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-notification-banner--success", chromedp.ByQuery), chromedp.Text(".govuk-notification-banner--success", &banner, chromedp.ByQuery))
	if !strings.Contains(banner, "The capacity has been changed") {
		t.Errorf("after raising a capacity: banner %q", banner)
	}
	awaitStatus(t, refs[2], "allocated")
	run("read the waiting list again", chromedp.Navigate(stack.URL+"/areas/areabrowser"), chromedp.WaitVisible("#waiting", chromedp.ByQuery),
		chromedp.Text("#waiting", &waiting, chromedp.ByQuery))
	if strings.Contains(waiting, refs[2]) || !strings.Contains(waiting, "Nobody is waiting") {
		t.Errorf("after raising a capacity: waiting list %q, want nobody", waiting)
	}
	audit("the area page after raising a capacity")
	shoot("12-area-capacity.png")

	// Manager 2 leaves: manager 1 is full (2 of 2), so their case cannot move.
	run("move a leaver's cases", chromedp.Click(`input[name="move.caseManager"][value="areabrowser-cm2"]`, chromedp.ByQuery),
		chromedp.Click(`button[value="move"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#moved-cases", chromedp.ByQuery), chromedp.Text("#moved-cases", &shown, chromedp.ByQuery))
	if !strings.Contains(shown, "could not move: no other active case manager has room") {
		t.Errorf("after moving: %q, want the case that could not move and why", shown)
	}
	audit("the area page after moving a leaver's cases")
	shoot("13-area-moved.png")
}
