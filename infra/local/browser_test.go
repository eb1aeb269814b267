package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/driveprogramme/referrals/infra/local"
)

// screenshotDir is where the browser test leaves its pictures (README).
const screenshotDir = "../../screenshots"

// sendButton is the form's visible Send referral button (a hidden one
// comes first, for Enter).
const sendButton = `button.govuk-button[value="send"]`

// chrome is a headless Chromium for a test, with its steps: run (each
// step fails the test after 30 s), shoot (a full-page screenshot into
// screenshotDir) and audit (axe-core: no serious or critical violation).
type chrome struct {
	ctx   context.Context
	run   func(what string, actions ...chromedp.Action)
	shoot func(name string)
	audit func(page string)
}

// startChrome starts headless Chromium for t, closed when t ends; it skips
// t when Chromium or axe-core is missing.
func startChrome(t *testing.T) chrome {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	axe, axeErr := os.ReadFile("../../web/node_modules/axe-core/axe.min.js")
	if err != nil || axeErr != nil {
		t.Skip("\n\n*** SKIPPED: the browser test needs Debian's chromium and web/node_modules/axe-core: run `make test`, which installs them ***\n")
	}
	profile, err := os.MkdirTemp("", "drive-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(profile) }) // after the browser has closed (cleanups run last-in, first-out)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.WindowSize(1200, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// Start the browser on the test's context: steps' own timeouts must not close it.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}

	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, patience*30*time.Second) // a missing element fails in a few minutes at most
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
	return chrome{ctx: ctx, run: run, shoot: shoot, audit: audit}
}

// TestFormInARealBrowser drives headless Chromium through the form as an
// officer would: mistakes, the error summary, every value kept, fixes,
// the confirmation, the status page; axe-core checks each page.
func TestFormInARealBrowser(t *testing.T) {
	serial(t)
	c := startChrome(t)
	ctx, run, shoot, audit := c.ctx, c.run, c.shoot, c.audit
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
		chromedp.Click(sendButton, chromedp.ByQuery),
		chromedp.WaitVisible(".govuk-error-summary", chromedp.ByQuery))
	var summary []string
	var kept map[string]string
	run("read the errors", chromedp.Evaluate(`[...document.querySelectorAll('.govuk-error-summary__list a')].map(a => a.getAttribute('href'))`, &summary),
		chromedp.Evaluate(`Object.fromEntries([...document.querySelectorAll('input[type=text],input[type=email],input[type=tel]')].filter(i => i.value).map(i => [i.id, i.value]))`, &kept))
	for _, want := range []string{"#referrer-email", "#perpetrator-dateOfBirth-month", "#victims-0-dashScore", "#victimAwareOfReferral"} {
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

	// Add a second victim-survivor: the page lands at their section; then
	// remove them again, keeping everything typed.
	var at string
	run("add a victim-survivor", chromedp.Click(`button[value="add-victim"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#victims-1-firstName", chromedp.ByQuery), chromedp.Location(&at))
	if !strings.HasSuffix(at, "#victim-1") {
		t.Errorf("after adding a victim-survivor the page is at %q, want their section #victim-1", at)
	}
	run("type into victim-survivor 2", typeInto("victims-1-firstName", "Second"))
	shoot("2-form-second-victim.png")
	var count, lastName string
	run("remove victim-survivor 2", chromedp.Click(`button[value="remove-victim-1"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent("#victims-1-firstName", chromedp.ByQuery),
		chromedp.Value(`input[name="victimCount"]`, &count, chromedp.ByQuery), chromedp.Value("#perpetrator-lastName", &lastName, chromedp.ByQuery))
	if count != "1" || lastName != "Browser" {
		t.Errorf("after removing victim-survivor 2: got %s victim-survivors and last name %q, want 1 and Browser as typed", count, lastName)
	}

	// Fix them and send, by pressing Enter in a text box: Enter sends.
	var reference string
	run("fix and send",
		chromedp.SetValue("#referrer-email", "sam.taylor@essex.police.example", chromedp.ByQuery),
		chromedp.SetValue("#perpetrator-dateOfBirth-month", "3", chromedp.ByQuery),
		chromedp.SetValue("#victims-0-dashScore", "16", chromedp.ByQuery),
		chromedp.Click(`input[name="victimAwareOfReferral"][value="yes"]`, chromedp.ByQuery),
		chromedp.SendKeys("#victims-0-lastName", kb.Enter, chromedp.ByQuery),
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
	if status != "Allocated to a case manager" {
		t.Errorf("status page says %q, want Allocated to a case manager", status)
	}
	audit("the status page")
	shoot("4-status.png")

	// The same person referred again: linked, and its status page says
	// what that means for the officer (issue 13).
	open, err := stack.Store.Referral(t.Context(), reference)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(open.Referral)
	code, out := call(t, officer, http.MethodPost, "/referrals", string(again))
	linked, _ := out["reference"].(string)
	if code != http.StatusAccepted || out["status"] != "linked" {
		t.Fatalf("the same person again: got %d %v, want 202 linked", code, out)
	}
	var means string
	run("open the linked referral's status page", chromedp.Navigate(stack.URL+"/referrals/"+linked+"/status"),
		chromedp.WaitVisible("#linked-means", chromedp.ByQuery), chromedp.Text("#linked-means", &means, chromedp.ByQuery))
	if !strings.Contains(means, "passed to them") {
		t.Errorf("the linked referral's status page says %q, want what linked means", means)
	}
	audit("the linked referral's status page")
	shoot("4-status-linked.png")

	// Home, from the header.
	run("open the home page", chromedp.Click(`.govuk-service-navigation__service-name a`, chromedp.ByQuery), chromedp.WaitVisible("#roles", chromedp.ByQuery))
	audit("the home page")
	shoot("5-home.png")

	// A reference that names no referral: the page says so.
	var said string
	run("open a status page of no referral", chromedp.Navigate(stack.URL+"/referrals/DRV-2222-3333/status"), chromedp.WaitVisible("h1", chromedp.ByQuery),
		chromedp.Text("main", &said, chromedp.ByQuery))
	if !strings.Contains(said, "There is no referral with the reference DRV-2222-3333") {
		t.Errorf("the status page of no referral says %q", said)
	}
	audit("the status page of no referral")
	shoot("5-no-such-referral.png")

	clicked := clickEveryChoice(t, run, shoot)
	audit("the form after every label was clicked")
	resent := signOutMidForm(t, ctx, run, shoot)
	audit("the confirmation after signing in again")
	abs, _ := filepath.Abs(screenshotDir)
	fmt.Fprintf(os.Stderr, "browser test: references %s, %s and %s; screenshots in %s\n", reference, clicked, resent, abs)
}

// signOutMidForm opens the stack at its other local address, 127.0.0.1
// (the rest of the test uses localhost), and signs in there: a browser
// keeps cookies per host, so this signs in afresh. It fills in a form,
// signs out in another tab, presses Send (the form comes back with
// everything typed and a banner saying why), signs in again in the other
// tab, and presses Send once: the referral is sent. It returns the
// reference.
func signOutMidForm(t *testing.T, ctx context.Context, run func(string, ...chromedp.Action), shoot func(string)) string {
	t.Helper()
	site := strings.Replace(stack.URL, "localhost", "127.0.0.1", 1)
	var where, shown string
	run("open the form at "+site, chromedp.Navigate(site+"/referrals/new"), chromedp.WaitVisible("#username, #referrer-name", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#username') ? 'login' : 'form'`, &shown))
	if shown == "login" { // the provider asks again (it keeps no session of its own)
		run("sign in at "+site, chromedp.SendKeys("#username", officer, chromedp.ByQuery), chromedp.SendKeys("#password", local.DemoPassword, chromedp.ByQuery),
			chromedp.Submit("#password", chromedp.ByQuery))
	}
	run("back on the form", chromedp.WaitVisible("#referrer-name", chromedp.ByQuery), chromedp.Location(&where))
	if !strings.HasPrefix(where, site+"/referrals/new") {
		t.Errorf("signed in at %s, the browser is at %s; want back on the form where it began", site, where)
	}
	typeInto := func(id, text string) chromedp.Action { return chromedp.SendKeys("#"+id, text, chromedp.ByQuery) }
	pick := func(name, value string) chromedp.Action {
		return chromedp.Click(`input[name="`+name+`"][value="`+value+`"]`, chromedp.ByQuery)
	}
	run("fill in a form",
		typeInto("referrer-force", "Essex Police"), typeInto("referrer-phone", "01632 960 001"),
		pick("area", "browser"), pick("route", "police"),
		typeInto("perpetrator-firstName", "John"), typeInto("perpetrator-lastName", "Signedout"),
		typeInto("perpetrator-dateOfBirth", "2"), typeInto("perpetrator-dateOfBirth-month", "3"), typeInto("perpetrator-dateOfBirth-year", "1984"),
		typeInto("perpetrator-postcode", "CO1 1AA"), typeInto("victims-0-firstName", "Jane"), typeInto("victims-0-lastName", "Doe"),
		pick("victims[0].safeToContact", "no"), typeInto("abuse-incidentsLast12Months", "4"), typeInto("abuse-knownVictims", "2"),
		pick("victimAwareOfReferral", "yes"))

	other, closeOther := chromedp.NewContext(ctx) // another tab of the same browser
	defer closeOther()
	// Open the tab on its own context: a step's timeout must not close it.
	if err := chromedp.Run(other); err != nil {
		t.Fatalf("open another tab: %v", err)
	}
	inOther := func(what string, actions ...chromedp.Action) {
		t.Helper()
		step, cancel := context.WithTimeout(other, patience*30*time.Second)
		defer cancel()
		if err := chromedp.Run(step, actions...); err != nil {
			var where, text string
			look, cancel := context.WithTimeout(other, 5*time.Second)
			defer cancel()
			_ = chromedp.Run(look, chromedp.Location(&where), chromedp.Evaluate(`document.body ? document.body.innerText : ''`, &text))
			t.Fatalf("%s (in the other tab): %v; the tab is at %s, showing:\n%s", what, err, where, text)
		}
	}
	inOther("sign out", chromedp.Navigate(site+"/"), chromedp.WaitVisible("#roles", chromedp.ByQuery),
		chromedp.Click(`form[action="/auth/sign-out"] button`, chromedp.ByQuery), chromedp.WaitVisible(`a[href="/auth/sign-in"]`, chromedp.ByQuery))

	var banner, kept string
	run("send while signed out", chromedp.Click(sendButton, chromedp.ByQuery),
		chromedp.WaitVisible("#notification-banner", chromedp.ByQuery), chromedp.Text("#notification-banner", &banner, chromedp.ByQuery),
		chromedp.Value("#perpetrator-lastName", &kept, chromedp.ByQuery))
	if !strings.Contains(banner, "You have been signed out") || kept != "Signedout" {
		t.Errorf("sent while signed out: the banner says %q and the last name is %q; want the banner to say so, and what was typed kept", banner, kept)
	}
	var top []byte // what the officer sees first: the banner
	run("screenshot the banner", chromedp.ScrollIntoView("body", chromedp.ByQuery), chromedp.CaptureScreenshot(&top))
	if err := os.WriteFile(filepath.Join(screenshotDir, "7-form-signed-out-top.png"), top, 0o644); err != nil {
		t.Fatal(err)
	}

	var landed string
	inOther("sign in again", chromedp.Navigate(site+"/auth/sign-in?next=/"), chromedp.WaitVisible("#username, #roles", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#roles') ? 'home' : 'login'`, &landed))
	if landed == "login" {
		inOther("log in", chromedp.SendKeys("#username", officer, chromedp.ByQuery), chromedp.SendKeys("#password", local.DemoPassword, chromedp.ByQuery),
			chromedp.Submit("#password", chromedp.ByQuery), chromedp.WaitVisible("#roles", chromedp.ByQuery))
	}

	var reference string
	run("press Send once", chromedp.Click(sendButton, chromedp.ByQuery),
		chromedp.WaitVisible("#reference", chromedp.ByQuery), chromedp.Text("#reference", &reference, chromedp.ByQuery))
	rec, err := stack.Store.Referral(t.Context(), reference)
	if err != nil || rec.Referral.Perpetrator.LastName != "Signedout" {
		t.Errorf("after one press of Send: %q, %v, %+v; want the referral stored", reference, err, rec.Referral.Perpetrator)
	}
	return reference
}

// choiceLabels says, for each checkbox and radio of the form, by its
// question (legend) and the words of its label, which field and value the
// words mean: what an officer means by clicking them. The areas' radios
// are added from the stack's own areas, by name. A label the table does
// not know fails the test, so a new option must be added here.
var choiceLabels = map[string]map[string]string{
	"How has this referral come about?": {
		"A MARAC (multi-agency risk assessment conference)":          "route=marac",
		"Police identification of a high-harm or serial perpetrator": "route=police",
		"Another agency, through a local perpetrator panel":          "route=other",
	},
	"Which risk criteria apply? (optional)": {
		"Visible high risk (DASH score of 14 or more)":               "riskCriteria=visible-high-risk",
		"Professional judgement of high risk":                        "riskCriteria=professional-judgement",
		"Potential escalation (3 or more incidents in 12 months)":    "riskCriteria=potential-escalation",
		"Repeat (abuse within 12 months of the last MARAC referral)": "riskCriteria=repeat",
	},
	"Gender (optional)": {
		"Male": "perpetrator.gender=male", "Female": "perpetrator.gender=female",
		"Non-binary": "perpetrator.gender=non-binary", "Not known": "perpetrator.gender=not-known",
	},
	"Their relationship to the person you are referring (optional)": {
		"Partner": "victims[0].relationshipToPerpetrator=partner", "Ex-partner": "victims[0].relationshipToPerpetrator=ex-partner",
		"Family member": "victims[0].relationshipToPerpetrator=family-member", "Other": "victims[0].relationshipToPerpetrator=other",
	},
	"Is it safe to contact them?": {"Yes": "victims[0].safeToContact=yes", "No": "victims[0].safeToContact=no"},
	"Has an IDVA (independent domestic violence advisor) been allocated? (optional)": {
		"Yes": "victims[0].idvaAllocated=yes", "No": "victims[0].idvaAllocated=no",
	},
	"Are children's services involved? (optional)": {
		"Yes": "children.childrensServicesInvolved=yes", "No": "children.childrensServicesInvolved=no",
	},
	"What kinds of abuse are known? (optional)": {
		"Physical": "abuse.physical=yes", "Sexual": "abuse.sexual=yes", "Stalking or harassment": "abuse.stalkingHarassment=yes",
		"Jealous, coercive or controlling behaviour": "abuse.coerciveControl=yes", "Threats to kill": "abuse.threatsToKill=yes",
	},
	"Does the victim-survivor know about this referral?": {
		"Yes": "victimAwareOfReferral=yes", "No": "victimAwareOfReferral=no",
	},
}

const areaQuestion = "Which Drive area is this referral for?"

// xpathString quotes s for an XPath expression.
func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return `'` + s + `'`
}

// clickEveryChoice opens a new form and clicks the words of every
// checkbox's and radio's label, in the order of the page, then some again
// (to untick boxes and settle each radio question on a value of its
// own); after each click it checks that exactly the box the words name
// changed. It fills in the rest, sends, and checks that the stored
// referral holds what was clicked. It returns the referral's reference.
func clickEveryChoice(t *testing.T, run func(string, ...chromedp.Action), shoot func(string)) string {
	t.Helper()
	areas, err := stack.Store.Areas(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	meaning := map[string]map[string]string{areaQuestion: {}}
	for q, opts := range choiceLabels {
		meaning[q] = opts
	}
	for _, a := range areas {
		meaning[areaQuestion][a.Name] = "area=" + a.ID
	}
	run("open a new form", chromedp.Navigate(stack.URL+"/referrals/new"), chromedp.WaitVisible("#referrer-name", chromedp.ByQuery))
	var labels []struct{ Question, Words string }
	run("list the labels", chromedp.Evaluate(`[...document.querySelectorAll('.govuk-radios__item label, .govuk-checkboxes__item label')].map(l => ({question: l.closest('fieldset').querySelector('legend').textContent.trim(), words: l.textContent.trim()}))`, &labels))
	if len(labels) < 30 {
		t.Fatalf("the form has %d checkbox and radio labels, want every question's", len(labels))
	}

	ticked := map[string]bool{} // "name=value" → ticked, as the clicks mean
	click := func(question, words string) {
		t.Helper()
		key, ok := meaning[question][words]
		if !ok {
			t.Errorf("the form has the label %q under %q, which the test does not know: add it to choiceLabels", words, question)
			return
		}
		name, _, _ := strings.Cut(key, "=")
		if strings.HasPrefix(key, "riskCriteria=") || strings.HasPrefix(key, "abuse.") {
			ticked[key] = !ticked[key]
		} else {
			for k := range ticked {
				if strings.HasPrefix(k, name+"=") {
					ticked[k] = false
				}
			}
			ticked[key] = true
		}
		// The label is found by its question and its words, never by its
		// for attribute: what is clicked is what the officer reads.
		at := fmt.Sprintf(`(//fieldset[normalize-space(legend)=%s]//label[normalize-space()=%s])[1]`, xpathString(question), xpathString(words))
		var state map[string]bool
		run(fmt.Sprintf("click %q under %q", words, question), chromedp.Click(at, chromedp.BySearch),
			chromedp.Evaluate(`Object.fromEntries([...document.querySelectorAll('input[type=checkbox], input[type=radio]')].map(i => [i.name + '=' + i.value, i.checked]))`, &state))
		var wrong []string
		for k := range state {
			if state[k] != ticked[k] {
				wrong = append(wrong, fmt.Sprintf("%s ticked %v", k, state[k]))
			}
		}
		if len(wrong) > 0 {
			slices.Sort(wrong)
			t.Errorf("after clicking %q under %q: got %s; want the opposite, as the clicks on labels meant", words, question, strings.Join(wrong, ", "))
		}
	}
	for _, l := range labels {
		click(l.Question, l.Words)
	}
	// Again: untick two boxes, and settle the radios on values of their own.
	for _, again := range [][2]string{
		{areaQuestion, "Browser"},
		{"Which risk criteria apply? (optional)", "Professional judgement of high risk"},
		{"What kinds of abuse are known? (optional)", "Sexual"},
		{"How has this referral come about?", "Police identification of a high-harm or serial perpetrator"},
		{"Gender (optional)", "Non-binary"},
		{"Their relationship to the person you are referring (optional)", "Ex-partner"},
		{"Is it safe to contact them?", "Yes"},
		{"Are children's services involved? (optional)", "Yes"},
		{"Does the victim-survivor know about this referral?", "Yes"},
	} {
		click(again[0], again[1])
	}
	typeInto := func(id, text string) chromedp.Action { return chromedp.SendKeys("#"+id, text, chromedp.ByQuery) }
	run("fill in the rest",
		typeInto("referrer-force", "Essex Police"), typeInto("referrer-phone", "01632 960 001"),
		typeInto("perpetrator-firstName", "John"), typeInto("perpetrator-lastName", "Clicker"),
		typeInto("perpetrator-dateOfBirth", "2"), typeInto("perpetrator-dateOfBirth-month", "3"), typeInto("perpetrator-dateOfBirth-year", "1984"),
		typeInto("perpetrator-postcode", "CO1 1AA"), typeInto("victims-0-firstName", "Jane"), typeInto("victims-0-lastName", "Doe"),
		typeInto("victims-0-contactMethod", "Texts only"),
		typeInto("abuse-incidentsLast12Months", "4"), typeInto("abuse-knownVictims", "2"))
	shoot("6-form-every-label-clicked.png")
	var reference string
	run("send", chromedp.Click(sendButton, chromedp.ByQuery), chromedp.WaitVisible("#reference", chromedp.ByQuery),
		chromedp.Text("#reference", &reference, chromedp.ByQuery))
	rec, err := stack.Store.Referral(t.Context(), reference)
	if err != nil {
		t.Fatalf("the referral sent after clicking every label (%q): %v", reference, err)
	}
	var want, got []string
	for k, on := range ticked {
		if on {
			want = append(want, k)
		}
	}
	r := rec.Referral
	yesno := func(name string, b *bool) {
		if b != nil {
			got = append(got, name+"="+map[bool]string{true: "yes", false: "no"}[*b])
		}
	}
	flag := func(name string, b bool) {
		if b {
			got = append(got, name+"=yes")
		}
	}
	got = append(got, "area="+r.Area, "route="+string(r.Route))
	for _, c := range r.RiskCriteria {
		got = append(got, "riskCriteria="+c)
	}
	if r.Perpetrator.Gender != "" {
		got = append(got, "perpetrator.gender="+r.Perpetrator.Gender)
	}
	if len(r.Victims) != 1 {
		t.Fatalf("stored %d victim-survivors, want 1", len(r.Victims))
	}
	v := r.Victims[0]
	if v.RelationshipToPerpetrator != "" {
		got = append(got, "victims[0].relationshipToPerpetrator="+v.RelationshipToPerpetrator)
	}
	yesno("victims[0].safeToContact", v.SafeToContact)
	yesno("victims[0].idvaAllocated", v.IDVAAllocated)
	yesno("children.childrensServicesInvolved", r.Children.ChildrensServicesInvolved)
	flag("abuse.physical", r.Abuse.Physical)
	flag("abuse.sexual", r.Abuse.Sexual)
	flag("abuse.stalkingHarassment", r.Abuse.StalkingHarassment)
	flag("abuse.coerciveControl", r.Abuse.CoerciveControl)
	flag("abuse.threatsToKill", r.Abuse.ThreatsToKill)
	yesno("victimAwareOfReferral", r.VictimAwareOfReferral)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("stored after clicking every label:\n got %v\nwant %v", got, want)
	}
	return reference
}
