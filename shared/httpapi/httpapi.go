// Package httpapi writes the JSON answers of the HTTP API's functions.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
)

// JSON answers v as JSON with the given status, never cached or sniffed.
// A value that cannot be encoded (a programming error) becomes a 500.
func JSON(status int, v any) events.APIGatewayV2HTTPResponse {
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

// Caller returns who is calling, from the claims API Gateway's JWT
// authorizer verified (never from the body), with what Drive's records
// say their role covers. It returns auth.ErrUnauthenticated when the
// request carries no verified claims.
func Caller(ctx context.Context, req events.APIGatewayV2HTTPRequest, rolesClaim string, dir auth.Directory) (auth.Principal, error) {
	var claims map[string]string
	if a := req.RequestContext.Authorizer; a != nil && a.JWT != nil {
		claims = a.JWT.Claims
	}
	id, ok := auth.FromAuthorizer(claims, rolesClaim)
	if !ok {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return auth.Resolve(ctx, id, dir)
}

// Decode reads a JSON body strictly into v: an unknown field is an error,
// so that a misspelt one is reported rather than ignored.
func Decode(body string, v any) error {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// AsCaller answers the request with fn for the verified caller: 401
// without one (behind the JWT authorizer it does not happen), 503 when
// Drive's records of them cannot be read.
func AsCaller(ctx context.Context, req events.APIGatewayV2HTTPRequest, rolesClaim string, dir auth.Directory, log *slog.Logger,
	fn func(auth.Principal) events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	p, err := Caller(ctx, req, rolesClaim, dir)
	if errors.Is(err, auth.ErrUnauthenticated) {
		return Unauthorized()
	}
	if err != nil {
		return Unavailable(ctx, log, err)
	}
	return fn(p)
}

// Unauthorized answers a request without a verified identity; behind the
// JWT authorizer it does not happen.
func Unauthorized() events.APIGatewayV2HTTPResponse {
	return JSON(http.StatusUnauthorized, map[string]string{"message": "Sign in first: send an ID token as Authorization: Bearer <token>"})
}

// Forbidden answers a signed-in person whose role does not allow the
// request.
func Forbidden() events.APIGatewayV2HTTPResponse {
	return JSON(http.StatusForbidden, map[string]string{"message": "Your role does not allow this"})
}

// Unavailable logs a fault of ours and answers 503: the request may be
// tried again.
func Unavailable(ctx context.Context, log *slog.Logger, err error) events.APIGatewayV2HTTPResponse {
	log.ErrorContext(ctx, "request failed", "error", err.Error())
	return JSON(http.StatusServiceUnavailable, map[string]string{"message": "This could not be done just now: please try again in a minute."})
}
