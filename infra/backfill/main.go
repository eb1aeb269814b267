// Command backfill gives GSI3's keys (an officer's referrals, "Your
// referrals") to the referrals stored before GSI3 existed:
// make backfill TABLE=<the stack's table name>. It can be run again, and
// while the functions run (dynamo.Store.BackfillSubmitterKeys).
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
	n, err := dynamo.New(dynamodb.NewFromConfig(cfg), os.Args[1]).BackfillSubmitterKeys(ctx)
	fmt.Printf("%d referrals given their submitter's keys (GSI3)\n", n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
}
