// Command run starts the whole pipeline locally (see package local) and
// keeps it running until Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

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
	if err := fs.Parse(args); err != nil {
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
	fmt.Fprintln(stdout, "Starting the local stack: building the functions, starting moto, creating the resources of template.yaml…")
	s, err := local.Start(ctx, local.Config{Root: root, Addr: *addr, Seed: areas, Logs: stderr})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, `
Drive Referrals is running locally.

  HTTP API          %[1]s
  Submit a referral curl -s -X POST %[1]s/referrals -H 'Content-Type: application/json' -d @infra/seed/referral.json
  Referral status   %[1]s/referrals/{reference}
  Local outbox      %[1]s/local/outbox   (every email sent; JSON with Accept: application/json)
  AWS API (moto)    %[2]s   (aws --endpoint-url %[2]s dynamodb scan --table-name %[3]s)

Seeded areas: `, s.URL, s.MotoURL, s.Table)
	for i, a := range areas {
		if i > 0 {
			fmt.Fprint(stdout, ", ")
		}
		fmt.Fprintf(stdout, "%s (%d case managers)", a.ID, len(a.CaseManagers))
	}
	fmt.Fprint(stdout, "\n\nPress Ctrl-C to stop.\n")
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nStopping…")
	return nil
}
