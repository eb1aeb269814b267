// Command redrive moves a dead-letter queue's messages back to their
// source queue: make redrive QUEUE=<the DLQ's URL or name>.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/driveprogramme/referrals/infra/redrive"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] == "" {
		fmt.Fprintln(os.Stderr, "usage: make redrive QUEUE=<dead-letter queue URL or name> (the stack's DeadLetterQueues output lists them)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "redrive: AWS configuration:", err)
		os.Exit(1)
	}
	client := sqs.NewFromConfig(cfg)
	dlq, err := redrive.QueueURL(ctx, client, os.Args[1])
	if err == nil {
		var source string
		if source, err = redrive.Source(ctx, client, dlq); err == nil {
			var n int
			n, err = redrive.Move(ctx, client, dlq, source, os.Stdout)
			fmt.Printf("%d messages moved back to %s\n", n, source)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "redrive:", err)
		os.Exit(1)
	}
}
