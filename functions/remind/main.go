// Command remind runs on a schedule and chases allocations their case
// managers have not accepted: a reminder to the case manager after
// REMIND_AFTER, an escalation to the area's leads ESCALATE_AFTER later.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/lambdaenv"
	"github.com/driveprogramme/referrals/shared/logctx"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/queue"
)

func main() {
	log := logctx.New(lambdacontext.NewLogHandler())
	h, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("remind cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	env, err := lambdaenv.Require(getenv, "TABLE_NAME", "NOTIFY_QUEUE_URL", "ALLOCATION_QUEUE_URL", "REMIND_AFTER", "ESCALATE_AFTER")
	if err != nil {
		return nil, err
	}
	var chase notification.Chase
	if chase.Remind, err = lambdaenv.Duration(env, "REMIND_AFTER"); err != nil {
		return nil, err
	}
	if chase.Escalate, err = lambdaenv.Duration(env, "ESCALATE_AFTER"); err != nil {
		return nil, err
	}
	cfg, err := lambdaenv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	q := sqs.NewFromConfig(cfg)
	return &handler{
		store: dynamo.New(dynamodb.NewFromConfig(cfg), env["TABLE_NAME"]),
		queues: queue.Named{
			dynamo.QueueNotify:     queue.New(q, env["NOTIFY_QUEUE_URL"]),
			dynamo.QueueAllocation: queue.New(q, env["ALLOCATION_QUEUE_URL"]),
		},
		chase: chase,
		log:   log,
		now:   time.Now,
	}, nil
}
