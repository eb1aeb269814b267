package local_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/driveprogramme/referrals/infra/local"
)

// TestCasePageInARealBrowser drives headless Chromium as a case manager
// and as the area's lead would: the case manager signs in from the
// allocation email's link, reads the case (safety first), accepts it,
// closes it with "other" but no note (the error summary), then with one;
// the case manager of another case declines it, and it goes to their
// colleague; the lead reallocates another case from its page. axe-core checks each
// page, and each is photographed.
func TestCasePageInARealBrowser(t *testing.T) {
	serial(t)
	c := startChrome(t)
	run, shoot, audit := c.run, c.shoot, c.audit
	first := submit(t, submission(t, "casepage", nil))
	awaitStatus(t, first, "allocated")
	rec, err := stack.Store.Referral(t.Context(), first)
	if err != nil || rec.CaseManager == nil {
		t.Fatalf("%s: %v %+v", first, err, rec)
	}
	holder := strings.TrimPrefix(rec.CaseManager.ID, "casepage-") + "@casepage.drive.example"

	signIn := func(site, path, who string) {
		t.Helper()
		var shown string
		run("open "+path, chromedp.Navigate(site+path), chromedp.WaitVisible("#username, main h1", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('#username') ? 'login' : 'page'`, &shown))
		if shown == "login" {
			run("sign in as "+who, chromedp.SendKeys("#username", who, chromedp.ByQuery), chromedp.SendKeys("#password", local.DemoPassword, chromedp.ByQuery),
				chromedp.Submit("#password", chromedp.ByQuery))
		}
	}

	// The case manager, from the email's link.
	signIn(stack.URL, "/cases/"+first, holder)
	var safety, heading string
	run("read the case", chromedp.WaitVisible("#safety", chromedp.ByQuery), chromedp.Text("#safety", &safety, chromedp.ByQuery),
		chromedp.Text("main h1", &heading, chromedp.ByQuery))
	if !strings.Contains(safety, "Never tell") || !strings.Contains(heading, rec.Referral.Perpetrator.LastName) {
		t.Errorf("case page: got heading %q and safety %q, want the perpetrator's name and the warning", heading, safety)
	}
	audit("the case page")
	shoot("6-case.png")

	var banner string
	run("accept", chromedp.Click(`button[value="accept"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-notification-banner--success", chromedp.ByQuery), chromedp.Text(".govuk-notification-banner--success", &banner, chromedp.ByQuery))
	if !strings.Contains(banner, "You have accepted this case") {
		t.Errorf("after accepting: banner %q", banner)
	}
	audit("the case page after accepting")
	shoot("7-case-accepted.png")

	var links []string
	run("close as other without a note", chromedp.Click(`input[name="close.reason"][value="other"]`, chromedp.ByQuery),
		chromedp.Click(`button[value="close"]`, chromedp.ByQuery), chromedp.WaitVisible(".govuk-error-summary", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('.govuk-error-summary__list a')].map(a => a.getAttribute('href'))`, &links))
	if len(links) != 1 || links[0] != "#close-note" {
		t.Errorf("closing as other without a note: error summary links %v, want #close-note", links)
	}
	var kept bool
	run("other is still chosen", chromedp.Evaluate(`document.querySelector('input[name="close.reason"][value="other"]').checked`, &kept))
	if !kept {
		t.Error("closing as other without a note: Other is no longer chosen")
	}
	audit("the case page with an error")
	shoot("8-case-close-error.png")
	run("close with a note", chromedp.SendKeys("#close-note", "Moved to Leeds to live with his mother", chromedp.ByQuery),
		chromedp.Click(`button[value="close"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-notification-banner--success", chromedp.ByQuery), chromedp.Text(".govuk-notification-banner--success", &banner, chromedp.ByQuery))
	if !strings.Contains(banner, "The case is closed") {
		t.Errorf("after closing: banner %q", banner)
	}
	awaitStatus(t, first, "closed")

	// Another case, declined by the case manager it goes to: signed out
	// and in again as them, they decline it, land home, and the case goes
	// to their colleague.
	third := submit(t, submission(t, "casepage", nil))
	awaitStatus(t, third, "allocated")
	given, _ := stack.Store.Referral(t.Context(), third)
	if given.CaseManager == nil {
		t.Fatalf("%s: no case manager", third)
	}
	run("sign out", chromedp.Click(`form[action="/auth/sign-out"] button`, chromedp.ByQuery), chromedp.WaitVisible("main h1", chromedp.ByQuery))
	signIn(stack.URL, "/cases/"+third, strings.TrimPrefix(given.CaseManager.ID, "casepage-")+"@casepage.drive.example")
	run("decline", chromedp.WaitVisible(`button[value="decline"]`, chromedp.ByQuery),
		chromedp.Click(`input[name="decline.reason"][value="knows-the-family"]`, chromedp.ByQuery),
		chromedp.Click(`button[value="decline"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-notification-banner--success", chromedp.ByQuery), chromedp.Text(".govuk-notification-banner--success", &banner, chromedp.ByQuery))
	if !strings.Contains(banner, "You have declined the case") {
		t.Errorf("after declining: banner %q", banner)
	}
	audit("the home page after declining")
	shoot("8-case-declined-home.png")
	awaitStatus(t, third, "allocated")
	moved, _ := stack.Store.Referral(t.Context(), third)
	if moved.CaseManager == nil || moved.CaseManager.ID == given.CaseManager.ID || len(moved.Declined) != 1 || moved.Declined[0] != given.CaseManager.ID {
		t.Errorf("after declining: got case manager %+v, declined by %v; want the colleague, declined by %s", moved.CaseManager, moved.Declined, given.CaseManager.ID)
	}

	// The lead, at the stack's other local address (a browser keeps its
	// cookies per host, so this is a sign-in of its own), reallocates
	// another case to the best candidate.
	second := submit(t, submission(t, "casepage", nil))
	awaitStatus(t, second, "allocated")
	before, _ := stack.Store.Referral(t.Context(), second)
	site := strings.Replace(stack.URL, "localhost", "127.0.0.1", 1)
	signIn(site, "/cases/"+second, lead("casepage"))
	run("reallocate", chromedp.WaitVisible(`button[value="reallocate"]`, chromedp.ByQuery),
		chromedp.Click(`input[name="reallocate.caseManager"][value="best"]`, chromedp.ByQuery),
		chromedp.SendKeys("#reallocate-reason", "Conflict of interest", chromedp.ByQuery))
	audit("the case page as the lead")
	shoot("9-case-lead.png")
	run("send the reallocation", chromedp.Click(`button[value="reallocate"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-notification-banner--success", chromedp.ByQuery), chromedp.Text(".govuk-notification-banner--success", &banner, chromedp.ByQuery))
	after, _ := stack.Store.Referral(t.Context(), second)
	if !strings.Contains(banner, "reallocated") || after.CaseManager == nil || before.CaseManager == nil || after.CaseManager.ID == before.CaseManager.ID {
		t.Errorf("after reallocating: banner %q, case manager %+v before and %+v after; want another", banner, before.CaseManager, after.CaseManager)
	}
	audit("the case page after reallocating")
}
