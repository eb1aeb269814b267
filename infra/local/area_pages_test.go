package local_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/driveprogramme/referrals/infra/local"
	"github.com/driveprogramme/referrals/shared/privacytest"
	"github.com/driveprogramme/referrals/shared/referral"
)

// awaitDecided waits for a referral of "areapages" (one place) to be
// allocated or waitlisted, whichever the tests before left room for.
func awaitDecided(t *testing.T, ref string) string {
	t.Helper()
	var got string
	eventually(t, 60*time.Second, ref+" allocated or waitlisted", func() bool {
		_, v := status(t, ref)
		got = v.Status
		return got == "allocated" || got == "waitlisted"
	})
	return got
}

// areaReferral sends a referral to "areapages" whose perpetrator has the
// names given, and returns its reference and its personal details.
func areaReferral(t *testing.T, first, last string) (string, []privacytest.Detail) {
	t.Helper()
	body := submission(t, "areapages", func(m map[string]any) {
		p := m["perpetrator"].(map[string]any)
		p["firstName"], p["lastName"] = first, last
	})
	r, err := referral.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return submit(t, body), privacytest.Referral(r)
}

func getAs(t *testing.T, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", stack.URL+path, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// TestAreaPagesCarryNoPersonalData: the report page and its download
// hold no personal detail of the area's referrals (nor does the list,
// which shows references), and a search by name is recorded on each
// referral it finds, as a view of the case is; a search by reference is
// not (it reads nothing personal).
func TestAreaPagesCarryNoPersonalData(t *testing.T) {
	serial(t)
	suffix := fmt.Sprintf("%c%c", 'a'+time.Now().UnixNano()%26, 'a'+time.Now().UnixNano()/26%26)
	last := "Quartermaine-" + suffix
	first, secrets := areaReferral(t, "Evander", last)
	second, more := areaReferral(t, "Leopoldine", last)
	secrets = append(secrets, more...)
	awaitDecided(t, first)
	awaitDecided(t, second)

	c := browser(t, lead("areapages"))
	for _, path := range []string{"/areas/areapages/report", "/areas/areapages/report.csv", "/areas/areapages/report?format=csv", "/areas/areapages/referrals"} {
		resp, body := getAs(t, c, path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: got %d, want 200", path, resp.StatusCode)
		}
		for _, f := range privacytest.Find(body, secrets...) {
			t.Errorf("%s holds %s", path, f)
		}
		if strings.Contains(path, "csv") {
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			var refs []string
			for _, r := range rows[1:] {
				refs = append(refs, r[0])
			}
			if !slices.Contains(refs, first) || !slices.Contains(refs, second) || rows[0][0] != "reference" {
				t.Errorf("%s: got references %v under %v, want %s and %s", path, refs, rows[0], first, second)
			}
		}
	}

	_, list := getAs(t, c, "/areas/areapages/referrals")
	m := csrfPattern.FindStringSubmatch(list)
	if m == nil {
		t.Fatal("the list has no search form with the session's token")
	}
	searchFor := func(q string) string {
		resp, err := c.PostForm(stack.URL+"/areas/areapages/referrals", url.Values{"csrf": {m[1]}, "q": {q}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("search for %q: got %d", q, resp.StatusCode)
		}
		return string(raw)
	}
	searchViews := func(ref string) int {
		views, _, err := stack.Store.Views(t.Context(), ref, 1000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, v := range views {
			if strings.HasPrefix(v.Role, "area lead, search by") {
				n++
			}
		}
		return n
	}
	if found := searchFor(strings.ToUpper(first)); !strings.Contains(found, "1 found") || searchViews(first) != 0 {
		t.Errorf("search by reference: want 1 found and nothing recorded; got %d recorded", searchViews(first))
	}
	found := searchFor("quartermaine " + suffix)
	if !strings.Contains(found, "2 found") || !strings.Contains(found, first) || !strings.Contains(found, second) {
		t.Errorf("search by name: want both found: %.3000s", found)
	}
	if searchViews(first) != 1 || searchViews(second) != 1 {
		t.Errorf("search by name: got %d and %d recorded, want one on each referral found", searchViews(first), searchViews(second))
	}
	if strings.Contains(logs.String(), "Quartermaine") || strings.Contains(strings.ToLower(logs.String()), "quartermaine") {
		t.Errorf("the search's words are in the logs")
	}
}

// TestAreaPagesInARealBrowser drives headless Chromium as the area's
// lead: from the home page to the list of referrals, a filter, a search by name, a search with
// nothing typed (the error summary), the report with its charts, the
// download, and a date that does not read. axe-core checks each page,
// and each is photographed.
func TestAreaPagesInARealBrowser(t *testing.T) {
	serial(t)
	c := startChrome(t)
	run, shoot, audit := c.run, c.shoot, c.audit
	suffix := fmt.Sprintf("%c%c", 'a'+time.Now().UnixNano()%26, 'a'+time.Now().UnixNano()/26%26)
	named, _ := areaReferral(t, "Ambrose", "Featherstonehaugh-"+suffix)
	other := submit(t, submission(t, "areapages", nil))
	awaitDecided(t, named)
	if awaitDecided(t, other) != "waitlisted" {
		t.Fatalf("%s: want it waitlisted (areapages has one place)", other)
	}

	var shown string
	run("open the home page", chromedp.Navigate(stack.URL+"/"), chromedp.WaitVisible("#username, main h1", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#username') ? 'login' : 'page'`, &shown))
	if shown == "login" {
		run("sign in as the lead", chromedp.SendKeys("#username", lead("areapages"), chromedp.ByQuery), chromedp.SendKeys("#password", local.DemoPassword, chromedp.ByQuery),
			chromedp.Submit("#password", chromedp.ByQuery))
	}
	var heading string
	run("read the list", chromedp.Click(`a[href="/areas/areapages/referrals"]`, chromedp.ByQuery), chromedp.WaitVisible("#referrals", chromedp.ByQuery), chromedp.Text("main h1", &heading, chromedp.ByQuery))
	if heading != "Referrals" {
		t.Errorf("list: got heading %q", heading)
	}
	audit("the area's referrals")
	shoot("10-area-referrals.png")

	var statuses []string
	run("filter by waitlisted", chromedp.SetValue("#status", "waitlisted", chromedp.ByQuery), chromedp.Click("#filters button", chromedp.ByQuery),
		// The page after the filter: its select chosen as the server drew it.
		chromedp.WaitReady(`#status option[value="waitlisted"][selected]`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('#referrals tbody [data-status]')].map(e => e.dataset.status)`, &statuses))
	if len(statuses) == 0 || slices.ContainsFunc(statuses, func(s string) bool { return s != "waitlisted" }) {
		t.Errorf("filtered by waitlisted: got %v", statuses)
	}
	shoot("11-area-referrals-waitlisted.png")

	var results string
	var refs []string
	run("clear the filters", chromedp.Click(`#filters a`, chromedp.ByQuery), chromedp.WaitReady(`#status option[value=""][selected]`, chromedp.ByQuery))
	run("search by name", chromedp.SendKeys("#q", "featherstonehaugh "+suffix, chromedp.ByQuery), chromedp.Click("#search button", chromedp.ByQuery),
		chromedp.WaitVisible(`//h2[@id="results"][contains(., "found")]`, chromedp.BySearch), chromedp.Text("#results", &results, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('#referrals tbody a')].map(a => a.textContent)`, &refs))
	if !strings.Contains(results, "1 found") || !slices.Equal(refs, []string{named}) {
		t.Errorf("search by name: got %q %v, want %s alone", results, refs, named)
	}
	views, _, _ := stack.Store.Views(t.Context(), named, 1000)
	if !slices.ContainsFunc(views, func(v referral.View) bool { return v.Role == "area lead, search by name" }) {
		t.Errorf("search by name: got views %+v, want the search recorded", views)
	}
	audit("the area's referrals searched")
	shoot("12-area-referrals-search.png")

	var links []string
	run("search for nothing", chromedp.Evaluate(`document.querySelector('#q').value = ''`, nil), chromedp.Click("#search button", chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-error-summary", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('.govuk-error-summary__list a')].map(a => a.getAttribute('href'))`, &links))
	if !slices.Equal(links, []string{"#q"}) {
		t.Errorf("an empty search: error summary links %v, want #q", links)
	}
	audit("the area's referrals with an error")

	var charts int
	var figures string
	run("open the report", chromedp.Click(`a[href="/areas/areapages/report"]`, chromedp.ByQuery), chromedp.WaitVisible("#figures", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('svg[role="img"] > title + desc').length`, &charts),
		chromedp.Text(".govuk-summary-list", &figures, chromedp.ByQuery))
	if charts != 2 || !strings.Contains(figures, "Referrals received") {
		t.Errorf("report: got %d charts with a title and a description, figures %q; want 2", charts, figures)
	}
	audit("the report")
	shoot("13-area-report.png")

	// The download, as the browser saves it.
	dir := t.TempDir()
	began, done := make(chan string, 1), make(chan string, 1)
	chromedp.ListenTarget(c.ctx, func(ev any) {
		switch e := ev.(type) {
		case *cdpbrowser.EventDownloadWillBegin:
			select {
			case began <- e.SuggestedFilename:
			default:
			}
		case *cdpbrowser.EventDownloadProgress:
			if e.State == cdpbrowser.DownloadProgressStateCompleted {
				select {
				case done <- e.GUID:
				default:
				}
			}
		}
	})
	run("download the CSV", cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true),
		chromedp.Click("#download", chromedp.ByQuery))
	var name, guid string
	select {
	case name = <-began:
	case <-time.After(patience * 30 * time.Second):
		t.Fatal("the download did not begin")
	}
	select {
	case guid = <-done:
	case <-time.After(patience * 30 * time.Second):
		t.Fatal("the download did not finish")
	}
	raw, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "drive-areapages-referrals-") || !strings.HasSuffix(name, ".csv") ||
		!strings.Contains(string(raw), named) || strings.Contains(string(raw), "Featherstonehaugh") {
		t.Errorf("download: got %q holding %.500s, want a CSV with %s and no name", name, raw, named)
	}

	run("a date that does not read", chromedp.SetValue("#from", "31", chromedp.ByQuery), chromedp.SetValue("#from-month", "2", chromedp.ByQuery),
		chromedp.Click(`form[action="/areas/areapages/report"] button`, chromedp.ByQuery), chromedp.WaitVisible(".govuk-error-summary", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('.govuk-error-summary__list a')].map(a => a.getAttribute('href'))`, &links))
	if !slices.Equal(links, []string{"#from"}) {
		t.Errorf("31 February: error summary links %v, want #from", links)
	}
	audit("the report with an error")
	shoot("14-area-report-error.png")
}
