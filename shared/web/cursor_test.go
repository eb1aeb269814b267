package web

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/signin"
)

func session(value string) events.APIGatewayV2HTTPRequest {
	if value == "" {
		return events.APIGatewayV2HTTPRequest{}
	}
	return events.APIGatewayV2HTTPRequest{Cookies: []string{signin.SessionCookie + "=" + value}}
}

// TestCursorOpensOnlyForItsSession: a sealed cursor opens, as it was, for
// the session it was sealed for, and for nothing else: another session,
// none, its words or seal changed, or no seal at all.
func TestCursorOpensOnlyForItsSession(t *testing.T) {
	words := "older:2026-03-01T09:00:00.000000000Z#DRV-7K4M-Q9TX"
	sealed := SealCursor(session("one"), words)
	if got, ok := OpenCursor(session("one"), sealed); !ok || got != words {
		t.Fatalf("its own session: got %q, %v; want %q, true", got, ok, words)
	}
	enc, mac, _ := strings.Cut(sealed, ".")
	other := SealCursor(session("one"), "newer:"+words[6:])
	otherEnc, _, _ := strings.Cut(other, ".")
	for _, c := range []struct {
		name, session, cursor string
	}{
		{"another session", "two", sealed},
		{"no session", "", sealed},
		{"other words, its seal", "one", otherEnc + "." + mac},
		{"its words, no seal", "one", enc},
		{"its words, an empty seal", "one", enc + "."},
		{"not base64", "one", "!!!.???"},
		{"empty", "one", ""},
		{"too long", "one", strings.Repeat("a", 2000) + "." + mac},
	} {
		if got, ok := OpenCursor(session(c.session), c.cursor); ok {
			t.Errorf("%s: got %q, true; want refused", c.name, got)
		}
	}
	if got := SealCursor(session(""), words); got != "" {
		t.Errorf("sealed without a session: got %q, want none", got)
	}
}
