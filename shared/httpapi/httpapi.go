// Package httpapi reads the requests and writes the JSON answers of the
// HTTP API's functions.
package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/lambdaenv"
	"github.com/driveprogramme/referrals/shared/strictjson"
)

// How long an HTTP function may work on a request (see Budget).
const (
	// Margin is the time kept, after every call of a request has given
	// up, to answer it: render the 503 page or JSON and return.
	Margin = 2 * time.Second
	// IntegrationTimeout is how long API Gateway (HTTP API) waits for a
	// Lambda integration before answering 503 itself; Lambda's own timeout
	// (template.yaml: 10 s) is shorter today, and Budget honours both.
	IntegrationTimeout = 30 * time.Second
)

// Budget returns the context every call of an HTTP request runs under,
// and its cancel function: it ends Margin before the earlier of the
// invocation's deadline (lambdaenv.Budget) and API Gateway's
// IntegrationTimeout. A dependency that hangs then fails its call with
// context.DeadlineExceeded in time for the function to answer 503 in its
// own words ("nothing was kept, try again"), rather than being killed, or
// abandoned by API Gateway, with a bare 500 or 503 that says nothing.
func Budget(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := lambdaenv.Budget(ctx, Margin)
	ctx, cancel := context.WithTimeout(ctx, IntegrationTimeout-Margin)
	return ctx, func() { cancel(); stop() }
}

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

// ErrTooLarge is returned (wrapped) by Body for a body over its limit.
var ErrTooLarge = errors.New("request body too large")

// Body returns the request's body, decoded from base64 when API Gateway
// encoded it. It returns an error wrapping ErrTooLarge when the body is
// longer than limit bytes, and another error when it is not the base64 it
// is flagged as.
func Body(req events.APIGatewayV2HTTPRequest, limit int) ([]byte, error) {
	if !req.IsBase64Encoded {
		if len(req.Body) > limit {
			return nil, fmt.Errorf("%w: %d bytes, over %d", ErrTooLarge, len(req.Body), limit)
		}
		return []byte(req.Body), nil
	}
	body, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, fmt.Errorf("read base64 body: %w", err)
	}
	if len(body) > limit {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrTooLarge, len(body), limit)
	}
	return body, nil
}

// Size says a number of bytes in words, like "8 KiB".
func Size(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// DecodeJSON reads the request's body, at most limit bytes, strictly into
// v (strictjson.Decode: exact keys, none unknown or given twice, one
// object and nothing after it), as every route with a JSON body does.
// noun names what the body is ("a closing reason") and example shows one
// the route takes. When the body is refused it returns the answer and
// false: 415 when the request does not say it is JSON (IsJSON); 413 over
// the limit; 400 when it is not one JSON object; 422 naming every field
// that is unknown, given twice or of the wrong type.
func DecodeJSON(req events.APIGatewayV2HTTPRequest, limit int, v any, noun, example string) (events.APIGatewayV2HTTPResponse, bool) {
	if !IsJSON(req) {
		return JSON(http.StatusUnsupportedMediaType, map[string]string{"message": "Send " + noun + " as JSON with Content-Type: application/json"}), false
	}
	body, err := Body(req, limit)
	if errors.Is(err, ErrTooLarge) {
		return JSON(http.StatusRequestEntityTooLarge, map[string]string{"message": "The body is too large: " + noun + " must be " + Size(limit) + " or smaller"}), false
	}
	if err != nil {
		return JSON(http.StatusBadRequest, map[string]string{"message": "The request body is not valid base64"}), false
	}
	err = strictjson.Decode(body, v, noun)
	var fields strictjson.FieldErrors
	switch {
	case errors.As(err, &fields):
		return JSON(http.StatusUnprocessableEntity, map[string]any{"errors": fields}), false
	case err != nil:
		return JSON(http.StatusBadRequest, map[string]string{"message": "Send " + noun + " as one JSON object, like " + example + ": " + strings.TrimPrefix(err.Error(), strictjson.ErrMalformed.Error()+": ")}), false
	}
	return events.APIGatewayV2HTTPResponse{}, true
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

// IsJSON reports whether the request says its body is JSON: a
// Content-Type of application/json, with any parameters (charset). API
// Gateway v2 gives header names in lower case. Every route with a JSON
// body asks it, as a browser's form post or a text/plain body from another
// site must not be read as JSON.
func IsJSON(req events.APIGatewayV2HTTPRequest) bool {
	mt, _, _ := mime.ParseMediaType(req.Headers["content-type"])
	return mt == "application/json"
}

// Verify checks a raw ID token as API Gateway's JWT authorizer would
// (signin.Verifier in Lambda), returning auth.ErrUnauthenticated for one
// that does not verify.
type Verify func(ctx context.Context, raw string) (auth.Identity, error)

// AsBearer answers fn for the caller a route's own bearer token names,
// for a route that serves the browser too and so has no JWT authorizer
// (GET /cases/{id}, GET /areas/{area}): the token is verified here as the
// authorizer would. Without a valid token, 401; when the token or Drive's
// records cannot be read, 503.
func AsBearer(ctx context.Context, req events.APIGatewayV2HTTPRequest, verify Verify, dir auth.Directory, log *slog.Logger,
	fn func(auth.Principal) events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	scheme, token, _ := strings.Cut(req.Headers["authorization"], " ")
	if !strings.EqualFold(scheme, "Bearer") || verify == nil {
		return Unauthorized()
	}
	id, err := verify(ctx, strings.TrimSpace(token))
	if errors.Is(err, auth.ErrUnauthenticated) {
		return Unauthorized()
	}
	if err != nil {
		return Unavailable(ctx, log, err)
	}
	p, err := auth.Resolve(ctx, id, dir)
	if err != nil {
		return Unavailable(ctx, log, err)
	}
	return fn(p)
}
