package web

import (
	"slices"
	"strings"

	"github.com/driveprogramme/referrals/shared/auth"
)

// NavEntry is one entry of the service navigation (GOV.UK's service
// navigation component), shown to people signed in with one of its
// roles.
type NavEntry struct {
	// Text is the link's words; Href where it goes.
	Text, Href string
	// Roles are who see it: anyone signed in with one of them.
	Roles []auth.Role
	// Under are the paths, besides Href itself, of the pages it is the
	// current entry on: a path equal to one, or beneath one ending in
	// "/" ("/cases/" for every case page).
	Under []string
}

// Navigation is the service navigation, in the order shown, by role: one
// line an entry. A page of a role's own goes here, and every page of
// every function shows it (the layout reads Nav). An entry whose Href
// another shown before it has already is left out, so that someone with
// two roles sees each page once.
var Navigation = []NavEntry{
	{Text: "Make a referral", Href: "/referrals/new", Roles: []auth.Role{auth.Officer}},
	{Text: "Your referrals", Href: "/referrals", Roles: []auth.Role{auth.Officer}, Under: []string{"/referrals/"}},
	{Text: "Your cases", Href: "/", Roles: []auth.Role{auth.CaseManager}, Under: []string{"/cases/"}},
	{Text: "Your areas", Href: "/", Roles: []auth.Role{auth.AreaLead, auth.Admin}, Under: []string{"/cases/", "/areas/"}},
	{Text: "Areas", Href: "/areas", Roles: []auth.Role{auth.Admin}},
}

// NavLink is an entry as a page shows it: whether it is the page's own.
type NavLink struct {
	Text, Href string
	Current    bool
}

// Nav returns the service navigation's entries for the person signed in
// on page p (none when nobody is), marking the one of p's Path as
// current (the first that matches).
func Nav(d Paged) []NavLink {
	p := d.Base()
	if p.SignedIn == nil {
		return nil
	}
	var out []NavLink
	current := false
	for _, e := range Navigation {
		if !slices.ContainsFunc(e.Roles, p.SignedIn.Has) || slices.ContainsFunc(out, func(l NavLink) bool { return l.Href == e.Href }) {
			continue
		}
		l := NavLink{Text: e.Text, Href: e.Href}
		if !current && p.Path != "" && e.covers(p.Path) {
			l.Current, current = true, true
		}
		out = append(out, l)
	}
	return out
}

// covers reports whether the page at path is the entry's own.
func (e NavEntry) covers(path string) bool {
	if path == e.Href {
		return true
	}
	for _, u := range e.Under {
		if path == u || (strings.HasSuffix(u, "/") && strings.HasPrefix(path, u)) {
			return true
		}
	}
	return false
}
