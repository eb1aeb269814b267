package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/driveprogramme/referrals/infra/local"
)

// officer is the seed's demo officer (infra/seed/users.json): the tests'
// requests are theirs unless they say otherwise.
const officer = "sam.taylor@essex.police.example"

// admin is the seed's demo admin.
const admin = "admin@drive.example"

// lead is the email address of the test lead of an area.
func lead(area string) string { return "lead@" + area + ".drive.example" }

// testUsers are the identity provider's users for the test areas: each
// case manager (with the case-manager role) and each area's lead.
func testUsers(areas []local.SeedArea) []local.User {
	var users []local.User
	for _, a := range areas {
		for _, l := range a.Leads {
			users = append(users, local.User{Email: l, Name: "Lead of " + a.ID, Roles: []string{"area-lead"}})
		}
		for _, m := range a.CaseManagers {
			users = append(users, local.User{Email: m.Email, Name: m.Name, Roles: []string{"case-manager"}})
		}
	}
	return users
}

// stacks are the running stacks by host, so that the signing transport
// asks the right identity provider for a token.
var stacks sync.Map // host → *local.Stack

func register(s *local.Stack) {
	u, _ := url.Parse(s.URL)
	stacks.Store(u.Host, s)
}

var tokens sync.Map // idp + email → token

// token signs in as email at the stack's identity provider, once.
func token(s *local.Stack, email string) (string, error) {
	if t, ok := tokens.Load(s.IdP + email); ok {
		return t.(string), nil
	}
	t, err := s.Token(context.Background(), email)
	if err != nil {
		return "", err
	}
	tokens.Store(s.IdP+email, t)
	return t, nil
}

type asKey struct{}

// as makes the requests sent with ctx signed in as email; "" sends them
// with no token.
func as(ctx context.Context, email string) context.Context {
	return context.WithValue(ctx, asKey{}, email)
}

// signing adds "Authorization: Bearer <ID token>" to requests to a stack:
// the officer's unless the request's context says whose (as).
type signing struct{ next http.RoundTripper }

func (s signing) RoundTrip(req *http.Request) (*http.Response, error) {
	who, set := req.Context().Value(asKey{}).(string)
	if !set {
		who = officer
	}
	st, ok := stacks.Load(req.URL.Host)
	if who == "" || !ok || req.Header.Get("Authorization") != "" {
		return s.next.RoundTrip(req)
	}
	tok, err := token(st.(*local.Stack), who)
	if err != nil {
		return nil, fmt.Errorf("sign in as %s: %w", who, err)
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok)
	return s.next.RoundTrip(req)
}

func mustToken(t testing.TB, s *local.Stack, email string) string {
	t.Helper()
	tok, err := token(s, email)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// localJar keeps Secure cookies for http://localhost, as browsers do (a
// Go cookie jar would not send them over plain HTTP).
type localJar struct{ http.CookieJar }

func (j localJar) SetCookies(u *url.URL, cs []*http.Cookie) {
	for _, c := range cs {
		c.Secure = false
	}
	j.CookieJar.SetCookies(u, cs)
}

var browsers sync.Map // email → *http.Client

// browser signs in to the pages as email, the way a browser does (sign-in
// page, identity provider's login form, callback), and returns a client
// that keeps the session cookie and does not follow redirects.
func browser(t testing.TB, email string) *http.Client {
	t.Helper()
	if c, ok := browsers.Load(email); ok {
		return c.(*http.Client)
	}
	c := signInAt(t, stack.URL, email)
	browsers.Store(email, c)
	return c
}

// signInAt signs in as email at the pages served at base (a local
// address of the stack), as browser does.
func signInAt(t testing.TB, base, email string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: localJar{jar}, Transport: http.DefaultClient.Transport}
	resp, err := c.Get(base + "/auth/sign-in?next=/referrals/new")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("sign-in led to %s, not the identity provider's login page", resp.Request.URL)
	}
	login := *resp.Request.URL
	login.RawQuery = ""
	resp, err = c.PostForm(login.String(), url.Values{"id": {id}, "username": {email}, "password": {local.DemoPassword}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path != "/referrals/new" || resp.StatusCode == http.StatusUnauthorized {
		t.Fatalf("after signing in as %s at %s: %d at %s, want back at /referrals/new; the page says:\n%s", email, base, resp.StatusCode, resp.Request.URL, textOfPage(body))
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

var pageTags = regexp.MustCompile(`(?s)<head>.*</head>|<[^>]+>`)

// textOfPage is a page's words, for a test's message.
func textOfPage(body []byte) string {
	return strings.Join(strings.Fields(html.UnescapeString(pageTags.ReplaceAllString(string(body), " "))), " ")
}

// TestSignInAtEitherLocalAddress: the stack is opened at localhost or at
// 127.0.0.1; signing in ends back on the page at the address where it
// began (a browser keeps the sign-in cookie per host, so a callback to the
// other address could not finish).
func TestSignInAtEitherLocalAddress(t *testing.T) {
	serial(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(stack.URL, "http://"))
	for _, base := range []string{"http://localhost:" + port, "http://127.0.0.1:" + port} {
		t.Run(base, func(t *testing.T) {
			c := signInAt(t, base, officer)
			resp, err := c.Get(base + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "PC Sam Taylor") {
				t.Errorf("home at %s: got %d, want 200 signed in as PC Sam Taylor", base, resp.StatusCode)
			}
		})
	}
}

// TestSignInFailureSaysWhatHappened: a callback that reaches the pages
// with no sign-in begun in that browser, at that address, says so.
func TestSignInFailureSaysWhatHappened(t *testing.T) {
	serial(t)
	resp, err := http.Get(stack.URL + "/auth/callback?state=abc&code=def")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "This browser had no sign-in in progress at this address"; resp.StatusCode != http.StatusBadRequest || !strings.Contains(textOfPage(body), want) {
		t.Errorf("got %d %q, want 400 saying %q", resp.StatusCode, textOfPage(body), want)
	}
}

// TestGatewayAnswersOnlyItsOwnAddresses: a request naming another host
// (a DNS-rebinding site pointed at the stack) is refused, so no page
// builds a sign-in callback on a host that is not this stack.
func TestGatewayAnswersOnlyItsOwnAddresses(t *testing.T) {
	serial(t)
	for host, want := range map[string]int{"evil.example": http.StatusMisdirectedRequest, "localhost:1": http.StatusMisdirectedRequest, "": http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, stack.URL+"/openapi.yaml", nil)
		if host != "" {
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(stack.URL, "http://"))
			req.Host = strings.Replace(host, "evil.example", "evil.example:"+port, 1)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q: got %d, want %d", req.Host, resp.StatusCode, want)
		}
	}
}

// TestSignInGoesBackOnlyToThisSite: whatever next a link carries, signing
// in ends on a page of this site (issue 13's open redirect): a next that
// is not a plain path here ends on the home page.
func TestSignInGoesBackOnlyToThisSite(t *testing.T) {
	serial(t)
	for _, next := range []string{"/%09/evil.example/", "/%09%5Cevil.example", "//evil.example/", "/.//evil.example", "/%5C/evil.example", "https://evil.example/"} {
		t.Run(next, func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: localJar{jar}, Transport: http.DefaultClient.Transport}
			var hops []string
			c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
				hops = append(hops, req.URL.String())
				return nil
			}
			resp, err := c.Get(stack.URL + "/auth/sign-in?next=" + next)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			id := resp.Request.URL.Query().Get("authRequestID")
			login := *resp.Request.URL
			login.RawQuery = ""
			resp, err = c.PostForm(login.String(), url.Values{"id": {id}, "username": {officer}, "password": {local.DemoPassword}})
			if err != nil {
				t.Fatalf("signing in: %v (redirects %v)", err, hops)
			}
			resp.Body.Close()
			base, _ := url.Parse(stack.URL)
			if got := resp.Request.URL; got.Host != base.Host || got.Path != "/" {
				t.Errorf("signed in with next=%s: ended at %s, want %s/ (redirects %v)", next, got, stack.URL, hops)
			}
		})
	}
}

// TestTokenOnlyInCompactSerialization: a genuine token re-encoded in JWS
// JSON serialization is refused by the local authorizer, as API Gateway's
// JWT authorizer refuses it.
func TestTokenOnlyInCompactSerialization(t *testing.T) {
	serial(t)
	tok := mustToken(t, stack, officer)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("the provider's token has %d parts, want 3", len(parts))
	}
	flattened, _ := json.Marshal(map[string]string{"protected": parts[0], "payload": parts[1], "signature": parts[2]})
	for name, raw := range map[string]string{"compact": tok, "JSON serialization": string(flattened)} {
		req, _ := http.NewRequest(http.MethodGet, stack.URL+"/referrals/DRV-7K4M-Q9TX", nil)
		req.Header.Set("Authorization", "Bearer "+raw)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := http.StatusNotFound // signed in; no such referral
		if name != "compact" {
			want = http.StatusUnauthorized
		}
		if resp.StatusCode != want {
			t.Errorf("%s: got %d, want %d", name, resp.StatusCode, want)
		}
	}
}
