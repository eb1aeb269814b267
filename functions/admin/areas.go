package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/httpapi"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/web"
)

// areasPage is what the admin's areas pages render: the list of areas
// with the form to create one (Editing nil), or the form to change one.
type areasPage struct {
	web.Page
	Areas   []eligibility.Area
	Editing *eligibility.Area
}

// areasRoute answers GET /areas, which is both the browser's and the
// API's, as GET /areas/{area} is: a browser's request gets the admin's
// Areas page; any other needs a bearer token, verified here as the JWT
// authorizer would, and gets the areas as JSON.
func (h *handler) areasRoute(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if web.WantsPage(req) {
		return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
			return h.areasPage(ctx, req, p, http.StatusOK, web.Page{})
		})
	}
	return httpapi.AsBearer(ctx, req, h.verify, h.store, h.log, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
		return h.route(ctx, p, req)
	})
}

// noPage is the answer to someone who is not an admin on an admin's page:
// there is no such page for them (404), as on an area page.
func noPage(p auth.Principal) events.APIGatewayV2HTTPResponse {
	return web.NotFound(&p.Identity, "Page not found", "There is no such page for you. Areas are created and changed by Drive's admins.")
}

// areasPage renders the list of every area, each linked to its page,
// with the form to create one; base carries the form's values, errors
// and banner when it is shown again.
func (h *handler) areasPage(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal, status int, base web.Page) events.APIGatewayV2HTTPResponse {
	if !p.MayManageAreas() {
		return noPage(p)
	}
	areas, err := h.store.Areas(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "areas not read", "error", err.Error())
		return web.Unavailable(&p.Identity, web.PageUnavailable)
	}
	slices.SortFunc(areas, func(x, y eligibility.Area) int { return strings.Compare(x.Name, y.Name) })
	if base.Values == nil {
		// A new area starts from the programme's defaults.
		base.Values = formOf(eligibility.Area{Rules: eligibility.DefaultRules})
	}
	base.Title, base.Path = "Areas", "/areas"
	base.SignedIn, base.CSRF = &p.Identity, web.CSRF(req)
	return web.HTML(status, pages["areas"], areasPage{Page: base, Areas: areas})
}

// formOf is area a as the area form's values.
func formOf(a eligibility.Area) url.Values {
	v := url.Values{}
	v.Set("name", a.Name)
	v.Set("minimumAge", strconv.Itoa(a.Rules.MinimumAge))
	v.Set("dashThreshold", strconv.Itoa(a.Rules.DashThreshold))
	v.Set("incidentsThreshold", strconv.Itoa(a.Rules.IncidentsThreshold))
	v.Set("knownVictimsThreshold", strconv.Itoa(a.Rules.KnownVictimsThreshold))
	v.Set("maracQualifies", map[bool]string{true: "yes", false: "no"}[a.Rules.MARACQualifies])
	v.Set("leads", strings.Join(a.Leads, "\n"))
	v.Set("idvaService", a.IDVAService)
	v.Set("maracCoordinator", a.MARACCoordinator)
	v.Set("idvaDomains", strings.Join(a.IDVADomains, "\n"))
	return v
}

// lines splits a text area's value into its entries, one a line (commas
// and spaces part them too), leaving out blanks.
func lines(s string) []string {
	out := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == ';' })
	if out == nil {
		out = []string{} // none: the area has none, not "keep them"
	}
	return out
}

// readArea reads the area form for id into the contract's body, so that
// it is tidied and saved as PUT /areas/{area}'s body is; a number that is
// not one is left 0, which the domain's check names ("Enter the minimum
// age as a whole number from 16 to 30"). It returns the errors only the
// form can have.
func readArea(id string, v url.Values) (eligibility.Area, referral.FieldErrors) {
	num := func(name string) int {
		n, err := strconv.Atoi(strings.TrimSpace(v.Get(name)))
		if err != nil {
			return 0
		}
		return n
	}
	b := areaBody{Name: v.Get("name"), MinimumAge: num("minimumAge"), DashThreshold: num("dashThreshold"), IncidentsThreshold: num("incidentsThreshold"),
		KnownVictimsThreshold: num("knownVictimsThreshold"), MARACQualifies: v.Get("maracQualifies") == "yes",
		Leads: lines(v.Get("leads")), IDVAService: v.Get("idvaService"), MARACCoordinator: v.Get("maracCoordinator"), IDVADomains: lines(v.Get("idvaDomains"))}
	var errs referral.FieldErrors
	if m := v.Get("maracQualifies"); m != "yes" && m != "no" {
		errs = append(errs, referral.FieldError{Field: "maracQualifies", Message: "Select whether a MARAC referral makes a perpetrator high risk"})
	}
	return areaOf(id, b), errs
}

// inFormOrder puts errors in the order of the area form's fields, for the
// error summary.
func inFormOrder(errs referral.FieldErrors) referral.FieldErrors {
	order := []string{"name", "minimumAge", "dashThreshold", "incidentsThreshold", "knownVictimsThreshold", "maracQualifies", "leads", "idvaService", "maracCoordinator", "idvaDomains"}
	slices.SortStableFunc(errs, func(x, y referral.FieldError) int {
		return slices.Index(order, x.Field) - slices.Index(order, y.Field)
	})
	return errs
}

// areaID is a new area's id, from its name: lowercase letters, digits and
// hyphens (west-sussex).
func areaID(name string) string {
	id := strings.Trim(notSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(id) > 40 {
		id = strings.Trim(id[:40], "-")
	}
	return id
}

// formCheck reads a posted form and checks its CSRF token, returning the
// values, or the banner to show the page again with and its status.
func formCheck(req events.APIGatewayV2HTTPRequest) (url.Values, *web.Banner, int) {
	v, err := web.FormBody(req, maxForm)
	if err != nil {
		return nil, &web.Banner{Heading: "The form could not be read, so nothing was changed", Body: "Please try again."}, http.StatusBadRequest
	}
	if !web.ValidForm(req, v.Get("csrf")) {
		return v, &web.Banner{Heading: "Nothing was changed, because the page was older than your sign-in", Body: "Check the page and try again."}, http.StatusForbidden
	}
	return v, nil, 0
}

// createArea answers POST /areas: the admin's form to create an area,
// with the same check and the same write as PUT /areas/{area}
// (saveArea). It redirects (303) to the new area's page with a banner,
// or shows the Areas page again with the error summary and everything
// typed.
func (h *handler) createArea(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) events.APIGatewayV2HTTPResponse {
	if !p.MayManageAreas() {
		return noPage(p)
	}
	v, banner, status := formCheck(req)
	if banner != nil {
		return h.areasPage(ctx, req, p, status, web.Page{Values: v, Banner: banner})
	}
	id := areaID(referral.CleanText(v.Get("name")))
	a, errs := readArea(id, v)
	errs = append(errs, a.Validate()...)
	if len(errs) == 0 && !idPattern.MatchString(id) {
		errs = append(errs, referral.FieldError{Field: "name", Message: "Enter the area's name in letters of the English alphabet, at least two"})
	}
	if len(errs) == 0 {
		if _, err := h.store.Area(ctx, id); err == nil {
			errs = append(errs, referral.FieldError{Field: "name", Message: "There is already an area called " + a.Name + ": change it from its page instead"})
		} else if !errors.Is(err, referral.ErrNotFound) {
			return h.pageFault(ctx, p, id, err)
		}
	}
	if len(errs) > 0 {
		return h.areasPage(ctx, req, p, http.StatusUnprocessableEntity, web.Page{Values: v, Errors: inFormOrder(errs)})
	}
	_, no := h.saveArea(ctx, p, a)
	switch {
	case no == nil:
		return web.Redirect("/areas/"+id, web.Flash("/areas/"+id, "created"))
	case no.Fault != nil:
		return h.pageFault(ctx, p, id, no.Fault)
	case len(no.Errors) > 0:
		return h.areasPage(ctx, req, p, http.StatusUnprocessableEntity, web.Page{Values: v, Errors: inFormOrder(no.Errors)})
	}
	return h.areasPage(ctx, req, p, no.Status, web.Page{Values: v, Banner: &web.Banner{Heading: "Nothing was changed", Body: no.Message}})
}

func (h *handler) pageFault(ctx context.Context, p auth.Principal, area string, err error) events.APIGatewayV2HTTPResponse {
	h.log.ErrorContext(ctx, "area not saved", "area", area, "error", err.Error())
	return web.Unavailable(&p.Identity, "Nothing was changed, because areas cannot be changed just now. Please try again in a few minutes.")
}

// settingsArea reads the area of a settings page for an admin, or
// answers why not: not an admin, or no such area, is 404.
func (h *handler) settingsArea(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) (eligibility.Area, *events.APIGatewayV2HTTPResponse) {
	id := httpapi.ID(req.PathParameters["area"])
	if !p.MayManageAreas() {
		r := noPage(p)
		return eligibility.Area{}, &r
	}
	if !idPattern.MatchString(id) {
		r := noArea(p, req.PathParameters["area"])
		return eligibility.Area{}, &r
	}
	a, err := h.store.Area(ctx, id)
	if errors.Is(err, referral.ErrNotFound) {
		r := noArea(p, req.PathParameters["area"])
		return a, &r
	}
	if err != nil {
		h.log.ErrorContext(ctx, "area not read", "area", id, "error", err.Error())
		r := web.Unavailable(&p.Identity, web.PageUnavailable)
		return a, &r
	}
	return a, nil
}

// settingsPage answers GET /areas/{area}/settings: the admin's form to
// change an area, filled in with the area as it is.
func (h *handler) settingsPage(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) events.APIGatewayV2HTTPResponse {
	a, no := h.settingsArea(ctx, req, p)
	if no != nil {
		return *no
	}
	return h.settings(req, p, a, http.StatusOK, web.Page{Values: formOf(a)})
}

func (h *handler) settings(req events.APIGatewayV2HTTPRequest, p auth.Principal, a eligibility.Area, status int, base web.Page) events.APIGatewayV2HTTPResponse {
	base.Title, base.Path = "Change "+a.Name, "/areas"
	base.SignedIn, base.CSRF = &p.Identity, web.CSRF(req)
	return web.HTML(status, pages["areas"], areasPage{Page: base, Editing: &a})
}

// settingsForm answers POST /areas/{area}/settings: the change of an
// area, with the same check and write as PUT /areas/{area} (saveArea),
// which raises the rules' version and records each change. It redirects
// (303) to the area's page with a banner, or shows the form again with
// the error summary and everything typed.
func (h *handler) settingsForm(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) events.APIGatewayV2HTTPResponse {
	old, no := h.settingsArea(ctx, req, p)
	if no != nil {
		return *no
	}
	v, banner, status := formCheck(req)
	if banner != nil {
		return h.settings(req, p, old, status, web.Page{Values: v, Banner: banner})
	}
	a, errs := readArea(old.ID, v)
	errs = append(errs, a.Validate()...)
	if len(errs) > 0 {
		return h.settings(req, p, old, http.StatusUnprocessableEntity, web.Page{Values: v, Errors: inFormOrder(errs)})
	}
	if len(eligibility.Changes(&old, a)) == 0 {
		// Saved as it was: the rules' version stays, nothing is recorded.
		return web.Redirect("/areas/"+old.ID, web.Flash("/areas/"+old.ID, "unchanged"))
	}
	_, refused := h.saveArea(ctx, p, a)
	switch {
	case refused == nil:
		return web.Redirect("/areas/"+old.ID, web.Flash("/areas/"+old.ID, "settings"))
	case refused.Fault != nil:
		return h.pageFault(ctx, p, old.ID, refused.Fault)
	case len(refused.Errors) > 0:
		return h.settings(req, p, old, http.StatusUnprocessableEntity, web.Page{Values: v, Errors: inFormOrder(refused.Errors)})
	}
	return h.settings(req, p, old, refused.Status, web.Page{Values: v, Banner: &web.Banner{Heading: "Nothing was changed", Body: refused.Message}})
}
