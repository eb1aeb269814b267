package local_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/driveprogramme/referrals/infra/local"
)

// TestAdminCreatesAnAreaInARealBrowser drives headless Chromium as an
// admin would: opens the Areas page from the navigation, sends the
// create form with no name (the error summary, the thresholds kept),
// creates an area, adds its case manager on the area's page, changes a
// rule (the version rises, the change is listed), and then a referral an
// officer sends to the area through the API is allocated to that case
// manager. axe-core checks each page, and each is photographed.
func TestAdminCreatesAnAreaInARealBrowser(t *testing.T) {
	serial(t)
	c := startChrome(t)
	run, shoot, audit := c.run, c.shoot, c.audit

	var shown string
	run("open the Areas page", chromedp.Navigate(stack.URL+"/areas"), chromedp.WaitVisible("#username, main h1", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#username') ? 'login' : 'page'`, &shown))
	if shown == "login" {
		run("sign in as the admin", chromedp.SendKeys("#username", admin, chromedp.ByQuery), chromedp.SendKeys("#password", local.DemoPassword, chromedp.ByQuery),
			chromedp.Submit("#password", chromedp.ByQuery))
	}
	var current, list string
	run("read the Areas page", chromedp.WaitVisible("#create", chromedp.ByQuery),
		chromedp.Text(`.govuk-service-navigation [aria-current="page"]`, &current, chromedp.ByQuery), chromedp.Text("#areas", &list, chromedp.ByQuery))
	if current != "Areas" || strings.Contains(list, "There are no areas yet") {
		t.Errorf("Areas page: current navigation entry %q, list %q; want Areas, and the areas", current, list)
	}
	audit("the Areas page")
	shoot("40-areas.png")

	var links []string
	run("create with no name and a wrong threshold", chromedp.SetValue("#dashThreshold", "fourteen", chromedp.ByQuery),
		chromedp.Click(`form[action="/areas"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-error-summary", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('.govuk-error-summary__list a')].map(a => a.getAttribute('href'))`, &links),
		chromedp.Value("#dashThreshold", &shown, chromedp.ByQuery))
	if strings.Join(links, " ") != "#name #dashThreshold" || shown != "fourteen" {
		t.Errorf("no name: error summary links %v, DASH threshold %q; want the name and the threshold, as typed", links, shown)
	}
	audit("the Areas page with errors")
	shoot("41-areas-error.png")

	var banner, version string
	run("create the area", chromedp.SendKeys("#name", "Admin Browser", chromedp.ByQuery), chromedp.SetValue("#dashThreshold", "14", chromedp.ByQuery),
		chromedp.SendKeys("#leads", lead("admin-browser"), chromedp.ByQuery),
		chromedp.Click(`form[action="/areas"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-notification-banner--success", chromedp.ByQuery), chromedp.Text(".govuk-notification-banner--success", &banner, chromedp.ByQuery),
		chromedp.Text("#rules-version", &version, chromedp.ByQuery))
	if !strings.Contains(banner, "The area has been created") || strings.TrimSpace(version) != "1" {
		t.Errorf("after creating: banner %q, version %q; want created, version 1", banner, version)
	}
	run("add its case manager", chromedp.SendKeys("#add-name", "Casey Quinn", chromedp.ByQuery), chromedp.SendKeys("#add-email", "casey@admin-browser.drive.example", chromedp.ByQuery),
		chromedp.SendKeys("#add-capacity", "3", chromedp.ByQuery), chromedp.Click(`button[value="add"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`tr[data-case-manager="admin-browser-casey-quinn"]`, chromedp.ByQuery))
	audit("the new area's page")
	shoot("42-area-created.png")

	run("open the area's settings", chromedp.Click(`a[href="/areas/admin-browser/settings"]`, chromedp.ByQuery), chromedp.WaitVisible("#incidentsThreshold", chromedp.ByQuery))
	audit("the area's settings")
	shoot("43-area-settings.png")
	var changes string
	run("lower the incidents threshold", chromedp.SetValue("#incidentsThreshold", "2", chromedp.ByQuery),
		chromedp.Click(`form[action="/areas/admin-browser/settings"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-notification-banner--success", chromedp.ByQuery), chromedp.Text("#rules-version", &version, chromedp.ByQuery),
		chromedp.Text("#changes", &changes, chromedp.ByQuery))
	if strings.TrimSpace(version) != "2" || !strings.Contains(changes, "Incidents threshold") || !strings.Contains(changes, "Casey Quinn") {
		t.Errorf("after the change: version %q, changes %q; want 2, the threshold's change and the case manager added", version, changes)
	}

	ref := submit(t, submission(t, "admin-browser", nil))
	awaitStatus(t, ref, "allocated")
	rec, err := stack.Store.Referral(t.Context(), ref)
	if err != nil || rec.CaseManager == nil || rec.CaseManager.ID != "admin-browser-casey-quinn" || rec.Decision == nil || rec.Decision.RulesVersion != 2 {
		t.Fatalf("%s: got %v %+v, want it allocated to Casey Quinn under rules version 2", ref, err, rec.CaseManager)
	}
	var managers string
	run("read the area page again", chromedp.Navigate(stack.URL+"/areas/admin-browser"), chromedp.WaitVisible("#managers", chromedp.ByQuery),
		chromedp.Text(`tr[data-case-manager="admin-browser-casey-quinn"]`, &managers, chromedp.ByQuery))
	if !strings.Contains(managers, "33%") {
		t.Errorf("Casey Quinn's row %q, want 1 of 3 cases, 33%%", managers)
	}
	audit("the area page with its first case")
	shoot("44-area-allocated.png")
}
