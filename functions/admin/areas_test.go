package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/signin"
)

// adminPage sends a browser's request to one of the admin's area pages:
// route is its route key, path its path, area its {area} ("" for none).
func adminPage(t *testing.T, h *handler, route, path, area, who string, form url.Values) events.APIGatewayV2HTTPResponse {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{RouteKey: route, RawPath: path, Headers: map[string]string{"accept": "text/html"}}
	if area != "" {
		ev.PathParameters = map[string]string{"area": area}
	}
	if who != "" {
		ev.Cookies = append(ev.Cookies, signin.SessionCookie+"="+who)
	}
	if form != nil {
		if form.Get("csrf") == "" {
			form.Set("csrf", signin.CSRFToken(ev.Cookies))
		}
		ev.Body = form.Encode()
		ev.Headers["content-type"] = "application/x-www-form-urlencoded"
	}
	return send(t, h, ev)
}

// sussex is the create form for West Sussex, as an admin fills it in.
func sussex() url.Values {
	return url.Values{"name": {"West Sussex"}, "minimumAge": {"17"}, "dashThreshold": {"14"}, "incidentsThreshold": {"3"},
		"knownVictimsThreshold": {"2"}, "maracQualifies": {"yes"}, "leads": {"Lead.One@drive.example\nlead.two@drive.example"},
		"idvaService": {"idva@sussex-idva.example"}, "maracCoordinator": {"marac@sussex.example"}, "idvaDomains": {"sussex-idva.example"}}
}

// TestAreasPagesAreForAdmins: the Areas page, its create form and an
// area's settings are the admins'; a lead, a case manager and an officer
// are told there is no such page (404) and nothing is saved; someone
// signed out is sent to sign in.
func TestAreasPagesAreForAdmins(t *testing.T) {
	for _, tt := range []struct {
		route, path, area string
		form              bool
	}{
		{"GET /areas", "/areas", "", false},
		{"POST /areas", "/areas", "", true},
		{"GET /areas/{area}/settings", "/areas/kent/settings", "kent", false},
		{"POST /areas/{area}/settings", "/areas/kent/settings", "kent", true},
	} {
		for who, want := range map[string]int{"admin": 0, "lead": 404, "manager": 404, "officer": 404, "": 303} {
			st := kentStore()
			h, _ := pageHandler(st)
			var form url.Values
			if tt.form {
				form = sussex()
			}
			resp := adminPage(t, h, tt.route, tt.path, tt.area, who, form)
			if want == 0 {
				if resp.StatusCode != 200 && resp.StatusCode != 303 {
					t.Errorf("%s by %s: got %d, want the page or its redirect", tt.route, who, resp.StatusCode)
				}
				continue
			}
			if resp.StatusCode != want {
				t.Errorf("%s by %q: got %d, want %d", tt.route, who, resp.StatusCode, want)
			}
			if len(st.areas) > 0 {
				t.Errorf("%s by %q: got an area saved, want none", tt.route, who)
			}
		}
	}
}

// TestAreasListLinksEveryArea: the Areas page lists each area, linked to
// its page, with its rules' version, and the create form starts from the
// defaults.
func TestAreasListLinksEveryArea(t *testing.T) {
	h, _ := pageHandler(kentStore())
	resp := adminPage(t, h, "GET /areas", "/areas", "", "admin", nil)
	for _, want := range []string{`href="/areas/kent">Kent</a>`, `action="/areas"`, `name="dashThreshold" type="text" value="14"`, `aria-current`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("got no %s on the Areas page", want)
		}
	}
}

// TestCreateAnArea: the admin's form creates the area through the API's
// write, recorded as made by them, and redirects to its page with a
// banner; a mistake shows the form again with the error summary, the
// field's error and what was typed; a form of another session, or an
// area that exists, changes nothing.
func TestCreateAnArea(t *testing.T) {
	t.Run("created", func(t *testing.T) {
		st := kentStore()
		h, _ := pageHandler(st)
		resp := adminPage(t, h, "POST /areas", "/areas", "", "admin", sussex())
		if resp.StatusCode != 303 || resp.Headers["Location"] != "/areas/west-sussex" {
			t.Fatalf("got %d to %q, want 303 to /areas/west-sussex", resp.StatusCode, resp.Headers["Location"])
		}
		a := st.areas[len(st.areas)-1]
		if a.ID != "west-sussex" || a.Name != "West Sussex" || a.Rules.MinimumAge != 17 || !a.Rules.MARACQualifies || a.Version != 1 ||
			strings.Join(a.Leads, ",") != "lead.one@drive.example,lead.two@drive.example" || strings.Join(a.IDVADomains, ",") != "sussex-idva.example" {
			t.Errorf("got %+v, want West Sussex as typed, leads in lower case, version 1", a)
		}
		if len(st.log) != 1 || st.log[0].What != "Created" || st.log[0].By != "admin@drive.example" || st.log[0].ByName != "Drive Admin" {
			t.Errorf("got changes %+v, want the creation recorded as the admin's", st.log)
		}
		// The area page shows the banner, the version and the change.
		page := page(t, h, "GET", "west-sussex", "admin", nil, resp.Cookies[0])
		for _, want := range []string{"The area has been created", `id="rules-version">1<`, "Drive Admin", "Created"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("got no %q on the new area's page", want)
			}
		}
	})
	for _, tt := range []struct {
		name   string
		change func(url.Values)
		status int
		want   []string
	}{
		{"no name", func(v url.Values) { v.Set("name", "") }, 422, []string{`href="#name"`, "Enter the area&#39;s name"}},
		{"a threshold not a number", func(v url.Values) { v.Set("dashThreshold", "fourteen") }, 422,
			[]string{`href="#dashThreshold"`, "Enter the DASH threshold as a whole number from 1 to 24", `value="fourteen"`}},
		{"MARAC not chosen", func(v url.Values) { v.Del("maracQualifies") }, 422, []string{`href="#maracQualifies"`, "Select whether a MARAC referral"}},
		{"a lead's address wrong", func(v url.Values) { v.Set("leads", "not-an-address") }, 422, []string{`href="#leads"`, "not-an-address"}},
		{"an IDVA domain wrong", func(v url.Values) { v.Set("idvaDomains", "@@bad") }, 422, []string{`href="#idvaDomains"`, "Enter IDVA email domain 1"}},
		{"an area of that name", func(v url.Values) { v.Set("name", "Kent") }, 422, []string{"There is already an area called Kent"}},
		{"another session's form", func(v url.Values) { v.Set("csrf", "forged") }, 403, []string{"Nothing was changed", `value="West Sussex"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := kentStore()
			h, _ := pageHandler(st)
			form := sussex()
			tt.change(form)
			resp := adminPage(t, h, "POST /areas", "/areas", "", "admin", form)
			if resp.StatusCode != tt.status {
				t.Errorf("got %d, want %d", resp.StatusCode, tt.status)
			}
			for _, want := range tt.want {
				if !strings.Contains(resp.Body, want) {
					t.Errorf("got no %s on the page shown again", want)
				}
			}
			if len(st.areas) > 0 || len(st.log) > 0 {
				t.Errorf("got %+v saved and %+v recorded, want nothing", st.areas, st.log)
			}
		})
	}
}

// TestChangeAnArea: the settings page shows the area as it is; saving
// raises the version and records each change from and to, shown on the
// area page; a mistake changes nothing.
func TestChangeAnArea(t *testing.T) {
	st := kentStore()
	h, _ := pageHandler(st)
	get := adminPage(t, h, "GET /areas/{area}/settings", "/areas/kent/settings", "kent", "admin", nil)
	if get.StatusCode != 200 || !strings.Contains(get.Body, `name="name" type="text" value="Kent"`) || !strings.Contains(get.Body, "version 1") {
		t.Fatalf("got %d, want the form filled in with Kent at version 1", get.StatusCode)
	}
	form := url.Values{"name": {"Kent"}, "minimumAge": {"18"}, "dashThreshold": {"12"}, "incidentsThreshold": {"3"}, "knownVictimsThreshold": {"2"},
		"maracQualifies": {"no"}, "leads": {"dana@drive.example"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("minimumAge", "12")
	if resp := adminPage(t, h, "POST /areas/{area}/settings", "/areas/kent/settings", "kent", "admin", bad); resp.StatusCode != 422 ||
		!strings.Contains(resp.Body, "Enter the minimum age as a whole number from 16 to 30") || !strings.Contains(resp.Body, `value="12"`) {
		t.Errorf("minimum age 12: got %d, want 422 with the error and the age as typed", resp.StatusCode)
	}
	if len(st.areas) > 0 {
		t.Fatalf("got %+v saved after a mistake, want nothing", st.areas)
	}
	same := formOf(eligibility.Area{Name: "Kent", Rules: eligibility.DefaultRules})
	if resp := adminPage(t, h, "POST /areas/{area}/settings", "/areas/kent/settings", "kent", "admin", same); resp.StatusCode != 303 || len(st.areas) > 0 {
		t.Errorf("saved as it was: got %d and %+v saved, want 303 and nothing saved", resp.StatusCode, st.areas)
	} else if body := page(t, h, "GET", "kent", "admin", nil, resp.Cookies[0]).Body; !strings.Contains(body, "Nothing was changed") || !strings.Contains(body, `id="rules-version">1<`) {
		t.Errorf("saved as it was: want the banner saying nothing was changed, version 1")
	}
	resp := adminPage(t, h, "POST /areas/{area}/settings", "/areas/kent/settings", "kent", "admin", form)
	if resp.StatusCode != 303 || resp.Headers["Location"] != "/areas/kent" {
		t.Fatalf("got %d to %q, want 303 to /areas/kent", resp.StatusCode, resp.Headers["Location"])
	}
	a := st.areas[len(st.areas)-1]
	if a.Version != 2 || a.Rules.DashThreshold != 12 || a.Rules.MARACQualifies {
		t.Errorf("got %+v, want version 2 with DASH 12 and MARAC not qualifying", a)
	}
	got := map[string]string{}
	for _, c := range st.log {
		got[c.What] = c.From + " to " + c.To + " by " + c.By
	}
	for what, want := range map[string]string{"DASH threshold": "14 to 12 by admin@drive.example", "A MARAC referral qualifies": "Yes to No by admin@drive.example",
		"Leads": " to dana@drive.example by admin@drive.example"} {
		if got[what] != want {
			t.Errorf("%s: got %q, want %q", what, got[what], want)
		}
	}
	page := page(t, h, "GET", "kent", "admin", nil, resp.Cookies[0])
	for _, want := range []string{"The area has been changed", `id="rules-version">2<`, "DASH threshold", `href="/areas/kent/settings"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("got no %q on the area page", want)
		}
	}
	// A lead sees the rules and their version but no link to change them.
	lead := page2(t, h, "lead")
	if strings.Contains(lead, `href="/areas/kent/settings"`) || !strings.Contains(lead, `id="rules-version">2<`) {
		t.Errorf("lead: got the settings link or no version, want the version only")
	}
}

func page2(t *testing.T, h *handler, who string) string {
	t.Helper()
	return page(t, h, "GET", "kent", who, nil).Body
}

// TestChangeACaseManagersDetails: the area page's form changes a case
// manager's name or email (blank keeps it) through ChangeCaseManager,
// recorded; with neither, or nobody chosen, it says what to do.
func TestChangeACaseManagersDetails(t *testing.T) {
	st := kentStore()
	h, _ := pageHandler(st)
	resp := page(t, h, "POST", "kent", "admin", url.Values{"action": {"details"}})
	if resp.StatusCode != 422 || !strings.Contains(resp.Body, "Select whose details to change") || !strings.Contains(resp.Body, "Enter a new name or a new email address") {
		t.Errorf("empty: got %d, want 422 with both errors", resp.StatusCode)
	}
	resp = page(t, h, "POST", "kent", "admin", url.Values{"action": {"details"}, "details.caseManager": {"kent-bo"}, "details.email": {"not-an-email"}})
	if resp.StatusCode != 422 || !strings.Contains(resp.Body, `value="not-an-email"`) {
		t.Errorf("bad email: got %d, want 422 with the address as typed", resp.StatusCode)
	}
	resp = page(t, h, "POST", "kent", "admin", url.Values{"action": {"details"}, "details.caseManager": {"kent-bo"}, "details.name": {"Bo Reed-Hart"}, "details.email": {"bo.hart@drive.example"}})
	if resp.StatusCode != 303 {
		t.Fatalf("got %d %s, want 303", resp.StatusCode, resp.Body)
	}
	m, _ := st.CaseManager(t.Context(), "kent", "kent-bo")
	if m.Name != "Bo Reed-Hart" || m.Email != "bo.hart@drive.example" || m.Capacity != 3 || !m.Active {
		t.Errorf("got %+v, want the new name and email, the rest kept", m)
	}
	if len(st.log) != 2 || st.log[0].By != "admin@drive.example" {
		t.Errorf("got changes %+v, want name and email recorded as the admin's", st.log)
	}
}
