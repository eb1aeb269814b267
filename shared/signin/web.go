package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/driveprogramme/referrals/shared/auth"
)

// The cookies of the browser pages. Both are HttpOnly, Secure and
// SameSite=Lax: Lax, not Strict, because the identity provider sends the
// browser back to us from another site, and the sign-in cookie must come
// with it.
const (
	SessionCookie = "drive_session"
	signInCookie  = "drive_signin"
)

// Web signs people in to the browser pages with OpenID Connect's
// authorization-code flow and PKCE. The session cookie holds the ID token
// itself, checked by the Verifier on every request exactly as the API's
// tokens are, so there is no session store.
type Web struct {
	Verifier *Verifier
	// ClientSecret is for providers that register the pages as a
	// confidential client; PKCE is used either way.
	ClientSecret string
}

// redirectURL is the absolute URL of the callback page, which depends on
// the domain the pages are served on.
func (w *Web) config(ctx context.Context, redirectURL string) (*oauth2.Config, error) {
	p, _, err := w.Verifier.Provider(ctx)
	if err != nil {
		return nil, err
	}
	return &oauth2.Config{
		ClientID: w.Verifier.ClientID, ClientSecret: w.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirectURL, Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
	}, nil
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// LocalPath returns next rebuilt as a plain path on this site, or "/"
// when next is anything else, so that signing in cannot be used to send
// someone to another site. next is parsed and rebuilt, not matched
// against patterns: browsers forgive much (they drop tabs and newlines,
// read "\" as "/", resolve "." segments), so anything a browser could
// read as another host is refused whole. A plain path starts with one
// "/", has no scheme, host, user or fragment, no control characters, no
// backslashes (raw or encoded), no encoded "/", and no empty (but the
// last), "." or ".." segments; its query, if any, is kept
// re-encoded. The rules follow Unvalidated Redirects cheat sheet and
// the WHATWG URL standard's parsing of special URLs.
func LocalPath(next string) string {
	if !strings.HasPrefix(next, "/") || len(next) > 2048 {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' || !unicode.IsPrint(r) {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" || u.RawFragment != "" {
		return "/"
	}
	// An encoded "/" or "\" would be a separator to a server or proxy
	// that decodes before routing.
	if strings.ContainsRune(u.Path, '\\') {
		return "/"
	}
	lower := strings.ToLower(u.EscapedPath())
	if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") {
		return "/"
	}
	if u.Path != "/" {
		segs := strings.Split(u.Path[1:], "/")
		for i, seg := range segs {
			if seg == "" && i < len(segs)-1 || seg == "." || seg == ".." {
				return "/"
			}
			for _, r := range seg {
				if r < 0x20 || r == 0x7f || !unicode.IsPrint(r) {
					return "/"
				}
			}
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "/"
	}
	out := (&url.URL{Path: u.Path, RawQuery: q.Encode()}).String()
	// Rebuilt, it must still be one path-absolute reference.
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.ContainsAny(out, "\\\t\r\n") {
		return "/"
	}
	return out
}

func cookie(name, value, path string, maxAge int) string {
	c := http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
	return c.String()
}

// Start begins signing in: it returns where to send the browser and the
// cookie that remembers the flow (state, nonce, PKCE verifier and the page
// to come back to) for ten minutes.
func (w *Web) Start(ctx context.Context, next, redirectURL string) (location, setCookie string, err error) {
	cfg, err := w.config(ctx, redirectURL)
	if err != nil {
		return "", "", err
	}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	location = cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	value := strings.Join([]string{state, nonce, verifier, base64.RawURLEncoding.EncodeToString([]byte(LocalPath(next)))}, ".")
	return location, cookie(signInCookie, value, "/auth/", 600), nil
}

// ErrSignIn: the sign-in could not be finished (an old or forged callback,
// or the provider refused); starting again is the remedy. Finish's errors
// wrap it and one of the reasons below, which Explain puts in words.
var ErrSignIn = errors.New("sign-in failed")

// Why a sign-in did not finish.
var (
	// errNoSignIn: the browser sent no sign-in cookie with the callback:
	// the flow expired (10 minutes), began at another address of the site
	// (cookies are kept per host), or the browser keeps no cookies.
	errNoSignIn = errors.New("no sign-in in progress in this browser at this address")
	// errOtherSignIn: the callback's state is not the one this browser
	// holds: a later sign-in (another tab) replaced it, or it is forged.
	errOtherSignIn = errors.New("the answer is for another sign-in")
	// errRefused: the identity provider answered with an error.
	errRefused = errors.New("the identity provider refused")
	// errCode: the provider would not swap the code for tokens: used
	// already (a refreshed callback) or expired.
	errCode = errors.New("the code was not accepted")
	// errToken: the ID token did not verify, or its nonce is another's.
	errToken = errors.New("the ID token was not accepted")
)

func failed(reason error, detail string) error {
	if detail == "" {
		return fmt.Errorf("%w: %w", ErrSignIn, reason)
	}
	return fmt.Errorf("%w: %w: %s", ErrSignIn, reason, detail)
}

var oidcErrorCode = regexp.MustCompile(`^[a-z_]{1,40}$`)

// Explain says, for the person signing in, why Finish's err stopped
// them: what happened, not a guess. It returns "" for an error that is
// not a failed sign-in (ErrSignIn).
func Explain(err error, query url.Values) string {
	switch {
	case !errors.Is(err, ErrSignIn):
		return ""
	case errors.Is(err, errNoSignIn):
		return "This browser had no sign-in in progress at this address. Signing in must finish within 10 minutes, at the address where it began (localhost and 127.0.0.1 are different addresses to a browser), in a browser that keeps this site's cookies."
	case errors.Is(err, errOtherSignIn):
		return "The answer from the sign-in service was for another sign-in than the one this browser began last, for example one begun in another tab."
	case errors.Is(err, errRefused):
		code := query.Get("error")
		if !oidcErrorCode.MatchString(code) {
			code = "an error"
		}
		if code == "access_denied" {
			return "The sign-in service did not sign you in: it answered access_denied (signing in was cancelled, or your account may not use Drive)."
		}
		return "The sign-in service did not sign you in: it answered " + code + "."
	case errors.Is(err, errCode):
		return "The sign-in service did not accept this sign-in's one-time code: it had been used already (for example, this page was refreshed or reached with the back button) or had expired."
	case errors.Is(err, errToken):
		return "The sign-in service's answer could not be checked: it was not for Drive, had expired, or was for another sign-in."
	}
	return "The sign-in service's answer could not be used."
}

// Finish completes signing in at the callback: it checks the state, swaps
// the code (with the PKCE verifier) for tokens, verifies the ID token and
// its nonce, and returns the session cookie, the cookie clearing the flow,
// and the page to go back to.
func (w *Web) Finish(ctx context.Context, query url.Values, cookies []string, redirectURL string) (setCookies []string, next string, err error) {
	parts := strings.Split(Cookie(cookies, signInCookie), ".")
	if len(parts) != 4 {
		return nil, "", failed(errNoSignIn, "")
	}
	state, nonce, verifier := parts[0], parts[1], parts[2]
	nextBytes, _ := base64.RawURLEncoding.DecodeString(parts[3])
	if e := query.Get("error"); e != "" {
		return nil, "", failed(errRefused, e)
	}
	if subtle.ConstantTimeCompare([]byte(query.Get("state")), []byte(state)) != 1 {
		return nil, "", failed(errOtherSignIn, "state does not match")
	}
	cfg, err := w.config(ctx, redirectURL)
	if err != nil {
		return nil, "", err
	}
	tok, err := cfg.Exchange(ctx, query.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, "", failed(errCode, err.Error())
	}
	raw, _ := tok.Extra("id_token").(string)
	_, idTok, err := w.Verifier.Verify(ctx, raw)
	if err != nil {
		return nil, "", failed(errToken, err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(idTok.Nonce), []byte(nonce)) != 1 {
		return nil, "", failed(errToken, "nonce does not match")
	}
	maxAge := int(time.Until(idTok.Expiry).Seconds())
	return []string{cookie(SessionCookie, raw, "/", maxAge), cookie(signInCookie, "", "/auth/", -1)}, LocalPath(string(nextBytes)), nil
}

// SignedIn returns who the session cookie names, wrapping
// ErrUnauthenticated when there is none or it has expired.
func (w *Web) SignedIn(ctx context.Context, cookies []string) (auth.Identity, error) {
	id, _, err := w.Verifier.Verify(ctx, Cookie(cookies, SessionCookie))
	return id, err
}

// SignOut returns the cookie that ends the session.
func SignOut() string { return cookie(SessionCookie, "", "/", -1) }

// CSRFToken is the form token for a session: derived from the session
// cookie, which another site can neither read nor send with a POST
// (SameSite), so it cannot be forged, and it needs no store.
func CSRFToken(cookies []string) string {
	s := Cookie(cookies, SessionCookie)
	if s == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("drive-form:" + s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ValidCSRF reports whether a submitted form token belongs to the session.
func ValidCSRF(cookies []string, token string) bool {
	want := CSRFToken(cookies)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}

// FromOwnPage reports whether the browser says that a request was sent by
// a page of origin (scheme://host) itself: its Sec-Fetch-Site header is
// same-origin, or, from a browser that sends no Sec-Fetch-Site, its Origin
// header is origin. Neither header can be set by a page's script or by
// another site (both are forbidden header names), so a form another site
// makes the browser send never passes, and a sibling site (same-site)
// does not either. This is the check of Go's http.CrossOriginProtection
// and OWASP's "Fetch Metadata" defence, except that a request with
// neither header (not a current browser) does not pass. headers are API
// Gateway's, with lower-case names.
func FromOwnPage(headers map[string]string, origin string) bool {
	if site, ok := headers["sec-fetch-site"]; ok {
		return site == "same-origin"
	}
	o, ok := headers["origin"]
	return ok && origin != "" && strings.EqualFold(o, origin)
}

// Cookie returns a cookie's value from API Gateway's cookies
// ("name=value" each), or "".
func Cookie(cookies []string, name string) string {
	for _, c := range cookies {
		for _, part := range strings.Split(c, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && k == name {
				return v
			}
		}
	}
	return ""
}
