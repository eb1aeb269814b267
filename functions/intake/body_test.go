package main

import (
	"encoding/base64"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestBodiesAreRefusedWhole: a referral's body is held to the limits and
// the strict decoding every route has, whichever way it comes.
func TestBodiesAreRefusedWhole(t *testing.T) {
	tests := []struct {
		name   string
		change func(*events.APIGatewayV2HTTPRequest)
		want   int
		says   string
	}{
		{"a key given twice", func(e *events.APIGatewayV2HTTPRequest) {
			e.Body = strings.Replace(e.Body, `"area":"essex"`, `"area":"essex","area":"kent"`, 1)
		}, 422, `"field":"area"`},
		{"a key in another letter case", func(e *events.APIGatewayV2HTTPRequest) {
			e.Body = strings.Replace(e.Body, `"area":"essex"`, `"Area":"essex"`, 1)
		}, 422, `"field":"Area"`},
		{"data after the referral", func(e *events.APIGatewayV2HTTPRequest) { e.Body += ` {}` }, 400, "not valid JSON"},
		{"over 64 KiB in base64", func(e *events.APIGatewayV2HTTPRequest) {
			e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(e.Body+strings.Repeat(" ", maxBody))), true
		}, 413, "64 KiB or smaller"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, st, q := newHandler(io.Discard)
			code, _, raw := invoke(t, h, event(t, "post-referral.json", tt.change))
			if code != tt.want || !strings.Contains(raw, tt.says) {
				t.Errorf("got %d %.300s, want %d saying %s", code, raw, tt.want, tt.says)
			}
			if len(st.records) != 0 || len(q.Sent) != 0 {
				t.Errorf("stored %d and queued %d, want none", len(st.records), len(q.Sent))
			}
		})
	}
}

// TestFormTooLarge: the form's post has the same limit, answered with a
// page that says what to do in an officer's words, offers the way back to
// the form, and shows who is signed in; signed out, its Sign in link
// opens in the same tab.
func TestFormTooLarge(t *testing.T) {
	h, st := pageHandler()
	before := len(st.records)
	for _, who := range []string{"officer", ""} {
		t.Run("signed in as "+who, func(t *testing.T) {
			form := url.Values{"perpetrator.firstName": {strings.Repeat("a", maxBody)}}
			resp := newTab(t, h, who).post(form)
			if resp.StatusCode != 413 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
				t.Errorf("got %d %v, want a 413 page", resp.StatusCode, resp.Headers)
			}
			for _, want := range []string{"too long to send", "the reason for the referral", "Back button", `href="/referrals/new"`} {
				if !strings.Contains(resp.Body, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			if strings.Contains(resp.Body, "KiB") {
				t.Error("the page speaks of KiB")
			}
			if signedIn := strings.Contains(resp.Body, "PC Sam Taylor") && strings.Contains(resp.Body, "Sign out"); signedIn != (who != "") {
				t.Errorf("the header shows signed in: got %v, want %v", signedIn, who != "")
			}
			if strings.Contains(resp.Body, `target="_blank"`) {
				t.Error("a link opens a new tab")
			}
		})
	}
	if len(st.records) != before {
		t.Errorf("stored %d referrals, want none", len(st.records)-before)
	}
}
