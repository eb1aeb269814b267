// Command run starts the whole pipeline locally (see package local) and
// keeps it running until Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/driveprogramme/referrals/infra/local"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "make run:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:3000", "where the HTTP API listens")
	seed := fs.String("seed", "infra/seed/demo.json", "areas and case managers to create")
	// The shortened clock: an unaccepted allocation is reminded and
	// escalated within a minute, by the same code as in AWS (24h each there).
	remind := fs.Duration("remind-after", 20*time.Second, "an allocation not accepted this long is reminded (RemindAfter)")
	escalate := fs.Duration("escalate-after", 20*time.Second, "and escalated this long after the reminder (EscalateAfter)")
	every := fs.Duration("schedule-every", 5*time.Second, "how often the scheduled functions run: the chase (every 10 minutes in AWS) and the outbox relay (every minute)")
	faultMix := fs.String("faults", "", "faults to inject into the functions' AWS calls, e.g. overlap,conflict:0.2,throttle:0.05,500:0.02,sqs:0.05,ses:0.2,latency:1s@0.05,seed:7 (make run FAULTS=...)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	faults, err := local.ParseFaults(*faultMix)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	wd, _ := os.Getwd()
	root, err := local.FindRoot(wd)
	if err != nil {
		return err
	}
	if !filepath.IsAbs(*seed) {
		*seed = filepath.Join(root, *seed)
	}
	areas, err := local.LoadSeed(*seed)
	if err != nil {
		return err
	}
	users, err := local.ReadUsers(filepath.Join(root, "infra", "seed", "users.json"))
	if err != nil {
		return err
	}
	// The development identity provider logs every request at INFO
	// through the default logger; only its warnings are worth seeing here.
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	fmt.Fprintln(stdout, "Starting the local stack: building the functions, starting moto and the identity provider, creating the resources of template.yaml…")
	s, err := local.Start(ctx, local.Config{Root: root, Addr: *addr, Seed: areas, Logs: stderr, ScheduleEvery: *every, Faults: faults,
		Params: map[string]string{"RemindAfter": durationParam(*remind), "EscalateAfter": durationParam(*escalate)}})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, `
Drive Referrals is running locally.

  Referral form     %[1]s/referrals/new   (sign in as the officer below)
  HTTP API          %[1]s   (every call needs a token: see below)
  Local outbox      %[1]s/local/outbox   (every email, its time, event and status; JSON with Accept: application/json)
  Sign-in (OIDC)    %[4]s   (the development identity provider)
  AWS API (moto)    %[2]s   (aws --endpoint-url %[2]s dynamodb scan --table-name %[3]s)

Demo users, every password %[5]s:
`, s.URL, s.MotoURL, s.Table, s.IdP, local.DemoPassword)
	for _, u := range users {
		fmt.Fprintf(stdout, "  %-14s %-34s %s\n", strings.Join(u.Roles, ","), u.Email, u.Name)
	}
	fmt.Fprintf(stdout, `
A token for curl (an ID token from the identity provider, as in AWS):
  TOKEN=$(curl -s '%[1]s/local/token?as=%[2]s')
  curl -s -X POST %[1]s/referrals -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d @infra/seed/referral.json

Seeded areas: `, s.URL, users[0].Email)
	for i, a := range areas {
		if i > 0 {
			fmt.Fprint(stdout, ", ")
		}
		fmt.Fprintf(stdout, "%s (%s; %d case managers", a.Name, a.ID, len(a.CaseManagers))
		if len(a.Leads) > 0 {
			fmt.Fprintf(stdout, "; lead %s", strings.Join(a.Leads, ", "))
		}
		fmt.Fprint(stdout, ")")
	}
	fmt.Fprintf(stdout, `

The clock is shortened: an allocation not accepted within %s reminds its case manager, and %s later
escalates to the area's lead (24h each by default in AWS). The chase and the outbox relay run every %s
(every 10 minutes and every minute in AWS). Watch the outbox.
`, *remind, *escalate, *every)
	if *faultMix != "" {
		fmt.Fprintf(stdout, "\nFAULTS ARE ON: the functions' AWS calls fail as AWS can (%s).\n", *faultMix)
	}
	fmt.Fprint(stdout, "\nPress Ctrl-C to stop.\n")
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nStopping…")
	return nil
}

// durationParam writes d as the template's RemindAfter and EscalateAfter
// take it: a whole number of seconds.
func durationParam(d time.Duration) string {
	return fmt.Sprintf("%ds", max(int(d.Seconds()), 1))
}
