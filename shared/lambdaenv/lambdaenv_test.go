package lambdaenv_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/driveprogramme/referrals/shared/lambdaenv"
)

func TestRequire(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "drive", "BLANK": "  "}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		names   []string
		wantErr string
	}{
		{[]string{"TABLE_NAME"}, ""},
		{[]string{"TABLE_NAME", "QUEUE_URL", "BLANK"}, "missing environment variables: QUEUE_URL, BLANK"},
	}
	for _, tt := range tests {
		vals, err := lambdaenv.Require(getenv, tt.names...)
		switch {
		case tt.wantErr == "" && (err != nil || vals["TABLE_NAME"] != "drive"):
			t.Errorf("Require(%v) = %v, %v; want TABLE_NAME=drive", tt.names, vals, err)
		case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
			t.Errorf("Require(%v) error = %v; want %q", tt.names, err, tt.wantErr)
		}
	}
}

func TestDays(t *testing.T) {
	for v, ok := range map[string]bool{"365": true, "1": true, "0": false, "-3": false, "a year": false, "": false, "3651": false} {
		d, err := lambdaenv.Days(map[string]string{"RETENTION_DAYS": v}, "RETENTION_DAYS")
		if (err == nil) != ok || (ok && d.Hours() < 24) {
			t.Errorf("%q: got %v, %v; want ok=%v", v, d, err, ok)
		}
	}
}

func TestCountAndDuration(t *testing.T) {
	env := map[string]string{"N": "5", "BAD": "five", "D": "24h", "NEG": "-1s", "ZERO": "0s"}
	if n, err := lambdaenv.Count(env, "N", 1, 10); err != nil || n != 5 {
		t.Errorf("Count(N) = %d, %v", n, err)
	}
	for _, name := range []string{"BAD", "D"} {
		if _, err := lambdaenv.Count(env, name, 1, 10); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Count(%s): got %v, want an error naming it", name, err)
		}
	}
	if _, err := lambdaenv.Count(env, "N", 6, 10); err == nil {
		t.Error("Count took 5 for a range of 6 to 10")
	}
	if d, err := lambdaenv.Duration(env, "D"); err != nil || d != 24*time.Hour {
		t.Errorf("Duration(D) = %v, %v", d, err)
	}
	for _, name := range []string{"BAD", "NEG", "ZERO", "MISSING"} {
		if _, err := lambdaenv.Duration(env, name); err == nil {
			t.Errorf("Duration(%s) took it", name)
		}
	}
}

func TestBudget(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		margin time.Duration
		want   time.Time // zero: no deadline
	}{
		{"margin taken off the invocation's deadline", parent, 2 * time.Second, deadline.Add(-2 * time.Second)},
		{"no deadline, none added", context.Background(), 2 * time.Second, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := lambdaenv.Budget(tt.ctx, tt.margin)
			defer cancel()
			got, ok := ctx.Deadline()
			if !got.Equal(tt.want) || ok == tt.want.IsZero() {
				t.Errorf("got deadline %v (%v), want %v", got, ok, tt.want)
			}
		})
	}
	t.Run("deadline within the margin: done at once", func(t *testing.T) {
		near, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Second))
		defer cancel()
		ctx, cancel := lambdaenv.Budget(near, time.Minute)
		defer cancel()
		if got := ctx.Err(); got != context.DeadlineExceeded {
			t.Errorf("got %v, want %v", got, context.DeadlineExceeded)
		}
	})
}

func TestAWSConfigRetriesWithinTheBudget(t *testing.T) {
	lambdaEnvironment(t)
	cfg, err := lambdaenv.AWSConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Retryer == nil {
		t.Fatal("got no retryer, want one: the SDK's own waits up to 20 s between attempts")
	}
	r := cfg.Retryer()
	for attempt := 1; attempt <= 10; attempt++ {
		d, err := r.RetryDelay(attempt, errors.New("throttled"))
		if err != nil || d > lambdaenv.RetryMaxBackoff {
			t.Errorf("attempt %d: got a wait of %v (%v), want at most %v", attempt, d, err, lambdaenv.RetryMaxBackoff)
		}
	}
}

// TestAWSConfigRetriesAWriteThatMetATransaction: DynamoDB answers a plain
// write to an item a transaction holds with TransactionConflictException,
// which the standard retryer does not know.
func TestAWSConfigRetriesAWriteThatMetATransaction(t *testing.T) {
	lambdaEnvironment(t)
	cfg, err := lambdaenv.AWSConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Retryer()
	tests := []struct {
		code string
		want bool
	}{
		{"TransactionConflictException", true},
		{"ProvisionedThroughputExceededException", true},
		{"ConditionalCheckFailedException", false},
		{"TransactionCanceledException", false},
	}
	for _, tt := range tests {
		if got := r.IsErrorRetryable(&smithy.GenericAPIError{Code: tt.code}); got != tt.want {
			t.Errorf("%s: got retryable %v, want %v", tt.code, got, tt.want)
		}
	}
}

// lambdaEnvironment sets what Lambda sets for every function.
func lambdaEnvironment(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"} {
		t.Setenv(k, v)
	}
}

// TestAWSConfigIsReadFromLambdasEnvironment: the region, the role's
// credentials and a local endpoint come from the variables Lambda (or the
// local runtime) sets; a missing one is named.
func TestAWSConfigIsReadFromLambdasEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"Lambda's", map[string]string{"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}, ""},
		{"the CLI's region", map[string]string{"AWS_DEFAULT_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}, ""},
		{"local, with an endpoint", map[string]string{"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, ""},
		{"nothing", map[string]string{}, "AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"},
		{"no secret", map[string]string{"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": " "}, "AWS_SECRET_ACCESS_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
				t.Setenv(k, tt.env[k])
			}
			cfg, err := lambdaenv.AWSConfig(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.env["AWS_REGION"] + tt.env["AWS_DEFAULT_REGION"]; cfg.Region != want {
				t.Errorf("region: got %q, want %q", cfg.Region, want)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil || creds.AccessKeyID != tt.env["AWS_ACCESS_KEY_ID"] || creds.SecretAccessKey != tt.env["AWS_SECRET_ACCESS_KEY"] || creds.SessionToken != tt.env["AWS_SESSION_TOKEN"] {
				t.Errorf("credentials: got %+v (%v), want the environment's", creds, err)
			}
			if got := aws.ToString(cfg.BaseEndpoint); got != tt.env["AWS_ENDPOINT_URL"] {
				t.Errorf("endpoint: got %q, want %q", got, tt.env["AWS_ENDPOINT_URL"])
			}
		})
	}
}
