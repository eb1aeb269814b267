package signin_test

import (
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
