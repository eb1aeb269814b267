package local

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// runtimeAPI is a local implementation of the Lambda Runtime API for one
// function: bootstrap processes long-poll it for invocations and post back
// responses or errors, as they do in AWS. Each process has an endpoint
// of its own (a sandbox), so that the API knows which process took which
// invocation: as Lambda does, it kills a process whose invocation timed
// out, and fails at once an invocation whose process died.
type runtimeAPI struct {
	name    string
	timeout time.Duration
	next    chan *invocation
	count   *counter // kills, by kind
	meter   *meter   // invocations and their billed time (nil: not metered)

	mu        sync.Mutex
	inflight  map[string]*invocation
	sandboxes []*sandbox
}

type invocation struct {
	id      string
	payload []byte
	done    chan result
	sandbox *sandbox  // the one that took it
	taken   time.Time // when it took it
}

type result struct {
	body []byte
	err  error
}

// FunctionError is what a function reported instead of a response, or,
// with Type Runtime.ExitError, what Lambda reports for a process that
// died while handling the invocation.
type FunctionError struct {
	Function string
	Message  string `json:"errorMessage"`
	Type     string `json:"errorType"`
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("%s failed: %s: %s", e.Function, e.Type, e.Message)
}

const runtimePrefix = "/2018-06-01/runtime/"

func newRuntimeAPI(name string, timeout time.Duration, count *counter) *runtimeAPI {
	return &runtimeAPI{name: name, timeout: timeout, next: make(chan *invocation), count: count, inflight: map[string]*invocation{}}
}

// sandbox is one process's own Runtime API endpoint.
type sandbox struct {
	api  *runtimeAPI
	addr string
	srv  *http.Server

	mu   sync.Mutex
	proc *os.Process // the process running here now
	inv  *invocation // the invocation it is handling
}

// newSandbox opens an endpoint for one process of the function.
func (a *runtimeAPI) newSandbox() (*sandbox, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API for %s: %w", a.name, err)
	}
	sb := &sandbox{api: a, addr: l.Addr().String()}
	sb.srv = &http.Server{Handler: http.HandlerFunc(sb.serve), ReadHeaderTimeout: 5 * time.Second}
	a.mu.Lock()
	a.sandboxes = append(a.sandboxes, sb)
	a.mu.Unlock()
	go sb.srv.Serve(l)
	return sb, nil
}

func (a *runtimeAPI) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, sb := range a.sandboxes {
		_ = sb.srv.Close()
	}
}

// started records the process now running in the sandbox.
func (sb *sandbox) started(p *os.Process) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.proc = p
}

// exited fails the invocation the sandbox's process was handling when it
// died, as Lambda reports a runtime that exited.
func (sb *sandbox) exited(err error) {
	sb.mu.Lock()
	inv := sb.inv
	sb.proc, sb.inv = nil, nil
	sb.mu.Unlock()
	if inv == nil {
		return
	}
	a := sb.api
	a.mu.Lock()
	_, pending := a.inflight[inv.id]
	delete(a.inflight, inv.id)
	a.mu.Unlock()
	if pending {
		inv.done <- result{err: &FunctionError{Function: a.name, Type: "Runtime.ExitError", Message: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", inv.id, err)}}
	}
}

// kill kills the sandbox's process if it is handling inv (any invocation
// when inv is nil), and reports whether it did.
func (sb *sandbox) kill(inv *invocation) bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.proc == nil || sb.inv == nil || (inv != nil && sb.inv != inv) {
		return false
	}
	return sb.proc.Signal(syscall.SIGKILL) == nil
}

// killBusy kills every process of the function that is handling an
// invocation, and returns how many it killed.
func (a *runtimeAPI) killBusy() int {
	a.mu.Lock()
	sbs := slices.Clone(a.sandboxes)
	a.mu.Unlock()
	n := 0
	for _, sb := range sbs {
		if sb.kill(nil) {
			n++
		}
	}
	return n
}

// Invoke runs one invocation on whichever process asks for it next, and
// waits for its answer for at most the function's timeout. As in Lambda,
// the timeout runs from when a process takes the invocation, and a
// process that runs out of time is killed (another is started in its
// place); waiting for a free process is bounded by ctx alone (the
// caller's own limit).
func (a *runtimeAPI) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	inv := &invocation{id: hex.EncodeToString(id), payload: payload, done: make(chan result, 1)}
	select {
	case a.next <- inv:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: no process free: %w", a.name, ctx.Err())
	}
	timer := time.NewTimer(a.timeout)
	defer timer.Stop()
	select {
	case r := <-inv.done:
		return r.body, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		a.mu.Lock()
		sb := inv.sandbox
		a.mu.Unlock()
		if sb != nil && sb.kill(inv) {
			a.count.add(a.name + " killed: timed out")
		}
		if sb != nil {
			a.meter.invoked(a.name, a.timeout)
		}
		return nil, &FunctionError{Function: a.name, Type: "Sandbox.Timedout", Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, a.timeout.Seconds())}
	}
}

func (sb *sandbox) serve(w http.ResponseWriter, r *http.Request) {
	a := sb.api
	path := strings.TrimPrefix(r.URL.Path, runtimePrefix)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		select {
		case inv := <-a.next:
			a.mu.Lock()
			a.inflight[inv.id] = inv
			inv.sandbox, inv.taken = sb, time.Now()
			a.mu.Unlock()
			sb.mu.Lock()
			sb.inv = inv
			sb.mu.Unlock()
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(a.timeout).UnixMilli()))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, a.name))
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(inv.payload)
		case <-r.Context().Done():
		}
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		id, kind, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		body, _ := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		a.mu.Lock()
		inv := a.inflight[id]
		delete(a.inflight, id)
		a.mu.Unlock()
		sb.mu.Lock()
		if sb.inv != nil && sb.inv.id == id {
			sb.inv = nil
		}
		sb.mu.Unlock()
		if inv == nil {
			http.Error(w, `{"errorMessage":"unknown request id"}`, http.StatusBadRequest)
			return
		}
		a.meter.invoked(a.name, time.Since(inv.taken))
		res := result{body: body}
		if kind == "error" {
			fe := &FunctionError{Function: a.name}
			if json.Unmarshal(body, fe) != nil {
				fe.Message = string(body)
			}
			res = result{err: fe}
		}
		inv.done <- res
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && path == "init/error":
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

// Binaries are the functions' bootstraps, built for this machine, in a
// folder of their own.
type Binaries struct {
	dir  string
	bins map[string]string // function id → bootstrap
}

// Build builds every function of root's template.yaml as `sam build` does,
// but for this machine (the same packages and build tags), in one go build,
// into a new temporary folder; Close removes it. Stacks started with them
// (Config.Binaries) do not build again: a test run that starts several
// stacks builds once. It returns the build's error and output.
func Build(ctx context.Context, root string) (*Binaries, error) {
	t, err := LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "drive-functions-")
	if err != nil {
		return nil, err
	}
	bins, err := buildFunctions(ctx, root, dir, t.Functions())
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &Binaries{dir: dir, bins: bins}, nil
}

// Close removes the binaries.
func (b *Binaries) Close() error { return os.RemoveAll(b.dir) }

// buildFunctions builds each function's bootstrap into out, all in one go
// build (which builds and links them in parallel), and returns where each
// function's is.
func buildFunctions(ctx context.Context, root, out string, ids []string) (map[string]string, error) {
	bins := map[string]string{}
	args := []string{"build", "-tags", "lambda.norpc", "-o", out + string(filepath.Separator)}
	for _, id := range ids {
		dir := strings.ToLower(strings.TrimSuffix(id, "Function"))
		bins[id] = filepath.Join(out, dir)
		args = append(args, "./functions/"+dir)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %s: %v\n%s", strings.Join(ids, ", "), err, b)
	}
	for id, bin := range bins {
		if !fileExists(bin) {
			return nil, fmt.Errorf("build %s: no %s", id, bin)
		}
	}
	return bins, nil
}

// processes keeps n bootstrap processes of one function running, as Lambda
// keeps warm sandboxes, restarting any that exit. Each has a Runtime API
// endpoint of its own (AWS_LAMBDA_RUNTIME_API).
type processes struct {
	name string
	bin  string
	env  []string
	logs io.Writer

	mu      sync.Mutex
	stopped bool
	cmds    map[*exec.Cmd]bool
	wg      sync.WaitGroup
}

func startProcesses(api *runtimeAPI, bin string, env []string, n int, logs io.Writer) (*processes, error) {
	p := &processes{name: api.name, bin: bin, env: env, logs: logs, cmds: map[*exec.Cmd]bool{}}
	for range n {
		sb, err := api.newSandbox()
		if err != nil {
			p.stop()
			return nil, err
		}
		p.wg.Add(1)
		go p.keep(sb)
	}
	return p, nil
}

func (p *processes) keep(sb *sandbox) {
	defer p.wg.Done()
	out := prefixWriter(p.logs, p.name)
	defer out.Close()
	for {
		p.mu.Lock()
		if p.stopped {
			p.mu.Unlock()
			return
		}
		cmd := exec.Command(p.bin)
		cmd.Env = append(slices.Clip(p.env), "AWS_LAMBDA_RUNTIME_API="+sb.addr)
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		err := cmd.Start()
		if err == nil {
			p.cmds[cmd] = true
			sb.started(cmd.Process)
		}
		p.mu.Unlock()
		if err != nil {
			fmt.Fprintf(p.logs, "%s: cannot start %s: %v\n", p.name, p.bin, err)
			return
		}
		err = cmd.Wait()
		sb.exited(err)
		p.mu.Lock()
		delete(p.cmds, cmd)
		stopped := p.stopped
		p.mu.Unlock()
		if stopped {
			return
		}
		fmt.Fprintf(p.logs, "%s: process exited (%v); starting a new one\n", p.name, err)
		time.Sleep(500 * time.Millisecond)
	}
}

func (p *processes) stop() {
	p.mu.Lock()
	p.stopped = true
	for cmd := range p.cmds {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		p.mu.Lock()
		for cmd := range p.cmds {
			_ = cmd.Process.Kill()
		}
		p.mu.Unlock()
		<-done
	}
}

// prefixWriter writes each line to w with the function's name before it.
func prefixWriter(w io.Writer, name string) io.WriteCloser {
	pr, pw := io.Pipe()
	go func() {
		s := bufio.NewScanner(pr)
		s.Buffer(make([]byte, 64<<10), 1<<20)
		for s.Scan() {
			fmt.Fprintf(w, "%-20s %s\n", name, s.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	return pw
}

func baseEnv() []string {
	keep := []string{"PATH", "HOME", "TMPDIR", "TZ"}
	var env []string
	for _, k := range keep {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
