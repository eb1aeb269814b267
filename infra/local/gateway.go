package local

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/signin"
)

// invoker runs a function with a JSON payload: the Runtime API locally, and
// the shape of lambda.Handler.
type invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// route is one HttpApi event of the template.
type route struct {
	method, path string
	segments     []string
	fn           invoker
	// authorized routes need a valid JWT, as the HTTP API's JWT
	// authorizer demands.
	authorized bool
}

func newRoute(method, path string, fn invoker) route {
	return route{method: strings.ToUpper(method), path: path, segments: strings.Split(strings.Trim(path, "/"), "/"), fn: fn}
}

// match reports whether the request path fits the route and returns the
// path parameters.
func (rt route) match(method, path string) (map[string]string, bool) {
	if rt.method != method && rt.method != "ANY" {
		return nil, false
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	for i, seg := range rt.segments {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "+}") {
			params[strings.Trim(seg, "{+}")] = strings.Join(parts[i:], "/")
			return params, i < len(parts)
		}
		if i >= len(parts) {
			return nil, false
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if parts[i] == "" {
				return nil, false
			}
			params[strings.Trim(seg, "{}")] = parts[i]
		} else if seg != parts[i] {
			return nil, false
		}
	}
	return params, len(parts) == len(rt.segments)
}

// gateway is what API Gateway's HTTP API does for the functions' routes,
// plus the local outbox.
type gateway struct {
	meter   *meter // counts the requests that reach a function (nil: none)
	routes  []route
	motoURL string
	// jwt checks tokens as the template's JWT authorizer does: issuer,
	// audience, signature, expiry.
	jwt *signin.Verifier
	// idp is the development identity provider's issuer URL.
	idp string
	// receipts reads what Drive recorded of each email, for the outbox.
	receipts func(context.Context) ([]notification.Receipt, error)
	// pages is given every HTML page served (Config.Pages).
	pages func(method, path string, status int, body []byte)
	// listen is the address the gateway listens on (host:port).
	listen string
}

// ownHost reports whether host (a request's Host: name or address, and
// port) is an address of this gateway: its port, on a loopback name
// (localhost, 127.0.0.1, [::1]) or on the address it listens on. As API
// Gateway answers only for its own domains, the gateway answers only for
// these: the host a browser came in on becomes the event's domainName,
// from which the pages build their sign-in callback, so it must be one
// that is really this stack (not a name a DNS-rebinding site points here).
func (g *gateway) ownHost(host string) bool {
	lhost, lport, err := net.SplitHostPort(g.listen)
	if err != nil {
		return true // no address known (tests of the gateway alone)
	}
	h, port, err := net.SplitHostPort(host)
	if err != nil || port != lport {
		return false
	}
	if strings.EqualFold(h, "localhost") || h == lhost {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// served hands an HTML page to the Pages hook.
func (g *gateway) served(r *http.Request, header http.Header, status int, body []byte) {
	if g.pages != nil && strings.HasPrefix(header.Get("Content-Type"), "text/html") {
		g.pages(r.Method, r.URL.Path, status, body)
	}
}

// token answers GET /local/token?as=<email>: it signs in as that demo user
// at the development identity provider, through its login form as a
// browser would, and answers the ID token, for curl's Authorization
// header. Only the local stack has it.
func (g *gateway) token(w http.ResponseWriter, r *http.Request) {
	email := r.URL.Query().Get("as")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	tok, err := SignIn(r.Context(), g.idp, email, DemoPassword)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "no token for %q: %v (the demo users are in infra/seed/users.json)\n", email, err)
		return
	}
	_, _ = io.WriteString(w, tok)
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// maxPayload is API Gateway's limit on a request body.
const maxPayload = 10 << 20

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.ownHost(r.Host) {
		http.Error(w, fmt.Sprintf("This local stack answers at http://localhost:%[1]s and http://127.0.0.1:%[1]s, not at %[2]s.", port(g.listen), r.Host), http.StatusMisdirectedRequest)
		return
	}
	switch r.URL.Path {
	case "/local/outbox":
		g.outbox(w, r)
		return
	case "/local/token":
		g.token(w, r)
		return
	}
	// As API Gateway does: of the routes that match, the one with the most
	// literal segments wins (/referrals/new over /referrals/{reference}).
	best, bestParams, found := route{}, map[string]string(nil), false
	for _, rt := range g.routes {
		params, ok := rt.match(r.Method, r.URL.Path)
		if ok && (!found || len(params) < len(bestParams)) {
			best, bestParams, found = rt, params, true
		}
	}
	if found {
		g.invoke(w, r, best, bestParams)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, `{"message":"Not Found"}`)
}

func (g *gateway) invoke(w http.ResponseWriter, r *http.Request, rt route, params map[string]string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil || len(body) > maxPayload {
		http.Error(w, `{"message":"Request Entity Too Large"}`, http.StatusRequestEntityTooLarge)
		return
	}
	ev := toEvent(r, rt, params, body)
	if rt.authorized {
		claims, ok := g.authorize(r)
		if !ok {
			// What API Gateway answers, without calling the function.
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"Unauthorized"}`)
			return
		}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: nil},
		}
	}
	g.meter.requested() // API Gateway bills the requests it does not refuse unauthorized
	payload, _ := json.Marshal(ev)
	// API Gateway gives an integration 30 seconds, then answers 503.
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	out, err := rt.fn.Invoke(ctx, payload)
	if ctx.Err() != nil && r.Context().Err() == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"message":"Service Unavailable"}`)
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err == nil {
		err = json.Unmarshal(out, &resp)
	}
	if err != nil {
		// API Gateway answers a function error with a bare 500. Locally, a
		// header says which (Lambda's error type: Runtime.ExitError for a
		// process that died, Sandbox.Timedout), for tests that crash
		// functions on purpose.
		var fe *FunctionError
		if errors.As(err, &fe) {
			w.Header().Set("X-Local-Function-Error", fe.Type)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"message":"Internal Server Error"}`)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	respBody := []byte(resp.Body)
	if resp.IsBase64Encoded {
		respBody, _ = base64.StdEncoding.DecodeString(resp.Body)
	}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	g.served(r, w.Header(), resp.StatusCode, respBody)
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

// authorize verifies the request's Bearer token and returns its claims as
// API Gateway hands them to the function: every value a string, arrays
// as "[a b]".
func (g *gateway) authorize(r *http.Request) (map[string]string, bool) {
	scheme, raw, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || g.jwt == nil {
		return nil, false
	}
	_, tok, err := g.jwt.Verify(r.Context(), strings.TrimSpace(raw))
	if err != nil {
		return nil, false
	}
	var claims map[string]any
	if tok.Claims(&claims) != nil {
		return nil, false
	}
	out := map[string]string{}
	for k, v := range claims {
		out[k] = claimString(v)
	}
	return out, true
}

func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// toEvent builds the payload format 2.0 event API Gateway sends.
func toEvent(r *http.Request, rt route, params map[string]string, body []byte) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	var cookies []string
	for _, c := range r.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	now := time.Now()
	routeKey := rt.method + " " + rt.path
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, AccountID: account, Stage: "$default", APIID: "local", DomainName: r.Host,
			RequestID: fmt.Sprintf("local-%d", now.UnixNano()), Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: strings.Split(r.RemoteAddr, ":")[0], UserAgent: r.UserAgent(),
			},
		},
	}
	if len(query) > 0 {
		ev.QueryStringParameters = query
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// Email is one email the local SES received. moto keeps the HTML part of
// an email that has one; Body is its text, for reading and searching.
type Email struct {
	ID      string   `json:"id"`
	From    string   `json:"from"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Body    string   `json:"body"`
	HTML    string   `json:"html,omitempty"`
	// What Drive recorded of it (Annotate): the event, the referral, and
	// the email's state (sent, failed, bounced, ...).
	Kind      notification.Kind  `json:"kind,omitempty"`
	Reference string             `json:"reference,omitempty"`
	Status    notification.State `json:"status,omitempty"`
	Why       string             `json:"why,omitempty"`
	// At is when SES took the email (moto_server.py records it), or for
	// an email never sent, when Drive recorded that it failed.
	At time.Time `json:"at,omitzero"`
}

// Annotate adds to each email what Drive's receipts say of it, matched by
// SES's message id, and adds the emails SES has no message of: failed,
// skipped because the referral had moved on (with why), or whose send's
// outcome is unknown.
func Annotate(mails []Email, receipts []notification.Receipt) []Email {
	byMessage := map[string]notification.Receipt{}
	for _, r := range receipts {
		if r.MessageID != "" {
			byMessage[r.MessageID] = r
		}
	}
	for i, m := range mails {
		if r, ok := byMessage[m.ID]; ok {
			mails[i].Kind, mails[i].Reference, mails[i].Status, mails[i].Why = r.Kind, r.Reference, r.State, r.Why
		}
	}
	// Receipts of emails SES has no message of (as far as Drive knows):
	// failed, skipped as stale, or whose send's outcome is unknown.
	unsent := map[notification.State]string{notification.StateFailed: "(not sent) ", notification.StateSkipped: "(skipped: the referral moved on) ",
		notification.StateUnknown: "(outcome unknown) "}
	for _, r := range receipts {
		if label, ok := unsent[r.State]; ok && r.MessageID == "" {
			mails = append(mails, Email{ID: "receipt " + r.ID, Subject: label + string(r.Kind) + " email about " + r.Reference,
				Kind: r.Kind, Reference: r.Reference, Status: r.State, Why: r.Why, At: r.At})
		}
	}
	return mails
}

var (
	tags  = regexp.MustCompile(`(?s)<head>.*</head>|<[^>]+>`)
	links = regexp.MustCompile(`<a href="([^"]*)"[^>]*>([^<]*)</a>`)
)

// textOf returns the text of an HTML email: links written out, tags
// dropped, entities read, blank lines squeezed.
func textOf(h string) string {
	h = strings.ReplaceAll(links.ReplaceAllString(h, "$2: $1"), "</th>", ": ")
	var lines []string
	for _, l := range strings.Split(html.UnescapeString(tags.ReplaceAllString(h, "")), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// Outbox returns every email sent through the local SES, oldest first,
// read from moto's model data.
func Outbox(ctx context.Context, motoURL string) ([]Email, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, motoURL+"/moto-api/data.json", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer resp.Body.Close()
	var data struct {
		SES struct {
			Message []struct {
				ID           string              `json:"id"`
				Source       string              `json:"source"`
				Subject      string              `json:"subject"`
				Body         string              `json:"body"`
				Destinations map[string][]string `json:"destinations"`
				SentAt       time.Time           `json:"sent_at"`
			} `json:"Message"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	out := []Email{}
	for _, m := range data.SES.Message {
		e := Email{ID: m.ID, From: m.Source, To: m.Destinations["ToAddresses"], Subject: m.Subject, Body: m.Body, At: m.SentAt}
		if strings.HasPrefix(m.Body, "<!doctype html>") {
			e.Body, e.HTML = textOf(m.Body), m.Body
		}
		out = append(out, e)
	}
	return out, nil
}

// london is the time zone the outbox shows times in, as the pages do.
var london = func() *time.Location {
	if l, err := time.LoadLocation("Europe/London"); err == nil {
		return l
	}
	return time.UTC
}()

var outboxPage = template.Must(template.New("outbox").Funcs(template.FuncMap{
	"when":    func(t time.Time) string { return t.In(london).Format("2 January 2006 at 3:04:05pm") },
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local outbox</title>
<style>body{font-family:Arial,sans-serif;margin:2rem;max-width:60rem}article{border:1px solid #b1b4b6;padding:1rem;margin:1rem 0}pre{white-space:pre-wrap}</style></head>
<body><h1>Local outbox</h1><p>{{len .}} emails through the local SES, newest first, each with its time, event and status. As JSON: <code>curl -H 'Accept: application/json' …/local/outbox</code></p>
{{range .}}<article><h2>{{.Subject}}</h2><p>{{with .At}}<time datetime="{{rfc3339 .}}">{{when .}}</time><br>{{end}}<strong>{{if .Kind}}{{.Kind}}{{else}}email{{end}}</strong>{{if .Status}} · <strong>{{.Status}}</strong>{{end}}{{if .Why}} ({{.Why}}){{end}}<br>To: {{range .To}}{{.}} {{end}}<br>From: {{.From}}</p><pre>{{.Body}}</pre></article>{{end}}
</body></html>`))

func (g *gateway) outbox(w http.ResponseWriter, r *http.Request) {
	mails, err := Outbox(r.Context(), g.motoURL)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if g.receipts != nil {
		receipts, err := g.receipts(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		mails = Annotate(mails, receipts)
	}
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		newest := make([]Email, len(mails))
		for i, m := range mails {
			newest[len(mails)-1-i] = m
		}
		var page bytes.Buffer
		if err := outboxPage.Execute(&page, newest); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		g.served(r, w.Header(), http.StatusOK, page.Bytes())
		_, _ = w.Write(page.Bytes())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"emails": mails})
}
