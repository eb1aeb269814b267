package web

import (
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/driveprogramme/referrals/shared/auth"
)

// render draws a page of nothing but the layout for p.
func render(t *testing.T, p Page) string {
	t.Helper()
	pages, err := Templates(fstest.MapFS{"templates/blank.html": {Data: []byte(`{{define "content"}}<h1>Blank</h1>{{end}}`)}}, "blank")
	if err != nil {
		t.Fatal(err)
	}
	return HTML(200, pages["blank"], p).Body
}

var navLinks = regexp.MustCompile(`<li class="govuk-service-navigation__item[^"]*"><a class="govuk-service-navigation__link" href="([^"]+)"[^>]*>(?:<strong[^>]*>)?([^<]+)`)

// TestServiceNavigationByRole: the header is GOV.UK's service navigation,
// its entries by role from the one list (Navigation), the page's own
// marked current, and the signed-in person's name with Sign out (its
// form carrying the page's CSRF token) at its end.
func TestServiceNavigationByRole(t *testing.T) {
	tests := []struct {
		name    string
		roles   []auth.Role
		path    string
		want    []string // "href text", in order
		current string
	}{
		{"officer", []auth.Role{auth.Officer}, "/referrals/new", []string{"/referrals/new Make a referral", "/referrals Your referrals"}, "/referrals/new"},
		{"officer on a status page", []auth.Role{auth.Officer}, "/referrals/DRV-7K4M-Q9TX/status", []string{"/referrals/new Make a referral", "/referrals Your referrals"}, "/referrals"},
		{"lead on an area's page", []auth.Role{auth.AreaLead}, "/areas/essex/report", []string{"/ Your areas"}, "/"},
		{"case manager", []auth.Role{auth.CaseManager}, "/cases/DRV-7K4M-Q9TX", []string{"/ Your cases"}, "/"},
		{"area lead", []auth.Role{auth.AreaLead}, "/", []string{"/ Your areas"}, "/"},
		{"admin", []auth.Role{auth.Admin}, "", []string{"/ Your areas", "/areas Areas"}, ""},
		{"admin on the Areas page", []auth.Role{auth.Admin}, "/areas", []string{"/ Your areas", "/areas Areas"}, "/areas"},
		{"lead: no Areas page", []auth.Role{auth.AreaLead}, "/areas", []string{"/ Your areas"}, ""},
		{"case manager and lead: each page once", []auth.Role{auth.CaseManager, auth.AreaLead}, "/", []string{"/ Your cases"}, "/"},
		{"no Drive role", nil, "/", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := render(t, Page{Title: "T", SignedIn: &auth.Identity{Name: "Tom Hughes", Roles: tt.roles}, CSRF: "tok", Path: tt.path})
			var got []string
			for _, m := range navLinks.FindAllStringSubmatch(body, -1) {
				got = append(got, m[1]+" "+m[2])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got entries %q, want %q", got, tt.want)
			}
			cur := regexp.MustCompile(`href="([^"]+)" aria-current="page"`).FindStringSubmatch(body)
			if (cur == nil) != (tt.current == "") || (cur != nil && cur[1] != tt.current) {
				t.Errorf("got current %v, want %q", cur, tt.current)
			}
			if !strings.Contains(body, `class="govuk-service-navigation"`) || !strings.Contains(body, "Drive referrals") {
				t.Error("no GOV.UK service navigation with the service name")
			}
			account := body[strings.Index(body, `id="account"`):]
			account = account[:strings.Index(account, "</section>")]
			if !strings.Contains(account, "Tom Hughes") || !regexp.MustCompile(`(?s)<form method="post" action="/auth/sign-out">\s*<input type="hidden" name="csrf" value="tok">\s*<button type="submit" class="drive-sign-out">Sign out</button>`).MatchString(account) {
				t.Errorf("got account %q, want the name and Sign out with the CSRF token", account)
			}
		})
	}
	body := render(t, Page{Title: "Signed out"})
	if navLinks.MatchString(body) || strings.Contains(body, "Sign out") || !strings.Contains(body, `href="/auth/sign-in?next=/"`) {
		t.Error("signed out: want no entries, no Sign out, and Sign in")
	}
}

// TestANavigationEntryIsOneLine: a page another helper adds shows for its
// role once its one line is in Navigation.
func TestANavigationEntryIsOneLine(t *testing.T) {
	saved := Navigation
	t.Cleanup(func() { Navigation = saved })
	Navigation = append(Navigation, NavEntry{Text: "Your referrals", Href: "/referrals", Roles: []auth.Role{auth.Officer}, Under: []string{"/referrals/"}})
	body := render(t, Page{Title: "T", SignedIn: &auth.Identity{Roles: []auth.Role{auth.Officer}}, Path: "/referrals/DRV-7K4M-Q9TX/status"})
	if !strings.Contains(body, `href="/referrals" aria-current="page"><strong class="govuk-service-navigation__active-fallback">Your referrals</strong>`) {
		t.Errorf("the added entry is not shown, current, on its page:\n%s", body[:min(len(body), 3000)])
	}
}

func TestDriveCSSIsServed(t *testing.T) {
	r := Asset("drive.css")
	if r.StatusCode != 200 || !strings.Contains(r.Body, ".drive-sign-out") || !strings.HasPrefix(r.Headers["Content-Type"], "text/css") {
		t.Errorf("drive.css: got %d %q", r.StatusCode, r.Headers)
	}
}
