// Command notify sends the emails that notification events ask for (to
// case managers, referrers, victims' IDVAs, MARAC coordinators and area
// leads), each once, and records SES's bounces and complaints.
package main

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/email"
	"github.com/driveprogramme/referrals/shared/lambdaenv"
	"github.com/driveprogramme/referrals/shared/logctx"
	"github.com/driveprogramme/referrals/shared/metrics"
	"github.com/driveprogramme/referrals/shared/queue"
)

func main() {
	log := logctx.New(lambdacontext.NewLogHandler())
	h, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("notify cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	env, err := lambdaenv.Require(getenv, "TABLE_NAME", "SENDER_EMAIL", "PUBLIC_BASE_URL", "NOTIFY_QUEUE_URL", "MAX_RECEIVE_COUNT")
	if err != nil {
		return nil, err
	}
	tries, err := lambdaenv.Count(env, "MAX_RECEIVE_COUNT", 1, 1000)
	if err != nil {
		return nil, err
	}
	// How long an email whose send's outcome is unknown waits for SES's
	// Send event before it is sent again (notification.ReconcileWindow
	// unless set: the local stack shortens it with its queues).
	var reconcile time.Duration
	if getenv("RECONCILE_AFTER") != "" {
		if reconcile, err = lambdaenv.Duration(map[string]string{"RECONCILE_AFTER": getenv("RECONCILE_AFTER")}, "RECONCILE_AFTER"); err != nil {
			return nil, err
		}
	}
	cfg, err := lambdaenv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return &handler{
		store:     dynamo.New(dynamodb.NewFromConfig(cfg), env["TABLE_NAME"]),
		mail:      email.New(sesv2.NewFromConfig(cfg), env["SENDER_EMAIL"], getenv("SES_CONFIGURATION_SET")),
		later:     queue.Named{dynamo.QueueNotify: queue.New(sqs.NewFromConfig(cfg), env["NOTIFY_QUEUE_URL"])},
		metrics:   metrics.New(os.Stdout, "notify"),
		baseURL:   strings.TrimRight(env["PUBLIC_BASE_URL"], "/"),
		tries:     tries,
		reconcile: reconcile,
		log:       log,
		now:       time.Now,
		atOnce:    recordsAtOnce,
	}, nil
}
