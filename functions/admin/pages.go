package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/httpapi"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/report"
	"github.com/driveprogramme/referrals/shared/web"
)

//go:embed web/templates/*.html
var templateFS embed.FS

// pages are the admin function's own pages (the area page, its report
// and its list of referrals), each with the shared layout (shared/web).
var pages = func() map[string]*template.Template {
	sub, err := fs.Sub(templateFS, "web")
	if err != nil {
		panic(err)
	}
	return web.MustTemplates(sub, "area", "report", "referrals", "areas")
}()

// pageRoutes are the routes answered with pages, for the person the
// session cookie names: browsers have no bearer token, so these routes
// have no JWT authorizer (template.yaml) and check the session here.
var pageRoutes = map[string]bool{
	"GET /areas/{area}/report":     true,
	"GET /areas/{area}/report.csv": true,
	"GET /areas/{area}/referrals":  true,
	"POST /areas/{area}/referrals": true,
}

// page answers a page route for the person signed in: the area's leads
// and admins (auth.Principal.MayReadArea); anyone else, and everyone for
// an area that does not exist, is told there is no such area (404), so
// that a lead of one area learns nothing of another's.
func (h *handler) page(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
		id := httpapi.ID(req.PathParameters["area"])
		if !idPattern.MatchString(id) || !p.MayReadArea(id) {
			return noArea(p, id)
		}
		a, err := h.store.Area(ctx, id)
		if errors.Is(err, referral.ErrNotFound) {
			return noArea(p, id)
		}
		if err != nil {
			h.log.ErrorContext(ctx, "area not read", "area", id, "error", err.Error())
			return web.Unavailable(&p.Identity, web.PageUnavailable)
		}
		switch req.RouteKey {
		case "GET /areas/{area}/report":
			if query(req).Get("format") == "csv" {
				return h.reportCSV(ctx, req, p, a)
			}
			return h.reportPage(ctx, req, p, a)
		case "GET /areas/{area}/report.csv":
			return h.reportCSV(ctx, req, p, a)
		case "GET /areas/{area}/referrals", "POST /areas/{area}/referrals":
			return h.referralsPage(ctx, req, p, a)
		}
		return noArea(p, id)
	})
}

// dateRange is a range of days typed in two GOV.UK date inputs, "from"
// and "to", both days included.
type dateRange struct {
	From, To time.Time // London midnights; To is the last day's
}

// end is the moment after the range's last day.
func (r dateRange) end() time.Time { return r.To.AddDate(0, 0, 1) }

// maxRangeYears bounds a report's range: the chart has a bar a month.
const maxRangeYears = 10

// readRange reads the from and to dates of a query; a date left out is
// def's. It returns the range and the errors to show, field by field,
// in the error summary.
func readRange(q url.Values, def dateRange) (dateRange, referral.FieldErrors) {
	r := def
	var errs referral.FieldErrors
	read := func(name, what string, into *time.Time) {
		s, err := referral.DateFromParts(what, q.Get(name+"-day"), q.Get(name+"-month"), q.Get(name+"-year"))
		if err != nil {
			errs = append(errs, referral.FieldError{Field: name, Message: err.Error()})
			return
		}
		if s == "" {
			return
		}
		t, err := referral.ParseDate(s)
		if err != nil {
			errs = append(errs, referral.FieldError{Field: name, Message: what + " must be a real date"})
			return
		}
		*into = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, referral.London)
	}
	read("from", "The start date", &r.From)
	read("to", "The end date", &r.To)
	if len(errs) > 0 || r.From.IsZero() || r.To.IsZero() {
		return r, errs
	}
	if r.To.Before(r.From) {
		errs = append(errs, referral.FieldError{Field: "to", Message: "The end date must be the same as or after the start date"})
	}
	if r.From.AddDate(maxRangeYears, 0, 0).Before(r.To) {
		errs = append(errs, referral.FieldError{Field: "from", Message: "The start date must be within " + strconv.Itoa(maxRangeYears) + " years of the end date"})
	}
	return r, errs
}

// lastTwelveMonths is the report's range unless another is chosen: the
// twelve calendar months to today, this month's so far included.
func lastTwelveMonths(now time.Time) dateRange {
	l := now.In(referral.London)
	today := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, referral.London)
	return dateRange{From: time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, referral.London).AddDate(0, -11, 0), To: today}
}

// rangeValues are a range as a query's date boxes, for the form and
// links to keep it.
func rangeValues(r dateRange, into url.Values) {
	for name, t := range map[string]time.Time{"from": r.From, "to": r.To} {
		into.Set(name+"-day", strconv.Itoa(t.Day()))
		into.Set(name+"-month", strconv.Itoa(int(t.Month())))
		into.Set(name+"-year", strconv.Itoa(t.Year()))
	}
}

// reportPage is what the report page renders.
type reportPage struct {
	web.Page
	Area    eligibility.Area
	Range   dateRange
	Summary report.Summary
	Months  []report.Month
	Chart   template.HTML
	// CSV is the download's link, for the range shown.
	CSV string
	// Figures are the summary's figures in words (name, value);
	// ByStatus the count of each status met; MonthRows the chart's
	// figures (month, received, allocated, median, 90th percentile).
	Figures   [][2]string
	ByStatus  []statusCount
	MonthRows [][5]string
}

type statusCount struct {
	Status referral.Status
	Count  int
}

// words fills in the page's figures in words from its summary and months.
func (p *reportPage) words() {
	s := p.Summary
	rate := "None decided yet"
	if s.EligibilityRate != nil {
		rate = strconv.FormatFloat(*s.EligibilityRate*100, 'f', -1, 64) + "% of those decided were eligible"
	}
	p.Figures = [][2]string{
		{"Referrals received", strconv.Itoa(s.Referrals)},
		{"Eligibility rate", rate},
		{"Median time to allocation", spreadWords(s.TimeToAllocation.MedianSeconds, s.TimeToAllocation.Count)},
		{"90th percentile time to allocation", spreadWords(s.TimeToAllocation.P90Seconds, s.TimeToAllocation.Count)},
		{"On the waiting list now", strconv.Itoa(s.Waitlist.Length)},
		{"Longest wait now", spreadWords(s.Waitlist.OldestWaitSeconds, s.Waitlist.Length)},
	}
	for _, st := range referral.Statuses {
		if n := s.ByStatus[st]; n > 0 {
			p.ByStatus = append(p.ByStatus, statusCount{Status: st, Count: n})
		}
	}
	for _, m := range p.Months {
		p.MonthRows = append(p.MonthRows, [5]string{m.Start.Format("January 2006"), strconv.Itoa(m.Received), strconv.Itoa(m.TimeToAllocation.Count),
			spreadWords(m.TimeToAllocation.MedianSeconds, m.TimeToAllocation.Count), spreadWords(m.TimeToAllocation.P90Seconds, m.TimeToAllocation.Count)})
	}
}

// spreadWords is a measured time in words ("2 days 3 hours"), or, when
// nothing was measured (n is 0), a dash's words.
func spreadWords(seconds *int64, n int) string {
	if seconds == nil || n == 0 {
		return "None"
	}
	if *seconds < 60 {
		return "Less than a minute"
	}
	d := time.Duration(*seconds) * time.Second
	days, hours, minutes := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case days > 0:
		return plural(days, "day") + " " + plural(hours, "hour")
	case hours > 0:
		return plural(hours, "hour") + " " + plural(minutes, "minute")
	}
	return plural(minutes, "minute")
}

// reportPage answers GET /areas/{area}/report: the area's figures for
// the range chosen (the last twelve months unless another is), with a
// chart of referrals received and time to allocation per month, and the
// same figures in a table.
func (h *handler) reportPage(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal, a eligibility.Area) events.APIGatewayV2HTTPResponse {
	q := query(req)
	r, errs := readRange(q, lastTwelveMonths(h.now()))
	page := reportPage{Page: web.Page{Title: "Report for " + a.Name, SignedIn: &p.Identity, CSRF: web.CSRF(req), Values: url.Values{}}, Area: a}
	status := http.StatusOK
	if len(errs) > 0 {
		// The figures are not shown for a range that does not read:
		// the form comes back with what was typed and the errors.
		page.Values, page.Errors = q, errs
		return web.HTML(http.StatusBadRequest, pages["report"], page)
	}
	s, rows, err := h.summarise(ctx, a.ID, r)
	if err != nil {
		h.log.ErrorContext(ctx, "report not read", "area", a.ID, "error", err.Error())
		return web.Unavailable(&p.Identity, web.PageUnavailable)
	}
	rangeValues(r, page.Values)
	page.Range, page.Summary = r, s
	page.Months = report.Monthly(rows, r.From, r.end())
	page.Chart = chart(page.Months)
	page.CSV = "/areas/" + a.ID + "/report.csv?" + page.Values.Encode()
	page.words()
	h.log.InfoContext(ctx, "report read", "area", a.ID, "reader", p.Subject, "referrals", s.Referrals)
	return web.HTML(status, pages["report"], page)
}

// summarise reads the area's referrals received in r and builds the
// summary: the waitlist and caseloads are as they are now.
func (h *handler) summarise(ctx context.Context, area string, r dateRange) (report.Summary, []report.Referral, error) {
	rows, err := h.store.ReportRows(ctx, area, r.From, r.end())
	if err != nil {
		return report.Summary{}, nil, err
	}
	managers, err := h.store.CaseManagers(ctx, area)
	if err != nil {
		return report.Summary{}, nil, err
	}
	queue, err := h.store.Queue(ctx, area)
	if err != nil {
		return report.Summary{}, nil, err
	}
	now := h.now().UTC()
	s := report.Summarise(area, rows, managers, now)
	s.Waitlist = report.WaitlistOf(queue, now)
	from, to := r.From.UTC(), r.end().UTC()
	s.From, s.To = &from, &to
	return s, rows, nil
}

// reportCSV answers the report's download: one row per referral of the
// area received in the range chosen (the last twelve months unless
// another is), with no personal data (report.CSV).
func (h *handler) reportCSV(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal, a eligibility.Area) events.APIGatewayV2HTTPResponse {
	r, errs := readRange(query(req), lastTwelveMonths(h.now()))
	if len(errs) > 0 {
		page := reportPage{Page: web.Page{Title: "Report for " + a.Name, SignedIn: &p.Identity, CSRF: web.CSRF(req), Values: query(req), Errors: errs}, Area: a}
		return web.HTML(http.StatusBadRequest, pages["report"], page)
	}
	rows, err := h.store.ReportRows(ctx, a.ID, r.From, r.end())
	if err == nil {
		err = h.paths(ctx, rows)
	}
	var buf bytes.Buffer
	if err == nil {
		err = report.CSV(&buf, rows, eligibility.RuleOrder)
	}
	if err != nil {
		h.log.ErrorContext(ctx, "report's download not made", "area", a.ID, "error", err.Error())
		return web.Unavailable(&p.Identity, web.PageUnavailable)
	}
	h.log.InfoContext(ctx, "report downloaded", "area", a.ID, "reader", p.Subject, "referrals", len(rows))
	name := "drive-" + a.ID + "-referrals-" + r.From.Format("2006-01-02") + "-to-" + r.To.Format("2006-01-02") + ".csv"
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: buf.String(), Headers: map[string]string{
		"Content-Type":           "text/csv; charset=utf-8",
		"Content-Disposition":    `attachment; filename="` + name + `"`,
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
	}}
}

// paths fills in the statuses, with their times, of the referrals whose
// evaluation record was not read (those still open, or ended without
// one): from each one's history, of which only the statuses and times
// are kept.
func (h *handler) paths(ctx context.Context, rows []report.Referral) error {
	for i := range rows {
		if len(rows[i].Path) > 0 {
			continue
		}
		hist, err := h.store.History(ctx, rows[i].Reference)
		if err != nil {
			return err
		}
		for _, tr := range hist {
			rows[i].Path = append(rows[i].Path, report.Step{Status: tr.To, At: tr.At})
		}
	}
	return nil
}

// query is the request's query string as its values: API Gateway's map
// joins a repeated parameter with commas, so the raw string is read.
func query(req events.APIGatewayV2HTTPRequest) url.Values {
	q, err := url.ParseQuery(req.RawQueryString)
	if err != nil {
		q = url.Values{}
		for k, v := range req.QueryStringParameters {
			q.Set(k, v)
		}
	}
	for k, v := range q {
		if len(v) > 1 {
			q[k] = v[:1]
		}
		q.Set(k, strings.TrimSpace(q.Get(k)))
	}
	return q
}
