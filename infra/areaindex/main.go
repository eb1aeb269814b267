// Command areaindex puts the referrals and evaluation records written
// before the area's index by the time received (GSI4) existed into it,
// so that the area's report and list count them: make index-areas
// TABLE=<the stack's table name>. It is safe to run again: it indexes
// only what is not indexed yet.
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
		fmt.Fprintln(os.Stderr, "usage: make index-areas TABLE=<the stack's table name>")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "index-areas: AWS configuration:", err)
		os.Exit(1)
	}
	n, err := dynamo.New(dynamodb.NewFromConfig(cfg), os.Args[1]).IndexAreas(ctx)
	fmt.Printf("%d items put in the area index\n", n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "index-areas:", err)
		os.Exit(1)
	}
}
