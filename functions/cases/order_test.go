package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/referral"
)

// apiAs is action's event for route with body, sent by who (people) with
// their verified claims.
func apiAs(t *testing.T, who, route, body string) []byte {
	t.Helper()
	raw := action(t, route, body, "")
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	id := people[who]
	var roles []string
	for _, r := range id.Roles {
		roles = append(roles, string(r))
	}
	ev.RequestContext.Authorizer.JWT.Claims = map[string]string{"sub": id.Subject, "email": id.Email, "name": id.Name,
		"roles": "[" + strings.Join(roles, " ") + "]"}
	out, _ := json.Marshal(ev)
	return out
}

func init() {
	// Someone of another area: Drive's records give their role nothing
	// here.
	people["stranger"] = auth.Identity{Subject: "cm-zed", Email: "zed@drive.example", Name: "Zed", Roles: []auth.Role{auth.CaseManager}}
}

// TestWhoComesBeforeWhat (the fresh tester's fault: a non-lead sending a
// bad reallocation form got a field error): every case action, on the
// API and on the case page, checks who is asking (404 for someone who
// may not see the case, 403 for someone who may but not do this, 409 for
// a colleague) before what they sent, so that a form nobody may send is
// never checked field by field.
func TestWhoComesBeforeWhat(t *testing.T) {
	long := strings.Repeat("a", 501)
	tests := []struct {
		name, who, route, body string
		form                   url.Values // the case page's form, else the API's body
		want                   int
	}{
		{"API: the officer accepts with a reason too long", "maker", accept, `{"reason": "` + long + `"}`, nil, http.StatusForbidden},
		{"API: the lead closes with no reason", "lead", closeCase, `{}`, nil, http.StatusForbidden},
		{"API: a colleague closes with no reason", "colleague", closeCase, `{}`, nil, http.StatusConflict},
		{"API: someone of another area closes with no reason", "stranger", closeCase, `{}`, nil, http.StatusNotFound},
		{"API: the lead declines with an unknown reason", "lead", "POST /cases/{id}/decline", `{"reason": "bored"}`, nil, http.StatusForbidden},
		{"API: the case manager withdraws with no reason", "holder", withdraw, `{}`, nil, http.StatusForbidden},
		{"API: the case manager reallocates with no reason", "holder", reallocate, `{}`, nil, http.StatusForbidden},
		{"API: the officer reallocates to an id too long", "maker", reallocate, `{"reason": "x", "caseManager": "` + long + `"}`, nil, http.StatusForbidden},
		{"API: someone of another area reallocates with no reason", "stranger", reallocate, `{}`, nil, http.StatusNotFound},
		{"page: the case manager reallocates with nothing chosen", "holder", "", "", url.Values{"action": {"reallocate"}}, http.StatusForbidden},
		{"page: a colleague reallocates with nothing chosen", "colleague", "", "", url.Values{"action": {"reallocate"}}, http.StatusNotFound},
		{"page: the lead closes with nothing chosen", "lead", "", "", url.Values{"action": {"close"}}, http.StatusForbidden},
		{"page: the lead declines with Other and no note", "lead", "", "", url.Values{"action": {"decline"}, "decline.reason": {"other"}}, http.StatusForbidden},
		{"page: a colleague closes with nothing chosen", "colleague", "", "", url.Values{"action": {"close"}}, http.StatusNotFound},
		{"page: the officer accepts with a note too long", "maker", "", "", url.Values{"action": {"accept"}, "accept.note": {long}}, http.StatusNotFound},
		{"page: someone of another area closes with nothing chosen", "stranger", "", "", url.Values{"action": {"close"}}, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, st, _ := pageHandler(t)
			var code int
			var body string
			if tt.form != nil {
				resp := request(t, h, "POST", tt.who, tt.form)
				code, body = resp.StatusCode, resp.Body
			} else {
				code, body = invoke(t, h, apiAs(t, tt.who, tt.route, tt.body))
			}
			if code != tt.want || strings.Contains(body, "govuk-error-summary") || strings.Contains(body, `"errors"`) {
				t.Errorf("got %d %.300s, want %d and no field's error", code, body, tt.want)
			}
			if len(st.changes) != 0 || st.rec.Status != referral.StatusAllocated {
				t.Errorf("got changes %v, want none", st.changes)
			}
		})
	}
}
