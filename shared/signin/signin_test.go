package signin_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/signin"
)

// TestLocalPath: a next that is not a plain path on this site goes to
// "/", whatever a browser might make of it; rows are known bypasses of
// pattern-matching checks.
func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/referrals/new", "/referrals/new"},
		{"/referrals/DRV-7K4M-Q9TX/status", "/referrals/DRV-7K4M-Q9TX/status"},
		{"/", "/"},
		{"/cases/", "/cases/"},
		{"/areas?area=essex&page=2", "/areas?area=essex&page=2"},
		{"", "/"},
		{"referrals/new", "/"},
		// other sites and schemes
		{"https://evil.example/", "/"},
		{"http:evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"//evil.example/", "/"},
		{"///evil.example/", "/"},
		{"////evil.example", "/"},
		{"https:/\\evil.example", "/"},
		// backslashes, which browsers read as "/"
		{"/\\evil.example", "/"},
		{"\\/evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/\\/evil.example", "/"},
		{"/\t\\evil.example", "/"},
		{"/a\\b", "/"},
		// tabs, newlines and other controls, which browsers drop
		{"/\t/evil.example/", "/"},
		{"/\n/evil.example", "/"},
		{"/\r\n/evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\x7f/evil.example", "/"},
		{"/\u2028/evil.example", "/"},
		{"/%09/evil.example/", "/"},
		{"/%0a/evil.example", "/"},
		{"/%0d%0aLocation:%20https://evil.example", "/"},
		// encoded separators
		{"/%2f/evil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"/%5c/evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"%2f%2fevil.example", "/"},
		{"/referrals%2fnew", "/"},
		// dot and empty segments a browser resolves
		{"/.//evil.example", "/"},
		{"/./evil.example", "/"},
		{"/..//evil.example", "/"},
		{"/a/../../evil.example", "/"},
		{"/%2e%2e//evil.example", "/"},
		{"/%2e/%2fevil.example", "/"},
		{"/referrals//new", "/"},
		// user info, fragments, bad escapes
		{"/@evil.example", "/@evil.example"},
		{"/referrals/new#//evil.example", "/"},
		{"/%zz", "/"},
		{"/?next=//evil.example", "/?next=%2F%2Fevil.example"},
	}
	for _, tt := range tests {
		if got := signin.LocalPath(tt.in); got != tt.want {
			t.Errorf("LocalPath(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCSRF(t *testing.T) {
	alice := []string{"other=1", "drive_session=token-of-alice"}
	bob := []string{"drive_session=token-of-bob"}
	tok := signin.CSRFToken(alice)
	switch {
	case tok == "" || !signin.ValidCSRF(alice, tok):
		t.Errorf("a session's own token %q is not valid for it", tok)
	case signin.ValidCSRF(bob, tok):
		t.Error("another session's token is valid")
	case signin.ValidCSRF(nil, "") || signin.ValidCSRF(alice, ""):
		t.Error("no session or no token is valid")
	}
}

func TestCookie(t *testing.T) {
	cookies := []string{"a=1", "drive_session=abc.def; b=2"}
	if got := signin.Cookie(cookies, "drive_session"); got != "abc.def" {
		t.Errorf("got %q", got)
	}
	if got := signin.Cookie(cookies, "missing"); got != "" {
		t.Errorf("got %q for a missing cookie", got)
	}
}

func TestFromOwnPage(t *testing.T) {
	const origin = "https://referrals.drive.example"
	tests := []struct {
		name    string
		headers map[string]string
		want    bool
	}{
		{"a page of the site", map[string]string{"sec-fetch-site": "same-origin", "origin": origin}, true},
		{"a page of the site, in a browser without Sec-Fetch-Site", map[string]string{"origin": origin}, true},
		{"another site", map[string]string{"sec-fetch-site": "cross-site", "origin": "https://evil.example"}, false},
		{"a sibling site", map[string]string{"sec-fetch-site": "same-site", "origin": "https://other.drive.example"}, false},
		{"typed in the address bar", map[string]string{"sec-fetch-site": "none"}, false},
		{"a sibling site, in a browser without Sec-Fetch-Site", map[string]string{"origin": "https://other.drive.example"}, false},
		{"Origin null (a sandboxed page)", map[string]string{"origin": "null"}, false},
		{"neither header (not a browser)", map[string]string{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := signin.FromOwnPage(tt.headers, origin); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestFinishSaysWhatHappened: each way a sign-in stops before the
// provider is asked has its own words, none of them a guess.
func TestFinishSaysWhatHappened(t *testing.T) {
	w := &signin.Web{Verifier: &signin.Verifier{Issuer: "https://idp.invalid", ClientID: "drive"}}
	const cookie = "drive_signin=state1.nonce.verifier.Lw"
	tests := []struct {
		name    string
		query   url.Values
		cookies []string
		want    string
	}{
		{"no sign-in cookie (another address, or expired)", url.Values{"state": {"state1"}, "code": {"c"}}, nil, "no sign-in in progress at this address"},
		{"the answer to another sign-in", url.Values{"state": {"state0"}, "code": {"c"}}, []string{cookie}, "for another sign-in than the one this browser began last"},
		{"cancelled at the provider", url.Values{"state": {"state1"}, "error": {"access_denied"}}, []string{cookie}, "it answered access_denied"},
		{"an error code that is not one", url.Values{"state": {"state1"}, "error": {"<b>call 0800</b>"}}, []string{cookie}, "it answered an error."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := w.Finish(context.Background(), tt.query, tt.cookies, "https://referrals.drive.example/auth/callback")
			if !errors.Is(err, signin.ErrSignIn) {
				t.Fatalf("got %v, want ErrSignIn", err)
			}
			if got := signin.Explain(err, tt.query); !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to say %q", got, tt.want)
			}
		})
	}
	if got := signin.Explain(errors.New("network down"), nil); got != "" {
		t.Errorf("a fault of ours explained as a failed sign-in: %q", got)
	}
}
