// Command backfill gives the items stored before an index existed that
// index's keys: GSI3's to referrals (an officer's referrals, "Your
// referrals", dynamo.Store.BackfillSubmitterKeys) and GSI4's to referrals
// and evaluation records (an area's referrals by the time received: its
// report and list, dynamo.Store.IndexAreas).
// make backfill TABLE=<the stack's table name>. It can be run again (it
// writes only what is missing), and while the functions run.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/driveprogramme/referrals/shared/dynamo"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] == "" {
		fmt.Fprintln(os.Stderr, "usage: make backfill TABLE=<the stack's table name>")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "backfill: AWS configuration:", err)
		os.Exit(1)
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg), os.Args[1])
	n, err := store.BackfillSubmitterKeys(ctx)
	fmt.Printf("%d referrals given their submitter's keys (GSI3)\n", n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
	n, err = store.IndexAreas(ctx)
	fmt.Printf("%d items given their area's keys (GSI4)\n", n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
}
