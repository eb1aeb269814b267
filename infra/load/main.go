// Command load measures the cost of a referral: it starts the local stack
// (package local) with its meter on, sends N referrals at a chosen rate
// through the HTTP API as an officer would, waits for each to be
// allocated and for its emails to be sent, and prints how long that took,
// what each referral asked of AWS and Lambda, and what that costs at
// AWS's published prices in eu-west-2 (prices.go), with the stack's
// fixed monthly cost. `make load` runs it (N=200 RATE=4).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/driveprogramme/referrals/infra/local"
	"github.com/driveprogramme/referrals/shared/referral"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "make load:", err)
		os.Exit(1)
	}
}

type config struct {
	n       int
	rate    float64
	timeout time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	var c config
	fs.IntVar(&c.n, "n", 200, "referrals to send")
	fs.Float64Var(&c.rate, "rate", 4, "referrals a second")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Minute, "how long to wait for every referral to be allocated and its emails sent")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.n < 1 || c.rate <= 0 {
		return fmt.Errorf("-n %d -rate %v: want at least one referral and a rate above 0", c.n, c.rate)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	wd, _ := os.Getwd()
	root, err := local.FindRoot(wd)
	if err != nil {
		return err
	}
	tmpl, err := local.LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		return err
	}
	areas, err := local.LoadSeed(filepath.Join(root, "infra", "seed", "demo.json"))
	if err != nil {
		return err
	}
	// Room for every referral in every area (they are spread evenly): the
	// point is the cost of a referral's whole journey, which a waitlisted
	// one does not finish.
	for _, a := range areas {
		share := (c.n + len(areas) - 1) / len(areas)
		for i := range a.CaseManagers {
			a.CaseManagers[i].Capacity = share/len(a.CaseManagers) + 1
			a.CaseManagers[i].Active = true
		}
	}
	// The development identity provider logs every request at INFO
	// through the default logger; only its warnings are worth seeing.
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	logs, err := os.CreateTemp("", "drive-load-*.log")
	if err != nil {
		return err
	}
	defer logs.Close()
	fmt.Fprintf(stdout, "Starting the local stack with its meter on (functions' logs: %s)…\n", logs.Name())
	s, err := local.Start(ctx, local.Config{Root: root, Addr: "127.0.0.1:0", Seed: areas, Logs: logs, Meter: true})
	if err != nil {
		return err
	}
	defer s.Close()
	officer := "sam.taylor@essex.police.example"
	token, err := s.Token(ctx, officer)
	if err != nil {
		return err
	}
	body, err := os.ReadFile(filepath.Join(root, "infra", "seed", "referral.json"))
	if err != nil {
		return err
	}
	before := s.Usage(ctx)

	// Send: one referral every 1/rate seconds, each in its own goroutine.
	fmt.Fprintf(stdout, "Sending %d referrals at %v a second to %d areas…\n", c.n, c.rate, len(areas))
	refs, sentAt := make([]string, c.n), make([]time.Time, c.n)
	var failed []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / c.rate))
	start := time.Now()
	bar := &progress{w: stderr, n: c.n}
	drawing := make(chan struct{})
	go func() {
		for {
			select {
			case <-drawing:
				return
			case <-time.After(time.Second):
				bar.draw()
			}
		}
	}()
	defer close(drawing)
	for i := range c.n {
		if i > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := time.Now()
			ref, err := submit(ctx, s.URL, token, body, i, areas[i%len(areas)].ID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, err.Error())
				return
			}
			refs[i], sentAt[i] = ref, at
			bar.update(func() { bar.sent++ })
		}()
	}
	tick.Stop()
	wg.Wait()
	bar.draw()

	// Wait until every referral is decided (allocated, or not).
	deadline := time.Now().Add(c.timeout)
	status := make([]referral.Status, c.n)
	for {
		settled, allocated := 0, 0
		for i, ref := range refs {
			if ref == "" || decided(status[i]) {
				settled++
				allocated += btoi(status[i] == referral.StatusAllocated)
				continue
			}
			rec, err := s.Store.Referral(ctx, ref)
			if err != nil {
				return err
			}
			if status[i] = rec.Status; decided(rec.Status) {
				settled++
				allocated += btoi(rec.Status == referral.StatusAllocated)
			}
		}
		bar.update(func() { bar.allocated = allocated })
		if settled == c.n || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(3 * time.Second)
	}
	// Then for the emails: until the outbox stops growing and no email's
	// outcome is pending.
	var mails []local.Email
	for last := -1; ; {
		out, err := local.Outbox(ctx, s.MotoURL)
		if err != nil {
			return err
		}
		receipts, err := s.Store.Receipts(ctx)
		if err != nil {
			return err
		}
		mails = local.Annotate(out, receipts)
		bar.update(func() { bar.emails = len(mails) })
		if len(mails) == last || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		last = len(mails)
		time.Sleep(10 * time.Second)
	}
	elapsed := time.Since(start)
	bar.done()
	used := s.Usage(ctx).Sub(before)

	// The times, from the history's allocation and the emails' sending.
	lastEmail := map[string]time.Time{}
	for _, m := range mails {
		if m.Reference != "" && m.At.After(lastEmail[m.Reference]) {
			lastEmail[m.Reference] = m.At
		}
	}
	var toAllocated, toEmails []time.Duration
	statuses := map[referral.Status]int{}
	lost := len(failed)
	accepted := c.n - len(failed)
	for i, ref := range refs {
		if ref == "" {
			continue
		}
		rec, err := s.Store.Referral(ctx, ref)
		if err != nil {
			return err
		}
		statuses[rec.Status]++
		hist, err := s.Store.History(ctx, ref)
		if err != nil {
			return err
		}
		for _, h := range hist {
			if h.To == referral.StatusAllocated {
				toAllocated = append(toAllocated, h.At.Sub(sentAt[i]))
				break
			}
		}
		if !decided(rec.Status) {
			lost++
		}
		if at, ok := lastEmail[ref]; ok {
			toEmails = append(toEmails, at.Sub(sentAt[i]))
		}
	}

	fmt.Fprintf(stdout, "\n%d referrals sent, %d refused %v; every one allocated and its emails sent within %s of the first.\n",
		c.n, len(failed), failed[:min(3, len(failed))], elapsed.Round(time.Second))
	fmt.Fprintf(stdout, "Statuses: %v\n", statuses)
	fmt.Fprintf(stdout, "POST → allocated:        p50 %s  p99 %s  max %s  (%d referrals)\n",
		ms(percentile(toAllocated, 50)), ms(percentile(toAllocated, 99)), ms(percentile(toAllocated, 100)), len(toAllocated))
	fmt.Fprintf(stdout, "POST → all emails sent:  p50 %s  p99 %s  (%d referrals; %d emails)\n",
		ms(percentile(toEmails, 50)), ms(percentile(toEmails, 99)), len(toEmails), len(mails))
	fmt.Fprintf(stdout, "Referrals lost (refused, or never decided): %d\n\n", lost)

	fmt.Fprintf(stdout, "Per referral (%d accepted):\n", accepted)
	printUsage(stdout, used, accepted)
	memory := memoryMB(tmpl)
	perRef := printLines(stdout, "\nEstimated cost of one referral (US$, eu-west-2 on-demand prices in infra/load/prices.go; DynamoDB units computed from item sizes, not reported by moto):",
		perReferral(London, used, accepted, memory))
	types, mappings := resources(tmpl)
	fixed := printLines(stdout, "\nFixed monthly cost of the stack (US$, whatever the referrals):", fixedMonthly(London, types, mappings))
	fmt.Fprintf(stdout, "\nAt 1 referral a week per area and 10 areas (about 43 a month): $%.4f a month for referrals, $%.2f fixed.\n", perRef*43, fixed)
	if lost > 0 {
		return fmt.Errorf("%d referrals lost", lost)
	}
	return nil
}

// submit posts referral i (its perpetrator made unique) to area, and
// returns its reference.
func submit(ctx context.Context, base, token string, body []byte, i int, area string) (string, error) {
	var r map[string]any
	if err := json.Unmarshal(body, &r); err != nil {
		return "", err
	}
	r["area"] = area
	p := r["perpetrator"].(map[string]any)
	p["lastName"] = "Loadtest" + letters(i)
	p["dateOfBirth"] = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format("2006-01-02")
	delete(p, "pncId")
	b, _ := json.Marshal(r)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/referrals", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Reference string `json:"reference"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(raw, &out) != nil || out.Reference == "" {
		return "", fmt.Errorf("referral %d: %s", i, resp.Status)
	}
	return out.Reference, nil
}

// decided reports whether a referral in status st has been decided:
// allocated, or found ineligible, linked, waitlisted or ended.
func decided(st referral.Status) bool {
	return st != "" && st != referral.StatusReceived && st != referral.StatusEligible
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// letters writes i in base 26 as lower-case letters: names take no digits.
func letters(i int) string {
	s := ""
	for {
		s = string(rune('a'+i%26)) + s
		if i /= 26; i == 0 {
			return s
		}
	}
}

func ms(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }

// printUsage writes u's quantities per referral.
func printUsage(w io.Writer, u local.Usage, n int) {
	per := func(x int) string { return number(float64(x) / float64(n)) }
	var ops []string
	for op := range u.Requests {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		fmt.Fprintf(w, "  %-40s %s requests\n", op, per(u.Requests[op]))
	}
	fmt.Fprintf(w, "  DynamoDB units (computed from item sizes): %s write, %s read\n", number(u.WriteUnits/float64(n)), number(u.ReadUnits/float64(n)))
	fmt.Fprintf(w, "  SQS billed requests: %s; SES emails: %s; HTTP API requests: %s; logs: %s bytes\n",
		per(u.SQSRequests), per(u.SESEmails), per(u.APIRequests), number(float64(u.LogBytes)/float64(n)))
	var ids []string
	for id := range u.Invocations {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(w, "  Lambda %-28s %s invocations, %s ms each\n", id, per(u.Invocations[id]), number(float64(u.Duration[id].Milliseconds())/float64(u.Invocations[id])))
	}
}

// memoryMB returns each function's memory in MB, from the template
// (the function's own, else the globals').
func memoryMB(t *local.Template) map[string]int {
	global := 128
	if g, ok := t.Globals["Function"].(map[string]any); ok {
		if v, ok := g["MemorySize"].(int); ok {
			global = v
		}
	}
	out := map[string]int{}
	for _, id := range t.Functions() {
		out[id] = global
		if v, ok := t.Resources[id].Properties["MemorySize"].(int); ok {
			out[id] = v
		}
	}
	return out
}

// resources counts the template's resources by type, and its SQS event
// source mappings.
func resources(t *local.Template) (map[string]int, int) {
	types, mappings := map[string]int{}, 0
	for _, r := range t.Resources {
		types[r.Type]++
		evs, _ := r.Properties["Events"].(map[string]any)
		for _, e := range evs {
			if m, _ := e.(map[string]any); m["Type"] == "SQS" {
				mappings++
			}
		}
	}
	return types, mappings
}

// progress draws a one-line progress bar on a terminal.
type progress struct {
	w                       io.Writer
	n                       int
	sent, allocated, emails int
	mu                      sync.Mutex
	last                    string
}

// update changes the bar's figures under its lock.
func (p *progress) update(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	const width = 30
	filled := width * min(p.allocated, p.n) / p.n
	line := fmt.Sprintf("\r[%s%s] sent %d/%d, allocated %d, emails %d ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.sent, p.n, p.allocated, p.emails)
	if line != p.last { // a log file gets a line per change, not per second
		fmt.Fprint(p.w, line)
		p.last = line
	}
}

func (p *progress) done() { fmt.Fprintln(p.w) }
