package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/httpapi"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/web"
)

// areaPage is what the area page renders: the shared page (the forms'
// values as typed and their errors, the banner) and the area.
type areaPage struct {
	web.Page
	Area *areaView
}

// areaView is an area as its leads (and admins) manage it.
type areaView struct {
	Area     eligibility.Area
	Waiting  []waitingRow
	Pace     allocation.Pace
	PaceHint string
	Flags    []flagRow
	Managers []managerRow
	Changes  []changeRow
	// Moved is the latest move of a leaver's cases, shown once after it.
	Moved *changeRow
	// Admin: the person may change the area's settings.
	Admin bool
	// Pairs of id and words, for the forms' radios.
	AllManagers, Active, Inactive, Holding []string
}

type waitingRow struct {
	Reference string
	Status    referral.Status
	Waited    string
	Estimate  string
}

type flagRow struct {
	Kind, Colour string
	// Reference is the case flagged, "" for a flag on a case manager.
	Reference string
	Who, Age  string
}

type managerRow struct {
	allocation.CaseManager
	Percent      string
	Availability string
	Bounced      string
}

type changeRow struct {
	allocation.Change
	When string
	What string
}

// areaRoute answers GET /areas/{area}, which is both the browser's and
// the API's, as GET /cases/{id} is: a browser's request (the session
// cookie, or asking for text/html) gets the area page; any other needs a
// bearer token, verified here as the JWT authorizer would (the route
// serves the browser too, so it has none), and gets the area as JSON.
func (h *handler) areaRoute(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if web.WantsPage(req) {
		return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
			return h.areaPage(ctx, req, p, http.StatusOK, web.Page{})
		})
	}
	return httpapi.AsBearer(ctx, req, h.verify, h.store, h.log, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
		return h.route(ctx, p, req)
	})
}

func (h *handler) sessions() web.Sessions {
	return web.Sessions{SignIn: h.signIn, Dir: h.store, Log: h.log}
}

// noArea is the page for an area the person may not manage, or that does
// not exist: the same words for both.
func noArea(p auth.Principal, raw string) events.APIGatewayV2HTTPResponse {
	if len([]rune(raw)) > 40 {
		raw = string([]rune(raw)[:40]) + "…"
	}
	return web.NotFound(&p.Identity, "There is no such area page",
		"There is no area "+raw+" that you manage. An area's page is for its leads.")
}

// areaPage renders the area page for p with status; base carries a
// form's values, errors and banner when the page is shown again after a
// form.
func (h *handler) areaPage(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal, status int, base web.Page) events.APIGatewayV2HTTPResponse {
	id := httpapi.ID(req.PathParameters["area"])
	if !p.MayManageCaseManagers(id) {
		return noArea(p, req.PathParameters["area"])
	}
	a, err := h.store.Area(ctx, id)
	if errors.Is(err, referral.ErrNotFound) {
		return noArea(p, req.PathParameters["area"])
	}
	if err != nil {
		h.log.ErrorContext(ctx, "area page not read", "area", id, "error", err.Error())
		return web.Unavailable(&p.Identity, web.PageUnavailable)
	}
	var clear, code string
	if base.Banner == nil {
		code, clear = web.TakeFlash(req, "/areas/"+id)
		if b, ok := flashes[code]; ok {
			base.Banner = &b
		}
	}
	v, err := h.areaView(ctx, a, code == "moved")
	if err != nil {
		h.log.ErrorContext(ctx, "area page not read", "area", id, "error", err.Error())
		return web.Unavailable(&p.Identity, web.PageUnavailable)
	}
	v.Admin = p.MayManageAreas()
	base.Title = a.Name
	base.SignedIn, base.CSRF = &p.Identity, web.CSRF(req)
	r := web.HTML(status, pages["area"], areaPage{Page: base, Area: v})
	if clear != "" {
		r.Cookies = append(r.Cookies, clear)
	}
	return r
}

// flashes are the banners the area page shows once after a form's
// redirect, by the code the redirect's cookie carries.
var flashes = map[string]web.Banner{
	"capacity":  {Success: true, Heading: "The capacity has been changed", Body: "A larger capacity gives its new places to the waiting list at once."},
	"leave":     {Success: true, Heading: "The case manager is on leave", Body: "They get no new cases until the date they are back, when they take cases again without anyone doing anything."},
	"back":      {Success: true, Heading: "The case manager takes cases again", Body: "Their free places go to the waiting list at once."},
	"added":     {Success: true, Heading: "The case manager has been added", Body: "Their places go to the waiting list at once."},
	"created":   {Success: true, Heading: "The area has been created", Body: "Add its case managers below: referrals to it are allocated to them."},
	"settings":  {Success: true, Heading: "The area has been changed", Body: "Its rules' version has gone up by one: referrals decided from now on use the new rules."},
	"unchanged": {Heading: "Nothing was changed", Body: "The area's settings were saved as they already were, so its rules' version stays as it was."},
	"details":   {Success: true, Heading: "The case manager's details have been changed"},
	"moved":     {Success: true, Heading: "The leaver's cases have been moved", Body: "Each case that moved is with a new case manager, who has been emailed to accept it. Any case that could not move is listed below, with why."},
}

// areaView reads what the area page shows: the waiting list with each
// referral's estimated time to allocation, the flags, the case managers
// and the changes made to them. moved: show the latest move of a
// leaver's cases.
func (h *handler) areaView(ctx context.Context, a eligibility.Area, moved bool) (*areaView, error) {
	now := h.now().UTC()
	v := &areaView{Area: a}
	managers, err := h.store.CaseManagers(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(managers, func(x, y allocation.CaseManager) int { return strings.Compare(x.Name, y.Name) })
	names := map[string]string{}
	var held []allocation.Held
	var open []dynamo.Case
	for _, m := range managers {
		names[m.ID] = m.Name
		row := managerRow{CaseManager: m, Availability: allocation.Availability(m)}
		if m.Capacity > 0 {
			row.Percent = strconv.Itoa((m.Caseload*100+m.Capacity/2)/m.Capacity) + "%"
		} else {
			row.Percent = "No places"
		}
		if m.EmailBouncedAt != nil {
			row.Bounced = allocation.Duration(now.Sub(*m.EmailBouncedAt))
			v.Flags = append(v.Flags, flagRow{Kind: "Email bounces", Colour: "govuk-tag--red", Who: m.Name, Age: row.Bounced})
		}
		v.Managers = append(v.Managers, row)
		words := m.Name + " (" + strconv.Itoa(m.Caseload) + " of " + plural(m.Capacity, "case") + ")"
		v.AllManagers = append(v.AllManagers, m.ID, words)
		if m.Active {
			v.Active = append(v.Active, m.ID, words)
		} else {
			v.Inactive = append(v.Inactive, m.ID, m.Name+" ("+allocation.Availability(m)+")")
		}
		cases, err := h.store.CasesOf(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		holding := 0
		for _, c := range cases {
			hc := allocation.Held{AllocatedAt: c.AllocatedAt}
			if c.EndedAt != nil {
				hc.EndedAt = *c.EndedAt
			}
			held = append(held, hc)
			if referral.HoldsCapacity(c.Status) {
				holding++
				open = append(open, c)
			}
		}
		if holding > 0 {
			v.Holding = append(v.Holding, m.ID, m.Name+" ("+plural(holding, "open case")+")")
		}
	}
	// Allocations waiting for acceptance, escalated ones, declined ones.
	slices.SortFunc(open, func(x, y dynamo.Case) int { return x.AllocatedAt.Compare(y.AllocatedAt) })
	for _, c := range open {
		if c.Status != referral.StatusAllocated {
			continue
		}
		stage, err := h.store.ChaseStage(ctx, c.Reference)
		if err != nil && !errors.Is(err, referral.ErrNotFound) {
			return nil, err
		}
		f := flagRow{Kind: "Waiting for acceptance", Colour: "govuk-tag--yellow", Reference: c.Reference, Who: names[c.CaseManagerID], Age: allocation.Duration(now.Sub(c.AllocatedAt))}
		if stage == notification.KindEscalation {
			f.Kind, f.Colour = "Escalated", "govuk-tag--red"
		}
		v.Flags = append(v.Flags, f)
		if err := h.declineFlag(ctx, v, c.Reference, now); err != nil {
			return nil, err
		}
	}
	queue, err := h.store.Queue(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	v.Pace = allocation.PaceOf(held, managers, now)
	v.PaceHint = paceHint(v.Pace)
	for i, w := range queue {
		v.Waiting = append(v.Waiting, waitingRow{Reference: w.Reference, Status: w.Status, Waited: allocation.Duration(now.Sub(w.EligibleAt)),
			Estimate: allocation.EstimateWait(i, v.Pace).Words()})
		if err := h.declineFlag(ctx, v, w.Reference, now); err != nil {
			return nil, err
		}
	}
	changes, err := h.store.ChangeLog(ctx, a.ID, 50)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		row := changeRow{Change: c, When: web.When(c.At), What: changeWords[c.What]}
		if row.What == "" {
			row.What = c.What
		}
		v.Changes = append(v.Changes, row)
		if moved && v.Moved == nil && c.What == allocation.ChangedMoved {
			v.Moved = &row
		}
	}
	return v, nil
}

// declineFlag adds a flag for the referral if a case manager declined it
// and it is not yet accepted, aged from the last decline.
func (h *handler) declineFlag(ctx context.Context, v *areaView, ref string, now time.Time) error {
	rec, err := h.store.Referral(ctx, ref)
	if errors.Is(err, referral.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rec.Declined) == 0 {
		return nil
	}
	hist, err := h.store.History(ctx, ref)
	if err != nil {
		return err
	}
	at := rec.UpdatedAt
	for _, t := range hist {
		if t.From == referral.StatusAllocated && t.To == referral.StatusEligible {
			at = t.At
		}
	}
	who := "1 case manager"
	if n := len(rec.Declined); n > 1 {
		who = strconv.Itoa(n) + " case managers"
	}
	v.Flags = append(v.Flags, flagRow{Kind: "Declined", Colour: "govuk-tag--orange", Reference: ref, Who: "Declined by " + who, Age: allocation.Duration(now.Sub(at))})
	return nil
}

// paceHint says in plain words how the waits were estimated.
func paceHint(p allocation.Pace) string {
	free := map[bool]string{true: "no place is free now", false: fmt.Sprintf("%d %s free now", p.Free, map[bool]string{true: "place is", false: "places are"}[p.Free == 1])}[p.Free == 0]
	since := "in the last 90 days"
	if p.Observed < allocation.PaceWindow {
		since = "since the area's first allocation, " + allocation.Duration(p.Observed) + " ago"
	}
	switch {
	case p.Observed <= 0:
		return "The area has no cases yet, so its pace is not known, and " + free + ". A referral within the free places is allocated at once."
	case p.Closures == 0:
		return "No case has closed " + since + ", so no wait beyond the free places can be estimated, and " + free + ". " +
			"Raising a capacity, adding a case manager or someone's return from leave gives places at once."
	}
	return fmt.Sprintf("%d %s closed %s, about one every %s, and %s. "+
		"Each referral waits for the places ahead of it: the first ones take the free places at once, and each after them waits for one more case to close. "+
		"Raising a capacity, adding a case manager or someone's return from leave shortens the wait.",
		p.Closures, map[bool]string{true: "case", false: "cases"}[p.Closures == 1], since, allocation.Duration(p.Observed/time.Duration(p.Closures)), free)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// changeWords name what a change record changed.
var changeWords = map[string]string{
	allocation.ChangedAdded:    "Added",
	allocation.ChangedName:     "Name",
	allocation.ChangedEmail:    "Email address",
	allocation.ChangedCapacity: "Capacity",
	allocation.ChangedActive:   "Availability",
	allocation.ChangedMoved:    "Leaver's cases moved",
}

// maxForm is the largest form the area page takes.
const maxForm = 8 << 10

// areaForm answers POST /areas/{area}: one of the area page's forms,
// named by its action field, for the person signed in. Each runs the
// same operation as the API (saveCaseManager; a leaver's cases through
// dynamo.ReallocateFirst, as POST /cases/{id}/reallocate), then redirects
// (303) to the page with a banner, or shows the page again with the
// error summary and everything typed.
func (h *handler) areaForm(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) events.APIGatewayV2HTTPResponse {
	area := httpapi.ID(req.PathParameters["area"])
	if !p.MayManageCaseManagers(area) {
		return noArea(p, req.PathParameters["area"])
	}
	if _, err := h.store.Area(ctx, area); errors.Is(err, referral.ErrNotFound) {
		return noArea(p, req.PathParameters["area"])
	} else if err != nil {
		h.log.ErrorContext(ctx, "area form not read", "area", area, "error", err.Error())
		return web.Unavailable(&p.Identity, web.PageUnavailable)
	}
	v, err := web.FormBody(req, maxForm)
	if err != nil {
		return h.areaPage(ctx, req, p, http.StatusBadRequest, web.Page{Banner: &web.Banner{Heading: "The form could not be read, so nothing was changed", Body: "Please try again."}})
	}
	if !web.ValidForm(req, v.Get("csrf")) {
		return h.areaPage(ctx, req, p, http.StatusForbidden, web.Page{Values: v, Banner: &web.Banner{
			Heading: "Nothing was changed, because the page was older than your sign-in", Body: "Check the page and try again."}})
	}
	action := v.Get("action")
	var no *refusal
	switch action {
	case "capacity":
		no = h.changeCapacity(ctx, p, area, v.Get("capacity.caseManager"), v.Get("capacity.capacity"))
	case "leave":
		no = h.setLeave(ctx, p, area, v.Get("leave.caseManager"), v.Get("leave.returnsOn-day"), v.Get("leave.returnsOn-month"), v.Get("leave.returnsOn-year"))
	case "back":
		no = h.setBack(ctx, p, area, v.Get("back.caseManager"))
	case "add":
		no = h.addCaseManager(ctx, p, area, v.Get("add.name"), v.Get("add.email"), v.Get("add.capacity"))
	case "details":
		no = h.changeDetails(ctx, p, area, v.Get("details.caseManager"), v.Get("details.name"), v.Get("details.email"))
	case "move":
		no = h.moveCases(ctx, p, area, v.Get("move.caseManager"))
	default:
		return h.areaPage(ctx, req, p, http.StatusBadRequest, web.Page{Banner: &web.Banner{Heading: "The form could not be read, so nothing was changed", Body: "Please try again."}})
	}
	if no == nil {
		return web.Redirect("/areas/"+area, web.Flash("/areas/"+area, map[string]string{"capacity": "capacity", "leave": "leave", "back": "back", "add": "added", "details": "details", "move": "moved"}[action]))
	}
	switch {
	case no.Fault != nil:
		h.log.ErrorContext(ctx, "area form not done", "area", area, "action", action, "error", no.Fault.Error())
		return web.Unavailable(&p.Identity, "Nothing was changed, because the area cannot be changed just now. Please try again in a few minutes.")
	case len(no.Errors) > 0:
		errs := make(referral.FieldErrors, len(no.Errors))
		for i, e := range no.Errors {
			if !strings.Contains(e.Field, ".") {
				e.Field = action + "." + e.Field
			}
			errs[i] = e
		}
		return h.areaPage(ctx, req, p, http.StatusUnprocessableEntity, web.Page{Values: v, Errors: errs})
	}
	return h.areaPage(ctx, req, p, no.Status, web.Page{Values: v, Banner: &web.Banner{Heading: "Nothing was changed", Body: no.Message}})
}

// chosen reads the case manager a form's radios chose, or says to choose
// one (field is the radios' name).
func (h *handler) chosen(ctx context.Context, area, id, field, ask string) (allocation.CaseManager, *refusal) {
	if id == "" {
		return allocation.CaseManager{}, &refusal{Errors: referral.FieldErrors{{Field: field, Message: ask}}}
	}
	m, err := h.store.CaseManager(ctx, area, httpapi.ID(id))
	if errors.Is(err, referral.ErrNotFound) {
		return m, &refusal{Errors: referral.FieldErrors{{Field: field, Message: ask}}}
	}
	if err != nil {
		return m, &refusal{Fault: err}
	}
	return m, nil
}

// wholeNumber reads a capacity as typed.
func wholeNumber(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}

const capacityWords = "Enter the capacity as a whole number of cases from 0 to 50"

func (h *handler) changeCapacity(ctx context.Context, p auth.Principal, area, id, typed string) *refusal {
	var errs referral.FieldErrors
	m, no := h.chosen(ctx, area, id, "capacity.caseManager", "Select whose capacity to change")
	if no != nil && no.Fault != nil {
		return no
	}
	if no != nil {
		errs = append(errs, no.Errors...)
	}
	n, ok := wholeNumber(typed)
	if !ok || n < 0 || n > 50 {
		errs = append(errs, referral.FieldError{Field: "capacity.capacity", Message: capacityWords})
	}
	if len(errs) > 0 {
		return &refusal{Errors: errs}
	}
	m.Capacity = n
	return h.saveCaseManager(ctx, p, m)
}

func (h *handler) setLeave(ctx context.Context, p auth.Principal, area, id, day, month, year string) *refusal {
	var errs referral.FieldErrors
	m, no := h.chosen(ctx, area, id, "leave.caseManager", "Select who is going on leave")
	if no != nil && no.Fault != nil {
		return no
	}
	if no != nil {
		errs = append(errs, no.Errors...)
	}
	back, err := referral.DateFromParts("the date they are back", day, month, year)
	switch {
	case err != nil:
		errs = append(errs, referral.FieldError{Field: "leave.returnsOn", Message: upperFirst(err.Error())})
	case back == "":
		errs = append(errs, referral.FieldError{Field: "leave.returnsOn", Message: "Enter the date they are back"})
	default:
		if d, _ := referral.ParseDate(back); !d.After(referral.Today(h.now())) {
			errs = append(errs, referral.FieldError{Field: "leave.returnsOn", Message: "The date they are back must be in the future"})
		}
	}
	if len(errs) > 0 {
		return &refusal{Errors: errs}
	}
	m.Active, m.ReturnsOn = false, back
	return h.saveCaseManager(ctx, p, m)
}

func (h *handler) setBack(ctx context.Context, p auth.Principal, area, id string) *refusal {
	m, no := h.chosen(ctx, area, id, "back.caseManager", "Select who takes cases again")
	if no != nil {
		return no
	}
	return h.saveCaseManager(ctx, p, allocation.Back(m))
}

// changeDetails changes a case manager's name or email address (what is
// left blank stays), through the same operation as the API
// (saveCaseManager), which records each change. Their id stays: cases
// and changes name them by it.
func (h *handler) changeDetails(ctx context.Context, p auth.Principal, area, id, name, email string) *refusal {
	m, no := h.chosen(ctx, area, id, "details.caseManager", "Select whose details to change")
	if no != nil && no.Fault != nil {
		return no
	}
	name, email = referral.CleanText(name), strings.TrimSpace(email)
	var errs referral.FieldErrors
	if no != nil {
		errs = append(errs, no.Errors...)
	}
	if name == "" && email == "" {
		errs = append(errs, referral.FieldError{Field: "details.name", Message: "Enter a new name or a new email address"})
	}
	if len(errs) > 0 {
		return &refusal{Errors: errs}
	}
	if name != "" {
		m.Name = name
	}
	if email != "" {
		m.Email = email
	}
	if errs := m.Validate(); len(errs) > 0 {
		return &refusal{Errors: errs}
	}
	return h.saveCaseManager(ctx, p, m)
}

var notSlug = regexp.MustCompile(`[^a-z0-9]+`)

// newID is a new case manager's id: the area's and their name's, in
// lowercase letters, digits and hyphens (essex-robin-hale).
func newID(area, name string) string {
	slug := strings.Trim(notSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	id := strings.Trim(area+"-"+slug, "-")
	if len(id) > 40 {
		id = strings.Trim(id[:40], "-")
	}
	return id
}

func (h *handler) addCaseManager(ctx context.Context, p auth.Principal, area, name, email, typed string) *refusal {
	m := allocation.CaseManager{Area: area, Name: referral.CleanText(name), Email: strings.TrimSpace(email), Active: true}
	errs := referral.FieldErrors{}
	n, ok := wholeNumber(typed)
	m.Capacity = n
	if !ok {
		m.Capacity = 0
	}
	for _, e := range m.Validate() {
		if e.Field != "capacity" {
			errs = append(errs, e)
		}
	}
	if !ok || n < 0 || n > 50 {
		errs = append(errs, referral.FieldError{Field: "capacity", Message: capacityWords})
	}
	m.ID = newID(area, m.Name)
	if len(errs) == 0 && !idPattern.MatchString(m.ID) {
		errs = append(errs, referral.FieldError{Field: "name", Message: "Enter the case manager's name in letters of the English alphabet"})
	}
	if len(errs) > 0 {
		return &refusal{Errors: errs}
	}
	if _, err := h.store.CaseManager(ctx, area, m.ID); err == nil {
		return &refusal{Errors: referral.FieldErrors{{Field: "name", Message: "There is already a case manager called " + m.Name + " in this area: change their capacity or availability instead"}}}
	} else if !errors.Is(err, referral.ErrNotFound) {
		return &refusal{Fault: err}
	}
	return h.saveCaseManager(ctx, p, m)
}

// moveCases moves every open case of the case manager who is leaving, one
// by one, each through the reallocation transaction of POST
// /cases/{id}/reallocate (dynamo.ReallocateFirst), to the area's other
// active case managers with room, best first, never to one who declined
// it. The leaver is made inactive first (a recorded change), so that no
// new case reaches them meanwhile. The outcome, with each case that could
// not move and why, is recorded and shown on the page.
func (h *handler) moveCases(ctx context.Context, p auth.Principal, area, id string) *refusal {
	leaver, no := h.chosen(ctx, area, id, "move.caseManager", "Select the case manager who is leaving")
	if no != nil {
		return no
	}
	if leaver.Active {
		off := leaver
		off.Active, off.ReturnsOn = false, ""
		if no := h.saveCaseManager(ctx, p, off); no != nil {
			return no
		}
	}
	cases, err := h.store.CasesOf(ctx, leaver.ID)
	if err != nil {
		return &refusal{Fault: err}
	}
	reason := "Moved with all of " + leaver.Name + "'s cases: they are leaving."
	var details []string
	moved, total := 0, 0
	for _, c := range cases {
		if !referral.HoldsCapacity(c.Status) {
			continue
		}
		total++
		line, ok, err := h.moveOne(ctx, p, area, leaver, c.Reference, reason)
		if err != nil {
			return &refusal{Fault: err}
		}
		if ok {
			moved++
		}
		details = append(details, line)
	}
	rec := allocation.Change{At: h.now().UTC(), By: actor(p), ByName: p.Name, CaseManagerID: leaver.ID, CaseManagerName: leaver.Name,
		What: allocation.ChangedMoved, From: leaver.Name, To: fmt.Sprintf("%d of %d open cases moved", moved, total), Details: details}
	if err := h.store.RecordChange(ctx, area, rec); err != nil {
		return &refusal{Fault: err}
	}
	h.log.InfoContext(ctx, "leaver's cases moved", "area", area, "caseManagerId", leaver.ID, "moved", moved, "open", total, "by", p.Subject)
	return nil
}

// moveOne moves one of the leaver's cases, returning the line that says
// where it went or why it could not move, and whether it moved.
func (h *handler) moveOne(ctx context.Context, p auth.Principal, area string, leaver allocation.CaseManager, ref, reason string) (string, bool, error) {
	rec, err := h.store.Referral(ctx, ref)
	if errors.Is(err, referral.ErrNotFound) {
		return ref + " could not move: it no longer exists", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if rec.CaseManager == nil || rec.CaseManager.ID != leaver.ID || !referral.HoldsCapacity(rec.Status) {
		return ref + " could not move: it is no longer " + leaver.Name + "'s open case", false, nil
	}
	// Read again for each case: the last move took a place.
	managers, err := h.store.CaseManagers(ctx, area)
	if err != nil {
		return "", false, err
	}
	candidates := slices.DeleteFunc(allocation.CandidatesFor(managers, rec.Declined), func(m allocation.CaseManager) bool { return m.ID == leaver.ID })
	got, to, msgs, err := dynamo.ReallocateFirst(ctx, h.store, rec, candidates, actor(p), p.Name, reason, h.now)
	switch {
	case errors.Is(err, allocation.ErrNoCapacity) && len(rec.Declined) > 0:
		return ref + " could not move: no other active case manager who has not declined it has room", false, nil
	case errors.Is(err, allocation.ErrNoCapacity):
		return ref + " could not move: no other active case manager has room", false, nil
	case errors.Is(err, referral.ErrConflict):
		return ref + " could not move: it changed while it was being moved (accepted, closed or moved by someone else)", false, nil
	case err != nil:
		return "", false, err
	}
	if err := dynamo.Deliver(ctx, h.store, h.queues, msgs...); err != nil {
		h.log.WarnContext(ctx, "case reallocated, its messages kept in the outbox for the relay", "reference", ref, "area", area, "error", err.Error())
	}
	h.log.InfoContext(ctx, "case reallocated", "reference", got.Reference, "from", leaver.ID, "to", to.ID)
	return ref + " moved to " + to.Name, true, nil
}

// plural is n and the noun, in the plural unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
