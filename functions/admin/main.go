// Command admin is the HTTP API's Lambda for areas and their case
// managers: their rules, capacities and whether they take cases; and the
// area's pages for its leads: the area page (GET and POST /areas/{area}),
// its report (and its download) and its list of referrals.
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

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/lambdaenv"
	"github.com/driveprogramme/referrals/shared/logctx"
	"github.com/driveprogramme/referrals/shared/queue"
	"github.com/driveprogramme/referrals/shared/signin"
)

func main() {
	log := logctx.New(lambdacontext.NewLogHandler())
	h, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("admin cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	env, err := lambdaenv.Require(getenv, "TABLE_NAME", "ALLOCATION_QUEUE_URL", "NOTIFY_QUEUE_URL", "ROLES_CLAIM", "OIDC_ISSUER", "OIDC_CLIENT_ID")
	if err != nil {
		return nil, err
	}
	cfg, err := lambdaenv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	q := sqs.NewFromConfig(cfg)
	tokens := &signin.Verifier{Issuer: env["OIDC_ISSUER"], ClientID: env["OIDC_CLIENT_ID"], RolesClaim: env["ROLES_CLAIM"]}
	return &handler{
		store: dynamo.New(dynamodb.NewFromConfig(cfg), env["TABLE_NAME"]),
		queues: queue.Named{
			dynamo.QueueAllocation: queue.New(q, env["ALLOCATION_QUEUE_URL"]),
			dynamo.QueueNotify:     queue.New(q, env["NOTIFY_QUEUE_URL"]),
		},
		signIn: &signin.Web{Verifier: tokens},
		verify: func(ctx context.Context, raw string) (auth.Identity, error) {
			id, _, err := tokens.Verify(ctx, raw)
			return id, err
		},
		rolesClaim: env["ROLES_CLAIM"],
		log:        log,
		now:        time.Now,
	}, nil
}
