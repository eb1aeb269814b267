package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
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
	"github.com/driveprogramme/referrals/shared/report"
	"github.com/driveprogramme/referrals/shared/web"
)

type store interface {
	Area(ctx context.Context, id string) (eligibility.Area, error)
	Areas(ctx context.Context) ([]eligibility.Area, error)
	ChangeArea(ctx context.Context, a eligibility.Area, by, byName string, at time.Time) (eligibility.Area, []allocation.Change, error)
	CaseManager(ctx context.Context, area, id string) (allocation.CaseManager, error)
	CaseManagers(ctx context.Context, area string) ([]allocation.CaseManager, error)
	ChangeCaseManager(ctx context.Context, m allocation.CaseManager, by, byName string, at time.Time) ([]allocation.Change, dynamo.Message, error)
	ReportRows(ctx context.Context, area string, from, to time.Time) ([]report.Referral, error)
	AreaReferrals(ctx context.Context, area string, from, to time.Time) ([]referral.Record, error)
	RecordView(ctx context.Context, ref string, v referral.View) error
	DeleteOutbox(ctx context.Context, m dynamo.Message) error
	auth.Directory

	// The area page's reads.
	Referral(ctx context.Context, ref string) (referral.Record, error)
	History(ctx context.Context, ref string) ([]referral.Transition, error)
	Queue(ctx context.Context, area string) ([]allocation.Arrival, error)
	CasesOf(ctx context.Context, caseManagerID string) ([]dynamo.Case, error)
	ChaseStage(ctx context.Context, ref string) (notification.Kind, error)
	ChangeLog(ctx context.Context, area string, limit int) ([]allocation.Change, error)
	// A leaver's cases moved.
	dynamo.Reallocator
	RecordChange(ctx context.Context, area string, c allocation.Change) error
}

var _ store = (*dynamo.Store)(nil)

type handler struct {
	store store
	// queues takes the allocation queue's messages
	// (dynamo.QueueAllocation): a release of an area's waitlist,
	// committed with the change to a case manager that may free places.
	queues     dynamo.Sender
	rolesClaim string
	// signIn checks the area page's session cookie (signin.Web in Lambda).
	signIn web.SignIn
	// verify checks a bearer token on GET /areas/{area}, the route the
	// API shares with the area page (signin.Verifier in Lambda).
	verify func(ctx context.Context, raw string) (auth.Identity, error)
	log    *slog.Logger
	now    func() time.Time
}

// areaBody is the contract's flat form of an area.
type areaBody struct {
	ID                    string `json:"id,omitempty"`
	Name                  string `json:"name"`
	MinimumAge            int    `json:"minimumAge"`
	DashThreshold         int    `json:"dashThreshold"`
	IncidentsThreshold    int    `json:"incidentsThreshold"`
	KnownVictimsThreshold int    `json:"knownVictimsThreshold"`
	MARACQualifies        bool   `json:"maracQualifies"`
	// Leads are the area leads' email addresses; left out, they are kept.
	Leads []string `json:"leads,omitempty"`
	// Told of each allocation in the area, with the case manager's contact.
	IDVAService      string `json:"idvaService,omitempty"`
	MARACCoordinator string `json:"maracCoordinator,omitempty"`
	// IDVADomains are the email domains whose IDVAs are told at the
	// address a referral gives (else the IDVA service is told); left out,
	// they are kept; empty, the IDVA service's domain.
	IDVADomains []string `json:"idvaDomains,omitempty"`
	Version     int      `json:"version,omitempty"`
}

func flat(a eligibility.Area) areaBody {
	return areaBody{ID: a.ID, Name: a.Name, MinimumAge: a.Rules.MinimumAge, DashThreshold: a.Rules.DashThreshold,
		IncidentsThreshold: a.Rules.IncidentsThreshold, KnownVictimsThreshold: a.Rules.KnownVictimsThreshold,
		MARACQualifies: a.Rules.MARACQualifies, Leads: a.Leads, IDVAService: a.IDVAService, MARACCoordinator: a.MARACCoordinator, IDVADomains: a.IDVADomains, Version: a.Version}
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

// Handle answers an API Gateway HTTP API (v2) request.
func (h *handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	// A dependency that hangs is answered 503 before Lambda's timeout or
	// API Gateway's (httpapi.Budget).
	ctx, cancel := httpapi.Budget(ctx)
	defer cancel()
	switch req.RouteKey {
	case "GET /areas":
		return h.areasRoute(ctx, req), nil
	case "POST /areas":
		return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse { return h.createArea(ctx, req, p) }), nil
	case "GET /areas/{area}/settings":
		return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse { return h.settingsPage(ctx, req, p) }), nil
	case "POST /areas/{area}/settings":
		return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse { return h.settingsForm(ctx, req, p) }), nil
	case "GET /areas/{area}":
		return h.areaRoute(ctx, req), nil
	case "POST /areas/{area}":
		return h.sessions().Page(ctx, req, func(p auth.Principal) events.APIGatewayV2HTTPResponse { return h.areaForm(ctx, req, p) }), nil
	}
	if pageRoutes[req.RouteKey] {
		return h.page(ctx, req), nil
	}
	return httpapi.AsCaller(ctx, req, h.rolesClaim, h.store, h.log, func(p auth.Principal) events.APIGatewayV2HTTPResponse {
		return h.route(ctx, p, req)
	}), nil
}

// route answers the request for caller p, if p's role allows it.
func (h *handler) route(ctx context.Context, p auth.Principal, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	// Ids are tidied before the access check compares them ("Essex" is
	// essex), and a report's missing area is the caller's mistake, not a
	// refusal.
	area, id, reportArea := httpapi.ID(req.PathParameters["area"]), httpapi.ID(req.PathParameters["id"]), httpapi.ID(req.QueryStringParameters["area"])
	if req.RouteKey == "GET /reports/summary" && !idPattern.MatchString(reportArea) {
		return reply(http.StatusBadRequest, map[string]string{"message": "Say which area: /reports/summary?area=essex"})
	}
	if !allowed(p, req.RouteKey, area, reportArea) {
		return httpapi.Forbidden()
	}
	switch req.RouteKey {
	case "GET /areas":
		areas, err := h.store.Areas(ctx)
		if err != nil {
			return h.fault(ctx, err)
		}
		out := []areaBody{}
		for _, a := range areas {
			if p.MayReadArea(a.ID) {
				out = append(out, flat(a))
			}
		}
		return reply(http.StatusOK, map[string]any{"areas": out})
	case "GET /areas/{area}":
		a, err := h.store.Area(ctx, area)
		if err != nil {
			return h.lookup(ctx, err, "There is no area "+area)
		}
		return reply(http.StatusOK, flat(a))
	case "PUT /areas/{area}":
		return h.putArea(ctx, p, area, req)
	case "GET /areas/{area}/case-managers":
		ms, err := h.store.CaseManagers(ctx, area)
		if err != nil {
			return h.fault(ctx, err)
		}
		if ms == nil {
			ms = []allocation.CaseManager{}
		}
		return reply(http.StatusOK, map[string]any{"caseManagers": ms})
	case "GET /areas/{area}/case-managers/{id}":
		m, err := h.store.CaseManager(ctx, area, id)
		if err != nil {
			return h.lookup(ctx, err, "There is no case manager "+id+" in "+area)
		}
		return reply(http.StatusOK, m)
	case "PUT /areas/{area}/case-managers/{id}":
		return h.putCaseManager(ctx, p, area, id, req)
	case "GET /reports/summary":
		return h.summary(ctx, reportArea)
	}
	return reply(http.StatusNotFound, map[string]string{"message": "There is no such page"})
}

// allowed says whether p's role allows the route for the area: admins
// manage areas and any case manager; an area's leads read it, manage its
// case managers and read its report. Areas are not secret, so a refusal
// is 403, not 404.
func allowed(p auth.Principal, route, area, reportArea string) bool {
	switch route {
	case "GET /areas":
		return p.Has(auth.Admin) || p.Has(auth.AreaLead)
	case "GET /areas/{area}":
		return p.MayReadArea(area)
	case "PUT /areas/{area}":
		return p.MayManageAreas()
	case "GET /areas/{area}/case-managers", "GET /areas/{area}/case-managers/{id}", "PUT /areas/{area}/case-managers/{id}":
		return p.MayManageCaseManagers(area)
	case "GET /reports/summary":
		return p.MayReadReport(reportArea)
	}
	return true // unknown routes answer 404
}

// summary answers GET /reports/summary?area=... for an area id: every
// referral the area has received, read through the area's index
// (dynamo.Store.ReportRows), with the waitlist and caseloads as they are
// now.
func (h *handler) summary(ctx context.Context, area string) events.APIGatewayV2HTTPResponse {
	if _, err := h.store.Area(ctx, area); err != nil {
		return h.lookup(ctx, err, "There is no area "+area)
	}
	rows, err := h.store.ReportRows(ctx, area, time.Time{}, time.Time{})
	if err != nil {
		return h.fault(ctx, err)
	}
	managers, err := h.store.CaseManagers(ctx, area)
	if err != nil {
		return h.fault(ctx, err)
	}
	queue, err := h.store.Queue(ctx, area)
	if err != nil {
		return h.fault(ctx, err)
	}
	now := h.now().UTC()
	s := report.Summarise(area, rows, managers, now)
	s.Waitlist = report.WaitlistOf(queue, now)
	return reply(http.StatusOK, s)
}

// maxBody is the largest body an admin route takes: an area with ten
// leads' addresses is under 4 KiB.
const maxBody = 8 << 10

func (h *handler) putArea(ctx context.Context, p auth.Principal, id string, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if !idPattern.MatchString(id) {
		return reply(http.StatusUnprocessableEntity, map[string]any{"errors": referral.FieldErrors{{Field: "area", Message: "An area's id is lowercase letters, digits and hyphens, like west-sussex"}}})
	}
	var b areaBody
	if res, ok := httpapi.DecodeJSON(req, maxBody, &b, "an area", `{"name": "Kent", "minimumAge": 18, "dashThreshold": 14, "incidentsThreshold": 3, "knownVictimsThreshold": 2, "maracQualifies": true}`); !ok {
		return res
	}
	if b.ID != "" && b.ID != id {
		// Read-only: a client may send back what it read, but not rename.
		return reply(http.StatusUnprocessableEntity, map[string]any{"errors": referral.FieldErrors{{Field: "id", Message: "The id is the area's, " + id + ", from the path: leave it out or give the same"}}})
	}
	stored, no := h.saveArea(ctx, p, areaOf(id, b))
	if no != nil {
		if no.Fault != nil {
			return h.fault(ctx, no.Fault)
		}
		if len(no.Errors) > 0 {
			return reply(http.StatusUnprocessableEntity, map[string]any{"errors": no.Errors})
		}
		return reply(no.Status, map[string]string{"message": no.Message})
	}
	return reply(http.StatusOK, flat(stored))
}

// areaOf is the area the contract's body b describes for id, tidied:
// its name cleaned, addresses and domains trimmed, lower case and each
// once. Leads and domains left out (nil) stay nil, for the store to keep.
func areaOf(id string, b areaBody) eligibility.Area {
	a := eligibility.Area{ID: id, Name: referral.CleanText(b.Name), Rules: eligibility.Rules{MinimumAge: b.MinimumAge, DashThreshold: b.DashThreshold,
		IncidentsThreshold: b.IncidentsThreshold, KnownVictimsThreshold: b.KnownVictimsThreshold, MARACQualifies: b.MARACQualifies},
		IDVAService: strings.ToLower(strings.TrimSpace(b.IDVAService)), MARACCoordinator: strings.ToLower(strings.TrimSpace(b.MARACCoordinator))}
	tidy := func(in []string) []string {
		if in == nil {
			return nil
		}
		out := []string{}
		for _, s := range in {
			if s = strings.ToLower(strings.TrimSpace(s)); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	a.IDVADomains, a.Leads = tidy(b.IDVADomains), tidy(b.Leads)
	return a
}

// saveArea creates or changes area a for p, for the API and the admin's
// pages alike: validated in the domain (eligibility.Area.Validate), then
// one transaction that raises the rules' version and records each change
// (who, when, from, to; dynamo.Store.ChangeArea). It returns the area as
// stored, or why not.
func (h *handler) saveArea(ctx context.Context, p auth.Principal, a eligibility.Area) (eligibility.Area, *refusal) {
	if errs := a.Validate(); len(errs) > 0 {
		return a, &refusal{Errors: errs}
	}
	stored, changes, err := h.store.ChangeArea(ctx, a, actor(p), p.Name, h.now().UTC())
	if errors.Is(err, referral.ErrConflict) {
		return a, &refusal{Status: http.StatusConflict, Message: "The area changed while this change was made: read it again and retry"}
	}
	if err != nil {
		return a, &refusal{Fault: err}
	}
	h.log.InfoContext(ctx, "area saved", "area", a.ID, "version", stored.Version, "changes", len(changes), "by", p.Subject)
	return stored, nil
}

func (h *handler) putCaseManager(ctx context.Context, p auth.Principal, area, id string, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if _, err := h.store.Area(ctx, area); err != nil {
		return h.lookup(ctx, err, "There is no area "+area+": create it first with PUT /areas/"+area)
	}
	if !idPattern.MatchString(id) {
		return reply(http.StatusUnprocessableEntity, map[string]any{"errors": referral.FieldErrors{{Field: "id", Message: "A case manager's id is lowercase letters, digits and hyphens, like essex-alex-morgan"}}})
	}
	var m allocation.CaseManager
	if res, ok := httpapi.DecodeJSON(req, maxBody, &struct {
		Name     *string `json:"name"`
		Email    *string `json:"email"`
		Capacity *int    `json:"capacity"`
		Active   *bool   `json:"active"`
	}{&m.Name, &m.Email, &m.Capacity, &m.Active}, "a case manager", `{"name": "Robin Hale", "email": "robin.hale@drive.example", "capacity": 5, "active": true}`); !ok {
		return res
	}
	m.ID, m.Area, m.Name, m.Email = id, area, referral.CleanText(m.Name), strings.TrimSpace(m.Email)
	if errs := m.Validate(); len(errs) > 0 {
		return reply(http.StatusUnprocessableEntity, map[string]any{"errors": errs})
	}
	if !m.Active {
		// Leave's date back (set on the area page) is kept while they
		// stay inactive: the API has no field for it.
		old, err := h.store.CaseManager(ctx, area, id)
		if err != nil && !errors.Is(err, referral.ErrNotFound) {
			return h.fault(ctx, err)
		}
		m.ReturnsOn = old.ReturnsOn
	}
	if no := h.saveCaseManager(ctx, p, m); no != nil {
		if no.Fault != nil {
			return h.fault(ctx, no.Fault)
		}
		if len(no.Errors) > 0 {
			return reply(http.StatusUnprocessableEntity, map[string]any{"errors": no.Errors})
		}
		return reply(no.Status, map[string]string{"message": no.Message})
	}
	stored, err := h.store.CaseManager(ctx, area, id)
	if err != nil {
		return h.fault(ctx, err)
	}
	return reply(http.StatusOK, stored)
}

// refusal is why a change was not made: a status and message for the
// caller, errors on its fields, or a fault of ours (Fault).
type refusal struct {
	Status  int
	Message string
	Errors  referral.FieldErrors
	Fault   error
}

// saveCaseManager creates or changes case manager m for p, for the API
// and the area page alike: one transaction with a record of each change
// (who, when, from, to) and, since a new, larger or returning caseload
// may free places, the release of the area's waitlist
// (dynamo.Store.ChangeCaseManager), which is then sent; a send that fails
// is the relay's. It returns why not, or nil.
func (h *handler) saveCaseManager(ctx context.Context, p auth.Principal, m allocation.CaseManager) *refusal {
	changes, release, err := h.store.ChangeCaseManager(ctx, m, actor(p), p.Name, h.now().UTC())
	var below *allocation.BelowCaseloadError
	switch {
	case errors.As(err, &below):
		// The caller's to correct: the store refuses it in the write
		// itself, counting an allocation that landed meanwhile too.
		return &refusal{Errors: referral.FieldErrors{below.FieldError(m.Name)}}
	case errors.Is(err, dynamo.ErrIDTaken):
		return &refusal{Status: http.StatusConflict, Message: "The id " + m.ID + " belongs to a case manager of another area: ids are unique across areas"}
	case errors.Is(err, dynamo.ErrEmailTaken):
		return &refusal{Status: http.StatusConflict, Message: "Another case manager has the email address " + m.Email + ": it is how a case manager is known when they sign in, so it must be theirs alone"}
	case errors.Is(err, referral.ErrConflict):
		return &refusal{Status: http.StatusConflict, Message: "The case manager changed while this change was made: read them again and retry"}
	case err != nil:
		return &refusal{Fault: err}
	}
	if err := dynamo.Deliver(ctx, h.store, h.queues, release); err != nil {
		h.log.WarnContext(ctx, "case manager saved, the waitlist's release kept in the outbox for the relay", "area", m.Area, "error", err.Error())
	}
	h.log.InfoContext(ctx, "case manager saved", "area", m.Area, "caseManagerId", m.ID, "capacity", m.Capacity, "active", m.Active, "changes", len(changes), "by", p.Subject)
	return nil
}

// actor is how a change record names who made it: their account.
func actor(p auth.Principal) string {
	if p.Email != "" {
		return p.Email
	}
	return p.Subject
}

func (h *handler) lookup(ctx context.Context, err error, notFound string) events.APIGatewayV2HTTPResponse {
	if errors.Is(err, referral.ErrNotFound) {
		return reply(http.StatusNotFound, map[string]string{"message": notFound})
	}
	return h.fault(ctx, err)
}

func (h *handler) fault(ctx context.Context, err error) events.APIGatewayV2HTTPResponse {
	return httpapi.Unavailable(ctx, h.log, err)
}

// reply answers v as JSON.
func reply(status int, v any) events.APIGatewayV2HTTPResponse { return httpapi.JSON(status, v) }
