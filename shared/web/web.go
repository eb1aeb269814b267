// Package web is the browser pages' machinery, in one place for every
// function that serves pages: the GOV.UK layout and components, the
// session check, the CSRF token, POST-redirect-GET with a flash banner,
// and the error pages. Each function keeps only its own pages' templates
// and handlers (intake the referral form, cases the case page), so that no
// layout, session check or component is copied between functions (issue
// 14; the hmpps-template-typescript keeps them in one place the same way).
//
// The pages need no JavaScript: every action is a form that posts,
// then a 303 redirect to a page that says what happened.
package web

import (
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/referral"
)

//go:embed templates/*.html
var sharedFS embed.FS

//go:embed static/govuk-frontend.min.css
var govukCSS []byte

// driveCSS is what the pages add to GOV.UK Frontend's styles: the
// account's place at the end of the service navigation, and the Sign out
// button (a form's, as signing out is a POST) drawn as its links are. A
// file, as the Content-Security-Policy allows no inline style.
const driveCSS = `.drive-account{display:flex;flex-wrap:wrap;align-items:baseline;gap:0 20px;padding:20px 0 15px;font-family:arial,sans-serif;font-size:1rem;line-height:1.25}
@media (min-width:40.0625em){.drive-account{font-size:1.1875rem;line-height:1.3157894737}}
.drive-account__name{margin:0;color:#0b0c0c}
.drive-account form{margin:0}
.drive-sign-out{margin:0;padding:0;border:0;background:none;font:inherit;color:#1a65a6;text-decoration:underline;text-decoration-thickness:max(1px,.0625rem);text-underline-offset:.1578em;cursor:pointer}
.drive-sign-out:hover{color:#003078;text-decoration-thickness:max(3px,.1875rem,.12em)}
.drive-sign-out:focus{outline:3px solid transparent;color:#0b0c0c;background-color:#fd0;box-shadow:0 -2px #fd0,0 4px #0b0c0c;text-decoration:none}
`

// Page is what the layout and the components read; each function's page
// data embeds it and adds its own.
type Page struct {
	Title string
	// SignedIn is who is signed in, for the header; nil on a page seen
	// signed out.
	SignedIn *auth.Identity
	// Banner is a message about the whole page (GOV.UK's notification
	// banner), such as what an action just did: never an error on a field.
	Banner *Banner
	// Values are a form's values as typed, kept when it is shown again.
	Values url.Values
	// Errors are the form's errors in the order of the form, for the
	// error summary and beside each field.
	Errors referral.FieldErrors
	// CSRF is the forms' token against cross-site request forgery
	// (signin.CSRFToken).
	CSRF string
	// Message, Link and LinkText are a message page's ("message").
	Message, Link, LinkText string
	// Path is the page's own path, for the service navigation's current
	// entry (Nav); "" marks none.
	Path string
}

// Paged is a function's page data that embeds Page; the components take
// it, so that a template passes its own data (".") to them.
type Paged interface{ Base() Page }

// Base returns the page itself (Paged).
func (p Page) Base() Page { return p }

// Banner is a page-level message: a heading, a sentence, and a link.
type Banner struct {
	Heading, Body  string
	Link, LinkText string
	// NewTab opens the link in a new tab, leaving the form as it is.
	NewTab bool
	// Success is a banner saying that what was asked was done (GOV.UK's
	// success variant, with role="alert"), rather than "Important".
	Success bool
}

// Value is what was typed in the named field.
func (p Page) Value(name string) string { return p.Values.Get(name) }

// ErrorFor is the named field's error, or "".
func (p Page) ErrorFor(name string) string {
	for _, e := range p.Errors {
		if e.Field == name {
			return e.Message
		}
	}
	return ""
}

// funcs are the functions every template may call.
var funcs = template.FuncMap{
	"in": In, "choice": Choice, "yesno": YesNo, "multi": Multi, "flags": Flags, "anchor": Anchor,
	"list":  func(s ...string) []string { return s },
	"parts": func() []string { return []string{"day", "month", "year"} },
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"add":    func(a, b int) int { return a + b },
	"when":   When,
	"tag":    TagOf,
	"answer": Answer,
	"count":  Count,
	"day":    Day,
	"join":   strings.Join,
	"words":  func(code string) string { return strings.ReplaceAll(code, "-", " ") },
	"name":   FullName,
	"nav":    Nav,
	"paras":  Paragraphs,
}

// FullName is a person's name as a page shows it: the names given, one
// space between, none around. A person may have one name only (given as
// either their first or their last name), so first and last joined with
// a space would leave a stray one ("Never tell  Doe").
func FullName(names ...string) string {
	return strings.Join(strings.Fields(strings.Join(names, " ")), " ")
}

// Paragraphs are free text (a reason, a note) as typed, for a page: its
// paragraphs (split at blank lines), each a list of its lines (split at
// line breaks), without empty ones, so that a template shows the breaks
// people typed, each line escaped, with no inline style (the pages'
// Content-Security-Policy allows none). Text with no line breaks is one
// paragraph of one line; empty text is none.
func Paragraphs(text string) [][]string {
	var out [][]string
	var para []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" {
			if len(para) > 0 {
				out, para = append(out, para), nil
			}
			continue
		}
		para = append(para, line)
	}
	if len(para) > 0 {
		out = append(out, para)
	}
	return out
}

// Answer is a yes-or-no answer in words: "Yes", "No", or "Not given".
func Answer(b *bool) string {
	switch {
	case b == nil:
		return "Not given"
	case *b:
		return "Yes"
	}
	return "No"
}

// Count is an optional number in words: the number, or "Not given".
func Count(n *int) string {
	if n == nil {
		return "Not given"
	}
	return fmt.Sprint(*n)
}

// Day is a calendar date (YYYY-MM-DD) as a page shows it ("27 March
// 1984"); a date that does not read as one is shown as it is, and none as
// "Not given".
func Day(s string) string {
	if s == "" {
		return "Not given"
	}
	t, err := referral.ParseDate(s)
	if err != nil {
		return s
	}
	return t.Format("2 January 2006")
}

// When is how a page shows a time: in London's time, in words ("2 March
// 2026 at 3:04pm").
func When(t time.Time) string { return t.In(referral.London).Format("2 January 2006 at 3:04pm") }

// Templates parses each named page of own (a file templates/<name>.html
// defining "content") with the shared layout, components and message
// page. It returns the pages by name, with "message" among them, or an
// error naming the template that does not parse.
func Templates(own fs.FS, names ...string) (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range append([]string{"message"}, names...) {
		t, err := template.New(name).Funcs(funcs).ParseFS(sharedFS, "templates/layout.html")
		if err != nil {
			return nil, fmt.Errorf("parse layout: %w", err)
		}
		src, from := own, "templates/"+name+".html"
		if name == "message" {
			src = sharedFS
		}
		if t, err = t.ParseFS(src, from); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// MustTemplates is Templates for a package's init, where a template that
// does not parse is a programming error found by every test.
func MustTemplates(own fs.FS, names ...string) map[string]*template.Template {
	t, err := Templates(own, names...)
	if err != nil {
		panic(err)
	}
	return t
}

// securityHeaders are sent with every page: no scripts at all, nothing
// framed, nothing cached (pages show personal details).
var securityHeaders = map[string]string{
	"Content-Type":              "text/html; charset=utf-8",
	"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
	"Cache-Control":             "no-store",
	"Content-Security-Policy":   "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options":    "nosniff",
	"Referrer-Policy":           "no-referrer",
}

// HTML renders t's layout with data as the answer, with the security
// headers. A template that fails to run is answered 500 in words (a
// programming error the page tests catch).
func HTML(status int, t *template.Template, data any) events.APIGatewayV2HTTPResponse {
	var buf bytes.Buffer
	if t == nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusInternalServerError, Headers: map[string]string{"Content-Type": "text/plain"},
			Body: "The page could not be shown: no template"}
	}
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusInternalServerError, Headers: map[string]string{"Content-Type": "text/plain"},
			Body: "The page could not be shown: " + err.Error()}
	}
	headers := map[string]string{}
	for k, v := range securityHeaders {
		headers[k] = v
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: buf.String()}
}

// messagePage is the shared "message" template.
var messagePage = MustTemplates(sharedFS)["message"]

// Message answers a page with a heading, a sentence and a link.
func Message(status int, p Page) events.APIGatewayV2HTTPResponse {
	return HTML(status, messagePage, p)
}

// Redirect answers 303 See Other to the path to, setting cookies: after
// a form's POST, so that refreshing the page does not post it again.
func Redirect(to string, cookies ...string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusSeeOther, Cookies: cookies,
		Headers: map[string]string{"Location": to, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}}
}

// favicon is the pages' icon: a plain mark of the service's own (the
// GOV.UK crown is for GOV.UK's services only), so that no page's icon
// request is a 404.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="4" fill="#0b0c0c"/><path d="M9 7h7a9 9 0 0 1 0 18H9z" fill="#ffffff"/><path d="M13 11h3a5 5 0 0 1 0 10h-3z" fill="#0b0c0c"/></svg>`

// Asset answers GET /assets/{file}: the GOV.UK Frontend styles, the
// pages' own (drive.css) and the favicon; 404 for anything else. The
// favicon is also the answer to GET /favicon.ico (Favicon).
func Asset(name string) events.APIGatewayV2HTTPResponse {
	switch name {
	case "favicon.svg", "favicon.ico":
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: favicon,
			Headers: map[string]string{"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}}
	case "drive.css":
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: driveCSS,
			Headers: map[string]string{"Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}}
	case "govuk-frontend.min.css":
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, IsBase64Encoded: true, Body: base64.StdEncoding.EncodeToString(govukCSS),
			Headers: map[string]string{"Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=86400"}}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNotFound, Body: "not found"}
}

// Favicon answers GET /favicon.ico, which browsers ask for whatever the
// page's <link rel="icon"> says: the pages' icon (an SVG, which browsers
// take at that address by its Content-Type), so that no page's visit logs
// a 404. One route serves every function's pages, as the path is the
// site's, not a function's.
func Favicon() events.APIGatewayV2HTTPResponse { return Asset("favicon.ico") }

func base64Decode(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err
}
