package signin_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/signin"
)

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/referrals/new":                  "/referrals/new",
		"/referrals/DRV-7K4M-Q9TX/status": "/referrals/DRV-7K4M-Q9TX/status",
		"https://evil.example/":           "/",
		"//evil.example/":                 "/",
		"/\\evil.example":                 "/",
		"":                                "/",
	} {
		if got := signin.LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
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
