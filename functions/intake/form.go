package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/signin"
)

//go:embed web/templates/*.html
var templateFS embed.FS

//go:embed web/static/govuk-frontend.min.css
var govukCSS []byte

var pages = map[string]*template.Template{}

func init() {
	funcs := template.FuncMap{
		"in": in, "choice": choice, "yesno": yesno, "multi": multi, "flags": flags, "anchor": anchor,
		"list":  func(s ...string) []string { return s },
		"parts": func() []string { return []string{"day", "month", "year"} },
		"title": func(s string) string { return strings.ToUpper(s[:1]) + s[1:] },
		"add":   func(a, b int) int { return a + b },
		"when":  func(t time.Time) string { return t.In(referral.London).Format("2 January 2006 at 3:04pm") },
		"tag":   tagOf,
	}
	for _, name := range []string{"form", "confirmation", "status", "message", "home"} {
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "web/templates/layout.html", "web/templates/"+name+".html"))
	}
}

// page is what a template renders: the form's values as typed, its errors
// in the order of the form, and the page's own data.
type page struct {
	Title     string
	Values    url.Values
	Errors    referral.FieldErrors
	Token     string
	Victims   []int
	AreaPairs []string
	Reference string
	// Linked is set on the confirmation of a referral linked to an open
	// one; LinkedTo names that one only to the officer who made it.
	Linked   bool
	LinkedTo string
	Status   *statusView
	// CSRF is the form's token against cross-site request forgery.
	CSRF string
	// SignedIn is who is signed in, for the header.
	SignedIn *auth.Identity
	// Message, Link and LinkText are a message page's.
	Message, Link, LinkText string
	// Home is the home page's.
	Home *homeView
	// Banner is a message about the whole page (GOV.UK's notification
	// banner), such as having been signed out: never an error on a field.
	Banner *banner
}

// banner is a page-level message: a heading, a sentence, and a link.
type banner struct {
	Heading, Body  string
	Link, LinkText string
	// NewTab opens the link in a new tab, leaving the form as it is.
	NewTab bool
}

// Value is what the officer typed in the named field.
func (p page) Value(name string) string { return p.Values.Get(name) }

func (p page) errorFor(name string) string {
	for _, e := range p.Errors {
		if e.Field == name {
			return e.Message
		}
	}
	return ""
}

// dateParts are the boxes of the named date that are wrong ("month"),
// as referral.DateFromParts says from what was typed; none when the boxes
// read as a date (an error is then about the date as a whole, such as one
// in the future) or the field is no date.
func (p page) dateParts(name string) []string {
	_, err := referral.DateFromParts("", p.Value(name+"-day"), p.Value(name+"-month"), p.Value(name+"-year"))
	var de *referral.DateError
	if errors.As(err, &de) {
		return de.Parts
	}
	return nil
}

// ErrorLink is the id an error summary's link for the named field goes to:
// the field's own, or for a date with one box or more wrong, the first
// wrong box's (GOV.UK's date input: "link to the first field with an
// error"). The day box has the date's own id.
func (p page) ErrorLink(name string) string {
	if parts := p.dateParts(name); len(parts) > 0 && parts[0] != "day" {
		return anchor(name) + "-" + parts[0]
	}
	return anchor(name)
}

// field is one question of the form.
type field struct {
	P                         page
	Name, ID, Label, Hint     string
	Value, Error              string
	Class, Type, Autocomplete string
	Numeric, Multiple, Inline bool
	Options                   []option
}

// Wrong says whether a date's box (day, month or year) is to be shown in
// error: every box when the date as a whole is wrong, else only the
// boxes that are.
func (f field) Wrong(part string) bool {
	if f.Error == "" {
		return false
	}
	parts := f.P.dateParts(f.Name)
	return len(parts) == 0 || slices.Contains(parts, part)
}

// option is one radio or checkbox. Its ID is its own: a label's for
// names it, and a browser ticks the first element with that id, so two
// options sharing an id would tick the wrong box (issue 11).
type option struct {
	Name, Value, Label, ID string
	Checked                bool
}

// optionID is the id of a question's i-th option: the first takes the
// question's own id, which the error summary links to (as GOV.UK does);
// the others add what tells them apart, the name of a checkbox with a
// name of its own or the value of a radio or of a checkbox that shares
// its name.
func optionID(f field, i int, distinct string) string {
	if i == 0 {
		return f.ID
	}
	return f.ID + "-" + anchor(distinct)
}

var notID = regexp.MustCompile(`[^A-Za-z0-9]+`)

// anchor turns a field's name (victims[0].firstName) into an element id
// (victims-0-firstName) that a link can point at without escaping.
func anchor(name string) string { return strings.Trim(notID.ReplaceAllString(name, "-"), "-") }

// in makes a field; opts are "key=value": class, type, autocomplete, numeric.
func in(p page, name, label, hint string, opts ...string) field {
	f := field{P: p, Name: name, ID: anchor(name), Label: label, Hint: hint, Value: p.Value(name), Error: p.errorFor(name)}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "class":
			f.Class = v
		case "type":
			f.Type = v
		case "autocomplete":
			f.Autocomplete = v
		case "numeric":
			f.Numeric = true
		}
	}
	return f
}

// choice is radios: one name, pairs of value and label.
func choice(p page, name, label, hint string, pairs []string) field {
	f := in(p, name, label, hint)
	for i := 0; i+1 < len(pairs); i += 2 {
		f.Options = append(f.Options, option{Name: name, Value: pairs[i], Label: pairs[i+1], Checked: f.Value == pairs[i], ID: optionID(f, i/2, pairs[i])})
	}
	return f
}

// yesno is a yes-or-no question: two radios side by side.
func yesno(p page, name, label, hint string) field {
	f := choice(p, name, label, hint, []string{"yes", "Yes", "no", "No"})
	f.Inline = true
	return f
}

// multi is checkboxes sharing one name.
func multi(p page, name, label, hint string, pairs []string) field {
	f := choice(p, name, label, hint, pairs)
	f.Multiple = true
	for i := range f.Options {
		f.Options[i].Checked = slices.Contains(p.Values[name], f.Options[i].Value)
	}
	return f
}

// flags is checkboxes each with a name of its own, pairs of name and label.
func flags(p page, name, label, hint string, pairs []string) field {
	f := in(p, name, label, hint)
	f.Multiple = true
	for i := 0; i+1 < len(pairs); i += 2 {
		own := strings.TrimPrefix(pairs[i], name+".")
		f.Options = append(f.Options, option{Name: pairs[i], Value: "yes", Label: pairs[i+1], Checked: p.Value(pairs[i]) == "yes", ID: optionID(f, i/2, own)})
	}
	return f
}

const maxVictims = 10

// fromForm reads the form into a referral. The problems it finds (a count
// that is not a number, a date with letters in it) come back as field
// errors, to be shown with the validation's.
func fromForm(v url.Values) (referral.Referral, referral.FieldErrors) {
	var errs referral.FieldErrors
	text := v.Get
	number := func(name, what string) *int {
		s := strings.TrimSpace(v.Get(name))
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, referral.FieldError{Field: name, Message: "Enter " + what + " as a whole number, like 3"})
			return nil
		}
		return &n
	}
	yesno := func(name string) *bool {
		switch v.Get(name) {
		case "yes":
			return ptr(true)
		case "no":
			return ptr(false)
		}
		return nil
	}
	date := func(name, what string) string {
		s, err := referral.DateFromParts(what, v.Get(name+"-day"), v.Get(name+"-month"), v.Get(name+"-year"))
		if err != nil {
			errs = append(errs, referral.FieldError{Field: name, Message: err.Error()})
		}
		return s
	}
	lines := func(name string) []string {
		var out []string
		for _, l := range strings.Split(v.Get(name), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	r := referral.Referral{
		Area: text("area"), Route: referral.Route(text("route")), MARACDate: date("maracDate", "The date of the MARAC"),
		CrimeReference: text("crimeReference"), RiskCriteria: v["riskCriteria"], Reason: text("reason"),
		Referrer: referral.Referrer{Name: text("referrer.name"), Email: text("referrer.email"), Force: text("referrer.force"),
			Role: text("referrer.role"), CollarNumber: text("referrer.collarNumber"), Phone: text("referrer.phone")},
		Perpetrator: referral.Perpetrator{FirstName: text("perpetrator.firstName"), LastName: text("perpetrator.lastName"),
			Aliases: lines("perpetrator.aliases"), DateOfBirth: date("perpetrator.dateOfBirth", "The perpetrator's date of birth"),
			Gender: text("perpetrator.gender"), AddressLine1: text("perpetrator.addressLine1"), AddressLine2: text("perpetrator.addressLine2"),
			Town: text("perpetrator.town"), Postcode: text("perpetrator.postcode"), Phone: text("perpetrator.phone"), PNCID: text("perpetrator.pncId")},
		Children: referral.Children{Count: number("children.count", "the number of children"),
			ChildrensServicesInvolved: yesno("children.childrensServicesInvolved")},
		Abuse: referral.Abuse{Physical: text("abuse.physical") == "yes", Sexual: text("abuse.sexual") == "yes",
			StalkingHarassment: text("abuse.stalkingHarassment") == "yes", CoerciveControl: text("abuse.coerciveControl") == "yes",
			ThreatsToKill:         text("abuse.threatsToKill") == "yes",
			IncidentsLast12Months: number("abuse.incidentsLast12Months", "the number of incidents"),
			KnownVictims:          number("abuse.knownVictims", "the number of known victims")},
		OtherAgencies:         lines("otherAgencies"),
		VictimAwareOfReferral: yesno("victimAwareOfReferral"),
		LawfulBasis:           text("lawfulBasis"),
	}
	for _, a := range strings.FieldsFunc(v.Get("children.ages"), func(c rune) bool { return c == ',' || c == ' ' }) {
		n, err := strconv.Atoi(a)
		if err != nil {
			errs = append(errs, referral.FieldError{Field: "children.ages", Message: "Enter the children's ages as whole numbers separated by commas, like 4, 7"})
			break
		}
		r.Children.Ages = append(r.Children.Ages, n)
	}
	for i := range victimCount(v) {
		at := fmt.Sprintf("victims[%d].", i)
		r.Victims = append(r.Victims, referral.Victim{
			FirstName: text(at + "firstName"), LastName: text(at + "lastName"),
			DateOfBirth:  date(at+"dateOfBirth", "The victim-survivor's date of birth"),
			AddressLine1: text(at + "addressLine1"), AddressLine2: text(at + "addressLine2"), Town: text(at + "town"), Postcode: text(at + "postcode"),
			RelationshipToPerpetrator: text(at + "relationshipToPerpetrator"),
			DashScore:                 number(at+"dashScore", "the DASH score"),
			SafeToContact:             yesno(at + "safeToContact"), ContactMethod: text(at + "contactMethod"),
			IDVAAllocated: yesno(at + "idvaAllocated"), IDVAName: text(at + "idvaName"), IDVAEmail: text(at + "idvaEmail"),
		})
	}
	return r, errs
}

func ptr[T any](v T) *T { return &v }

// removeVictim takes the i-th of count victim-survivors out of the form's
// values: the later ones' values move up one (victims[2].firstName
// becomes victims[1].firstName), and everything else stays as typed.
func removeVictim(v url.Values, i, count int) {
	moved := url.Values{}
	for k, vals := range v {
		m := victimIdx.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		j, _ := strconv.Atoi(m[1])
		if j < i {
			continue
		}
		delete(v, k)
		if j > i {
			moved[fmt.Sprintf("victims[%d].", j-1)+k[len(m[0]):]] = vals
		}
	}
	for k, vals := range moved {
		v[k] = vals
	}
	v.Set("victimCount", strconv.Itoa(count-1))
}

func victimCount(v url.Values) int {
	n, err := strconv.Atoi(v.Get("victimCount"))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxVictims)
}

// merge puts the form's own errors first and drops the validation's for
// the same fields (a DASH score of "abc" is not also "missing").
func merge(formErrs, valErrs referral.FieldErrors) referral.FieldErrors {
	out := append(referral.FieldErrors{}, formErrs...)
	for _, e := range valErrs {
		if !slices.Contains(fields(formErrs), e.Field) {
			out = append(out, e)
		}
	}
	return out
}

// formOrder lists the form's fields from top to bottom; victims[] stands
// for every victim-survivor's block.
var formOrder = []string{
	"referrer.name", "referrer.force", "referrer.role", "referrer.collarNumber", "referrer.email", "referrer.phone",
	"area", "route", "maracDate", "crimeReference", "riskCriteria", "reason",
	"perpetrator.firstName", "perpetrator.lastName", "perpetrator.aliases", "perpetrator.dateOfBirth", "perpetrator.gender",
	"perpetrator.addressLine1", "perpetrator.addressLine2", "perpetrator.town", "perpetrator.postcode", "perpetrator.phone", "perpetrator.pncId",
	"victims", "victims[].firstName", "victims[].lastName", "victims[].dateOfBirth", "victims[].relationshipToPerpetrator",
	"victims[].addressLine1", "victims[].addressLine2", "victims[].town", "victims[].postcode", "victims[].dashScore",
	"victims[].safeToContact", "victims[].contactMethod", "victims[].idvaAllocated", "victims[].idvaName", "victims[].idvaEmail",
	"children.count", "children.ages", "children.childrensServicesInvolved",
	"abuse.incidentsLast12Months", "abuse.knownVictims", "otherAgencies", "victimAwareOfReferral", "lawfulBasis",
}

var (
	listItem  = regexp.MustCompile(`\[[0-9]+\]$`)
	victimIdx = regexp.MustCompile(`^victims\[([0-9]+)\]\.`)
)

// forForm readies errors for the page: an error on one item of a list
// field (riskCriteria[2]) is shown on the field, once; with more than one
// of the victims victim-survivors, a victim-survivor's error says which
// ("Enter victim-survivor 2's first name"); and the summary follows the
// order of the page, as GOV.UK asks.
func forForm(errs referral.FieldErrors, victims int) referral.FieldErrors {
	var out referral.FieldErrors
	for _, e := range errs {
		e.Field = listItem.ReplaceAllString(e.Field, "")
		e = asSelect(e)
		if victims > 1 {
			e = whichVictim(e)
		}
		if !slices.Contains(fields(out), e.Field) {
			out = append(out, e)
		}
	}
	rank := func(field string) (int, int) {
		victim := -1
		if m := victimIdx.FindStringSubmatch(field); m != nil {
			victim, _ = strconv.Atoi(m[1])
			field = victimIdx.ReplaceAllString(field, "victims[].")
		}
		for i, f := range formOrder {
			if f == field {
				return i, victim
			}
		}
		return len(formOrder), victim
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, vi := rank(out[i].Field)
		rj, vj := rank(out[j].Field)
		if vi >= 0 && vj >= 0 && vi != vj {
			return vi < vj
		}
		return ri < rj
	})
	return out
}

var victimWords = regexp.MustCompile(`\b([Tt]he victim-survivor|[Tt]heir|[Tt]hem)\b`)

// whichVictim makes a victim-survivor's error name them by their number
// on the page: "the victim-survivor's first name" becomes "victim-survivor
// 2's first name", "contact them" becomes "contact victim-survivor 2"; a
// message that does not name them ("DASH score must be …") is led by it.
func whichVictim(e referral.FieldError) referral.FieldError {
	m := victimIdx.FindStringSubmatch(e.Field)
	if m == nil {
		return e
	}
	i, _ := strconv.Atoi(m[1])
	who := "victim-survivor " + strconv.Itoa(i+1)
	if loc := victimWords.FindStringIndex(e.Message); loc != nil {
		word := e.Message[loc[0]:loc[1]]
		named := who
		if strings.EqualFold(word, "their") {
			named += "'s"
		}
		if word[0] >= 'A' && word[0] <= 'Z' {
			named = strings.ToUpper(named[:1]) + named[1:]
		}
		e.Message = e.Message[:loc[0]] + named + e.Message[loc[1]:]
		return e
	}
	e.Message = strings.ToUpper(who[:1]) + who[1:] + ": " + e.Message
	return e
}

func fields(errs referral.FieldErrors) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Field
	}
	return out
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newForm answers GET /referrals/new: an empty form with a fresh token,
// which makes a double click or a resubmission one referral, and the
// officer's name and email filled in from their sign-in.
func (h *handler) newForm(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) events.APIGatewayV2HTTPResponse {
	if !p.MayRefer() {
		return forbiddenPage(p)
	}
	values := url.Values{"referrer.name": {p.Name}, "referrer.email": {p.Email}}
	return h.renderForm(ctx, http.StatusOK, page{Values: values, Token: newToken(), Victims: []int{0}, CSRF: signin.CSRFToken(req.Cookies), SignedIn: &p.Identity})
}

func forbiddenPage(p auth.Principal) events.APIGatewayV2HTTPResponse {
	return html(http.StatusForbidden, "message", page{Title: "You cannot use this page", SignedIn: &p.Identity,
		Message: "Only police officers and staff who make referrals can use this page. If you should, ask your administrator to give you the officer role.",
		Link:    "/", LinkText: "Go to your home page"})
}

func (h *handler) renderForm(ctx context.Context, status int, p page) events.APIGatewayV2HTTPResponse {
	p.Title = "Refer a perpetrator to Drive"
	chosen := p.Values.Get("area")
	for _, a := range h.areas(ctx) {
		p.AreaPairs = append(p.AreaPairs, a.ID, a.Name)
		if a.ID == chosen {
			chosen = ""
		}
	}
	if chosen != "" && len(p.AreaPairs) == 0 {
		// No area could be read: the one chosen is still offered, by id,
		// so that sending the form again keeps it.
		p.AreaPairs = []string{chosen, chosen}
	}
	return html(status, "form", p)
}

// submitForm answers POST /referrals/new: the form again with every value
// kept and every error listed, or a redirect to the confirmation (so that
// a refresh does not send it again). A form that arrives without a
// session, or without its session's token, changes nothing: it comes back
// with everything typed, to send again once signed in.
func (h *handler) submitForm(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	body := req.Body
	if req.IsBase64Encoded {
		raw, _ := base64.StdEncoding.DecodeString(body) // unreadable: an empty form, every error listed
		body = string(raw)
	}
	if len(body) > maxBody {
		var who *auth.Identity
		if h.signIn != nil {
			if id, err := h.signIn.SignedIn(ctx, req.Cookies); err == nil {
				who = &id
			}
		}
		return html(http.StatusRequestEntityTooLarge, "message", page{Title: "The referral was not sent: the form is too long", SignedIn: who,
			Message: "The form is too long to send. Go back to the form with your browser's Back button (your answers are still there), shorten the longest answers, like the reason for the referral, and press Send referral again.",
			Link:    "/referrals/new", LinkText: "Or start a new referral form"})
	}
	v, err := url.ParseQuery(body)
	if err != nil {
		return h.renderForm(ctx, http.StatusBadRequest, page{Values: url.Values{}, Token: newToken(), Victims: []int{0}, CSRF: signin.CSRFToken(req.Cookies),
			Banner: &banner{Heading: "The form could not be read, so the referral was not sent", Body: "Please fill it in again."}})
	}
	token := v.Get("formToken")
	if len(token) != 32 {
		token = newToken()
	}
	p := page{Values: v, Token: token, CSRF: signin.CSRFToken(req.Cookies)}
	for i := range victimCount(v) {
		p.Victims = append(p.Victims, i)
	}
	id, err := h.signIn.SignedIn(ctx, req.Cookies)
	if errors.Is(err, auth.ErrUnauthenticated) {
		p.Banner = &banner{Heading: "You have been signed out, so the referral was not sent",
			Body: "Nothing you typed is lost. Sign in again in a new tab, then come back to this tab and press Send referral.",
			Link: "/auth/sign-in?next=/", LinkText: "Sign in again in a new tab", NewTab: true}
		return h.renderForm(ctx, http.StatusUnauthorized, p)
	}
	if err != nil {
		h.log.ErrorContext(ctx, "session not checked", "error", err.Error())
		p.Banner = &banner{Heading: unavailable}
		return h.renderForm(ctx, http.StatusServiceUnavailable, p)
	}
	principal, err := auth.Resolve(ctx, id, h.store)
	if err != nil {
		h.log.ErrorContext(ctx, "staff not resolved", "error", err.Error())
		p.Banner = &banner{Heading: unavailable}
		return h.renderForm(ctx, http.StatusServiceUnavailable, p)
	}
	p.SignedIn = &principal.Identity
	if !principal.MayRefer() {
		return forbiddenPage(principal)
	}
	// The form's token is its session's; a form kept while signed out
	// and sent after signing in again (in another tab) carries an older
	// session's or none, and is taken when the browser says it comes
	// from this site's own page (signin.FromOwnPage).
	if !signin.ValidCSRF(req.Cookies, v.Get("csrf")) && !signin.FromOwnPage(req.Headers, h.origin(req)) {
		p.Banner = &banner{Heading: "The referral was not sent, because the form was older than your sign-in",
			Body: "Check your answers and press Send referral again."}
		return h.renderForm(ctx, http.StatusForbidden, p)
	}
	if v.Get("action") == "add-victim" && len(p.Victims) < maxVictims {
		p.Victims = append(p.Victims, len(p.Victims))
		p.Values.Set("victimCount", strconv.Itoa(len(p.Victims)))
		return h.renderForm(ctx, http.StatusOK, p)
	}
	if n, ok := strings.CutPrefix(v.Get("action"), "remove-victim-"); ok {
		if i, err := strconv.Atoi(n); err == nil && i > 0 && i < len(p.Victims) {
			removeVictim(p.Values, i, len(p.Victims))
			p.Victims = p.Victims[:len(p.Victims)-1]
		}
		return h.renderForm(ctx, http.StatusOK, p)
	}
	r, formErrs := fromForm(v)
	normalise(&r)
	if errs := merge(formErrs, r.Validate(h.now().UTC())); len(errs) > 0 {
		p.Errors = forForm(errs, len(p.Victims))
		return h.renderForm(ctx, http.StatusUnprocessableEntity, p)
	}
	o, err := h.accept(ctx, r, submitter(principal), "form-"+token, h.now().UTC())
	switch {
	case err != nil:
		h.log.ErrorContext(ctx, "referral not accepted", "error", err.Error())
		p.Banner = &banner{Heading: unavailable}
		return h.renderForm(ctx, http.StatusServiceUnavailable, p)
	case o.Status == http.StatusUnprocessableEntity:
		p.Banner = &banner{Heading: "You already sent this form as referral " + o.Reference,
			Body: "It cannot be changed here: contact the Drive team with the reference, or start a new referral.", Link: "/referrals/new", LinkText: "Start a new referral"}
		return h.renderForm(ctx, http.StatusConflict, p)
	}
	return redirect("/referrals/" + o.Reference + "/confirmation")
}

// noSuchReferral is the page for a reference that names no referral the
// signed-in person may see: whether someone else's exists is not told.
func noSuchReferral(p auth.Principal, raw string) events.APIGatewayV2HTTPResponse {
	if len([]rune(raw)) > 40 {
		raw = string([]rune(raw)[:40]) + "…"
	}
	return html(http.StatusNotFound, "message", page{Title: "There is no such referral", SignedIn: &p.Identity,
		Message: "There is no referral with the reference " + raw + " that you can see. Check the reference: it is in the emails about the referral, and looks like DRV-7K4M-Q9TX.",
		Link:    "/", LinkText: "Go to your home page"})
}

// confirmation shows the reference to the officer who made the referral.
func (h *handler) confirmation(ctx context.Context, p auth.Principal, raw string) events.APIGatewayV2HTTPResponse {
	notFound := noSuchReferral(p, raw)
	ref, ok := referral.ParseReference(raw)
	if !ok {
		return notFound
	}
	rec, err := h.store.Referral(ctx, ref)
	if errors.Is(err, referral.ErrNotFound) || (err == nil && !p.Made(rec)) {
		return notFound
	}
	if err != nil {
		h.log.ErrorContext(ctx, "confirmation lookup failed", "reference", ref, "error", err.Error())
		return unavailablePage(&p.Identity, "Your referral "+ref+" was sent. This page cannot be shown just now.")
	}
	pg := page{Title: "Referral sent", Reference: ref, SignedIn: &p.Identity, Linked: rec.Status == referral.StatusLinked}
	if pg.Linked {
		if open, err := h.store.Referral(ctx, rec.LinkedTo); err == nil && p.Made(open) {
			pg.LinkedTo = open.Reference
		}
	}
	return html(http.StatusOK, "confirmation", pg)
}

// securityHeaders are sent with every page: no scripts at all, nothing
// framed, nothing cached (pages may show a victim's details as typed).
var securityHeaders = map[string]string{
	"Content-Type":              "text/html; charset=utf-8",
	"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
	"Cache-Control":             "no-store",
	"Content-Security-Policy":   "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options":    "nosniff",
	"Referrer-Policy":           "no-referrer",
}

func html(status int, name string, p page) events.APIGatewayV2HTTPResponse {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusInternalServerError, Headers: map[string]string{"Content-Type": "text/plain"},
			Body: "The page could not be shown: " + err.Error()}
	}
	headers := map[string]string{}
	for k, v := range securityHeaders {
		headers[k] = v
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: buf.String()}
}

// asset serves the embedded styles.
func asset(name string) events.APIGatewayV2HTTPResponse {
	if name != "govuk-frontend.min.css" {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNotFound, Body: "not found"}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, IsBase64Encoded: true, Body: base64.StdEncoding.EncodeToString(govukCSS),
		Headers: map[string]string{"Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=86400"}}
}
