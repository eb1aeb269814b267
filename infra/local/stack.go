package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/signin"
)

// Config says how to run the stack. Zero values mean the defaults.
type Config struct {
	Root              string            // the repository: template.yaml and functions/ (default: found from the working directory)
	Addr              string            // where the HTTP API listens (default 127.0.0.1:3000; "127.0.0.1:0" for any free port)
	Seed              []SeedArea        // areas and case managers to create
	Params            map[string]string // template parameter overrides
	VisibilityTimeout int               // seconds; replaces the template's, to see redelivery sooner in tests
	Concurrency       int               // bootstrap processes per function (default 2)
	Pollers           int               // pollers per queue (default 2)
	Logs              io.Writer         // functions' and moto's output (default os.Stderr)
	DeliverTwice      bool              // hand every SQS batch to its function twice (load tests)
	Users             []User            // demo users of the identity provider, besides infra/seed/users.json
	// ScheduleEvery runs scheduled functions (Schedule and ScheduleV2
	// events) this often instead of at the template's rate, for a
	// shortened clock; zero keeps the template's rate.
	ScheduleEvery time.Duration
	// ScheduleOnly limits ScheduleEvery to these functions (logical ids):
	// the others keep the template's rate. Nil: every scheduled function.
	ScheduleOnly []string
	// Env sets environment variables of functions (logical id → name →
	// value) over the template's, for fault tests: a queue URL that does
	// not exist makes every send of that function fail.
	Env map[string]map[string]string
	// Binaries are the functions already built (Build), for stacks of one
	// test run to share; nil: Start builds them.
	Binaries *Binaries
	// Pages, when set, is given every HTML page the stack serves (the
	// functions' and the local outbox), whoever asked for it: a test's
	// HTTP client or a browser. The tests check each one (htmlcheck).
	Pages func(method, path string, status int, body []byte)
	// Faults are the faults injected into the functions' AWS calls, as
	// AWS makes them (none by default).
	Faults Faults
	// Meter counts what the functions ask of AWS and of Lambda
	// (Stack.Usage), at the cost of a read of each item written.
	Meter bool
}

// Stack is a running local pipeline.
type Stack struct {
	URL       string            // the HTTP API
	MotoURL   string            // the local AWS API server (moto) itself
	Endpoint  string            // where clients send AWS requests: moto behind the gate (see gate.go)
	Table     string            // the table's name
	Queues    map[string]string // logical id → queue URL
	AWS       aws.Config        // a configuration for clients of the local AWS API
	Store     *dynamo.Store     // the store, as the functions see it
	Functions map[string]invoker
	IdP       string // the development OpenID provider's issuer URL
	// QueueFunctions are the functions an SQS queue invokes, sorted.
	QueueFunctions []string

	moto    *moto
	idp     *idp
	gate    *gate
	apis    []*runtimeAPI
	procs   []*processes
	server  *http.Server
	kills   *counter
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	tempDir string
}

// FindRoot returns the nearest directory, from dir upwards, that holds
// template.yaml and go.mod.
func FindRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if fileExists(filepath.Join(d, "template.yaml")) && fileExists(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no template.yaml and go.mod above %s", dir)
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Start brings the stack up. On error, whatever had started is stopped.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	if cfg.Logs == nil {
		cfg.Logs = os.Stderr
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:3000"
	}
	cfg.Concurrency = max(cfg.Concurrency, 2)
	cfg.Pollers = max(cfg.Pollers, 2)
	if cfg.Root == "" {
		wd, _ := os.Getwd()
		if cfg.Root, err = FindRoot(wd); err != nil {
			return nil, err
		}
	}
	t, err := LoadTemplate(filepath.Join(cfg.Root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	// Listen first: a busy port is the likeliest mistake, and cheapest to report.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another `make run` still running? set ADDR to use another port)", cfg.Addr, err)
	}
	s := &Stack{URL: "http://" + displayAddr(ln.Addr().String()), Queues: map[string]string{}, Functions: map[string]invoker{}, kills: &counter{}}
	defer func() {
		if err != nil {
			ln.Close()
			s.Close()
		}
	}()
	if s.tempDir, err = os.MkdirTemp("", "drive-local-"); err != nil {
		return nil, err
	}
	var bins map[string]string
	if cfg.Binaries != nil {
		bins = cfg.Binaries.bins
	} else if bins, err = buildFunctions(ctx, cfg.Root, s.tempDir, t.Functions()); err != nil {
		return nil, err
	}
	for _, id := range t.Functions() {
		if bins[id] == "" {
			return nil, fmt.Errorf("function %s: not among the binaries built", id)
		}
	}
	if s.moto, err = startMoto(ctx, io.Discard); err != nil {
		return nil, err
	}
	s.MotoURL = s.moto.URL
	if s.gate, err = startGate(s.MotoURL, cfg.Faults, cfg.Meter, cfg.Logs); err != nil {
		return nil, err
	}
	if s.gate.meter != nil {
		cfg.Logs = io.MultiWriter(cfg.Logs, s.gate.meter)
	}
	s.Endpoint = s.gate.URL
	s.AWS = aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(s.Endpoint),
	}

	users, err := ReadUsers(filepath.Join(cfg.Root, "infra", "seed", "users.json"))
	if err != nil {
		return nil, err
	}
	rolesClaim := "roles"
	if v, ok := cfg.Params["RolesClaim"]; ok {
		rolesClaim = v
	}
	if s.idp, err = startIdP(append(users, cfg.Users...), rolesClaim); err != nil {
		return nil, err
	}
	s.IdP = s.idp.URL

	params := map[string]string{"PublicBaseUrl": s.URL, "OidcIssuer": s.IdP, "OidcClientId": ClientID}
	for k, v := range cfg.Params {
		params[k] = v
	}
	p := &provisioned{tables: map[string]string{}, queues: s.Queues}
	for _, id := range t.byType("AWS::DynamoDB::Table") {
		p.tables[id] = "drive-" + id
	}
	r := &resolver{t: t, params: params, ref: p.ref, attr: p.attr, pseudo: map[string]string{
		"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "drive-local",
	}}
	if err = provision(ctx, s.AWS, r, p, cfg.VisibilityTimeout); err != nil {
		return nil, err
	}
	if len(p.tables) != 1 {
		return nil, fmt.Errorf("template has %d tables; the local stack expects one", len(p.tables))
	}
	for _, name := range p.tables {
		s.Table = name
	}
	s.Store = dynamo.New(dynamodb.NewFromConfig(s.AWS), s.Table)
	if err = Seed(ctx, s.Store, cfg.Seed); err != nil {
		return nil, err
	}

	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	gw := &gateway{meter: s.gate.meter, motoURL: s.MotoURL, idp: s.IdP, receipts: s.Store.Receipts, pages: cfg.Pages, listen: ln.Addr().String()}
	authorized, err := jwtAuthorizer(r, t)
	if err != nil {
		return nil, err
	}
	if authorized != nil {
		gw.jwt = authorized
	}
	sqsClient := sqs.NewFromConfig(s.AWS)
	ids := t.Functions()
	sort.Strings(ids)
	for _, id := range ids {
		fn := t.Resources[id]
		env, timeout, err := functionEnv(r, t, fn)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", id, err)
		}
		api := newRuntimeAPI(id, timeout, s.kills)
		api.meter = s.gate.meter
		s.apis = append(s.apis, api)
		s.Functions[id] = api
		env = append(env, baseEnv()...)
		env = append(env,
			"AWS_LAMBDA_FUNCTION_NAME="+id, "AWS_LAMBDA_LOG_FORMAT=JSON",
			"AWS_REGION="+region, "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_ENDPOINT_URL="+s.gate.FunctionsURL,
			"AWS_EC2_METADATA_DISABLED=true")
		for k, v := range cfg.Env[id] {
			env = append(env, k+"="+v) // the last of a name is the one a process sees (os/exec)
		}
		procs, err := startProcesses(api, bins[id], env, cfg.Concurrency, cfg.Logs)
		if err != nil {
			return nil, err
		}
		s.procs = append(s.procs, procs)

		evs, _ := fn.Properties["Events"].(map[string]any)
		for name, raw := range evs {
			e, _ := raw.(map[string]any)
			props, _ := e["Properties"].(map[string]any)
			switch e["Type"] {
			case "HttpApi":
				rt := newRoute(fmt.Sprint(props["Method"]), fmt.Sprint(props["Path"]), api)
				rt.authorized = authorized != nil && nested(props, "Auth")["Authorizer"] != "NONE"
				gw.routes = append(gw.routes, rt)
			case "Schedule", "ScheduleV2":
				every := cfg.ScheduleEvery
				if cfg.ScheduleOnly != nil && !slices.Contains(cfg.ScheduleOnly, id) {
					every = 0
				}
				if every == 0 {
					if every, err = rate(fmt.Sprint(props["ScheduleExpression"])); err != nil {
						return nil, fmt.Errorf("function %s event %s: %w", id, name, err)
					}
				}
				s.wg.Add(1)
				go func() { defer s.wg.Done(); schedule(runCtx, id+"/"+name, api, every, cfg.Logs) }()
			case "SQS":
				pl, err := newPoller(r, sqsClient, id+"/"+name, props, api, cfg.Logs)
				if err != nil {
					return nil, fmt.Errorf("function %s event %s: %w", id, name, err)
				}
				pl.twice = cfg.DeliverTwice
				if !slices.Contains(s.QueueFunctions, id) {
					s.QueueFunctions = append(s.QueueFunctions, id)
				}
				// Each poller hands the function one batch at a time, so
				// the pollers bound the source's concurrent invocations,
				// as ScalingConfig's MaximumConcurrency does in AWS.
				for range pl.pollers(cfg.Pollers) {
					s.wg.Add(1)
					go func() { defer s.wg.Done(); pl.run(runCtx) }()
				}
			}
		}
	}
	s.server = &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}
	go s.server.Serve(ln)
	return s, nil
}

// jwtAuthorizer returns the verifier of the HttpApi's default JWT
// authorizer, resolved against the local stack, or nil when it has none.
func jwtAuthorizer(r *resolver, t *Template) (*signin.Verifier, error) {
	for _, id := range t.byType("AWS::Serverless::HttpApi") {
		a := nested(t.Resources[id].Properties, "Auth")
		name, _ := a["DefaultAuthorizer"].(string)
		if name == "" {
			continue
		}
		jwt := nested(nested(nested(a, "Authorizers"), name), "JwtConfiguration")
		issuer, err := r.String(jwt["issuer"])
		if err != nil {
			return nil, fmt.Errorf("authorizer %s issuer: %w", name, err)
		}
		aud, _ := jwt["audience"].([]any)
		if len(aud) != 1 {
			return nil, fmt.Errorf("authorizer %s: the local stack expects one audience, got %d", name, len(aud))
		}
		clientID, err := r.String(aud[0])
		if err != nil {
			return nil, fmt.Errorf("authorizer %s audience: %w", name, err)
		}
		rolesClaim, err := r.String(map[string]any{"Ref": "RolesClaim"})
		if err != nil {
			rolesClaim = "roles"
		}
		return &signin.Verifier{Issuer: issuer, ClientID: clientID, RolesClaim: rolesClaim}, nil
	}
	return nil, nil
}

// Token signs in to the development identity provider as a demo user
// (password DemoPassword) and returns the ID token to send as
// "Authorization: Bearer ...".
func (s *Stack) Token(ctx context.Context, email string) (string, error) {
	return SignIn(ctx, s.IdP, email, DemoPassword)
}

func displayAddr(a string) string {
	return strings.Replace(a, "127.0.0.1", "localhost", 1)
}

// functionEnv returns a function's environment (Globals merged with its
// own) and its timeout, resolved against the local stack.
func functionEnv(r *resolver, t *Template, fn Resource) ([]string, time.Duration, error) {
	vars := map[string]any{}
	timeout := any(3)
	for _, props := range []map[string]any{nested(t.Globals, "Function"), fn.Properties} {
		for k, v := range nested(nested(props, "Environment"), "Variables") {
			vars[k] = v
		}
		if v, ok := props["Timeout"]; ok {
			timeout = v
		}
	}
	var env []string
	for k, v := range vars {
		s, err := r.String(v)
		if err != nil {
			return nil, 0, fmt.Errorf("environment %s: %w", k, err)
		}
		env = append(env, k+"="+s)
	}
	secs, err := r.String(timeout)
	if err != nil {
		return nil, 0, err
	}
	d, err := time.ParseDuration(secs + "s")
	return env, d, err
}

func nested(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

func newPoller(r *resolver, client *sqs.Client, name string, props map[string]any, fn invoker, logs io.Writer) (*poller, error) {
	arn, err := r.String(props["Queue"])
	if err != nil {
		return nil, err
	}
	queueName := arn[strings.LastIndex(arn, ":")+1:]
	url, ok := r.ref(queueName)
	if !ok {
		return nil, fmt.Errorf("queue %s is not in the template", arn)
	}
	batch := int32(10)
	if b, ok := props["BatchSize"].(int); ok {
		batch = int32(min(b, 10))
	}
	report := false
	types, _ := props["FunctionResponseTypes"].([]any)
	for _, t := range types {
		report = report || t == "ReportBatchItemFailures"
	}
	most := 0
	if sc := nested(props, "ScalingConfig"); sc != nil {
		n, ok := sc["MaximumConcurrency"].(int)
		if !ok || n < 2 || n > 1000 {
			// As AWS refuses it.
			return nil, fmt.Errorf("ScalingConfig MaximumConcurrency is %v: want a whole number from 2 to 1000", sc["MaximumConcurrency"])
		}
		most = n
	}
	return &poller{sqs: client, queueURL: url, arn: arn, batchSize: batch, reportFailures: report, wait: 1, fn: fn, name: name, logs: logs,
		maxConcurrency: most}, nil
}

// Close stops everything Start started: the HTTP server, the pollers, the
// function processes and moto.
func (s *Stack) Close() error {
	if s.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = s.server.Shutdown(ctx)
		cancel()
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	for _, p := range s.procs {
		p.stop()
	}
	for _, a := range s.apis {
		a.close()
	}
	s.gate.close()
	s.moto.stop()
	if s.idp != nil {
		s.idp.Close()
	}
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
	return nil
}

// ErrNoFunction is returned by Invoke for a function not in the template.
var ErrNoFunction = errors.New("no such function")

// Invoke runs a function of the stack directly with a JSON event.
func (s *Stack) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	fn, ok := s.Functions[function]
	if !ok {
		return nil, fmt.Errorf("invoke %s: %w", function, ErrNoFunction)
	}
	return fn.Invoke(ctx, payload)
}

// rate reads an EventBridge rate expression: "rate(10 minutes)".
func rate(expr string) (time.Duration, error) {
	var n int
	var unit string
	if _, err := fmt.Sscanf(expr, "rate(%d %s", &n, &unit); err != nil || n < 1 {
		return 0, fmt.Errorf("schedule %q: the local stack runs rate(N units) expressions only", expr)
	}
	switch strings.TrimSuffix(strings.TrimSuffix(unit, ")"), "s") {
	case "minute":
		return time.Duration(n) * time.Minute, nil
	case "hour":
		return time.Duration(n) * time.Hour, nil
	case "day":
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("schedule %q: unknown unit %q", expr, unit)
}

// schedule invokes fn every period with a scheduled event, as EventBridge
// Scheduler does, until ctx ends. A failed run is logged, not retried:
// the template's schedule retries none either.
func schedule(ctx context.Context, name string, fn invoker, every time.Duration, logs io.Writer) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			payload := fmt.Sprintf(`{"version":"0","id":"local-%d","detail-type":"Scheduled Event","source":"aws.scheduler","account":%q,"time":%q,"region":%q,"resources":[],"detail":{}}`,
				now.UnixNano(), account, now.UTC().Format(time.RFC3339), region)
			if _, err := fn.Invoke(ctx, []byte(payload)); err != nil && ctx.Err() == nil {
				fmt.Fprintf(logs, "%-20s scheduled run failed: %v\n", name, err)
			}
		}
	}
}

// Pause makes the local AWS API server hang for d, as if it were stuck:
// every AWS request that reaches it, the functions' and anyone else's, is
// held until d has passed, then carried out. It returns at once.
func (s *Stack) Pause(d time.Duration) { s.gate.pause(d) }

// Usage returns what the functions have asked of AWS and Lambda since
// the stack started (see Usage); zero unless Config.Meter is set.
func (s *Stack) Usage(ctx context.Context) Usage { return s.gate.meter.snapshot(ctx) }

// Kill kills, with SIGKILL, every process of a function that is handling
// an invocation, as a crash would; each invocation fails as Lambda fails
// one whose runtime exited, and a new process takes the place of each.
// It returns how many it killed.
func (s *Stack) Kill(function string) (int, error) {
	for _, a := range s.apis {
		if a.name == function {
			n := a.killBusy()
			for range n {
				s.kills.add(function + " killed mid-flight")
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("kill %s: %w", function, ErrNoFunction)
}

// Faults returns how many faults the stack has injected so far, by kind:
// the gate's (Config.Faults, Pause) and the processes killed (Kill, and
// those killed for running out of time).
func (s *Stack) Faults() map[string]int {
	n := map[string]int{}
	s.gate.count.snapshot(n)
	s.kills.snapshot(n)
	return n
}
