package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/driveprogramme/referrals/infra/local"
)

// screenshotDir is where the browser test leaves its pictures (README).
const screenshotDir = "../../screenshots"

// TestFormInARealBrowser drives headless Chromium through the form as an
// officer would: mistakes, the error summary, every value kept, fixes,
// the confirmation, the status page; axe-core checks each page.
func TestFormInARealBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	axe, axeErr := os.ReadFile("../../web/node_modules/axe-core/axe.min.js")
	if err != nil || axeErr != nil {
		t.Skip("\n\n*** SKIPPED: the browser test needs Debian's chromium and web/node_modules/axe-core: run `make test`, which installs them ***\n")
	}
	profile, err := os.MkdirTemp("", "drive-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile) // after the browser has closed (deferred calls run last-in, first-out)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.WindowSize(1200, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	// Start the browser on the test's context: steps' own timeouts must not close it.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}

	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 30*time.Second) // a missing element fails fast
		defer cancel()
		if err := chromedp.Run(step, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shoot := func(name string) {
		t.Helper()
		var png []byte
		run("screenshot "+name, chromedp.FullScreenshot(&png, 100)) // 100 means PNG; less is JPEG
		if err := os.WriteFile(filepath.Join(screenshotDir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	audit := func(page string) {
		t.Helper()
		var result string
		run("axe on "+page, chromedp.Evaluate(string(axe), nil),
			chromedp.Evaluate(`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length}))))`,
				&result, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
		var violations []struct {
			ID, Impact, Help string
			Nodes            int
		}
		if err := json.Unmarshal([]byte(result), &violations); err != nil {
			t.Fatalf("axe on %s: %v (%s)", page, err, result)
		}
		for _, v := range violations {
			t.Logf("axe on %s: %s (%s, %d elements): %s", page, v.ID, v.Impact, v.Nodes, v.Help)
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("axe on %s: %s violation %s: %s", page, v.Impact, v.ID, v.Help)
			}
		}
		t.Logf("axe on %s: %d violations", page, len(violations))
	}
	typeInto := func(id, text string) chromedp.Action {
		return chromedp.SendKeys("#"+id, text, chromedp.ByQuery)
	}

	// Signing in: the form sends the browser to the identity provider's
	// login page, and back to the form once signed in.
	run("sign in", chromedp.Navigate(stack.URL+"/referrals/new"), chromedp.WaitVisible("#username", chromedp.ByQuery),
		chromedp.SendKeys("#username", officer, chromedp.ByQuery), chromedp.SendKeys("#password", local.DemoPassword, chromedp.ByQuery),
		chromedp.Submit("#password", chromedp.ByQuery))

	// The form, empty but for the officer's name and email from signing in.
	run("open the form", chromedp.WaitVisible("#referrer-name", chromedp.ByQuery))
	var prefilled string
	run("read the name", chromedp.Value("#referrer-name", &prefilled, chromedp.ByQuery))
	if prefilled != "PC Sam Taylor" {
		t.Errorf("the form's name is %q, want PC Sam Taylor from signing in", prefilled)
	}
	audit("the form")
	shoot("1-form.png")

	// Mistakes: a wrong email, a 13th month, no DASH as a number, the
	// consent question unanswered; the rest right.
	run("fill in with mistakes",
		typeInto("referrer-force", "Essex Police"),
		chromedp.Clear("#referrer-email", chromedp.ByQuery), typeInto("referrer-email", "sam at essex"), typeInto("referrer-phone", "01632 960 001"),
		chromedp.Click(`input[name="area"][value="browser"]`, chromedp.ByQuery), chromedp.Click(`input[name="route"][value="police"]`, chromedp.ByQuery),
		typeInto("perpetrator-firstName", "John"), typeInto("perpetrator-lastName", "Browser"),
		typeInto("perpetrator-dateOfBirth", "2"), typeInto("perpetrator-dateOfBirth-month", "13"), typeInto("perpetrator-dateOfBirth-year", "1984"),
		typeInto("perpetrator-postcode", "co1 1aa"),
		typeInto("victims-0-firstName", "Jane"), typeInto("victims-0-lastName", "Doe"), typeInto("victims-0-dashScore", "sixteen"),
		chromedp.Click(`input[name="victims[0].safeToContact"][value="no"]`, chromedp.ByQuery),
		typeInto("abuse-incidentsLast12Months", "4"), typeInto("abuse-knownVictims", "2"),
		chromedp.Click(`button[value="send"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-error-summary", chromedp.ByQuery))
	var summary []string
	var kept map[string]string
	run("read the errors", chromedp.Evaluate(`[...document.querySelectorAll('.govuk-error-summary__list a')].map(a => a.getAttribute('href'))`, &summary),
		chromedp.Evaluate(`Object.fromEntries([...document.querySelectorAll('input[type=text],input[type=email],input[type=tel]')].filter(i => i.value).map(i => [i.id, i.value]))`, &kept))
	for _, want := range []string{"#referrer-email", "#perpetrator-dateOfBirth", "#victims-0-dashScore", "#victimAwareOfReferral"} {
		if !slices.Contains(summary, want) {
			t.Errorf("error summary links %v, want one to %s", summary, want)
		}
	}
	for id, want := range map[string]string{"referrer-email": "sam at essex", "perpetrator-dateOfBirth-month": "13", "victims-0-dashScore": "sixteen",
		"perpetrator-lastName": "Browser", "referrer-phone": "01632 960 001", "abuse-knownVictims": "2"} {
		if kept[id] != want {
			t.Errorf("field %s: got %q after the errors, want %q as typed", id, kept[id], want)
		}
	}
	audit("the form with errors")
	shoot("2-form-errors.png")
	var top []byte // what the officer sees first: the error summary
	run("screenshot the top", chromedp.ScrollIntoView("body", chromedp.ByQuery), chromedp.CaptureScreenshot(&top))
	if err := os.WriteFile(filepath.Join(screenshotDir, "2-form-errors-top.png"), top, 0o644); err != nil {
		t.Fatal(err)
	}

	// Fix them and send.
	var reference string
	run("fix and send",
		chromedp.SetValue("#referrer-email", "sam.taylor@essex.police.example", chromedp.ByQuery),
		chromedp.SetValue("#perpetrator-dateOfBirth-month", "3", chromedp.ByQuery),
		chromedp.SetValue("#victims-0-dashScore", "16", chromedp.ByQuery),
		chromedp.Click(`input[name="victimAwareOfReferral"][value="yes"]`, chromedp.ByQuery),
		chromedp.Click(`button[value="send"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#reference", chromedp.ByQuery),
		chromedp.Text("#reference", &reference, chromedp.ByQuery))
	if !strings.HasPrefix(reference, "DRV-") {
		t.Fatalf("confirmation shows reference %q", reference)
	}
	audit("the confirmation")
	shoot("3-confirmation.png")

	// The status page, from the confirmation's link.
	awaitStatus(t, reference, "allocated")
	var status string
	run("open the status page", chromedp.Click(`a[href="/referrals/`+reference+`/status"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#status", chromedp.ByQuery), chromedp.Text("#status", &status, chromedp.ByQuery))
	if status != "allocated" {
		t.Errorf("status page says %q, want allocated", status)
	}
	audit("the status page")
	shoot("4-status.png")

	// Home, from the header.
	run("open the home page", chromedp.Click(`a.govuk-header__service-name`, chromedp.ByQuery), chromedp.WaitVisible("#roles", chromedp.ByQuery))
	audit("the home page")
	shoot("5-home.png")
	abs, _ := filepath.Abs(screenshotDir)
	fmt.Fprintf(os.Stderr, "browser test: reference %s; screenshots in %s\n", reference, abs)
}
