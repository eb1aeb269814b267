package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/web"
)

// openStatuses are the statuses the area's list shows and filters by: a
// referral still being worked on.
var openStatuses = []referral.Status{referral.StatusReceived, referral.StatusEligible, referral.StatusWaitlisted, referral.StatusAllocated, referral.StatusAccepted}

// perPage is how many referrals a page of the list shows.
const perPage = 20

// referralsPage is what the area's list of referrals renders.
type referralsPage struct {
	web.Page
	Area eligibility.Area
	// Statuses and Managers are the filters' options (value, words).
	Statuses, Managers []option
	Rows               []referralRow
	// Total is how many referrals the filters (and search) found; Shown
	// says which of them this page shows.
	Total int
	Shown string
	// Searched is the search's words when the list is a search's result.
	Searched string
	// MaySearchDetails: a lead of the area may search by name or PNC ID.
	MaySearchDetails bool
	Prev, Next       string
}

// filterNames are the list's filters' fields, kept in the search's form
// and in the pages' links.
var filterNames = []string{"status", "caseManager", "from-day", "from-month", "from-year", "to-day", "to-month", "to-year"}

// SelectOf is a select of the page's (the "select" component): its
// options, the one chosen selected.
func (p referralsPage) SelectOf(name, label string, opts []option) web.Field {
	f := web.In(p, name, label, "")
	for _, o := range opts {
		f.Options = append(f.Options, web.Option{Name: name, Value: o.Value, Label: o.Words, Checked: o.Selected})
	}
	return f
}

// Kept are the filters as typed (name, value), for the search's form to
// search within them.
func (p referralsPage) Kept() [][2]string {
	var out [][2]string
	for _, k := range filterNames {
		if v := p.Value(k); v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

type option struct {
	Value, Words string
	Selected     bool
}

type referralRow struct {
	Reference   string
	Status      referral.Status
	Received    string
	CaseManager string
	Route       string
}

// listFilters are the list's filters as read from a query or form.
type listFilters struct {
	Status, CaseManager string
	Range               dateRange
}

// readFilters reads the filters; a status or case manager it does not
// know is an error on that field, as is a date that does not read.
func readFilters(v url.Values, managers []option) (listFilters, referral.FieldErrors) {
	f := listFilters{Status: v.Get("status"), CaseManager: v.Get("caseManager")}
	var errs referral.FieldErrors
	if f.Status != "" && !slices.Contains(openStatuses, referral.Status(f.Status)) {
		errs = append(errs, referral.FieldError{Field: "status", Message: "Select a status from the list"})
	}
	if f.CaseManager != "" && f.CaseManager != "none" && !slices.ContainsFunc(managers, func(o option) bool { return o.Value == f.CaseManager }) {
		errs = append(errs, referral.FieldError{Field: "caseManager", Message: "Select a case manager from the list"})
	}
	r, rerrs := readRange(v, dateRange{})
	f.Range = r
	return f, append(errs, rerrs...)
}

// bounds are the times received the filters' dates bound, zero for none.
func (f listFilters) bounds() (from, to time.Time) {
	if !f.Range.To.IsZero() {
		to = f.Range.end()
	}
	return f.Range.From, to
}

// matches says whether an open referral passes the status and case
// manager filters.
func (f listFilters) matches(rec referral.Record) bool {
	if !slices.Contains(openStatuses, rec.Status) || (f.Status != "" && string(rec.Status) != f.Status) {
		return false
	}
	switch {
	case f.CaseManager == "none":
		return rec.CaseManager == nil
	case f.CaseManager != "":
		return rec.CaseManager != nil && rec.CaseManager.ID == f.CaseManager
	}
	return true
}

// search is what a search's words ask for: a reference, a PNC ID or a
// name; the last two are reads of personal data.
type search struct {
	words     string
	reference string
	byPNC     bool
}

// kind names the search for the log and the record of views.
func (s search) kind() string {
	switch {
	case s.reference != "":
		return "reference"
	case s.byPNC:
		return "PNC ID"
	}
	return "name"
}

func (s search) personal() bool { return s.reference == "" }

// readSearch reads a search's words: a reference (DRV-7K4M-Q9TX), a PNC
// ID (2019/0123456X) or a name.
func readSearch(words string) (search, *referral.FieldError) {
	s := search{words: referral.CleanText(words)}
	if strings.TrimSpace(s.words) == "" {
		return s, &referral.FieldError{Field: "q", Message: "Enter a reference, a PNC ID or a name to search for"}
	}
	if ref, ok := referral.ParseReference(s.words); ok {
		s.reference = ref
		return s, nil
	}
	if _, err := referral.ParsePNC(s.words, 0); err == nil {
		s.byPNC = true
		return s, nil
	}
	// A name with no letter matches nothing, not even itself.
	if !(referral.Perpetrator{FirstName: s.words}).NameMatches(s.words) {
		return s, &referral.FieldError{Field: "q", Message: "Enter a reference like DRV-7K4M-Q9TX, a PNC ID like 2019/0123456X, or a name with letters in it"}
	}
	return s, nil
}

// found says whether the referral is one the search asks for.
func (s search) found(rec referral.Record) bool {
	switch {
	case s.reference != "":
		return rec.Reference == s.reference
	case s.byPNC:
		born := 0
		if d, err := referral.ParseDate(rec.Referral.Perpetrator.DateOfBirth); err == nil {
			born = d.Year()
		}
		pnc, err := referral.ParsePNC(s.words, born)
		return err == nil && pnc == rec.Referral.Perpetrator.PNCID
	}
	return rec.Referral.Perpetrator.NameMatches(s.words)
}

// referralsPage answers GET /areas/{area}/referrals (the list, filtered,
// a page at a time) and POST (a search, with the filters, whose words
// are kept out of the address: a name is personal data).
func (h *handler) referralsPage(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal, a eligibility.Area) events.APIGatewayV2HTTPResponse {
	page := referralsPage{Page: web.Page{Title: "Referrals in " + a.Name, SignedIn: &p.Identity, CSRF: web.CSRF(req)}, Area: a, MaySearchDetails: p.LeadsArea(a.ID)}
	v := query(req)
	searching := strings.HasPrefix(req.RouteKey, "POST ")
	if searching {
		form, err := web.FormBody(req, maxBody)
		if err != nil {
			page.Banner = &web.Banner{Heading: "The search could not be read", Body: "Please try again."}
			return h.showReferrals(ctx, p, page, http.StatusBadRequest)
		}
		if !web.ValidForm(req, form.Get("csrf")) {
			page.Banner = &web.Banner{Heading: "Nothing was searched, because the page was older than your sign-in", Body: "Please search again."}
			return h.showReferrals(ctx, p, page, http.StatusForbidden)
		}
		v = form
	}
	page.Values = v
	managers, err := h.store.CaseManagers(ctx, a.ID)
	if err != nil {
		h.log.ErrorContext(ctx, "area's referrals not read", "area", a.ID, "error", err.Error())
		return web.Unavailable(&p.Identity, web.PageUnavailable)
	}
	page.Managers = append(page.Managers, option{Value: "", Words: "Any case manager"}, option{Value: "none", Words: "No case manager"})
	for _, m := range managers {
		page.Managers = append(page.Managers, option{Value: m.ID, Words: m.Name})
	}
	page.Statuses = append(page.Statuses, option{Value: "", Words: "Any open status"})
	for _, s := range openStatuses {
		page.Statuses = append(page.Statuses, option{Value: string(s), Words: web.TagOf(s).Words})
	}
	f, errs := readFilters(v, page.Managers[2:])
	for i := range page.Managers {
		page.Managers[i].Selected = page.Managers[i].Value == f.CaseManager
	}
	for i := range page.Statuses {
		page.Statuses[i].Selected = page.Statuses[i].Value == f.Status
	}
	var s search
	if searching {
		var serr *referral.FieldError
		s, serr = readSearch(v.Get("q"))
		switch {
		case serr != nil:
			errs = append(errs, *serr)
		case s.personal() && !page.MaySearchDetails:
			errs = append(errs, referral.FieldError{Field: "q", Message: "Search by reference: only the area's leads can search by name or PNC ID"})
		}
	}
	if len(errs) > 0 {
		page.Errors = errs
		return h.showReferrals(ctx, p, page, http.StatusBadRequest)
	}
	from, to := f.bounds()
	recs, err := h.store.AreaReferrals(ctx, a.ID, from, to)
	if err != nil {
		h.log.ErrorContext(ctx, "area's referrals not read", "area", a.ID, "error", err.Error())
		return web.Unavailable(&p.Identity, web.PageUnavailable)
	}
	var shown []referral.Record
	for _, rec := range recs {
		if f.matches(rec) && (!searching || s.found(rec)) {
			shown = append(shown, rec)
		}
	}
	slices.SortStableFunc(shown, func(x, y referral.Record) int {
		if c := slices.Index(openStatuses, x.Status) - slices.Index(openStatuses, y.Status); c != 0 {
			return c
		}
		return x.ReceivedAt.Compare(y.ReceivedAt)
	})
	if searching {
		// What a search by name or PNC ID found is personal data read:
		// recorded on each referral found, as a view of its case is,
		// before it is shown.
		if s.personal() {
			if err := h.recordSearch(ctx, p, s.kind(), shown); err != nil {
				h.log.ErrorContext(ctx, "search not recorded, so not shown", "area", a.ID, "error", err.Error())
				return web.Unavailable(&p.Identity, web.PageUnavailable)
			}
		}
		h.log.InfoContext(ctx, "area's referrals searched", "area", a.ID, "reader", p.Subject, "by", s.kind(), "found", len(shown))
		page.Searched = s.words
	}
	page.Total = len(shown)
	n := 1
	if !searching {
		n, _ = strconv.Atoi(v.Get("page"))
		last := max((len(shown)+perPage-1)/perPage, 1)
		n = min(max(n, 1), last)
		link := func(to int) string {
			q := url.Values{}
			for _, k := range filterNames {
				if v.Get(k) != "" {
					q.Set(k, v.Get(k))
				}
			}
			q.Set("page", strconv.Itoa(to))
			return "/areas/" + a.ID + "/referrals?" + q.Encode()
		}
		if n > 1 {
			page.Prev = link(n - 1)
		}
		if n < last {
			page.Next = link(n + 1)
		}
		lo, hi := (n-1)*perPage, min(n*perPage, len(shown))
		if len(shown) > 0 {
			page.Shown = strconv.Itoa(lo+1) + " to " + strconv.Itoa(hi) + " of " + strconv.Itoa(len(shown))
		}
		shown = shown[lo:hi]
	}
	for _, rec := range shown {
		row := referralRow{Reference: rec.Reference, Status: rec.Status, Received: rec.ReceivedAt.In(referral.London).Format("2 January 2006"),
			CaseManager: "None", Route: routeWords(rec.Referral.Route)}
		if rec.CaseManager != nil {
			row.CaseManager = rec.CaseManager.Name
		}
		page.Rows = append(page.Rows, row)
	}
	return h.showReferrals(ctx, p, page, http.StatusOK)
}

func (h *handler) showReferrals(_ context.Context, _ auth.Principal, page referralsPage, status int) events.APIGatewayV2HTTPResponse {
	return web.HTML(status, pages["referrals"], page)
}

func routeWords(r referral.Route) string {
	switch r {
	case referral.RouteMARAC:
		return "MARAC"
	case referral.RoutePolice:
		return "Police"
	case referral.RouteOther:
		return "Other agency"
	}
	return string(r)
}

// recordSearch records that p's search (by name or PNC ID) found each of
// recs: a read of personal data, kept with the referral as a view of its
// case is (referral.View, its role saying it was a search), so that the
// case page's list of views shows it. It returns the first error: the
// results are then not shown.
func (h *handler) recordSearch(ctx context.Context, p auth.Principal, kind string, recs []referral.Record) error {
	at := h.now().UTC()
	for _, rec := range recs {
		err := h.store.RecordView(ctx, rec.Reference, referral.View{At: at, Subject: p.Subject, Name: p.Name, Role: "area lead, search by " + kind})
		if errors.Is(err, referral.ErrNotFound) {
			continue // its personal data expired meanwhile
		}
		if err != nil {
			return err
		}
	}
	return nil
}
