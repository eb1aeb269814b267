// Command notify sends the emails that notification events ask for: to the
// case manager a referral is allocated to, and to the referrer.
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

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/email"
	"github.com/driveprogramme/referrals/shared/lambdaenv"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("notify cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	env, err := lambdaenv.Require(getenv, "TABLE_NAME", "SENDER_EMAIL", "PUBLIC_BASE_URL")
	if err != nil {
		return nil, err
	}
	cfg, err := lambdaenv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return &handler{
		store:   dynamo.New(dynamodb.NewFromConfig(cfg), env["TABLE_NAME"]),
		mail:    email.New(sesv2.NewFromConfig(cfg), env["SENDER_EMAIL"]),
		baseURL: strings.TrimRight(env["PUBLIC_BASE_URL"], "/"),
		log:     log,
		now:     time.Now,
	}, nil
}
