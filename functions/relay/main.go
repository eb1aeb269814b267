// Command relay runs on a schedule and sends what the transactional
// outbox still holds: the messages committed with a write whose writer
// could not send them (the queue failed, or the process died between its
// commit and its send). See shared/dynamo/outbox.go.
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
	"github.com/driveprogramme/referrals/shared/metrics"
	"github.com/driveprogramme/referrals/shared/queue"
)

func main() {
	log := logctx.New(lambdacontext.NewLogHandler())
	h, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("relay cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	env, err := lambdaenv.Require(getenv, "TABLE_NAME", "ELIGIBILITY_QUEUE_URL", "ALLOCATION_QUEUE_URL", "NOTIFY_QUEUE_URL", "OUTBOX_GRACE")
	if err != nil {
		return nil, err
	}
	grace, err := lambdaenv.Duration(env, "OUTBOX_GRACE")
	if err != nil {
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
			dynamo.QueueEligibility: queue.New(q, env["ELIGIBILITY_QUEUE_URL"]),
			dynamo.QueueAllocation:  queue.New(q, env["ALLOCATION_QUEUE_URL"]),
			dynamo.QueueNotify:      queue.New(q, env["NOTIFY_QUEUE_URL"]),
		},
		grace:   grace,
		metrics: metrics.New(os.Stdout, "relay"),
		log:     log,
		now:     time.Now,
	}, nil
}
