// Command eligibility decides, for each queued referral, whether Drive
// takes it on, and passes it on to allocation or tells the referrer.
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
		log.Error("eligibility cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	env, err := lambdaenv.Require(getenv, "TABLE_NAME", "ALLOCATION_QUEUE_URL", "NOTIFY_QUEUE_URL", "RETENTION_DAYS")
	if err != nil {
		return nil, err
	}
	retention, err := lambdaenv.Days(env, "RETENTION_DAYS")
	if err != nil {
		return nil, err
	}
	cfg, err := lambdaenv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	sqsClient := sqs.NewFromConfig(cfg)
	return &handler{
		metrics: metrics.New(os.Stdout, "eligibility"),
		store:   dynamo.New(dynamodb.NewFromConfig(cfg), env["TABLE_NAME"]).WithRetention(retention),
		queues: queue.Named{
			dynamo.QueueAllocation: queue.New(sqsClient, env["ALLOCATION_QUEUE_URL"]),
			dynamo.QueueNotify:     queue.New(sqsClient, env["NOTIFY_QUEUE_URL"]),
		},
		log:    log,
		now:    time.Now,
		atOnce: recordsAtOnce,
	}, nil
}
