package main

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/httpapi"
	"github.com/driveprogramme/referrals/shared/phone"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/web"
)

//go:embed web/templates/*.html
var templateFS embed.FS

// pages are the cases function's own pages, each with the shared layout
// (shared/web).
var pages = func() map[string]*template.Template {
	sub, err := fs.Sub(templateFS, "web")
	if err != nil {
		panic(err)
	}
	return web.MustTemplates(sub, "case", "withdrawal")
}()

// casePage is what the case page renders: the shared page (the forms'
// values as typed and their errors, the banner) and the case.
type casePage struct {
	web.Page
	Case *caseView
}

// caseView is the whole referral as its case manager and the area's
// leads read it, and what the reader may do with it.
type caseView struct {
	Record   referral.Record
	Case     dynamo.Case
	AreaName string
	// Age is the perpetrator's age today, "" when the date of birth does
	// not read as one.
	Age     string
	History []referral.Transition
	// Holds: the reader is the case manager holding the case; Leads: a
	// lead of its area.
	Holds, Leads bool
	// The actions the reader may take now.
	MayAccept, MayDecline, MayClose, MayReallocate bool
	// CloseReasons and DeclineReasons are the reason codes and their
	// words, for radios.
	CloseReasons, DeclineReasons []string
	// Views are who read the case, the newest (referral.RecentViews),
	// newest first, and EarlierViews how many read it before: for the
	// area's leads.
	Views        []referral.View
	EarlierViews int
	// Managers are the area's other active case managers with room, as
	// pairs of id and words, for the reallocation's radios ("best" first).
	Managers []string
}

// caseRoute answers GET /cases/{id}, which is both the browser's and the
// API's: a browser's request (with the session cookie, or asking for
// text/html) gets the case page for the person the session names (signed
// out: sent to sign in); any other request needs a bearer token, verified
// here as API Gateway's JWT authorizer would (the route serves the
// browser too, which has no token), and gets the case as JSON, or 401.
func (h *handler) caseRoute(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if web.WantsPage(req) {
		return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
			return h.casePage(ctx, req, p, http.StatusOK, web.Page{})
		})
	}
	return httpapi.AsBearer(ctx, req, h.verify, h.store, h.log, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
		return h.detail(ctx, p, req.PathParameters["id"])
	})
}

func (h *handler) sessions() web.Sessions {
	return web.Sessions{SignIn: h.signIn, Dir: h.store, Log: h.log}
}

// noCase is the page for an id that names no case the person may read:
// whether someone else's exists is not told.
func noCase(p auth.Principal, raw string) events.APIGatewayV2HTTPResponse {
	if len([]rune(raw)) > 40 {
		raw = string([]rune(raw)[:40]) + "…"
	}
	return web.NotFound(&p.Identity, "There is no such case",
		"There is no case with the reference "+raw+" that you can see. Check the reference: it is in the emails about the case, and looks like DRV-7K4M-Q9TX.")
}

// load reads the case and its referral for p, through the one access
// check of the page and the API: the case manager holding it and the
// leads of its area (auth.Principal.MaySeeDetails), and records the view
// (who, their role, when) with the referral, logging only its reference
// and the viewer's subject. ok is false when there is no such case or p
// may not read it; err is a fault of ours, and then nothing is shown.
func (h *handler) load(ctx context.Context, p auth.Principal, raw string) (c dynamo.Case, rec referral.Record, hist []referral.Transition, ok bool, err error) {
	id, valid := referral.ParseReference(raw) // a case's id is its referral's reference
	if !valid {
		return c, rec, nil, false, nil
	}
	c, err = h.store.Case(ctx, id)
	linked := errors.Is(err, referral.ErrNotFound)
	if err != nil && !linked {
		return c, rec, nil, false, err
	}
	if !linked {
		id = c.Reference
	}
	rec, err = h.store.Referral(ctx, id)
	if errors.Is(err, referral.ErrNotFound) {
		return c, rec, nil, false, nil
	}
	if err != nil {
		return c, rec, nil, false, err
	}
	role := "area lead"
	switch {
	case linked:
		// No case: a referral linked to an open one (the same person
		// referred again) is read, details and all, by those who work on
		// the open one (auth.MaySeeLinked), where its new information is
		// of use; the fresh tester found the link email's readers could
		// not read it anywhere.
		if rec.LinkedTo == "" {
			return c, rec, nil, false, nil
		}
		open, err := h.store.Referral(ctx, rec.LinkedTo)
		if errors.Is(err, referral.ErrNotFound) {
			return c, rec, nil, false, nil
		}
		if err != nil {
			return c, rec, nil, false, err
		}
		if !p.MaySeeLinked(rec, open) {
			return c, rec, nil, false, nil
		}
		if p.Holds(open) {
			role = "case manager"
		}
		c = dynamo.Case{ID: rec.Reference, Reference: rec.Reference, Area: rec.Referral.Area, Status: rec.Status}
	case !p.MaySeeDetails(rec):
		return c, rec, nil, false, nil
	case p.Holds(rec):
		role = "case manager"
	}
	hist, err = h.store.History(ctx, rec.Reference)
	if err != nil {
		return c, rec, nil, false, err
	}
	// Every reading of the details is recorded before they are shown: a
	// view that cannot be recorded is not shown (issue 14).
	if err := h.store.RecordView(ctx, rec.Reference, referral.View{At: h.now().UTC(), Subject: p.Subject, Name: p.Name, Role: role}); err != nil {
		return c, rec, nil, false, err
	}
	h.log.InfoContext(ctx, "case viewed", "reference", rec.Reference, "viewer", p.Subject, "role", role)
	return c, rec, hist, true, nil
}

// casePage renders the case page for p with status; base carries a
// form's values, errors and banner when the page is shown again after a
// form.
func (h *handler) casePage(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal, status int, base web.Page) events.APIGatewayV2HTTPResponse {
	raw := req.PathParameters["id"]
	c, rec, hist, ok, err := h.load(ctx, p, raw)
	if err != nil {
		h.log.ErrorContext(ctx, "case page not read", "error", err.Error())
		return web.Unavailable(&p.Identity, web.PageUnavailable)
	}
	if !ok {
		formerHolder := p.CaseManagerID != "" && (slices.Contains(rec.Declined, p.CaseManagerID) || base.Values.Get("heldBy") == p.CaseManagerID)
		if base.Banner != nil && status == http.StatusConflict && formerHolder {
			// A form of its former holder refused on a case they can no
			// longer read (declined by them, or moved to a colleague since
			// their page was shown): why, rather than "There is no such
			// case" (fresh tester of issue 14). Anyone else is told
			// nothing: heldBy is what the holder's page sent, and the
			// words are those the API gives them (mayAct).
			return web.Message(status, web.Page{Title: base.Banner.Heading, SignedIn: &p.Identity, Message: base.Banner.Body, Link: "/", LinkText: "Go to your home page"})
		}
		return noCase(p, raw)
	}
	v := &caseView{Record: rec, Case: c, History: hist, Holds: p.Holds(rec), Leads: p.LeadsArea(rec.Referral.Area),
		AreaName: h.areaName(ctx, rec.Referral.Area)}
	if age, ok := rec.Referral.AgeOn(h.now()); ok {
		v.Age = strconv.Itoa(age)
	}
	if v.Leads {
		views, earlier, err := h.store.Views(ctx, rec.Reference, referral.RecentViews)
		if err != nil {
			h.log.ErrorContext(ctx, "case page not read", "reference", rec.Reference, "error", err.Error())
			return web.Unavailable(&p.Identity, web.PageUnavailable)
		}
		v.Views, v.EarlierViews = views, earlier
	}
	v.MayAccept = v.Holds && allowed(referral.ActionAccept, rec.Status)
	v.MayDecline = v.Holds && allowed(referral.ActionDecline, rec.Status)
	v.MayClose = v.Holds && allowed(referral.ActionClose, rec.Status)
	v.MayReallocate = v.Leads && rec.CaseManager != nil && allowed(referral.ActionReallocate, rec.Status)
	for _, code := range referral.CloseReasons {
		v.CloseReasons = append(v.CloseReasons, code, upperFirst(referral.CloseReasonWords(code)))
	}
	for _, code := range referral.DeclineReasons {
		v.DeclineReasons = append(v.DeclineReasons, code, upperFirst(referral.DeclineReasonWords(code)))
	}
	if v.MayReallocate {
		managers, err := h.store.CaseManagers(ctx, rec.Referral.Area)
		if err != nil {
			h.log.ErrorContext(ctx, "case page not read", "reference", rec.Reference, "error", err.Error())
			return web.Unavailable(&p.Identity, web.PageUnavailable)
		}
		v.Managers = []string{"best", "The best candidate: the active case manager with the most room who has not declined this case"}
		for _, m := range allocation.Candidates(managers) {
			label := m.Name + " (" + strconv.Itoa(m.Caseload) + " of " + strconv.Itoa(m.Capacity) + " cases)"
			if slices.Contains(rec.Declined, m.ID) {
				// Listed, so the lead is not left wondering where they
				// are, but marked: choosing them is refused (doReallocate).
				label = m.Name + " (declined this case)"
			}
			if m.ID != rec.CaseManager.ID {
				v.Managers = append(v.Managers, m.ID, label)
			}
		}
	}
	var clear string
	if base.Banner == nil {
		var code string
		code, clear = web.TakeFlash(req, "/cases/"+rec.Reference)
		if b, ok := flashes[code]; ok {
			base.Banner = &b
		}
	}
	base.Title = "Case " + rec.Reference
	base.SignedIn, base.CSRF, base.Path = &p.Identity, web.CSRF(req), "/cases/"+rec.Reference
	r := web.HTML(status, pages["case"], casePage{Page: base, Case: v})
	if clear != "" {
		r.Cookies = append(r.Cookies, clear)
	}
	return r
}

// allowed reports whether action a may start from status s.
func allowed(a referral.Action, s referral.Status) bool {
	_, err := referral.Next(a, s)
	return err == nil
}

// flashes are the banners a case page shows once after a form's
// redirect, by the code the redirect's cookie carries.
var flashes = map[string]web.Banner{
	"accepted":    {Success: true, Heading: "You have accepted this case", Body: "The referrer has been told that work has started."},
	"closed":      {Success: true, Heading: "The case is closed", Body: "Your place for a new case is free again."},
	"reallocated": {Success: true, Heading: "The case has been reallocated", Body: "Both case managers have been emailed."},
}

// maxForm is the largest form the case page takes: a reason and a note.
const maxForm = 8 << 10

// caseForm answers POST /cases/{id}: one of the case page's forms, named
// by its action field, for the person signed in. Each form runs the same
// domain operation as the JSON API (doAct, doReallocate); it redirects
// (303) to the case page with a banner saying what was done, or shows the
// page again with the error summary and everything typed.
func (h *handler) caseForm(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) events.APIGatewayV2HTTPResponse {
	id := req.PathParameters["id"]
	v, err := web.FormBody(req, maxForm)
	if err != nil {
		return h.casePage(ctx, req, p, http.StatusBadRequest, web.Page{Banner: &web.Banner{Heading: "The form could not be read, so nothing was changed", Body: "Please try again."}})
	}
	if !web.ValidForm(req, v.Get("csrf")) {
		// The form's token is not this session's: the page was shown
		// before the person last signed in (or signed in again in another
		// tab). Nothing about the form itself was wrong.
		return h.casePage(ctx, req, p, http.StatusForbidden, web.Page{Values: v, Banner: &web.Banner{
			Heading: "Your form expired, so nothing was changed", Body: "This page was opened before you last signed in. Check the case below, then try again."}})
	}
	action := v.Get("action")
	var got referral.Record
	var no *refusal
	switch action {
	case "accept":
		got, no = h.doAct(ctx, p, id, referral.ActionAccept, referral.Ending{})
	case "close":
		got, no = h.doAct(ctx, p, id, referral.ActionClose, referral.Ending{Reason: v.Get("close.reason"), Note: v.Get("close.note")})
	case "decline":
		got, no = h.doAct(ctx, p, id, referral.ActionDecline, referral.Ending{Reason: v.Get("decline.reason"), Note: v.Get("decline.note")})
		if no == nil {
			// The case is no longer theirs to see: home, which says so once.
			return web.Redirect("/", web.Flash("/", "declined"))
		}
	case "reallocate":
		to := v.Get("reallocate.caseManager")
		if to == "best" {
			to = ""
		}
		var choose []referral.FieldError
		if !v.Has("reallocate.caseManager") {
			choose = append(choose, referral.FieldError{Field: "caseManager", Message: "Select who the case goes to, or the best candidate"})
		}
		got, no = h.doReallocate(ctx, p, id, referral.Reallocation{Reason: v.Get("reallocate.reason"), CaseManager: to}, choose...)
	default:
		return h.casePage(ctx, req, p, http.StatusBadRequest, web.Page{Banner: &web.Banner{Heading: "The form could not be read, so nothing was changed", Body: "Please try again."}})
	}
	if no == nil {
		return web.Redirect("/cases/"+got.Reference, web.Flash("/cases/"+got.Reference, past[action]))
	}
	switch {
	case no.Fault != nil:
		h.log.ErrorContext(ctx, "case form not done", "action", action, "error", no.Fault.Error())
		return web.Unavailable(&p.Identity, "Nothing was changed, because the case cannot be changed just now. Please try again in a few minutes.")
	case len(no.Errors) > 0:
		errs := make(referral.FieldErrors, len(no.Errors))
		for i, e := range no.Errors {
			e.Field = action + "." + e.Field
			e.Message = pageWords(e)
			errs[i] = e
		}
		return h.casePage(ctx, req, p, http.StatusUnprocessableEntity, web.Page{Values: v, Errors: errs})
	case no.Status == http.StatusNotFound:
		return noCase(p, id)
	}
	return h.casePage(ctx, req, p, no.Status, web.Page{Values: v, Banner: &web.Banner{Heading: "Nothing was changed", Body: no.Message}})
}

var past = map[string]string{"accept": "accepted", "close": "closed", "reallocate": "reallocated", "decline": "declined"}

// pageWords are the page's words for a form's error: a radio question
// is answered by selecting, so its error says "Select …", as GOV.UK's
// radios do; the API's words speak of codes.
func pageWords(e referral.FieldError) string {
	switch e.Field {
	case "close.reason":
		return "Select why the case is closing"
	case "close.note":
		if strings.HasPrefix(e.Message, "Say why") {
			return "Enter why the case is closing: you chose Other"
		}
	case "decline.reason":
		return "Select why you are declining the case"
	case "decline.note":
		if strings.HasPrefix(e.Message, "Say why") {
			return "Enter why you are declining the case: you chose Other"
		}
	case "reallocate.caseManager":
		if strings.HasSuffix(e.Message, "declined this case. Choose someone else.") {
			return e.Message // names who, and says what to do
		}
		// The page offers radios: whatever was wrong with the id sent
		// (too long, or no longer one of the area's), choosing again is
		// the answer; the API's words speak of ids.
		return "Select who the case goes to, or the best candidate"
	case "reallocate.reason":
		if strings.HasPrefix(e.Message, "Say why") {
			return "Enter why the case is being reallocated, for example that its case manager has a conflict of interest"
		}
	}
	return e.Message
}

// areaName is how a page names an area: by its name ("Essex"), else by
// its id.
func (h *handler) areaName(ctx context.Context, id string) string {
	a, err := h.store.Area(ctx, id)
	if err != nil || a.Name == "" {
		return id
	}
	return a.Name
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// PerpetratorPhone and ReferrerPhone are the numbers as people in the UK
// read them (phone.National): a UK number in national format (07700
// 900123), one abroad in international format; "" for none. Numbers
// are stored in E.164 (+447700900123), which no one reads aloud.
func (v *caseView) PerpetratorPhone() string { return shownPhone(v.Record.Referral.Perpetrator.Phone) }

// ReferrerPhone: see PerpetratorPhone.
func (v *caseView) ReferrerPhone() string { return shownPhone(v.Record.Referral.Referrer.Phone) }

func shownPhone(stored string) string {
	if stored == "" {
		return ""
	}
	return phone.National(stored)
}

// Ages are the children's ages in words ("4, 7"), or "".
func (v *caseView) Ages() string {
	var out []string
	for _, a := range v.Record.Referral.Children.Ages {
		out = append(out, strconv.Itoa(a))
	}
	return strings.Join(out, ", ")
}

// AbuseKinds are the kinds of abuse recorded, in words, or "".
func (v *caseView) AbuseKinds() string {
	a := v.Record.Referral.Abuse
	var out []string
	for _, k := range []struct {
		on   bool
		what string
	}{{a.Physical, "physical"}, {a.Sexual, "sexual"}, {a.StalkingHarassment, "stalking or harassment"},
		{a.CoerciveControl, "jealous, coercive or controlling behaviour"}, {a.ThreatsToKill, "threats to kill"}} {
		if k.on {
			out = append(out, k.what)
		}
	}
	return upperFirst(strings.Join(out, ", "))
}

// Route is how the referral came, in words.
func (v *caseView) Route() string {
	if v.Record.Referral.Route == "" {
		return "Not given"
	}
	switch v.Record.Referral.Route {
	case referral.RouteMARAC:
		return "MARAC"
	case referral.RoutePolice:
		return "Police"
	case referral.RouteOther:
		return "Another agency"
	}
	return string(v.Record.Referral.Route)
}

// RiskCriteria are the referral's risk criteria in words, or "".
func (v *caseView) RiskCriteria() string {
	var out []string
	for _, c := range v.Record.Referral.RiskCriteria {
		out = append(out, riskWords[c])
		if riskWords[c] == "" {
			out[len(out)-1] = strings.ReplaceAll(c, "-", " ")
		}
	}
	return upperFirst(strings.Join(out, "; "))
}

var riskWords = map[string]string{
	referral.CriterionVisibleHighRisk:       "visible high risk (DASH score of 14 or more)",
	referral.CriterionProfessionalJudgement: "professional judgement of high risk",
	referral.CriterionPotentialEscalation:   "potential escalation (3 or more incidents in 12 months)",
	referral.CriterionRepeat:                "repeat (abuse within 12 months of the last MARAC referral)",
}
