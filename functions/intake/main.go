// Command intake is the HTTP API's Lambda: it takes referrals and answers
// questions about their status.
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
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/lambdaenv"
	"github.com/driveprogramme/referrals/shared/logctx"
	"github.com/driveprogramme/referrals/shared/metrics"
	"github.com/driveprogramme/referrals/shared/queue"
	"github.com/driveprogramme/referrals/shared/referral"
	"github.com/driveprogramme/referrals/shared/signin"
)

func main() {
	log := logctx.New(lambdacontext.NewLogHandler())
	h, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("intake cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	env, err := lambdaenv.Require(getenv, "TABLE_NAME", "ELIGIBILITY_QUEUE_URL", "NOTIFY_QUEUE_URL", "OIDC_ISSUER", "OIDC_CLIENT_ID", "ROLES_CLAIM", "RETENTION_DAYS")
	if err != nil {
		return nil, err
	}
	// A referral linked to an open one ends on arrival: its personal data
	// expires this long after.
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
		metrics: metrics.New(os.Stdout, "intake"),
		store:   dynamo.New(dynamodb.NewFromConfig(cfg), env["TABLE_NAME"]).WithRetention(retention),
		queues: queue.Named{
			dynamo.QueueEligibility: queue.New(sqsClient, env["ELIGIBILITY_QUEUE_URL"]),
			dynamo.QueueNotify:      queue.New(sqsClient, env["NOTIFY_QUEUE_URL"]),
		},
		signIn: &signin.Web{Verifier: &signin.Verifier{
			Issuer: env["OIDC_ISSUER"], ClientID: env["OIDC_CLIENT_ID"], RolesClaim: env["ROLES_CLAIM"],
		}},
		rolesClaim: env["ROLES_CLAIM"],
		baseURL:    strings.TrimSuffix(getenv("PUBLIC_BASE_URL"), "/"),
		log:        log,
		now:        time.Now,
		newRef:     referral.NewReference,
		areaList:   &areaList{},
	}, nil
}
