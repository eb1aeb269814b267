package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/driveprogramme/referrals/shared/htmlcheck"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/signin"
)

// withdrawalRequest is a browser's request to the withdrawal page by who
// (a session cookie); a form carries the session's token unless it sets
// "csrf" itself.
func withdrawalRequest(t *testing.T, h *handler, method, who string, form url.Values) events.APIGatewayV2HTTPResponse {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{RouteKey: method + " /referrals/{reference}/withdrawal", RawPath: "/referrals/" + ref + "/withdrawal",
		PathParameters: map[string]string{"reference": ref}, Headers: map[string]string{"accept": "text/html"},
		Cookies: []string{signin.SessionCookie + "=" + who}}
	if form != nil {
		if !form.Has("csrf") {
			form.Set("csrf", signin.CSRFToken(ev.Cookies))
		}
		ev.Body = form.Encode()
		ev.Headers["content-type"] = "application/x-www-form-urlencoded"
	}
	raw, _ := json.Marshal(ev)
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("handler returned an error: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		for _, problem := range htmlcheck.Check([]byte(resp.Body)) {
			t.Errorf("%s withdrawal of %s as %s: %s", method, ref, who, problem)
		}
	}
	return resp
}

// flashOf is the banner code a redirect's cookies carry for path, or "".
func flashOf(resp events.APIGatewayV2HTTPResponse, path string) string {
	for _, c := range resp.Cookies {
		if k, err := http.ParseSetCookie(c); err == nil && k.Name == "drive_flash" && k.Path == path && k.MaxAge > 0 {
			return k.Value
		}
	}
	return ""
}

// TestWithdrawalFormWithdrawsAsTheAPIDoes: the officer who made the
// referral opens the form, sends it without a reason (the error summary,
// what they typed kept), then with one: the referral is withdrawn through
// the same transition and messages as POST /referrals/{ref}/withdraw, and
// the browser goes to the status page, which says so once.
func TestWithdrawalFormWithdrawsAsTheAPIDoes(t *testing.T) {
	h, st, q := newHandlerQueues(&bytes.Buffer{})
	h.store, h.signIn = pageStore{st}, sessions{}
	resp := withdrawalRequest(t, h, "GET", "maker", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `action="/referrals/`+ref+`/withdrawal"`) || !strings.Contains(resp.Body, `name="csrf"`) {
		t.Fatalf("GET as the officer who made it: got %d, want 200 with the form:\n%s", resp.StatusCode, resp.Body)
	}

	resp = withdrawalRequest(t, h, "POST", "maker", url.Values{"reason": {"  "}, "note": {"Kept as typed"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, `<a href="#reason">Enter why you are withdrawing this referral</a>`) ||
		!strings.Contains(resp.Body, "Kept as typed") {
		t.Errorf("without a reason: got %d, want 422 with the error summary and the note kept:\n%s", resp.StatusCode, resp.Body)
	}
	if len(st.changes) != 0 {
		t.Fatalf("without a reason: got changes %v, want none", st.changes)
	}

	resp = withdrawalRequest(t, h, "POST", "maker", url.Values{"reason": {"Sent in error"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/referrals/"+ref+"/status" {
		t.Fatalf("with a reason: got %d to %q, want 303 to the status page", resp.StatusCode, resp.Headers["Location"])
	}
	if got := flashOf(resp, "/referrals/"+ref+"/status"); got != "withdrawn" {
		t.Errorf("with a reason: got banner code %q for the status page, want withdrawn", got)
	}
	if want := []string{"withdraw: Withdrawn by Sam Taylor: Sent in error"}; strings.Join(st.changes, "\n") != strings.Join(want, "\n") {
		t.Errorf("with a reason: got changes %q, want %q", st.changes, want)
	}
	var ended, freed bool
	for _, s := range q.sent {
		ended = ended || strings.Contains(s, `"kind":"ended"`)
		freed = freed || strings.HasPrefix(s, "allocation ")
	}
	if !ended || !freed {
		t.Errorf("with a reason: got messages %q, want the ended email and the freed place, as the API sends", q.sent)
	}
}

// TestWithdrawalIsOnlyForItsOfficer: the case manager holding it and the
// area's lead are told only its officer withdraws it (403); anyone else
// is told there is no such referral (404); nothing changes.
func TestWithdrawalIsOnlyForItsOfficer(t *testing.T) {
	h, st, _ := pageHandler(t)
	for _, c := range []struct {
		who  string
		want int
	}{
		{"holder", http.StatusForbidden},
		{"lead", http.StatusForbidden},
		{"colleague", http.StatusNotFound},
	} {
		if resp := withdrawalRequest(t, h, "GET", c.who, nil); resp.StatusCode != c.want {
			t.Errorf("GET as %s: got %d, want %d", c.who, resp.StatusCode, c.want)
		}
		if resp := withdrawalRequest(t, h, "POST", c.who, url.Values{"reason": {"Not mine to withdraw"}}); resp.StatusCode != c.want {
			t.Errorf("POST as %s: got %d, want %d", c.who, resp.StatusCode, c.want)
		}
	}
	if len(st.changes) != 0 {
		t.Errorf("got changes %v, want none", st.changes)
	}
}

// TestWithdrawingWhatCannotBeWithdrawn: a referral closed (or withdrawn
// by someone else) since the page was opened is not an error page: the
// browser goes to its status page, which says that nothing was changed.
// A form without the session's token changes nothing either.
func TestWithdrawingWhatCannotBeWithdrawn(t *testing.T) {
	h, st, _ := pageHandler(t)
	resp := withdrawalRequest(t, h, "POST", "maker", url.Values{"reason": {"Sent in error"}, "csrf": {"forged"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, "Nothing was changed") {
		t.Errorf("without the session's token: got %d, want 403 saying nothing was changed:\n%s", resp.StatusCode, resp.Body)
	}
	st.rec.Status = referral.StatusClosed
	for _, method := range []string{"GET", "POST"} {
		var form url.Values
		if method == "POST" {
			form = url.Values{"reason": {"Sent in error"}}
		}
		resp := withdrawalRequest(t, h, method, "maker", form)
		if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/referrals/"+ref+"/status" {
			t.Errorf("%s on a closed referral: got %d to %q, want 303 to its status page", method, resp.StatusCode, resp.Headers["Location"])
		}
		if got := flashOf(resp, "/referrals/"+ref+"/status"); got != "not-withdrawn" {
			t.Errorf("%s on a closed referral: got banner code %q, want not-withdrawn", method, got)
		}
	}
	if len(st.changes) != 0 {
		t.Errorf("got changes %v, want none", st.changes)
	}
}

// TestWithdrawalRacingAReallocation: a referral reallocated as it is
// withdrawn is still withdrawable: the form is shown again (409) with
// what was typed and why nothing changed, not the status page's "can no
// longer be withdrawn".
func TestWithdrawalRacingAReallocation(t *testing.T) {
	h, st, _ := pageHandler(t)
	st.raced = fmt.Errorf("withdraw %s: %w: the case has changed since you opened it (reallocated): reload it and try again", ref, referral.ErrConflict)
	resp := withdrawalRequest(t, h, "POST", "maker", url.Values{"reason": {"Sent in error"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(resp.Body, "Nothing was changed") || !strings.Contains(resp.Body, `value="Sent in error"`) {
		t.Errorf("got %d, want 409 with the form, the reason kept and why nothing changed:\n%s", resp.StatusCode, resp.Body)
	}
}
