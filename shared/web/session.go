package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/signin"
)

// SignIn checks a browser's session (signin.Web in Lambda).
type SignIn interface {
	SignedIn(ctx context.Context, cookies []string) (auth.Identity, error)
}

// Sessions is the pages' session check: who the session cookie names,
// with what Drive's records say their role covers.
type Sessions struct {
	SignIn SignIn
	Dir    auth.Directory
	Log    *slog.Logger
}

// The words of the pages answered for a fault of ours.
const (
	SignInUnavailable = "Signing in is not possible just now. Please try again in a few minutes."
	PageUnavailable   = "This page cannot be shown just now. Please try again in a few minutes."
)

// Page answers a browser page for the person its session cookie names;
// without a session, the browser is sent to sign in and then back here
// (its path and query); when the session or the person cannot be read, a
// 503 page in words.
func (s Sessions) Page(ctx context.Context, req events.APIGatewayV2HTTPRequest, fn func(auth.Principal) events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	p, err := s.Principal(ctx, req)
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return Redirect("/auth/sign-in?next=" + url.QueryEscape(Here(req)))
	case errors.Is(err, errSession):
		s.Log.ErrorContext(ctx, "session not checked", "error", err.Error())
		return Unavailable(nil, SignInUnavailable)
	case err != nil:
		s.Log.ErrorContext(ctx, "staff not resolved", "error", err.Error())
		return Unavailable(nil, PageUnavailable)
	}
	return fn(p)
}

var errSession = errors.New("session not checked")

// Principal returns who the request's session cookie names. It returns
// auth.ErrUnauthenticated without a valid session, and another error
// when the session or Drive's records of the person cannot be read.
func (s Sessions) Principal(ctx context.Context, req events.APIGatewayV2HTTPRequest) (auth.Principal, error) {
	id, err := s.SignIn.SignedIn(ctx, req.Cookies)
	if errors.Is(err, auth.ErrUnauthenticated) {
		return auth.Principal{}, err
	}
	if err != nil {
		return auth.Principal{}, errors.Join(errSession, err)
	}
	return auth.Resolve(ctx, id, s.Dir)
}

// Here is the request's path with its query: where signing in comes back
// to.
func Here(req events.APIGatewayV2HTTPRequest) string {
	if req.RawQueryString != "" {
		return req.RawPath + "?" + req.RawQueryString
	}
	return req.RawPath
}

// Unavailable answers 503 for a fault of ours, in words.
func Unavailable(who *auth.Identity, message string) events.APIGatewayV2HTTPResponse {
	return Message(http.StatusServiceUnavailable, Page{Title: "Sorry, there is a problem", SignedIn: who, Message: message})
}

// NotFound answers 404 with the page's words: for something that does
// not exist, or that the signed-in person may not know of.
func NotFound(who *auth.Identity, title, message string) events.APIGatewayV2HTTPResponse {
	return Message(http.StatusNotFound, Page{Title: title, SignedIn: who, Message: message, Link: "/", LinkText: "Go to your home page"})
}

// CSRF is the token a page's forms carry for the request's session
// (signin.CSRFToken).
func CSRF(req events.APIGatewayV2HTTPRequest) string { return signin.CSRFToken(req.Cookies) }

// ValidForm reports whether a form posted with the request is the
// session's own: its token is the session's (signin.ValidCSRF).
func ValidForm(req events.APIGatewayV2HTTPRequest, token string) bool {
	return signin.ValidCSRF(req.Cookies, token)
}

// flashCookie carries, across a form's redirect, which banner the next
// page shows: a short code of the function's own (never words or
// personal data), read once.
const flashCookie = "drive_flash"

// Flash returns the cookie that makes the page at path show the banner
// named code once (POST-redirect-GET): give it to Redirect.
func Flash(path, code string) string {
	c := http.Cookie{Name: flashCookie, Value: url.QueryEscape(code), Path: path, MaxAge: 60, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
	return c.String()
}

// TakeFlash returns the banner code the request carries ("" for none)
// and, when it carries one, the cookie that clears it, for the answer.
func TakeFlash(req events.APIGatewayV2HTTPRequest, path string) (code, clear string) {
	raw := signin.Cookie(req.Cookies, flashCookie)
	if raw == "" {
		return "", ""
	}
	code, _ = url.QueryUnescape(raw)
	c := http.Cookie{Name: flashCookie, Value: "", Path: path, MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
	return strings.TrimSpace(code), c.String()
}

// FormBody reads a posted form's values; it returns an error for a body
// that is not a form (unreadable base64 or form encoding).
func FormBody(req events.APIGatewayV2HTTPRequest, limit int) (url.Values, error) {
	body := req.Body
	if req.IsBase64Encoded {
		raw, err := base64Decode(body)
		if err != nil {
			return nil, err
		}
		body = raw
	}
	if len(body) > limit {
		return nil, errTooLong
	}
	return url.ParseQuery(body)
}

var errTooLong = errors.New("form too long")

// WantsPage reports whether a request to a route that is both a page and
// an API (GET /cases/{id}, GET /areas/{area}) is a browser's: it carries
// the session cookie or asks for HTML. Any other needs a bearer token.
func WantsPage(req events.APIGatewayV2HTTPRequest) bool {
	return signin.Cookie(req.Cookies, signin.SessionCookie) != "" || strings.Contains(req.Headers["accept"], "text/html")
}
