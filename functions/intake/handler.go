package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/referral"
)

// maxBody is the largest referral accepted: a complete referral is a few KiB.
const maxBody = 64 << 10

type store interface {
	CreateReferral(ctx context.Context, rec referral.Record) error
	DeleteReferral(ctx context.Context, rec referral.Record) error
	Referral(ctx context.Context, ref string) (referral.Record, error)
	History(ctx context.Context, ref string) ([]referral.Transition, error)
}

var _ store = (*dynamo.Store)(nil)

type sender interface {
	Send(ctx context.Context, v any) error
}

type handler struct {
	store  store
	queue  sender
	log    *slog.Logger
	now    func() time.Time
	newRef func() (string, error)
}

// Handle answers an API Gateway HTTP API (v2) request. It never returns an
// error: every outcome, including our own faults, is an HTTP answer.
func (h *handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	switch req.RouteKey {
	case "POST /referrals":
		return h.submit(ctx, req), nil
	case "GET /referrals/{reference}":
		return h.status(ctx, req.PathParameters["reference"]), nil
	default:
		return reply(http.StatusNotFound, message("There is no such page")), nil
	}
}

type errorBody struct {
	Message string               `json:"message,omitempty"`
	Errors  referral.FieldErrors `json:"errors,omitempty"`
}

func message(m string) errorBody { return errorBody{Message: m} }

func (h *handler) submit(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return reply(http.StatusBadRequest, message("The request body is not valid base64"))
		}
	}
	if len(body) > maxBody {
		return reply(http.StatusRequestEntityTooLarge, message("A referral must be smaller than 64 KiB"))
	}
	if mt, _, err := mime.ParseMediaType(header(req, "content-type")); err != nil || mt != "application/json" {
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
	r.Normalise()
	now := h.now().UTC()
	if errs := r.Validate(now); len(errs) > 0 {
		return reply(http.StatusUnprocessableEntity, errorBody{Errors: errs})
	}
	rec, err := h.create(ctx, r, now)
	if err != nil {
		h.log.ErrorContext(ctx, "referral not stored", "error", err.Error())
		return reply(http.StatusServiceUnavailable, message("Your referral could not be saved. Nothing has been recorded: please try again in a minute."))
	}
	if err := h.queue.Send(ctx, referral.Message{Reference: rec.Reference}); err != nil {
		h.log.ErrorContext(ctx, "referral not queued; removing it", "reference", rec.Reference, "error", err.Error())
		if derr := h.store.DeleteReferral(ctx, rec); derr != nil {
			h.log.ErrorContext(ctx, "referral stored but neither queued nor removed", "reference", rec.Reference, "error", derr.Error())
		}
		return reply(http.StatusServiceUnavailable, message("Your referral could not be sent on. Nothing has been recorded: please try again in a minute."))
	}
	h.log.InfoContext(ctx, "referral received", "reference", rec.Reference, "area", r.Area, "route", string(r.Route))
	return reply(http.StatusAccepted, map[string]any{"reference": rec.Reference, "status": rec.Status})
}

// create stores the referral under a fresh reference, drawing again in the
// unlikely event that the reference is taken.
func (h *handler) create(ctx context.Context, r referral.Referral, now time.Time) (referral.Record, error) {
	for range 3 {
		ref, err := h.newRef()
		if err != nil {
			return referral.Record{}, err
		}
		rec := referral.Record{Reference: ref, Status: referral.StatusReceived, ReceivedAt: now, UpdatedAt: now, Referral: r}
		err = h.store.CreateReferral(ctx, rec)
		if !errors.Is(err, dynamo.ErrReferenceTaken) {
			return rec, err
		}
	}
	return referral.Record{}, errors.New("no free reference after 3 draws")
}

// statusView is what anyone holding the reference sees: the referral's
// progress, never its personal details.
type statusView struct {
	Reference   string                `json:"reference"`
	Status      referral.Status       `json:"status"`
	Area        string                `json:"area"`
	ReceivedAt  time.Time             `json:"receivedAt"`
	UpdatedAt   time.Time             `json:"updatedAt"`
	Decision    *referral.Decision    `json:"decision,omitempty"`
	CaseManager *caseManagerView      `json:"caseManager,omitempty"`
	History     []referral.Transition `json:"history"`
}

type caseManagerView struct {
	Name string `json:"name"`
}

func (h *handler) status(ctx context.Context, raw string) events.APIGatewayV2HTTPResponse {
	notFound := reply(http.StatusNotFound, message("There is no referral with the reference "+raw+". Check the reference and try again."))
	ref, ok := referral.ParseReference(raw)
	if !ok {
		return notFound
	}
	rec, err := h.store.Referral(ctx, ref)
	if errors.Is(err, referral.ErrNotFound) {
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
	v := statusView{Reference: rec.Reference, Status: rec.Status, Area: rec.Referral.Area, ReceivedAt: rec.ReceivedAt,
		UpdatedAt: rec.UpdatedAt, Decision: rec.Decision, History: hist}
	if rec.CaseManager != nil {
		v.CaseManager = &caseManagerView{Name: rec.CaseManager.Name}
	}
	return reply(http.StatusOK, v)
}

func header(req events.APIGatewayV2HTTPRequest, name string) string {
	// API Gateway v2 lower-cases header names.
	return req.Headers[name]
}

func reply(status int, v any) events.APIGatewayV2HTTPResponse {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"message":"internal error"}`)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":           "application/json; charset=utf-8",
			"Cache-Control":          "no-store",
			"X-Content-Type-Options": "nosniff",
		},
		Body: string(body),
	}
}
