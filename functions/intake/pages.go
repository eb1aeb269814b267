package main

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/signin"
	"github.com/driveprogramme/referrals/shared/web"
)

// origin is the scheme and host the browser used for this request: the
// domain API Gateway received it on (the API's own or a custom domain:
// API Gateway sets it, not the browser), with PUBLIC_BASE_URL's scheme
// (HTTPS in AWS; http for the local stack, whose gateway accepts only its
// own loopback addresses). Without a domain it is PUBLIC_BASE_URL.
func (h *handler) origin(req events.APIGatewayV2HTTPRequest) string {
	domain := req.RequestContext.DomainName
	if domain == "" {
		return h.baseURL
	}
	scheme := "https"
	if strings.HasPrefix(h.baseURL, "http://") {
		scheme = "http"
	}
	return scheme + "://" + domain
}

// callbackURL is where the identity provider sends the browser back: the
// address the browser is at, because the sign-in cookie that the callback
// needs is kept for that host only (localhost and 127.0.0.1 are two hosts
// to a browser). The provider sends the browser only to callbacks
// registered with it.
func (h *handler) callbackURL(req events.APIGatewayV2HTTPRequest) string {
	return h.origin(req) + "/auth/callback"
}

// page answers a browser page for the person its session cookie names
// (web.Sessions); without a session, the browser is sent to sign in and
// then back here.
func (h *handler) page(ctx context.Context, req events.APIGatewayV2HTTPRequest, fn func(auth.Principal) events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	return web.Sessions{SignIn: h.signIn, Dir: h.store, Log: h.log}.Page(ctx, req, fn)
}

// unavailablePage answers 503 for a fault of ours, in words.
func unavailablePage(who *auth.Identity, message string) events.APIGatewayV2HTTPResponse {
	return web.Unavailable(who, message)
}

func redirect(to string, cookies ...string) events.APIGatewayV2HTTPResponse {
	return web.Redirect(to, cookies...)
}

const (
	signInUnavailable = web.SignInUnavailable
	pageUnavailable   = web.PageUnavailable
)

// startSignIn sends the browser to the identity provider.
func (h *handler) startSignIn(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	location, cookie, err := h.signIn.Start(ctx, signin.LocalPath(req.QueryStringParameters["next"]), h.callbackURL(req))
	if err != nil {
		h.log.ErrorContext(ctx, "sign-in not started", "error", err.Error())
		return unavailablePage(nil, signInUnavailable)
	}
	return redirect(location, cookie)
}

// finishSignIn takes the browser back from the identity provider to the
// page it started from, signed in.
func (h *handler) finishSignIn(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	query := url.Values{}
	for k, v := range req.QueryStringParameters {
		query.Set(k, v)
	}
	cookies, next, err := h.signIn.Finish(ctx, query, req.Cookies, h.callbackURL(req))
	if errors.Is(err, signin.ErrSignIn) {
		h.log.WarnContext(ctx, "sign-in refused", "error", err.Error())
		return web.Message(http.StatusBadRequest, web.Page{Title: "You are not signed in", Message: "Signing in did not finish. " + signin.Explain(err, query),
			Link: "/auth/sign-in", LinkText: "Sign in again"})
	}
	if err != nil {
		h.log.ErrorContext(ctx, "sign-in not finished", "error", err.Error())
		return unavailablePage(nil, signInUnavailable)
	}
	return redirect(next, cookies...)
}

// signOut ends the session on this device, when the request is the
// browser's own: from a Drive page (signin.FromOwnPage) or carrying the
// session's form token. Another site's form would otherwise sign people
// out at will: SameSite keeps the cookie from being sent with it, but
// not the answer's clearing of it from being kept.
func (h *handler) signOut(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	body := req.Body
	if req.IsBase64Encoded {
		raw, _ := base64.StdEncoding.DecodeString(body) // unreadable: no token
		body = string(raw)
	}
	form, _ := url.ParseQuery(body)
	if !signin.FromOwnPage(req.Headers, h.origin(req)) && !signin.ValidCSRF(req.Cookies, form.Get("csrf")) {
		h.log.WarnContext(ctx, "sign-out refused: not from a Drive page")
		return web.Message(http.StatusForbidden, web.Page{Title: "You have not been signed out",
			Message: "The request to sign out did not come from a Drive page, so nothing was changed. To sign out, use Sign out at the top of any Drive page.",
			Link:    "/", LinkText: "Go to Drive referrals"})
	}
	r := web.Message(http.StatusOK, web.Page{Title: "You have signed out", Message: "You have signed out of Drive referrals on this device.",
		Link: "/auth/sign-in", LinkText: "Sign in again"})
	r.Cookies = []string{signin.SignOut()}
	return r
}

// roleWords name the roles in words, as a page shows them.
var roleWords = map[auth.Role]string{auth.Officer: "officer", auth.CaseManager: "case manager", auth.AreaLead: "area lead", auth.Admin: "admin"}

// homeView is what the home page shows a signed-in person: what their
// roles let them do, their cases, the areas they lead or administer.
type homeView struct {
	Roles   string
	Refers  bool
	Manages bool
	Cases   []dynamo.Case
	Areas   []areaView
}

type areaView struct {
	// ID is the area's, for the links to its referrals and report
	// (AdminFunction's pages).
	ID           string
	Name         string
	Waiting      int
	CaseManagers []allocation.CaseManager
}

// home answers GET /: where signing in lands.
func (h *handler) home(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) events.APIGatewayV2HTTPResponse {
	v := homeView{Refers: p.MayRefer(), Manages: p.Has(auth.CaseManager)}
	var roles []string
	for _, r := range p.Roles {
		w, ok := roleWords[r]
		if !ok {
			w = strings.ReplaceAll(string(r), "-", " ")
		}
		roles = append(roles, w)
	}
	v.Roles = strings.Join(roles, ", ")
	fail := func(err error) events.APIGatewayV2HTTPResponse {
		h.log.ErrorContext(ctx, "home page not read", "error", err.Error())
		return unavailablePage(&p.Identity, pageUnavailable)
	}
	if v.Manages && p.CaseManagerID != "" {
		cases, err := h.store.CasesOf(ctx, p.CaseManagerID)
		if err != nil {
			return fail(err)
		}
		v.Cases = cases
	}
	if p.Has(auth.Admin) || p.Has(auth.AreaLead) {
		areas, err := h.store.Areas(ctx)
		if err != nil {
			return fail(err)
		}
		for _, a := range areas {
			if !p.MayReadArea(a.ID) {
				continue
			}
			managers, err := h.store.CaseManagers(ctx, a.ID)
			if err != nil {
				return fail(err)
			}
			waiting, err := h.store.Waiting(ctx, a.ID)
			if err != nil {
				return fail(err)
			}
			v.Areas = append(v.Areas, areaView{ID: a.ID, Name: a.Name, Waiting: len(waiting), CaseManagers: managers})
		}
	}
	pg := page{Page: web.Page{Title: "Your Drive referrals", SignedIn: &p.Identity, Path: "/"}, Home: &v}
	// A form elsewhere that ends at home (a case declined, which its
	// case manager can no longer see) says what it did once.
	code, clear := web.TakeFlash(req, "/")
	if b, ok := homeFlashes[code]; ok {
		pg.Banner = &b
	}
	r := html(http.StatusOK, "home", pg)
	if clear != "" {
		r.Cookies = append(r.Cookies, clear)
	}
	return r
}

// homeFlashes are the banners the home page shows once, by the code of
// the form's redirect that led there (web.Flash).
var homeFlashes = map[string]web.Banner{
	"declined": {Success: true, Heading: "You have declined the case",
		Body: "It has gone back to allocation and will not be offered to you again. Your area lead has been told."},
}
