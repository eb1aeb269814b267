package main

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/signin"
	"github.com/driveprogramme/referrals/shared/web"
)

//go:embed web/templates/*.html
var templateFS embed.FS

// pages are intake's own pages, each with the shared layout (shared/web).
var pages = web.MustTemplates(sub(templateFS, "web"), "form", "confirmation", "status", "home", "accessibility", "referrals")

func sub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// page is what intake's templates render: the shared page (the form's
// values as typed, its errors in the order of the form, the banner) and
// each page's own data.
type page struct {
	web.Page
	Token     string
	Victims   []int
	AreaPairs []string
	Reference string
	// Linked is set on the confirmation of a referral linked to an open
	// one; LinkedTo names that one only to the officer who made it.
	Linked   bool
	LinkedTo string
	Status   *statusView
	// Home is the home page's.
	Home *homeView
	// Yours is the "Your referrals" page's.
	Yours *yoursView
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
	return h.renderForm(ctx, http.StatusOK, page{Page: web.Page{Values: values, CSRF: signin.CSRFToken(req.Cookies), SignedIn: &p.Identity, Path: "/referrals/new"}, Token: newToken(), Victims: []int{0}})
}

func forbiddenPage(p auth.Principal) events.APIGatewayV2HTTPResponse {
	return web.Message(http.StatusForbidden, web.Page{Title: "You cannot use this page", SignedIn: &p.Identity,
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
		return web.Message(http.StatusRequestEntityTooLarge, web.Page{Title: "The referral was not sent: the form is too long", SignedIn: who,
			Message: "The form is too long to send. Go back to the form with your browser's Back button (your answers are still there), shorten the longest answers, like the reason for the referral, and press Send referral again.",
			Link:    "/referrals/new", LinkText: "Or start a new referral form"})
	}
	v, err := url.ParseQuery(body)
	if err != nil {
		return h.renderForm(ctx, http.StatusBadRequest, page{Page: web.Page{Values: url.Values{}, CSRF: signin.CSRFToken(req.Cookies),
			Banner: &web.Banner{Heading: "The form could not be read, so the referral was not sent", Body: "Please fill it in again."}}, Token: newToken(), Victims: []int{0}})
	}
	token := v.Get("formToken")
	if len(token) != 32 {
		token = newToken()
	}
	p := page{Page: web.Page{Values: v, CSRF: signin.CSRFToken(req.Cookies)}, Token: token}
	for i := range victimCount(v) {
		p.Victims = append(p.Victims, i)
	}
	id, err := h.signIn.SignedIn(ctx, req.Cookies)
	if errors.Is(err, auth.ErrUnauthenticated) {
		p.Banner = &web.Banner{Heading: "You have been signed out, so the referral was not sent",
			Body: "Nothing you typed is lost. Sign in again in a new tab, then come back to this tab and press Send referral.",
			Link: "/auth/sign-in?next=/", LinkText: "Sign in again in a new tab", NewTab: true}
		return h.renderForm(ctx, http.StatusUnauthorized, p)
	}
	if err != nil {
		h.log.ErrorContext(ctx, "session not checked", "error", err.Error())
		p.Banner = &web.Banner{Heading: unavailable}
		return h.renderForm(ctx, http.StatusServiceUnavailable, p)
	}
	principal, err := auth.Resolve(ctx, id, h.store)
	if err != nil {
		h.log.ErrorContext(ctx, "staff not resolved", "error", err.Error())
		p.Banner = &web.Banner{Heading: unavailable}
		return h.renderForm(ctx, http.StatusServiceUnavailable, p)
	}
	p.SignedIn, p.Path = &principal.Identity, "/referrals/new"
	if !principal.MayRefer() {
		return forbiddenPage(principal)
	}
	// The form's token is its session's; a form kept while signed out
	// and sent after signing in again (in another tab) carries an older
	// session's or none, and is taken when the browser says it comes
	// from this site's own page (signin.FromOwnPage).
	if !signin.ValidCSRF(req.Cookies, v.Get("csrf")) && !signin.FromOwnPage(req.Headers, h.origin(req)) {
		p.Banner = &web.Banner{Heading: "The referral was not sent, because the form was older than your sign-in",
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
		p.Banner = &web.Banner{Heading: unavailable}
		return h.renderForm(ctx, http.StatusServiceUnavailable, p)
	case o.Status == http.StatusUnprocessableEntity:
		p.Banner = &web.Banner{Heading: "You already sent this form as referral " + o.Reference,
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
	return web.Message(http.StatusNotFound, web.Page{Title: "There is no such referral", SignedIn: &p.Identity,
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
	pg := page{Page: web.Page{Title: "Referral sent", SignedIn: &p.Identity}, Reference: ref, Linked: rec.Status == referral.StatusLinked}
	if pg.Linked {
		if open, err := h.store.Referral(ctx, rec.LinkedTo); err == nil && p.Made(open) {
			pg.LinkedTo = open.Reference
		}
	}
	return html(http.StatusOK, "confirmation", pg)
}

func html(status int, name string, p page) events.APIGatewayV2HTTPResponse {
	return web.HTML(status, pages[name], p)
}
