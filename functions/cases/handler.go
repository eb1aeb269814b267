package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/httpapi"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/web"
)

type store interface {
	Referral(ctx context.Context, ref string) (referral.Record, error)
	History(ctx context.Context, ref string) ([]referral.Transition, error)
	Case(ctx context.Context, id string) (dynamo.Case, error)
	CasesOf(ctx context.Context, caseManagerID string) ([]dynamo.Case, error)
	Transition(ctx context.Context, rec referral.Record, a referral.Action, by, who string, e referral.Ending, at time.Time, msgs ...dynamo.Message) (referral.Record, error)
	CaseManager(ctx context.Context, area, id string) (allocation.CaseManager, error)
	CaseManagers(ctx context.Context, area string) ([]allocation.CaseManager, error)
	Reallocate(ctx context.Context, rec referral.Record, m allocation.CaseManager, by, lead, reason string, at time.Time, msgs ...dynamo.Message) (referral.Record, error)
	Decline(ctx context.Context, rec referral.Record, by, who string, e referral.Ending, at time.Time, msgs ...dynamo.Message) (referral.Record, error)
	DeleteOutbox(ctx context.Context, m dynamo.Message) error
	Area(ctx context.Context, id string) (eligibility.Area, error)
	RecordView(ctx context.Context, ref string, v referral.View) error
	Views(ctx context.Context, ref string, limit int) ([]referral.View, int, error)
	auth.Directory
}

var _ store = (*dynamo.Store)(nil)

type handler struct {
	store store
	// queues takes the allocation queue's (a freed place) and the notify
	// queue's (emails) messages, each committed with the change it
	// follows (dynamo.QueueAllocation, dynamo.QueueNotify).
	queues     dynamo.Sender
	rolesClaim string
	// signIn checks the case page's session cookie (signin.Web in Lambda).
	signIn web.SignIn
	// verify checks a bearer token on GET /cases/{id}, the route the API
	// shares with the case page (signin.Verifier in Lambda).
	verify httpapi.Verify
	log    *slog.Logger
	now    func() time.Time
}

// Handle answers an API Gateway HTTP API (v2) request; every outcome is
// an HTTP answer, never a function error.
func (h *handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	// A dependency that hangs is answered 503 before Lambda's timeout or
	// API Gateway's (httpapi.Budget).
	ctx, cancel := httpapi.Budget(ctx)
	defer cancel()
	switch req.RouteKey {
	case "GET /cases/{id}":
		return h.caseRoute(ctx, req), nil
	case "POST /cases/{id}":
		return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse { return h.caseForm(ctx, req, p) }), nil
	case "GET /referrals/{reference}/withdrawal":
		return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
			return h.withdrawal(ctx, req, p, http.StatusOK, web.Page{})
		}), nil
	case "POST /referrals/{reference}/withdrawal":
		return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse { return h.withdrawalForm(ctx, req, p) }), nil
	}
	return httpapi.AsCaller(ctx, req, h.rolesClaim, h.store, h.log, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
		switch req.RouteKey {
		case "GET /cases":
			return h.list(ctx, p, httpapi.ID(req.QueryStringParameters["caseManager"]))
		case "POST /cases/{id}/accept":
			return h.act(ctx, p, req.PathParameters["id"], referral.ActionAccept, req)
		case "POST /cases/{id}/close":
			return h.act(ctx, p, req.PathParameters["id"], referral.ActionClose, req)
		case "POST /cases/{id}/decline":
			return h.act(ctx, p, req.PathParameters["id"], referral.ActionDecline, req)
		case "POST /cases/{id}/reallocate":
			return h.reallocate(ctx, p, req.PathParameters["id"], req)
		case "POST /referrals/{reference}/withdraw":
			return h.act(ctx, p, req.PathParameters["reference"], referral.ActionWithdraw, req)
		}
		return reply(http.StatusNotFound, map[string]string{"message": "There is no such page"})
	}), nil
}

// actor is how history names who made a change.
func actor(p auth.Principal) string {
	if p.Email != "" {
		return p.Email
	}
	return p.Subject
}

// actorName is how history names who takes action a on rec: the case
// manager holding it by their name in Drive's staff records, the officer
// who made it by the name the referral recorded. With no name, history
// names them by role (referral.PersonName), never by email.
func actorName(p auth.Principal, rec referral.Record, a referral.Action) string {
	switch {
	case (a == referral.ActionAccept || a == referral.ActionClose || a == referral.ActionDecline) && rec.CaseManager != nil:
		return rec.CaseManager.Name
	case a == referral.ActionWithdraw && rec.SubmittedBy != nil && rec.SubmittedBy.Name != "":
		return rec.SubmittedBy.Name
	}
	return p.Name
}

// list answers GET /cases?caseManager=... for a case manager's id, tidied
// (httpapi.ID) before it is compared with the caller's.
func (h *handler) list(ctx context.Context, p auth.Principal, caseManager string) events.APIGatewayV2HTTPResponse {
	if caseManager == "" {
		return reply(http.StatusBadRequest, map[string]string{"message": "Say whose cases: /cases?caseManager=ID"})
	}
	allowed := p.MaySeeCasesOf(caseManager, "")
	for _, area := range p.Leads {
		if allowed {
			break
		}
		_, err := h.store.CaseManager(ctx, area, caseManager)
		if err != nil && !errors.Is(err, referral.ErrNotFound) {
			return h.fault(ctx, err)
		}
		allowed = err == nil
	}
	if !allowed {
		return httpapi.Forbidden()
	}
	cases, err := h.store.CasesOf(ctx, caseManager)
	if err != nil {
		return h.fault(ctx, err)
	}
	return reply(http.StatusOK, map[string]any{"cases": cases})
}

// caseBody is a case as the API answers it: the case, the whole
// referral, its eligibility decision and its history.
type caseBody struct {
	dynamo.Case
	Referral    referral.Referral     `json:"referral"`
	Decision    *referral.Decision    `json:"decision,omitempty"`
	CaseManager *referral.Assignee    `json:"caseManager,omitempty"`
	ReceivedAt  time.Time             `json:"receivedAt"`
	History     []referral.Transition `json:"history"`
}

// detail answers GET /cases/{id} as JSON: the whole referral, to the
// same people as the case page, through the same check (load).
func (h *handler) detail(ctx context.Context, p auth.Principal, raw string) events.APIGatewayV2HTTPResponse {
	c, rec, hist, ok, err := h.load(ctx, p, raw)
	if err != nil {
		return h.fault(ctx, err)
	}
	if !ok {
		return reply(http.StatusNotFound, map[string]string{"message": "There is no case " + raw})
	}
	return reply(http.StatusOK, caseBody{Case: c, Referral: rec.Referral.ContactShown(), Decision: rec.Decision, CaseManager: rec.CaseManager, ReceivedAt: rec.ReceivedAt, History: hist})
}

// maxBody is the largest body a case's action takes: a reason and a note
// of at most 500 characters each are well under 8 KiB.
const maxBody = 8 << 10

// act applies an action to the referral (and its case): the body, which
// accepting may leave out, says why. A case that ends frees its manager's
// place, and the area's waitlist is told. What follows the change (the
// referrer's email on acceptance, the waitlist's release) is committed
// with it (the outbox) and then sent; a send that fails is the relay's
// to make, and the answer is the change's.
func (h *handler) act(ctx context.Context, p auth.Principal, id string, a referral.Action, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	var ending referral.Ending
	if req.Body != "" {
		noun := map[referral.Action]string{referral.ActionAccept: "an acceptance", referral.ActionClose: "a closing reason",
			referral.ActionWithdraw: "a withdrawal", referral.ActionDecline: "a reason for declining"}[a]
		if res, ok := httpapi.DecodeJSON(req, maxBody, &ending, noun, `{"reason": "...", "note": "..."}`); !ok {
			return res
		}
	}
	got, no := h.doAct(ctx, p, id, a, ending)
	if no != nil {
		return h.refused(ctx, no)
	}
	return reply(http.StatusOK, map[string]string{"id": got.Reference, "reference": got.Reference, "status": string(got.Status)})
}

// refusal is why an action was not done: a status and message for the
// caller, errors on its fields (422), or a fault of ours (Fault, 503).
type refusal struct {
	Status  int
	Message string
	Errors  referral.FieldErrors
	Fault   error
}

func refuse(status int, message string) *refusal { return &refusal{Status: status, Message: message} }

// refused answers a refusal as JSON.
func (h *handler) refused(ctx context.Context, no *refusal) events.APIGatewayV2HTTPResponse {
	switch {
	case no.Fault != nil:
		return h.fault(ctx, no.Fault)
	case len(no.Errors) > 0:
		return reply(http.StatusUnprocessableEntity, map[string]any{"errors": no.Errors})
	}
	return reply(no.Status, map[string]string{"message": no.Message})
}

// doAct applies action a to the referral (and its case) with the reason
// given, for the JSON API and the case page alike: the reason checked,
// who may act checked (mayAct), and the change made with what must follow
// it (followers) in one transaction, then sent. A case that ends frees
// its manager's place, and the area's waitlist is told; a send that fails
// is the relay's to make, and the outcome is the change's. It returns the
// referral as changed, or why not.
func (h *handler) doAct(ctx context.Context, p auth.Principal, id string, a referral.Action, ending referral.Ending) (referral.Record, *refusal) {
	// Who is asking first (404, 403, 409 for a colleague), then what
	// they sent (422): someone who may not act learns nothing from the
	// checks of a form they may not send.
	ref, ok := referral.ParseReference(id)
	if !ok {
		return referral.Record{}, refuse(http.StatusNotFound, "There is no case or referral "+id)
	}
	rec, err := h.store.Referral(ctx, ref)
	if errors.Is(err, referral.ErrNotFound) {
		return rec, refuse(http.StatusNotFound, "There is no case or referral "+ref)
	}
	if err != nil {
		return rec, &refusal{Fault: err}
	}
	if no := h.mayActOn(ctx, p, rec, a); no != nil {
		return rec, no
	}
	ending.Normalise()
	var errs referral.FieldErrors
	switch a {
	case referral.ActionAccept:
		errs = ending.ValidateAccept()
	case referral.ActionClose:
		errs = ending.ValidateClose()
	case referral.ActionWithdraw:
		errs = ending.ValidateWithdraw()
	case referral.ActionDecline:
		errs = ending.ValidateDecline()
	}
	if len(errs) > 0 {
		return rec, &refusal{Errors: errs}
	}
	if done, err := h.doneBy(ctx, rec, a, actor(p)); err != nil {
		return rec, &refusal{Fault: err}
	} else if done {
		h.log.InfoContext(ctx, "case action repeated; it was done already by the same person, nothing changed", "reference", ref, "action", string(a), "by", p.Subject)
		return rec, nil
	}
	now := h.now().UTC()
	msgs, err := followers(rec, a, ending, now)
	if err != nil {
		return rec, &refusal{Fault: err}
	}
	var got referral.Record
	if a == referral.ActionDecline {
		got, err = h.store.Decline(ctx, rec, actor(p), actorName(p, rec, a), ending, now, msgs...)
	} else {
		got, err = h.store.Transition(ctx, rec, a, actor(p), actorName(p, rec, a), ending, now, msgs...)
	}
	if errors.Is(err, referral.ErrConflict) {
		return rec, refuse(http.StatusConflict, conflictWords(err))
	}
	if err != nil {
		return rec, &refusal{Fault: err}
	}
	if err := dynamo.Deliver(ctx, h.store, h.queues, msgs...); err != nil {
		h.log.WarnContext(ctx, "case changed, its messages kept in the outbox for the relay", "reference", ref, "area", rec.Referral.Area, "error", err.Error())
	}
	h.log.InfoContext(ctx, "case changed", "reference", ref, "action", string(a), "from", string(rec.Status), "to", string(got.Status), "by", p.Subject)
	return got, nil
}

// endsIn are the statuses an action leaves a referral in that no other
// action of the same person leaves it in: a repeat finds it there.
var endsIn = map[referral.Action]referral.Status{
	referral.ActionAccept:   referral.StatusAccepted,
	referral.ActionClose:    referral.StatusClosed,
	referral.ActionWithdraw: referral.StatusWithdrawn,
}

// doneBy says whether action a on rec was the last change made, by the
// person by (actor): a retry whose first answer was lost (the process
// crashed, the answer timed out on its way back) then answers as the
// first did, with nothing changed, rather than a conflict with itself
// (found by TestFaults: an accept retried after a crash got 409 "a
// referral that is accepted cannot be accepted"). Reallocate and decline
// leave no such mark (the case is held by someone else after), and a
// repeat of them is refused as before. It reads the history only when
// rec is in the status a leaves.
func (h *handler) doneBy(ctx context.Context, rec referral.Record, a referral.Action, by string) (bool, error) {
	to, ok := endsIn[a]
	if !ok || rec.Status != to {
		return false, nil
	}
	hist, err := h.store.History(ctx, rec.Reference)
	if err != nil {
		return false, fmt.Errorf("read the history of %s: %w", rec.Reference, err)
	}
	last := len(hist) - 1
	return last >= 0 && hist[last].To == to && hist[last].By == by, nil
}

// followers are the messages that must follow action a on rec with the
// reason given, made at the time given: on acceptance, the referrer hears
// that work has started; on a decline, those of declined; when a referral
// is closed or withdrawn, those who must know are emailed
// (notification.KindEnded, with a close's reason code only); when a case
// that held a place ends, the area's waitlist is told. None for an action rec's status does not allow (the store
// refuses it).
func followers(rec referral.Record, a referral.Action, ending referral.Ending, at time.Time) ([]dynamo.Message, error) {
	to, err := referral.Next(a, rec.Status)
	if err != nil {
		return nil, nil
	}
	if a == referral.ActionDecline {
		return declined(rec, ending, at)
	}
	var msgs []dynamo.Message
	if a == referral.ActionAccept {
		m, err := dynamo.NewMessage(dynamo.QueueNotify, notification.Event{Kind: notification.KindOutcome, Reference: rec.Reference, Status: to}, at)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	if to == referral.StatusClosed || to == referral.StatusWithdrawn {
		ev := notification.Event{Kind: notification.KindEnded, Reference: rec.Reference, Status: to}
		if to == referral.StatusClosed {
			ev.Reason = ending.Reason // a code (ValidateClose); a withdrawal's is free text, never emailed
		}
		if rec.CaseManager != nil {
			ev.CaseManagerID, ev.Since = rec.CaseManager.ID, rec.CaseManager.Since
		}
		m, err := dynamo.NewMessage(dynamo.QueueNotify, ev, at)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	if rec.CaseManager != nil && referral.HoldsCapacity(rec.Status) && !referral.HoldsCapacity(to) {
		m, err := dynamo.NewMessage(dynamo.QueueAllocation, map[string]string{"area": rec.Referral.Area}, at)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// declined are the messages that must follow the case manager's decline
// of rec with the reason given, made at the time given: the referral's
// new turn for allocation (which never offers it to them again), and the
// email telling the area's leads, with the reason code only.
func declined(rec referral.Record, e referral.Ending, at time.Time) ([]dynamo.Message, error) {
	if rec.CaseManager == nil {
		return nil, nil // the store refuses it
	}
	var msgs []dynamo.Message
	for _, q := range []struct {
		queue string
		body  any
	}{
		{dynamo.QueueAllocation, referral.Message{Reference: rec.Reference}},
		{dynamo.QueueNotify, notification.Event{Kind: notification.KindDeclined, Reference: rec.Reference, Status: referral.StatusEligible,
			CaseManagerID: rec.CaseManager.ID, Since: rec.CaseManager.Since, Reason: e.Reason}},
	} {
		m, err := dynamo.NewMessage(q.queue, q.body, at)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// reallocate moves a case to the named case manager of its area, or to
// the best candidate other than its own; both managers are told, and the
// area's waitlist, since the old manager has a place free: these
// messages are committed with the move (the outbox), then sent.
func (h *handler) reallocate(ctx context.Context, p auth.Principal, id string, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	var ask referral.Reallocation
	if res, ok := httpapi.DecodeJSON(req, maxBody, &ask, "a reallocation", `{"reason": "...", "caseManager": "optional id"}`); !ok {
		return res
	}
	got, no := h.doReallocate(ctx, p, id, ask)
	if no != nil {
		return h.refused(ctx, no)
	}
	return reply(http.StatusOK, map[string]any{"id": got.Reference, "reference": got.Reference, "status": got.Status, "caseManager": got.CaseManager})
}

// doReallocate moves a case to the named case manager of its area, or to
// the best candidate other than its own, for the JSON API and the case
// page alike; both managers are told, and the area's waitlist, since the
// old manager has a place free: these messages are committed with the
// move (the outbox), then sent. It returns the referral as moved, or why
// not.
//
// Who is asking is checked first (404, 403), then what they sent (422):
// formErrs are the form's own errors (the page's radios unanswered),
// reported with the reallocation's.
func (h *handler) doReallocate(ctx context.Context, p auth.Principal, id string, ask referral.Reallocation, formErrs ...referral.FieldError) (referral.Record, *refusal) {
	ref, ok := referral.ParseReference(id)
	if !ok {
		return referral.Record{}, refuse(http.StatusNotFound, "There is no case "+id)
	}
	rec, err := h.store.Referral(ctx, ref)
	if errors.Is(err, referral.ErrNotFound) {
		return rec, refuse(http.StatusNotFound, "There is no case "+ref)
	}
	if err != nil {
		return rec, &refusal{Fault: err}
	}
	if why, status := mayAct(p, rec, referral.ActionReallocate); status != 0 {
		return rec, refuse(status, why)
	}
	ask.Normalise()
	ask.CaseManager = httpapi.ID(ask.CaseManager)
	if errs := append(referral.FieldErrors(formErrs), ask.Validate()...); len(errs) > 0 {
		return rec, &refusal{Errors: errs}
	}
	if _, err := referral.Next(referral.ActionReallocate, rec.Status); err != nil || rec.CaseManager == nil {
		return rec, refuse(http.StatusConflict, "Only an allocated or accepted case can be reallocated; this referral is "+string(rec.Status)+".")
	}
	var candidates []allocation.CaseManager
	if ask.CaseManager != "" {
		m, err := h.store.CaseManager(ctx, rec.Referral.Area, ask.CaseManager)
		if errors.Is(err, referral.ErrNotFound) {
			return rec, &refusal{Errors: referral.FieldErrors{{Field: "caseManager", Message: "There is no case manager " + ask.CaseManager + " in " + h.areaName(ctx, rec.Referral.Area) + ": check the id, or leave it out for the best candidate"}}}
		}
		if err != nil {
			return rec, &refusal{Fault: err}
		}
		if slices.Contains(rec.Declined, m.ID) {
			// A case declined is never given back to who declined it
			// (allocation.CandidatesFor), by allocation or by a lead.
			return rec, &refusal{Errors: referral.FieldErrors{{Field: "caseManager", Message: nameOf(m) + " declined this case. Choose someone else."}}}
		}
		if why := unfit(m, rec.CaseManager.ID); why != "" {
			return rec, refuse(http.StatusConflict, why)
		}
		candidates = []allocation.CaseManager{m}
	} else {
		managers, err := h.store.CaseManagers(ctx, rec.Referral.Area)
		if err != nil {
			return rec, &refusal{Fault: err}
		}
		for _, m := range allocation.CandidatesFor(managers, rec.Declined) {
			if m.ID != rec.CaseManager.ID {
				candidates = append(candidates, m)
			}
		}
	}
	from := rec.CaseManager.ID
	got, m, msgs, err := dynamo.ReallocateFirst(ctx, h.store, rec, candidates, actor(p), p.Name, ask.Reason, h.now)
	switch {
	case errors.Is(err, allocation.ErrNoCapacity) && len(candidates) == 1 && ask.CaseManager != "":
		return rec, refuse(http.StatusConflict, nameOf(candidates[0])+" has no free capacity now. Choose someone else, or the best candidate.")
	case errors.Is(err, allocation.ErrNoCapacity) && len(rec.Declined) > 0:
		return rec, refuse(http.StatusConflict, "No other case manager in "+h.areaName(ctx, rec.Referral.Area)+" who has not declined this case has free capacity. Raise a case manager's capacity or add a case manager, then try again.")
	case errors.Is(err, allocation.ErrNoCapacity):
		return rec, refuse(http.StatusConflict, "No other case manager in "+h.areaName(ctx, rec.Referral.Area)+" has free capacity. Raise a case manager's capacity or add a case manager, then try again.")
	case errors.Is(err, referral.ErrConflict):
		return rec, refuse(http.StatusConflict, conflictWords(err))
	case err != nil:
		return rec, &refusal{Fault: err}
	}
	if err := dynamo.Deliver(ctx, h.store, h.queues, msgs...); err != nil {
		h.log.WarnContext(ctx, "case reallocated, its messages kept in the outbox for the relay", "reference", ref, "area", rec.Referral.Area, "error", err.Error())
	}
	h.log.InfoContext(ctx, "case reallocated", "reference", ref, "from", from, "to", m.ID)
	return got, nil
}

// unfit says why m cannot take a case from case manager current, or "":
// naming them by name (nameOf), and saying what to do.
func unfit(m allocation.CaseManager, current string) string {
	switch {
	case m.ID == current:
		return "The case is already with " + nameOf(m) + ". Choose someone else, or the best candidate."
	case !m.Active:
		return nameOf(m) + " is not taking cases (not active). Choose someone else, or the best candidate."
	case m.Free() == 0:
		return nameOf(m) + " has no free capacity. Choose someone else, or the best candidate."
	}
	return ""
}

// nameOf is how words name case manager m: by name, else by role, never
// by id.
func nameOf(m allocation.CaseManager) string {
	if m.Name != "" {
		return m.Name
	}
	return "That case manager"
}

// mayAct says whether p may take action a on the referral: the case
// manager holding a case accepts, declines and closes it; the officer who made a
// referral withdraws it; the area's lead reallocates it. A colleague of
// the same area is told the case is someone else's (409); someone who may
// see it but not do this is refused (403); anyone else learns nothing of
// it (404).
func mayAct(p auth.Principal, rec referral.Record, a referral.Action) (string, int) {
	holderActs := a == referral.ActionAccept || a == referral.ActionClose || a == referral.ActionDecline
	switch {
	case a == referral.ActionWithdraw && p.Made(rec),
		holderActs && p.Holds(rec),
		a == referral.ActionReallocate && p.LeadsArea(rec.Referral.Area):
		return "", 0
	case holderActs && p.IsColleague(rec) && slices.Contains(rec.Declined, p.CaseManagerID):
		// Their own decline, sent again or from a page opened before it
		// (fresh tester of issue 14: "There is no such case").
		return "You declined this case, so it is no longer yours to " + string(a) + ". Your area lead has been told.", http.StatusConflict
	case holderActs && p.IsColleague(rec) && rec.CaseManager == nil:
		return "This case is not allocated to you: only the case manager it is allocated to can " + string(a) + " it.", http.StatusConflict
	case holderActs && p.IsColleague(rec):
		who := "another case manager"
		if rec.CaseManager.Name != "" {
			who = rec.CaseManager.Name
		}
		return "This case is allocated to " + who + ": only they can " + string(a) + " it. Ask them, or your area lead to reallocate it.", http.StatusConflict
	case p.MaySee(rec):
		return "Your role does not allow you to " + string(a) + " this " + noun(a) + ". " + whoMay(a), http.StatusForbidden
	}
	return "There is no case or referral " + rec.Reference, http.StatusNotFound
}

// mayActOn is mayAct, with the open referral read when rec is linked to
// one: its case manager and its area's leads, who may read rec
// (auth.Principal.MaySeeLinked), are refused with 403, as anyone who may
// see a referral but not do this to it is, rather than told it does not
// exist. It returns nil when p may act.
func (h *handler) mayActOn(ctx context.Context, p auth.Principal, rec referral.Record, a referral.Action) *refusal {
	why, status := mayAct(p, rec, a)
	if status == 0 {
		return nil
	}
	if status == http.StatusNotFound && rec.LinkedTo != "" {
		open, err := h.store.Referral(ctx, rec.LinkedTo)
		switch {
		case err != nil && !errors.Is(err, referral.ErrNotFound):
			return &refusal{Fault: fmt.Errorf("read the open referral %s: %w", rec.LinkedTo, err)}
		case err == nil && p.MaySeeLinked(rec, open):
			return refuse(http.StatusForbidden, "Your role does not allow this")
		}
	}
	return refuse(status, why)
}

func noun(a referral.Action) string {
	if a == referral.ActionWithdraw {
		return "referral"
	}
	return "case"
}

// whoMay says who may take action a, for a refusal's words.
func whoMay(a referral.Action) string {
	switch a {
	case referral.ActionWithdraw:
		return "Only the officer who made the referral can withdraw it."
	case referral.ActionReallocate:
		return "Only a lead of its area can reallocate it."
	}
	return "Only the case manager it is allocated to can " + string(a) + " it."
}

// conflictWords turns "accept DRV-…: conflicting state: a referral that is
// closed cannot be accepted" into its last, human part.
func conflictWords(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, referral.ErrConflict.Error()+": "); i >= 0 {
		msg = msg[i+len(referral.ErrConflict.Error())+2:]
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

func (h *handler) fault(ctx context.Context, err error) events.APIGatewayV2HTTPResponse {
	return httpapi.Unavailable(ctx, h.log, err)
}

// reply answers v as JSON.
func reply(status int, v any) events.APIGatewayV2HTTPResponse { return httpapi.JSON(status, v) }
