package local_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/driveprogramme/referrals/infra/local"
)

// TestOfficerWithdrawsInARealBrowser drives headless Chromium as an
// officer would: from the home page to "Your referrals", where the
// referral they just made is first; its status page; the withdrawal page,
// sent without a reason (the error summary), then with one; the status
// page says it is withdrawn, and the list shows it so. Opening the
// withdrawal page again goes to the status page, which says it was not
// withdrawn again. axe-core checks each page, and each is photographed.
func TestOfficerWithdrawsInARealBrowser(t *testing.T) {
	serial(t)
	c := startChrome(t)
	run, shoot, audit := c.run, c.shoot, c.audit
	ref := submit(t, submission(t, "browser", nil))
	awaitStatus(t, ref, "allocated")

	var shown string
	run("open the home page", chromedp.Navigate(stack.URL+"/"), chromedp.WaitVisible("#username, main h1", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#username') ? 'login' : 'page'`, &shown))
	if shown == "login" {
		run("sign in as the officer", chromedp.SendKeys("#username", officer, chromedp.ByQuery), chromedp.SendKeys("#password", local.DemoPassword, chromedp.ByQuery),
			chromedp.Submit("#password", chromedp.ByQuery))
	}
	var first, heading string
	run("go to your referrals", chromedp.WaitVisible("#your-referrals", chromedp.ByQuery), chromedp.Click("#your-referrals", chromedp.ByQuery),
		chromedp.WaitVisible("#referrals", chromedp.ByQuery), chromedp.Text("main h1", &heading, chromedp.ByQuery),
		chromedp.AttributeValue("#referrals tbody tr", "data-reference", &first, nil, chromedp.ByQuery))
	if heading != "Your referrals" || first != ref {
		t.Errorf("your referrals: got heading %q and %q first, want Your referrals with %s first (newest first)", heading, first, ref)
	}
	audit("your referrals")
	shoot("10-your-referrals.png")

	run("open its status", chromedp.Click(`a[href="/referrals/`+ref+`/status"]`, chromedp.ByQuery), chromedp.WaitVisible("#withdraw-link", chromedp.ByQuery))
	audit("the status page with the withdraw action")
	run("withdraw", chromedp.Click("#withdraw-link", chromedp.ByQuery), chromedp.WaitVisible("#reason", chromedp.ByQuery))
	audit("the withdrawal page")
	shoot("11-withdrawal.png")

	var links []string
	run("withdraw without a reason", chromedp.Click(`main form button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-error-summary", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('.govuk-error-summary__list a')].map(a => a.getAttribute('href'))`, &links))
	if len(links) != 1 || links[0] != "#reason" {
		t.Errorf("withdrawing without a reason: error summary links %v, want #reason", links)
	}
	audit("the withdrawal page with an error")
	shoot("12-withdrawal-error.png")

	var banner, status string
	run("withdraw with a reason", chromedp.SendKeys("#reason", "Sent in error: wrong perpetrator", chromedp.ByQuery),
		chromedp.Click(`main form button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-notification-banner--success", chromedp.ByQuery),
		chromedp.Text(".govuk-notification-banner--success", &banner, chromedp.ByQuery), chromedp.Text("#status", &status, chromedp.ByQuery))
	if !strings.Contains(banner, "You have withdrawn this referral") || !strings.Contains(status, "Withdrawn") {
		t.Errorf("after withdrawing: banner %q, status %q", banner, status)
	}
	audit("the status page after withdrawing")
	shoot("13-withdrawn.png")
	awaitStatus(t, ref, "withdrawn")

	run("withdraw again", chromedp.Navigate(stack.URL+"/referrals/"+ref+"/withdrawal"),
		chromedp.WaitVisible(".govuk-notification-banner", chromedp.ByQuery), chromedp.Text(".govuk-notification-banner", &banner, chromedp.ByQuery))
	if !strings.Contains(banner, "This referral was not withdrawn") {
		t.Errorf("opening the withdrawal page of a withdrawn referral: banner %q, want that it was not withdrawn", banner)
	}
	audit("the status page after withdrawing again")

	var row string
	run("back to your referrals", chromedp.Navigate(stack.URL+"/referrals"), chromedp.WaitVisible("#referrals", chromedp.ByQuery),
		chromedp.Text(`tr[data-reference="`+ref+`"]`, &row, chromedp.ByQuery))
	if !strings.Contains(row, "Withdrawn") {
		t.Errorf("your referrals after withdrawing: row %q, want Withdrawn", row)
	}
}
