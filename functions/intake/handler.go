package main

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/httpapi"
	"github.com/driveprogramme/referrals/shared/metrics"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/phone"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/web"
)

// openAPI describes this API; it is served as it is in the repository.
//
//go:embed openapi.yaml
var openAPI []byte

// maxBody is the largest referral accepted: a complete referral is a few KiB.
const maxBody = 64 << 10

type store interface {
	Create(ctx context.Context, n dynamo.NewReferral) error
	DeleteOutbox(ctx context.Context, m dynamo.Message) error
	KeyResult(ctx context.Context, key string) (ref, fingerprint string, err error)
	SamePerpetrator(ctx context.Context, r referral.Referral) ([]referral.Summary, error)
	Claims(ctx context.Context, keys []string) (map[string]string, error)
	Areas(ctx context.Context) ([]eligibility.Area, error)
	Referral(ctx context.Context, ref string) (referral.Record, error)
	History(ctx context.Context, ref string) ([]referral.Transition, error)
	CasesOf(ctx context.Context, caseManagerID string) ([]dynamo.Case, error)
	CaseManagers(ctx context.Context, area string) ([]allocation.CaseManager, error)
	Waiting(ctx context.Context, area string) ([]string, error)
	SubmittedBy(ctx context.Context, subject string, from dynamo.PageOf, size int) (dynamo.SubmittedPage, error)
	auth.Directory
}

var _ store = (*dynamo.Store)(nil)

// signIn is the pages' sign-in (signin.Web in Lambda).
type signIn interface {
	Start(ctx context.Context, next, redirectURL string) (location, setCookie string, err error)
	Finish(ctx context.Context, query url.Values, cookies []string, redirectURL string) (setCookies []string, next string, err error)
	SignedIn(ctx context.Context, cookies []string) (auth.Identity, error)
}

type handler struct {
	store store
	// queues takes the message that sends a referral to eligibility
	// (dynamo.QueueEligibility), committed with the referral.
	queues     dynamo.Sender
	signIn     signIn
	rolesClaim string
	// baseURL is where the pages are served; empty: the domain each
	// request came to, over HTTPS.
	baseURL string
	metrics *metrics.Recorder
	log     *slog.Logger
	now     func() time.Time
	newRef  func() (string, error)
	// areaList keeps the areas last read (see areas).
	areaList *areaList
	// pageSize is how many referrals a page of "Your referrals" shows
	// (0: referralsPageSize).
	pageSize int
}

// Handle answers an API Gateway HTTP API (v2) request. It never returns an
// error: every outcome, including our own faults, is an HTTP answer.
//
// Every call runs under httpapi.Budget, so that a dependency that hangs
// is answered 503 before Lambda's timeout or API Gateway's.
func (h *handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	ctx, cancel := httpapi.Budget(ctx)
	defer cancel()
	switch req.RouteKey {
	case "POST /referrals":
		// Who is referring is read before anything is kept: when that
		// cannot be read, nothing has been kept either, and the officer is
		// told so in the same words as when the referral cannot be stored.
		p, err := httpapi.Caller(ctx, req, h.rolesClaim, h.store)
		switch {
		case errors.Is(err, auth.ErrUnauthenticated):
			return httpapi.Unauthorized(), nil
		case err != nil:
			h.log.ErrorContext(ctx, "referral not accepted: staff not resolved", "error", err.Error())
			return reply(http.StatusServiceUnavailable, message(unavailable)), nil
		case !p.MayRefer():
			return httpapi.Forbidden(), nil
		}
		return h.submit(ctx, req, p), nil
	case "GET /referrals/{reference}":
		return h.api(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
			return h.status(ctx, req, p, req.PathParameters["reference"], false)
		}), nil
	case "GET /":
		return h.page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse { return h.home(ctx, req, p) }), nil
	case "GET /referrals/new":
		return h.page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse { return h.newForm(ctx, req, p) }), nil
	case "POST /referrals/new":
		return h.submitForm(ctx, req), nil
	case "GET /referrals":
		return h.page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse { return h.yours(ctx, req, p) }), nil
	case "GET /referrals/{reference}/confirmation":
		return h.page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
			return h.confirmation(ctx, p, req.PathParameters["reference"])
		}), nil
	case "GET /referrals/{reference}/status":
		return h.page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
			return h.status(ctx, req, p, req.PathParameters["reference"], true)
		}), nil
	case "GET /accessibility":
		// Public, as the footer that links it is on every page, signed in
		// or not.
		return html(http.StatusOK, "accessibility", page{Page: web.Page{Title: "Accessibility statement"}}), nil
	case "GET /auth/sign-in":
		return h.startSignIn(ctx, req), nil
	case "GET /auth/callback":
		return h.finishSignIn(ctx, req), nil
	case "POST /auth/sign-out":
		return h.signOut(ctx, req), nil
	case "GET /assets/{file}":
		return web.Asset(req.PathParameters["file"]), nil
	case "GET /favicon.ico":
		return web.Favicon(), nil
	case "GET /openapi.yaml":
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: string(openAPI),
			Headers: map[string]string{"Content-Type": "application/yaml; charset=utf-8", "Cache-Control": "max-age=300"}}, nil
	default:
		return reply(http.StatusNotFound, message("There is no such page")), nil
	}
}

type errorBody struct {
	Message string               `json:"message,omitempty"`
	Errors  referral.FieldErrors `json:"errors,omitempty"`
}

func message(m string) errorBody { return errorBody{Message: m} }

// api answers a JSON API request for the caller the JWT authorizer
// verified.
func (h *handler) api(ctx context.Context, req events.APIGatewayV2HTTPRequest, fn func(auth.Principal) events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	return httpapi.AsCaller(ctx, req, h.rolesClaim, h.store, h.log, fn)
}

func (h *handler) submit(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal) events.APIGatewayV2HTTPResponse {
	body, err := httpapi.Body(req, maxBody)
	if errors.Is(err, httpapi.ErrTooLarge) {
		return reply(http.StatusRequestEntityTooLarge, message("A referral must be "+httpapi.Size(maxBody)+" or smaller"))
	}
	if err != nil {
		return reply(http.StatusBadRequest, message("The request body is not valid base64"))
	}
	if !httpapi.IsJSON(req) {
		return reply(http.StatusUnsupportedMediaType, message("Send the referral as JSON with Content-Type: application/json"))
	}
	r, err := referral.Parse(body)
	var fieldErrs referral.FieldErrors
	switch {
	case errors.As(err, &fieldErrs):
		return reply(http.StatusUnprocessableEntity, errorBody{Errors: fieldErrs})
	case err != nil:
		return reply(http.StatusBadRequest, message("The request body is not valid JSON: "+err.Error()))
	}
	normalise(&r)
	now := h.now().UTC()
	if errs := r.Validate(now); len(errs) > 0 {
		return reply(http.StatusUnprocessableEntity, errorBody{Errors: errs})
	}
	key := req.Headers["idempotency-key"]
	if len(key) > 200 {
		return reply(http.StatusBadRequest, message("The Idempotency-Key header must be 200 characters or fewer"))
	}
	o, err := h.accept(ctx, r, submitter(p), key, now)
	if err != nil {
		h.log.ErrorContext(ctx, "referral not accepted", "error", err.Error())
		return reply(http.StatusServiceUnavailable, message(unavailable))
	}
	switch o.Status {
	case http.StatusUnprocessableEntity:
		return reply(o.Status, errorBody{Message: "This Idempotency-Key was already used for a different referral. Use a new key for a new referral."})
	}
	if o.Linked {
		return reply(http.StatusAccepted, accepted{Reference: o.Reference, Status: referral.StatusLinked, Message: linkedMessage(o.LinkedTo), LinkedTo: o.LinkedTo})
	}
	return reply(http.StatusAccepted, accepted{Reference: o.Reference, Status: referral.StatusReceived})
}

const unavailable = "Your referral could not be saved. Nothing has been recorded: please try again in a minute."

// linkedMessage tells the officer whose referral was linked to an open
// one what became of it; it names the open one (linkedTo) only when they
// made it too, so that no one learns of another officer's referral.
func linkedMessage(linkedTo string) string {
	m := "A Drive team is already working with this person. Your referral has been passed to them, with everything in it, and they have been told."
	if linkedTo != "" {
		m += " It is linked to your earlier referral " + linkedTo + "."
	}
	return m
}

// outcome is what became of a valid referral: accepted (or accepted
// before, for a retry), or refused because its idempotency key was used
// for another referral (422). Reference is the new or first referral's.
// Linked says that it was linked to an open referral of the same
// perpetrator (StatusLinked); LinkedTo names that one only when the
// caller made it too.
type outcome struct {
	Status    int
	Reference string
	Linked    bool
	LinkedTo  string
}

// maxLinkTries is how often accept decides again when the open referral
// it links to changes as it is linked (closed at that moment, say), or
// another referral of the same person takes the claims first (sent at the
// same moment). Each try that fails does so because another referral or
// change went through, so a few bursts of referrals of one person at
// once all end linked to one.
const maxLinkTries = 6

// accept decides a valid referral's outcome: the first answer again for a
// retried request (its key is the caller's own: by.IdempotencyKey);
// for a perpetrator with an open referral, in any area, a new referral
// linked to that one (the earliest: referral.FirstOpen), which tells its
// team; otherwise a new referral, which takes the perpetrator's claims
// (referral.ClaimKeys) as their open referral. Of several referrals of
// one person sent at the same moment, exactly one takes the claims; the
// others find their claims taken, read again and are linked to it, so
// that none is left to be found ineligible for the other (issue 13). Either is stored with its message (to eligibility, or to
// notify) in one transaction (the outbox) and then queued. A referral
// stored is kept and accepted even when the queueing fails: its message
// stays in the outbox and the relay sends it. The duplicate check is not
// an answer of its own: whoever sends a referral learns only that theirs
// was passed on, so that it tells nobody whether someone else's exists.
// Errors are our faults, not the user's.
func (h *handler) accept(ctx context.Context, r referral.Referral, by referral.Submitter, key string, now time.Time) (outcome, error) {
	key = by.IdempotencyKey(key)
	fingerprint := r.Fingerprint()
	if key != "" {
		if o, done, err := h.replay(ctx, key, fingerprint, by); done || err != nil {
			return o, err
		}
	}
	for try := 1; ; try++ {
		open, claims, clash, err := h.openReferral(ctx, r)
		if err != nil {
			return outcome{}, err
		}
		if open != nil && key != "" {
			// The open referral may be this request's own twin, stored
			// since the key was first checked.
			if o, done, err := h.replay(ctx, key, fingerprint, by); done || err != nil {
				return o, err
			}
		}
		n := dynamo.NewReferral{Record: referral.Record{Referral: r, SubmittedBy: &by}, Key: key, Fingerprint: fingerprint}
		if open == nil {
			n.Note, n.Claims = h.idvaNote(ctx, r), claims
			if clash != "" {
				n.Note = strings.TrimSpace(n.Note + " " + referral.PNCClashNote(clash))
				h.log.InfoContext(ctx, "the same PNC ID as an open referral of a different name and date of birth", "clashesWith", clash)
			}
		}
		rec, msgs, err := h.create(ctx, n, open, now)
		switch {
		case errors.Is(err, dynamo.ErrKeyUsed):
			// The same request, sent twice at once: the other one won.
			o, _, err := h.replay(ctx, key, fingerprint, by)
			return o, err
		case errors.Is(err, referral.ErrConflict) && try < maxLinkTries:
			// The open referral changed as it was linked, or another
			// referral of the person took the claims: decide again.
			continue
		case err != nil:
			return outcome{}, err
		}
		if err := dynamo.Deliver(ctx, h.store, h.queues, msgs...); err != nil {
			h.log.WarnContext(ctx, "referral stored, its message kept in the outbox for the relay", "reference", rec.Reference, "error", err.Error())
		}
		if open != nil {
			h.log.InfoContext(ctx, "referral linked to the open referral of the same perpetrator", "reference", rec.Reference, "linkedTo", open.Reference, "area", r.Area)
			return h.linkedOutcome(rec, *open, by), nil
		}
		h.log.InfoContext(ctx, "referral received", "reference", rec.Reference, "area", r.Area, "route", string(r.Route))
		return outcome{Status: http.StatusAccepted, Reference: rec.Reference}, nil
	}
}

// openReferral returns the open referral of r's perpetrator, in any area,
// that a new referral of them is linked to (referral.FirstOpen), or nil;
// and, for when there is none, the perpetrator's claims as read, each
// claim key with the reference it names ("" for none), for the new
// referral to take (dynamo.NewReferral.Claims). It reads the claims
// consistently, and the referrals found by the perpetrator's index and
// PNC ID (SamePerpetrator, which finds those stored before claims
// existed too). An open referral of the same PNC ID whose names and date
// of birth differ (referral.SamePerson) is not linked to: clash is its
// reference, for staff's note, and its claims are not taken.
func (h *handler) openReferral(ctx context.Context, r referral.Referral) (open *referral.Record, claims map[string]string, clash string, err error) {
	keys, err := r.ClaimKeys()
	if err != nil {
		return nil, nil, "", err
	}
	held, err := h.store.Claims(ctx, keys)
	if err != nil {
		return nil, nil, "", err
	}
	others, err := h.store.SamePerpetrator(ctx, r)
	if err != nil {
		return nil, nil, "", err
	}
	claims = map[string]string{}
	for _, k := range keys {
		claims[k] = held[k]
		ref := held[k]
		if ref == "" || slices.ContainsFunc(others, func(o referral.Summary) bool { return o.Reference == ref }) {
			continue
		}
		// Not yet in the index (it is eventually consistent): read it.
		rec, err := h.store.Referral(ctx, ref)
		if errors.Is(err, referral.ErrNotFound) {
			continue // expired
		}
		if err != nil {
			return nil, nil, "", err
		}
		others = append(others, referral.Summary{Reference: rec.Reference, Area: rec.Referral.Area, Status: rec.Status, ReceivedAt: rec.ReceivedAt})
	}
	for {
		first, ok := referral.FirstOpen(others)
		if !ok {
			return nil, claims, clash, nil
		}
		rec, err := h.store.Referral(ctx, first.Reference)
		if err != nil && !errors.Is(err, referral.ErrNotFound) {
			return nil, nil, "", err
		}
		if err == nil && (referral.Summary{Status: rec.Status}).Open() {
			if referral.SamePerson(r, rec.Referral) {
				return &rec, nil, "", nil
			}
			// The same PNC ID for someone else: not linked (it would
			// never be decided), nor its claim taken; staff are told.
			if clash == "" {
				clash = rec.Reference
			}
			for k, ref := range claims {
				if ref == rec.Reference {
					delete(claims, k)
				}
			}
		}
		// Ended or expired since the index said, or someone else: the next one.
		others = slices.DeleteFunc(others, func(o referral.Summary) bool { return o.Reference == first.Reference })
	}
}

// linkedOutcome is the answer for rec, linked to open: it names open
// only to the officer who made both.
func (h *handler) linkedOutcome(rec, open referral.Record, by referral.Submitter) outcome {
	o := outcome{Status: http.StatusAccepted, Reference: rec.Reference, Linked: true}
	if open.SubmittedBy != nil && open.SubmittedBy.Subject == by.Subject {
		o.LinkedTo = open.Reference
	}
	return o
}

type accepted struct {
	Reference string          `json:"reference"`
	Status    referral.Status `json:"status"`
	Message   string          `json:"message,omitempty"`
	LinkedTo  string          `json:"linkedTo,omitempty"`
}

// replay answers a request whose idempotency key was used before: the
// first referral when the referral is the same, 422 when it is not. done
// is false when the key is new.
func (h *handler) replay(ctx context.Context, key, fingerprint string, by referral.Submitter) (o outcome, done bool, err error) {
	ref, first, err := h.store.KeyResult(ctx, key)
	switch {
	case errors.Is(err, referral.ErrNotFound):
		return o, false, nil
	case err != nil:
		return o, false, err
	case first != fingerprint:
		return outcome{Status: http.StatusUnprocessableEntity, Reference: ref}, true, nil
	}
	h.log.InfoContext(ctx, "retried referral answered again", "reference", ref)
	rec, err := h.store.Referral(ctx, ref)
	if err != nil || rec.LinkedTo == "" {
		// Unreadable just now: the reference is what matters.
		return outcome{Status: http.StatusAccepted, Reference: ref}, true, nil
	}
	open, err := h.store.Referral(ctx, rec.LinkedTo)
	if err != nil {
		return outcome{Status: http.StatusAccepted, Reference: ref, Linked: true}, true, nil
	}
	return h.linkedOutcome(rec, open, by), true, nil
}

// create stores n.Record's referral under a fresh reference, received
// now, drawing again in the unlikely event that the reference is taken.
// With open, it is linked to open (StatusLinked), whose history records
// the link, and its messages tell open's team (notification.KindLinked)
// and its own officer, at their verified email, that it was passed to
// the team already working with the person (notification.KindOutcome,
// referral.StatusLinked), as every referral's officer hears its outcome;
// otherwise it is received, and its message sends it to eligibility. It
// returns the referral and its messages.
func (h *handler) create(ctx context.Context, n dynamo.NewReferral, open *referral.Record, now time.Time) (referral.Record, []dynamo.Message, error) {
	for range 3 {
		ref, err := h.newRef()
		if err != nil {
			return referral.Record{}, nil, err
		}
		n := n
		rec := n.Record
		rec.Reference, rec.Status, rec.ReceivedAt, rec.UpdatedAt = ref, referral.StatusReceived, now, now
		var msg, told dynamo.Message
		if open != nil {
			rec.Status, rec.LinkedTo = referral.StatusLinked, open.Reference
			n.Reason, n.Note = referral.LinkedWords(officerName(rec.SubmittedBy)), referral.LinkedNote(open.Reference)
			n.Link = &dynamo.Link{Open: *open, Transition: referral.Transition{At: now, From: open.Status, To: open.Status, By: "intake",
				Reason: referral.LinkWords(ref), StaffOnly: true}}
			msg, err = dynamo.NewMessage(dynamo.QueueNotify, notification.Event{Kind: notification.KindLinked, Reference: open.Reference, Linked: ref}, now)
			if err == nil {
				told, err = dynamo.NewMessage(dynamo.QueueNotify, notification.Event{Kind: notification.KindOutcome, Reference: ref, Status: referral.StatusLinked}, now)
			}
		} else {
			msg, err = dynamo.NewMessage(dynamo.QueueEligibility, referral.Message{Reference: ref}, now)
		}
		if err != nil {
			return rec, nil, err
		}
		n.Record, n.Messages = rec, []dynamo.Message{msg}
		if open != nil {
			n.Messages = append(n.Messages, told)
		}
		err = h.store.Create(ctx, n)
		if err == nil {
			h.metrics.Count(rec.Referral.Area, metrics.Received, 1, rec.Reference)
		}
		if !errors.Is(err, dynamo.ErrReferenceTaken) {
			return rec, n.Messages, err
		}
	}
	return referral.Record{}, nil, errors.New("no free reference after 3 draws")
}

// idvaNote says, for staff's history, which victims' IDVA addresses the
// referral's area does not allow, so that the allocation is told to the
// area's IDVA service instead (eligibility.Area.SupportContacts, which
// notify applies when it sends); "" when all are allowed or the area is
// not one Drive serves.
func (h *handler) idvaNote(ctx context.Context, r referral.Referral) string {
	for _, a := range h.areas(ctx) {
		if a.ID == r.Area {
			_, redirected := a.SupportContacts(r)
			return a.IDVANote(redirected)
		}
	}
	return ""
}

// officerName is the name of the officer who made a referral, or "".
func officerName(s *referral.Submitter) string {
	if s == nil {
		return ""
	}
	return s.Name
}

// submitter is the signed-in officer, as the referral records them.
func submitter(p auth.Principal) referral.Submitter {
	return referral.Submitter{Subject: p.Subject, Name: p.Name, Email: p.Email}
}

// statusView is what those who may see a referral see of its progress:
// never its personal details.
type statusView struct {
	Reference   string             `json:"reference"`
	Status      referral.Status    `json:"status"`
	Area        string             `json:"area"`
	ReceivedAt  time.Time          `json:"receivedAt"`
	UpdatedAt   time.Time          `json:"updatedAt"`
	Decision    *referral.Decision `json:"decision,omitempty"`
	CaseManager *caseManagerView   `json:"caseManager,omitempty"`
	// LinkedTo is, for a linked referral, the open referral it was passed
	// to: only for those who may see that one.
	LinkedTo string                `json:"linkedTo,omitempty"`
	History  []referral.Transition `json:"history"`
	// AreaName is the area's name, for the page.
	AreaName string `json:"-"`
	// MayWithdraw says, for the page, that the reader made the referral
	// and it can still be withdrawn: the page links to the withdrawal
	// page (the cases function's, which withdraws it as the API does).
	MayWithdraw bool `json:"-"`
	// Mine says that the reader made it: the page links back to their
	// referrals.
	Mine bool `json:"-"`
}

type caseManagerView struct {
	Name string `json:"name"`
}

// status answers the referral's progress to those who may see it: the
// officer who made it, its case manager and the leads of its area. For
// anyone else it does not exist.
func (h *handler) status(ctx context.Context, req events.APIGatewayV2HTTPRequest, p auth.Principal, raw string, asHTML bool) events.APIGatewayV2HTTPResponse {
	notFound := reply(http.StatusNotFound, message("There is no referral with the reference "+raw+". Check the reference and try again."))
	if asHTML {
		notFound = noSuchReferral(p, raw)
	}
	ref, ok := referral.ParseReference(raw)
	if !ok {
		return notFound
	}
	rec, err := h.store.Referral(ctx, ref)
	// A linked referral is also for those who work on the open one it
	// was passed to (auth.MaySeeLinked), who see its staff notes too.
	var open referral.Record
	linkedStaff := false
	if err == nil && rec.LinkedTo != "" {
		open, err = h.store.Referral(ctx, rec.LinkedTo)
		if errors.Is(err, referral.ErrNotFound) {
			err = nil
		}
		linkedStaff = err == nil && p.MaySeeLinked(rec, open)
	}
	if errors.Is(err, referral.ErrNotFound) || (err == nil && !p.MaySee(rec) && !linkedStaff) {
		return notFound
	}
	var hist []referral.Transition
	if err == nil {
		hist, err = h.store.History(ctx, ref)
	}
	if err != nil {
		h.log.ErrorContext(ctx, "status lookup failed", "reference", ref, "error", err.Error())
		return reply(http.StatusServiceUnavailable, message("The referral's status cannot be read just now: please try again in a minute."))
	}
	if !p.MaySeeStaffNotes(rec) && !linkedStaff {
		hist = referral.ForReferrer(hist)
	}
	v := statusView{Reference: rec.Reference, Status: rec.Status, Area: rec.Referral.Area, ReceivedAt: rec.ReceivedAt,
		UpdatedAt: rec.UpdatedAt, Decision: rec.Decision, History: hist}
	if open.Reference != "" && (linkedStaff || p.MaySee(open)) {
		v.LinkedTo = open.Reference
	}
	if rec.CaseManager != nil {
		v.CaseManager = &caseManagerView{Name: rec.CaseManager.Name}
	}
	if asHTML {
		v.AreaName = h.areaName(ctx, rec.Referral.Area)
		_, notYet := referral.Next(referral.ActionWithdraw, rec.Status)
		v.Mine = p.Made(rec)
		v.MayWithdraw = v.Mine && notYet == nil
		pg := page{Page: web.Page{Title: "Referral " + rec.Reference, SignedIn: &p.Identity}, Status: &v}
		// The withdrawal page's form ends here, and says once what it did.
		code, clear := web.TakeFlash(req, "/referrals/"+rec.Reference+"/status")
		if b, ok := statusFlashes[code]; ok {
			pg.Banner = &b
		}
		r := html(http.StatusOK, "status", pg)
		if clear != "" {
			r.Cookies = append(r.Cookies, clear)
		}
		return r
	}
	return reply(http.StatusOK, v)
}

// statusFlashes are the banners the status page shows once, by the code
// of the redirect that led there: the withdrawal page's (functions/cases,
// whose codes these must match).
var statusFlashes = map[string]web.Banner{
	"withdrawn": {Success: true, Heading: "You have withdrawn this referral",
		Body: "Drive will not work on it. You will get an email saying so, and a case manager who had it is told."},
	"not-withdrawn": {Heading: "This referral was not withdrawn",
		Body: "It can no longer be withdrawn: its status below says why. Nothing was changed."},
}

// reply answers v as JSON.
func reply(status int, v any) events.APIGatewayV2HTTPResponse { return httpapi.JSON(status, v) }

// normalise puts a referral as sent (JSON or the form) in its stored form:
// its text cleaned and its phone numbers read with libphonenumber, which
// only intake links (shared/phone).
func normalise(r *referral.Referral) {
	r.Normalise()
	r.NormalisePhones(phone.Parse)
}
