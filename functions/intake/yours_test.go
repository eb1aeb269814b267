package main

import (
	"encoding/base64"
	htmlpkg "html"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/signin"
	"github.com/driveprogramme/referrals/shared/web"
)

// listHandler is the pages' handler with no referrals yet.
func listHandler() (*handler, *fakeStore) {
	h, st, _ := newHandler(io.Discard)
	h.signIn = &fakeSignIn{}
	return h, st
}

// madeBy stores n referrals made by the person the session names
// (people), an hour apart from start, and returns their references
// newest first.
func madeBy(t *testing.T, st *fakeStore, who string, n int, start time.Time) []string {
	t.Helper()
	id := people[who]
	var refs []string
	for i := range n {
		ref, err := referral.NewReference()
		if err != nil {
			t.Fatal(err)
		}
		rec := referral.Record{Reference: ref, Status: referral.StatusReceived, ReceivedAt: start.Add(time.Duration(i) * time.Hour),
			Referral:    referral.Referral{Area: "essex"},
			SubmittedBy: &referral.Submitter{Subject: id.Subject, Name: id.Name, Email: id.Email}}
		if i%3 == 1 {
			rec.Status, rec.CaseManager = referral.StatusAllocated, &referral.Assignee{ID: "essex-cm1", Name: "Tom Hughes"}
		}
		st.records[ref] = rec
		refs = append(refs, ref)
	}
	slices.Reverse(refs)
	return refs
}

var (
	rowRef   = regexp.MustCompile(`<tr class="govuk-table__row" data-reference="([^"]+)">`)
	nextLink = regexp.MustCompile(`href="([^"]+)" rel="next"`)
	prevLink = regexp.MustCompile(`href="([^"]+)" rel="prev"`)
)

// listPage opens a page of "Your referrals" and returns its references
// and its links to the pages before and after ("" for none).
func listPage(t *testing.T, tb *tab, path string) (refs []string, prev, next string) {
	t.Helper()
	resp := tb.get("/referrals", path, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %d, want 200:\n%s", path, resp.StatusCode, resp.Body)
	}
	for _, m := range rowRef.FindAllStringSubmatch(resp.Body, -1) {
		refs = append(refs, m[1])
	}
	if m := prevLink.FindStringSubmatch(resp.Body); m != nil {
		prev = htmlpkg.UnescapeString(m[1])
	}
	if m := nextLink.FindStringSubmatch(resp.Body); m != nil {
		next = htmlpkg.UnescapeString(m[1])
	}
	return refs, prev, next
}

// TestYourReferralsPagesThroughAllNewestFirst: an officer with more than
// two pages of referrals sees every one of them, newest first, each once,
// by following Next, and the same pages again by following Previous; never
// another officer's.
func TestYourReferralsPagesThroughAllNewestFirst(t *testing.T) {
	h, st := listHandler()
	h.pageSize = 4
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	mine := madeBy(t, st, "officer", 10, start)
	theirs := madeBy(t, st, "officer2", 3, start.Add(30*time.Minute))
	tb := newTab(t, h, "officer")

	var pages [][]string
	var seen []string
	path := "/referrals"
	for path != "" {
		refs, _, next := listPage(t, tb, path)
		pages = append(pages, refs)
		seen = append(seen, refs...)
		path = next
		if len(pages) > 5 {
			t.Fatal("more pages than referrals")
		}
	}
	if !slices.Equal(seen, mine) {
		t.Errorf("following Next: got %v, want %v (newest first, each once)", seen, mine)
	}
	if got := []int{len(pages[0]), len(pages[1]), len(pages[2])}; len(pages) != 3 || !slices.Equal(got, []int{4, 4, 2}) {
		t.Errorf("page sizes: got %d pages, %v, want 3 pages of 4, 4 and 2", len(pages), got)
	}
	for _, ref := range theirs {
		if slices.Contains(seen, ref) {
			t.Errorf("the officer was shown %s, another officer's referral", ref)
		}
	}
	for _, s := range st.listed {
		if s != people["officer"].Subject {
			t.Errorf("listed the referrals of %q, want only the officer's own", s)
		}
	}

	// Back from the last page: the same pages, the first without Previous.
	_, prev, _ := listPage(t, tb, lastPath(t, tb))
	for i := len(pages) - 2; i >= 0; i-- {
		if prev == "" {
			t.Fatalf("page %d has no Previous link", i+2)
		}
		refs, p, _ := listPage(t, tb, prev)
		if !slices.Equal(refs, pages[i]) {
			t.Errorf("Previous to page %d: got %v, want %v", i+1, refs, pages[i])
		}
		prev = p
	}
	if prev != "" {
		t.Errorf("the first page links to a previous page %q", prev)
	}
}

// lastPath follows Next to the last page and returns its path.
func lastPath(t *testing.T, tb *tab) string {
	t.Helper()
	path, last := "/referrals", ""
	for path != "" {
		last = path
		_, _, path = listPage(t, tb, path)
	}
	return last
}

// TestYourReferralsRowsSayWhatAnOfficerNeeds: each row links to the
// referral's status page and gives its area's name, status in words,
// received time in London's time and case manager.
func TestYourReferralsRowsSayWhatAnOfficerNeeds(t *testing.T) {
	h, st := listHandler()
	refs := madeBy(t, st, "officer", 2, time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC))
	resp := newTab(t, h, "officer").get("/referrals", "/referrals", nil)
	for _, want := range []string{
		`href="/referrals/` + refs[0] + `/status"`, "Essex", "Allocated to a case manager", "Tom Hughes", "Not allocated",
		"2 July 2026 at 12:30am", // 23:30 UTC is 00:30 BST
	} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("GET /referrals: got a page without %q:\n%s", want, resp.Body)
		}
	}
	if strings.Contains(resp.Body, `rel="next"`) || strings.Contains(resp.Body, `rel="prev"`) {
		t.Error("one page of referrals: got pagination links, want none")
	}
}

// TestYourReferralsRefusesACursorNotItsOwn: a page link whose cursor was
// edited, made up, or sealed for another session is answered 400 with a
// link to the first page, never 500 and never a list; a cursor sealed for
// the session that points into another officer's list still lists only
// the officer's own referrals.
func TestYourReferralsRefusesACursorNotItsOwn(t *testing.T) {
	h, st := listHandler()
	h.pageSize = 2
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	mine := madeBy(t, st, "officer", 5, start)
	theirs := madeBy(t, st, "officer2", 5, start.Add(time.Minute))
	tb := newTab(t, h, "officer")
	_, _, next := listPage(t, tb, "/referrals")
	if next == "" {
		t.Fatal("no Next link on the first page")
	}
	sealed := strings.TrimPrefix(next, "/referrals?page=")
	words, mac, _ := strings.Cut(sealed, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(words)
	edited := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), "older:", "newer:", 1))) + "." + mac

	// A session of the officer's own, to seal cursors with as the
	// service would.
	own := events.APIGatewayV2HTTPRequest{Cookies: []string{signin.SessionCookie + "=officer"}}
	theirKey := st.records[theirs[0]].ReceivedAt.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + theirs[0]

	for _, c := range []struct{ name, page string }{
		{"made up", "abc"},
		{"empty", ""},
		{"edited words, old seal", edited},
		{"no seal", words},
		{"bad base64", "!!!.???"},
		{"sealed for another session of the same officer", sealedFor("officer-again", string(raw))},
		{"sealed, but not a direction", web.SealCursor(own, "sideways:"+theirKey)},
		{"sealed, but not a key", web.SealCursor(own, "older:DROP TABLE")},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := tb.get("/referrals", "/referrals?page="+c.page, nil)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("got %d, want 400", resp.StatusCode)
			}
			if !strings.Contains(resp.Body, "This page of your referrals cannot be shown") || !strings.Contains(resp.Body, `href="/referrals"`) {
				t.Errorf("got a page without the explanation and the link to the first page:\n%s", resp.Body)
			}
		})
	}

	t.Run("sealed, pointing into another officer's list", func(t *testing.T) {
		refs, _, _ := listPage(t, tb, "/referrals?page="+web.SealCursor(own, "older:"+theirKey))
		for _, ref := range refs {
			if !slices.Contains(mine, ref) {
				t.Errorf("got %s, which is not the officer's", ref)
			}
		}
	})
}

// sealedFor seals cursor words for the session named who (people).
func sealedFor(who, words string) string {
	return web.SealCursor(events.APIGatewayV2HTTPRequest{Cookies: []string{signin.SessionCookie + "=" + who}}, words)
}

// TestYourReferralsIsTheOfficersPage: those who do not refer are told the
// page is not for them (403); an officer with none is told so; the home
// page links an officer to it.
func TestYourReferralsIsTheOfficersPage(t *testing.T) {
	h, _ := listHandler()
	if resp := newTab(t, h, "cm").get("/referrals", "/referrals", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a case manager: got %d, want 403", resp.StatusCode)
	}
	resp := newTab(t, h, "officer").get("/referrals", "/referrals", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "You have not made a referral yet") {
		t.Errorf("an officer with no referrals: got %d:\n%s", resp.StatusCode, resp.Body)
	}
	home := newTab(t, h, "officer").get("/", "/", nil)
	if !strings.Contains(home.Body, `href="/referrals" id="your-referrals"`) || strings.Contains(home.Body, "Keep each referral's reference") {
		t.Errorf("the officer's home page: got no link to their referrals:\n%s", home.Body)
	}
	anon := newTab(t, h, "").get("/referrals", "/referrals", nil)
	if anon.StatusCode != http.StatusSeeOther || !strings.HasPrefix(anon.Headers["Location"], "/auth/sign-in?next=") {
		t.Errorf("signed out: got %d to %q, want sent to sign in", anon.StatusCode, anon.Headers["Location"])
	}
}

// TestStatusPageOffersWithdrawalToItsOfficer: the status page links to
// the withdrawal page for the officer who made the referral while it can
// be withdrawn, and for no one else; it shows the withdrawal's banner
// once.
func TestStatusPageOffersWithdrawalToItsOfficer(t *testing.T) {
	h, st := listHandler()
	refs := madeBy(t, st, "officer", 2, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	open, closed := refs[0], refs[1]
	rec := st.records[closed]
	rec.Status = referral.StatusClosed
	st.records[closed] = rec
	st.staff = map[string]auth.Staff{people["lead"].Email: {Leads: []string{"essex"}}}
	for _, c := range []struct {
		who, ref string
		want     bool
	}{
		{"officer", open, true},
		{"officer", closed, false},
		{"lead", open, false},
	} {
		resp := newTab(t, h, c.who).get("/referrals/{reference}/status", "/referrals/"+c.ref+"/status", map[string]string{"reference": c.ref})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s, status of %s: got %d, want 200", c.who, c.ref, resp.StatusCode)
		}
		if got := strings.Contains(resp.Body, `/withdrawal"`); got != c.want {
			t.Errorf("%s, status of %s: got a withdrawal link %v, want %v", c.who, c.ref, got, c.want)
		}
	}
	tb := newTab(t, h, "officer")
	tb.cookies["drive_flash"] = "withdrawn"
	resp := tb.get("/referrals/{reference}/status", "/referrals/"+open+"/status", map[string]string{"reference": open})
	if !strings.Contains(resp.Body, "You have withdrawn this referral") {
		t.Errorf("after withdrawing: got no banner:\n%s", resp.Body)
	}
	if _, kept := tb.cookies["drive_flash"]; kept {
		t.Error("the banner's cookie was not cleared: it would show again")
	}
}
