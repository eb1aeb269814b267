// Command benchinit measures each function's cold start as Lambda sees its
// init: from exec until the process's first request to the Runtime API's
// /next, with its configuration read and its SDK clients built. It builds
// every function and a bare Go Lambda (./hello) as make build does (for
// this machine's architecture, so that they run here), runs them
// interleaved, one after another in each round (so that a busy machine
// slows all alike), and prints each one's median and its ratio to the
// bare Lambda's. Issue 16's goal: every ratio at most 2.0.
//
//	go run ./infra/benchinit -runs 41
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// functions are the directories under functions/ that make build builds.
var functions = []string{"admin", "allocate", "cases", "eligibility", "intake", "notify", "relay", "remind"}

// env is a superset of what any function requires at start-up, with values
// that parse; nothing is called.
var env = []string{
	"AWS_REGION=eu-west-2", "AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=bench", "AWS_SESSION_TOKEN=bench",
	"TABLE_NAME=drive", "ELIGIBILITY_QUEUE_URL=https://sqs.eu-west-2.amazonaws.com/1/e", "ALLOCATION_QUEUE_URL=https://sqs.eu-west-2.amazonaws.com/1/a",
	"NOTIFY_QUEUE_URL=https://sqs.eu-west-2.amazonaws.com/1/n", "OIDC_ISSUER=https://issuer.example", "OIDC_CLIENT_ID=drive", "ROLES_CLAIM=roles",
	"RETENTION_DAYS=2555", "SENDER_EMAIL=drive@example.org", "PUBLIC_BASE_URL=https://drive.example", "MAX_RECEIVE_COUNT=5",
	"OUTBOX_GRACE=30s", "REMIND_AFTER=48h", "ESCALATE_AFTER=120h", "RECONCILE_AFTER=2m", "SES_CONFIGURATION_SET=drive",
	"AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "AWS_LAMBDA_LOG_FORMAT=JSON",
}

func main() {
	runs := flag.Int("runs", 41, "rounds; each runs every binary once")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench-init:", err)
		os.Exit(1)
	}
}

func run(runs int) error {
	dir, err := os.MkdirTemp("", "drive-bench-init-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	names := append([]string{"hello"}, functions...)
	for _, n := range names {
		src := "./functions/" + n
		if n == "hello" {
			src = "./infra/benchinit/hello"
		}
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, n), src)
		cmd.Env, cmd.Stderr = append(os.Environ(), "CGO_ENABLED=0"), os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", n, err)
		}
	}
	// The Runtime API: each process's first GET .../next is its end of init.
	next := make(chan time.Time, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case next <- time.Now():
		default:
		}
		<-r.Context().Done() // hold it: no event comes
	})}
	go srv.Serve(ln)
	defer srv.Close()

	times := map[string][]time.Duration{}
	for range runs {
		for _, n := range names {
			d, err := once(filepath.Join(dir, n), ln.Addr().String(), next)
			if err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			times[n] = append(times[n], d)
		}
	}
	hello := median(times["hello"])
	fmt.Printf("init, exec to the first /next, median of %d interleaved runs (goal: at most 2.0x hello-world)\n", runs)
	fmt.Printf("  %-12s %9s %7s\n", "function", "init", "x hello")
	worst := 0.0
	for _, n := range names {
		m := median(times[n])
		r := float64(m) / float64(hello)
		worst = max(worst, r)
		fmt.Printf("  %-12s %9s %7.1f\n", n, m.Round(10*time.Microsecond), r)
	}
	if worst > 2.0 {
		fmt.Printf("the slowest is %.1fx hello-world: over the 2.0x goal\n", worst)
	}
	return nil
}

// once starts bin and returns how long it took to ask for its first event.
func once(bin, api string, next chan time.Time) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(slices.Clone(env), "AWS_LAMBDA_RUNTIME_API="+api)
	var stderr limited
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	select {
	case at := <-next:
		return at.Sub(start), nil
	case err := <-exited:
		return 0, fmt.Errorf("exited before asking for an event (%v): %s", err, stderr.b)
	case <-ctx.Done():
		return 0, errors.New("did not ask for an event in 10 s")
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// limited keeps the first 2 KB a process writes, for an error message.
type limited struct{ b []byte }

func (l *limited) Write(p []byte) (int, error) {
	if room := 2048 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
