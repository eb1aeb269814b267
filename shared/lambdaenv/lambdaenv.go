// Package lambdaenv reads a function's configuration at start-up, so that
// a missing setting stops the function with one clear message rather than
// failing on the first event.
package lambdaenv

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Require returns the values of the named environment variables, or an
// error naming every one that is empty.
func Require(getenv func(string) string, names ...string) (map[string]string, error) {
	vals := make(map[string]string, len(names))
	var missing []string
	for _, n := range names {
		if vals[n] = strings.TrimSpace(getenv(n)); vals[n] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing environment variables: %s", strings.Join(missing, ", "))
	}
	return vals, nil
}

// AWSConfig returns the SDK configuration a function's clients are built
// from, read from the environment Lambda gives every function (Lambda's
// "Defined runtime environment variables"): the region (AWS_REGION) and the
// execution role's credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN). Locally the same variables are set by the local
// runtime, and AWS_ENDPOINT_URL points every client at the local AWS API
// server, so the functions hold no local-only code. ctx is not used:
// nothing is read from files or the network.
//
// Why not config.LoadDefaultConfig: it reads the shared config files and
// links the SSO, SSO OIDC, STS and IMDS clients for credential chains a
// function never uses, which made every function's init about 4 times a
// bare Go Lambda's and its zip about a megabyte larger (issue 16). Local
// tools (infra/redrive/cmd) keep the full chain.
//
// Every call is bounded by its context (Budget), attempts and the waits
// between them alike: the SDK's retryer sleeps on the context. The wait
// between attempts is capped at RetryMaxBackoff rather than the SDK's
// 20 s, so that retries of a throttled or failed call fit in a function's
// 10 s rather than one wait taking the rest of it.
//
// DynamoDB's TransactionConflictException (a plain write to an item that
// a transaction holds, as DynamoDB's documentation on transaction
// conflicts describes) is retried as a transient error: the standard
// retryer does not know the code, and the write would otherwise fail its
// whole message. Cancelled transactions (TransactionCanceledException)
// are not retried here: shared/dynamo retries those whose reasons are all
// TransactionConflict, as only it can tell.
//
// It returns an error naming every variable that is missing (AWS_REGION,
// or AWS_DEFAULT_REGION as the CLI reads it; the key id and secret).
func AWSConfig(_ context.Context) (aws.Config, error) {
	return awsConfig(os.Getenv)
}

func awsConfig(getenv func(string) string) (aws.Config, error) {
	region := cmp.Or(strings.TrimSpace(getenv("AWS_REGION")), strings.TrimSpace(getenv("AWS_DEFAULT_REGION")))
	id, secret := strings.TrimSpace(getenv("AWS_ACCESS_KEY_ID")), strings.TrimSpace(getenv("AWS_SECRET_ACCESS_KEY"))
	var missing []string
	if region == "" {
		missing = append(missing, "AWS_REGION")
	}
	if id == "" {
		missing = append(missing, "AWS_ACCESS_KEY_ID")
	}
	if secret == "" {
		missing = append(missing, "AWS_SECRET_ACCESS_KEY")
	}
	if len(missing) > 0 {
		return aws.Config{}, fmt.Errorf("load AWS config: missing environment variables (Lambda sets them for every function): %s", strings.Join(missing, ", "))
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, strings.TrimSpace(getenv("AWS_SESSION_TOKEN"))),
		Retryer: func() aws.Retryer {
			std := retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = RetryMaxBackoff })
			return retry.AddWithErrorCodes(std, "TransactionConflictException")
		},
	}
	if u := strings.TrimSpace(getenv("AWS_ENDPOINT_URL")); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	return cfg, nil
}

// RetryMaxBackoff is the longest wait between two attempts of an SDK call.
const RetryMaxBackoff = time.Second

// Days reads a whole number of days from a variable Require has read,
// between 1 and 3650, as a duration.
func Days(env map[string]string, name string) (time.Duration, error) {
	n, err := strconv.Atoi(env[name])
	if err != nil || n < 1 || n > 3650 {
		return 0, fmt.Errorf("environment variable %s is %q: want a whole number of days from 1 to 3650", name, env[name])
	}
	return time.Duration(n) * 24 * time.Hour, nil
}

// Count reads a whole number from lo to hi from a variable Require has read.
func Count(env map[string]string, name string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(env[name])
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("environment variable %s is %q: want a whole number from %d to %d", name, env[name], lo, hi)
	}
	return n, nil
}

// Duration reads a positive duration written as Go writes them ("24h",
// "90m", "30s") from a variable Require has read.
func Duration(env map[string]string, name string) (time.Duration, error) {
	d, err := time.ParseDuration(env[name])
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("environment variable %s is %q: want a duration like 24h, 90m or 30s", name, env[name])
	}
	return d, nil
}

// Budget returns a context whose deadline is margin before ctx's, and its
// cancel function. Lambda gives every invocation's context the deadline
// the Runtime API sent (Lambda-Runtime-Deadline-Ms); calls made under the
// budget give up while margin is left to answer: an HTTP function its 503,
// an SQS function its batch's failed records. Lambda kills a function at
// its deadline, and API Gateway then answers 500 or 503 in its own words:
// nothing the function meant to say reaches anyone.
//
// A context without a deadline (a test, a command) is returned with only a
// cancel; a deadline less than margin away gives a context that is already
// done, whose calls fail at once with context.DeadlineExceeded.
func Budget(ctx context.Context, margin time.Duration) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-margin))
}
