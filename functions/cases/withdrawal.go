package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/web"
)

// The withdrawal page (GET and POST /referrals/{reference}/withdrawal) is
// the officer's way to withdraw a referral in the browser, from its status
// page. It is served here, beside the API's POST
// /referrals/{reference}/withdraw, so that both withdraw through the same
// operation and transaction (doAct): the status page itself is intake's,
// which has no part in a case's life. Either way the form ends on the
// status page, which shows the banner the redirect's flash names
// (functions/intake's statusFlashes: "withdrawn", "not-withdrawn").

// withdrawalPage is what the withdrawal page renders.
type withdrawalPage struct {
	web.Page
	Record   referral.Record
	AreaName string
}

// statusPath is the path of a referral's status page (intake's).
func statusPath(ref string) string { return "/referrals/" + ref + "/status" }

// noReferral is the page for a reference that names no referral the
// person may see: whether someone else's exists is not told.
func noReferral(p auth.Principal, raw string) events.APIGatewayV2HTTPResponse {
	if len([]rune(raw)) > 40 {
		raw = string([]rune(raw)[:40]) + "…"
	}
	return web.NotFound(&p.Identity, "There is no such referral",
		"There is no referral with the reference "+raw+" that you can see. Check the reference: it is in the emails about the referral, and looks like DRV-7K4M-Q9TX.")
}

// notYours is the page for a referral the person may see but did not
// make: only the officer who made it withdraws it.
func notYours(p auth.Principal, ref string) events.APIGatewayV2HTTPResponse {
	return web.Message(http.StatusForbidden, web.Page{Title: "You cannot withdraw this referral", SignedIn: &p.Identity,
		Message: "Only the officer who made a referral can withdraw it. If it should be withdrawn, ask them to; a case manager closes a case instead.",
		Link:    statusPath(ref), LinkText: "Go to the referral's status"})
}

// withdrawal answers GET /referrals/{reference}/withdrawal: the form
// that asks why, for the officer who made the referral while it can be
// withdrawn. One that can no longer be withdrawn goes to its status page,
// which says so. base carries the form's values, errors and banner when
// it is shown again after a POST.
func (h *handler) withdrawal(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal, status int, base web.Page) events.APIGatewayV2HTTPResponse {
	raw := req.PathParameters["reference"]
	ref, ok := referral.ParseReference(raw)
	if !ok {
		return noReferral(p, raw)
	}
	rec, err := h.store.Referral(ctx, ref)
	if errors.Is(err, referral.ErrNotFound) {
		return noReferral(p, raw)
	}
	if err != nil {
		h.log.ErrorContext(ctx, "withdrawal page not read", "reference", ref, "error", err.Error())
		return web.Unavailable(&p.Identity, web.PageUnavailable)
	}
	if _, code := mayAct(p, rec, referral.ActionWithdraw); code == http.StatusNotFound {
		return noReferral(p, raw)
	} else if code != 0 {
		return notYours(p, rec.Reference)
	}
	if !allowed(referral.ActionWithdraw, rec.Status) {
		return web.Redirect(statusPath(rec.Reference), web.Flash(statusPath(rec.Reference), "not-withdrawn"))
	}
	base.Title = "Withdraw referral " + rec.Reference
	base.SignedIn, base.CSRF = &p.Identity, web.CSRF(req)
	return web.HTML(status, pages["withdrawal"], withdrawalPage{Page: base, Record: rec, AreaName: h.areaName(ctx, rec.Referral.Area)})
}

// withdrawalForm answers POST /referrals/{reference}/withdrawal: it
// withdraws the referral through doAct, as the API does, and redirects
// (303) to its status page with a banner; a reason missing or too long
// shows the form again with the error summary and what was typed; a
// referral that can no longer be withdrawn (closed, or withdrawn by then)
// goes to its status page, which says that nothing was changed; one that
// changed otherwise as it was withdrawn shows the form again, saying so.
func (h *handler) withdrawalForm(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) events.APIGatewayV2HTTPResponse {
	id := req.PathParameters["reference"]
	v, err := web.FormBody(req, maxForm)
	if err != nil {
		return h.withdrawal(ctx, req, p, http.StatusBadRequest, web.Page{Banner: &web.Banner{Heading: "The form could not be read, so nothing was changed", Body: "Please try again."}})
	}
	if !web.ValidForm(req, v.Get("csrf")) {
		return h.withdrawal(ctx, req, p, http.StatusForbidden, web.Page{Values: v, Banner: &web.Banner{
			Heading: "Nothing was changed, because the page was older than your sign-in", Body: "Check the referral and try again."}})
	}
	got, no := h.doAct(ctx, p, id, referral.ActionWithdraw, referral.Ending{Reason: v.Get("reason"), Note: v.Get("note")})
	switch {
	case no == nil:
		return web.Redirect(statusPath(got.Reference), web.Flash(statusPath(got.Reference), "withdrawn"))
	case no.Fault != nil:
		h.log.ErrorContext(ctx, "withdrawal form not done", "error", no.Fault.Error())
		return web.Unavailable(&p.Identity, "Nothing was changed, because the referral cannot be changed just now. Please try again in a few minutes.")
	case len(no.Errors) > 0:
		errs := make(referral.FieldErrors, len(no.Errors))
		for i, e := range no.Errors {
			if e.Field == "reason" && strings.HasPrefix(e.Message, "Say why") {
				e.Message = "Enter why you are withdrawing this referral"
			}
			errs[i] = e
		}
		return h.withdrawal(ctx, req, p, http.StatusUnprocessableEntity, web.Page{Values: v, Errors: errs})
	case no.Status == http.StatusNotFound:
		return noReferral(p, id)
	case no.Status == http.StatusForbidden:
		ref, _ := referral.ParseReference(id)
		return notYours(p, ref)
	}
	// Changed since it was read (409): ended, and the page again goes to
	// the status page, which says so; otherwise (reallocated meanwhile,
	// say) the form again, with what was typed and why nothing changed.
	return h.withdrawal(ctx, req, p, no.Status, web.Page{Values: v, Banner: &web.Banner{Heading: "Nothing was changed", Body: no.Message}})
}
