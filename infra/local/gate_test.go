package local

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/referral"
)

// gateWithTable starts moto and a gate with faults in front of it, with
// a table keyed as the template's (PK, SK), and returns clients' config
// for the functions' door and the table's name.
func gateWithTable(t *testing.T, f Faults) (*gate, aws.Config, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts moto")
	}
	ctx := t.Context()
	m, err := startMoto(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stop)
	g, err := startGate(m.URL, f, false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.close)
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), BaseEndpoint: aws.String(g.FunctionsURL)}
	table := "gate-test"
	_, err = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(g.URL) }).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}, {AttributeName: aws.String("SK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("SK"), KeyType: types.KeyTypeRange}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return g, cfg, table
}

func put(table, pk string) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "X"}}}}
}

// TestTransactionsThatMeetConflictAsInDynamoDB holds one item as a
// transaction in flight would, then sends, through the real SDK client,
// a transaction touching it and a plain write of it: the SDK must read
// the gate's answers as DynamoDB's (TransactionCanceledException with
// TransactionConflict on that item and None on the other;
// TransactionConflictException), and once the item is free both pass.
func TestTransactionsThatMeetConflictAsInDynamoDB(t *testing.T) {
	g, cfg, table := gateWithTable(t, Faults{Overlap: true})
	ctx := t.Context()
	client := dynamodb.NewFromConfig(cfg)
	// A transaction of the table's, queued or in flight, holds "B".
	holder, _ := http.NewRequest(http.MethodPost, "http://moto/", nil)
	holder.Header.Set("X-Amz-Target", "DynamoDB_20120810.TransactWriteItems")
	holder.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/"+region+"/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	o := g.dynamo.overlaps
	body := fmt.Sprintf(`{"TransactItems":[{"Update":{"TableName":%q,"Key":{"SK":{"S":"X"},"PK":{"S":"B"}},"UpdateExpression":"SET n = :n"}}]}`, table)
	refused, release, err := o.admit(holder, []byte(body))
	if err != nil || refused != nil {
		t.Fatalf("the first transaction: refused %v, %v; want it to hold its item", refused, err)
	}

	_, err = client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put(table, "A"), put(table, "B")}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("a transaction meeting another: got %v, want a TransactionCanceledException", err)
	}
	var codes []string
	for _, r := range tce.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if got := strings.Join(codes, ","); got != "None,TransactionConflict" {
		t.Errorf("cancellation reasons: got %s, want None,TransactionConflict", got)
	}
	var ae smithy.APIError
	if errors.As(err, &ae); ae == nil || ae.ErrorCode() != "TransactionCanceledException" || !strings.Contains(ae.ErrorMessage(), "[None, TransactionConflict]") {
		t.Errorf("got error %v, want DynamoDB's code and message", err)
	}
	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: put(table, "B").Put.Item})
	var tcx *types.TransactionConflictException
	if !errors.As(err, &tcx) {
		t.Errorf("a plain write of a held item: got %v, want TransactionConflictException", err)
	}
	// "A" is nobody's: a plain write of it passes.
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: put(table, "A").Put.Item}); err != nil {
		t.Errorf("a plain write of a free item: %v", err)
	}
	release()
	if _, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put(table, "A"), put(table, "B")}}); err != nil {
		t.Errorf("once the item is free: %v", err)
	}
	n := map[string]int{}
	g.count.snapshot(n)
	if n["dynamodb TransactionConflict (transactions met)"] != 1 || n["dynamodb TransactionConflictException (PutItem met a transaction)"] != 1 {
		t.Errorf("faults counted: %v, want one of each", n)
	}
}

// TestStoreRetriesInjectedConflicts runs the store the functions use
// against a gate that cancels half the transactions for a conflict:
// shared/dynamo must recognise the gate's cancellations as DynamoDB's
// and retry them, so every referral is stored.
func TestStoreRetriesInjectedConflicts(t *testing.T) {
	g, cfg, table := gateWithTable(t, Faults{Seed: 3, Conflict: 0.5})
	store := dynamo.New(dynamodb.NewFromConfig(cfg), table)
	const n = 20
	for i := range n {
		ref, _ := referral.NewReference()
		now := time.Now().UTC()
		rec := referral.Record{Reference: ref, Status: referral.StatusReceived, ReceivedAt: now, UpdatedAt: now, Referral: referral.Referral{Area: "gate",
			Perpetrator: referral.Perpetrator{FirstName: "Gate", LastName: fmt.Sprintf("Test-%d", i), DateOfBirth: "1980-01-01"}}}
		if err := store.CreateReferral(t.Context(), rec, "", ""); err != nil {
			t.Fatalf("referral %d: %v", i, err)
		}
	}
	got := map[string]int{}
	g.count.snapshot(got)
	if got["dynamodb TransactionConflict (at random)"] == 0 {
		t.Errorf("faults injected: %v, want conflicts", got)
	}
	t.Logf("%d referrals stored through %d injected conflicts", n, got["dynamodb TransactionConflict (at random)"])
}

// TestGateFaultsReachTheSDKAsAWSErrors: every injected error is read by
// the SDK as the error AWS sends (its code, and retried where the SDK
// retries AWS's), and the stack's own door is never faulted.
func TestGateFaultsReachTheSDKAsAWSErrors(t *testing.T) {
	g, cfg, table := gateWithTable(t, Faults{Seed: 1, Throttle: 1})
	ctx := t.Context()
	one := func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }
	_, err := dynamodb.NewFromConfig(cfg, one).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: put(table, "A").Put.Item})
	var ae smithy.APIError
	if !errors.As(err, &ae) || (ae.ErrorCode() != "ProvisionedThroughputExceededException" && ae.ErrorCode() != "ThrottlingException") {
		t.Errorf("throttled: got %v, want ProvisionedThroughputExceededException or ThrottlingException", err)
	}
	clean := cfg.Copy()
	clean.BaseEndpoint = aws.String(g.URL)
	if _, err := dynamodb.NewFromConfig(clean, one).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: put(table, "A").Put.Item}); err != nil {
		t.Errorf("the stack's own door: %v, want no fault", err)
	}

	tests := []struct {
		name   string
		faults Faults
		call   func(aws.Config) error
		want   []string
	}{
		{"DynamoDB 500", Faults{ServerError: 1}, func(c aws.Config) error {
			_, err := dynamodb.NewFromConfig(c, one).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: put(table, "A").Put.Item})
			return err
		}, []string{"InternalServerError"}},
		{"SQS", Faults{SQSFail: 1}, func(c aws.Config) error {
			_, err := sqs.NewFromConfig(c, func(o *sqs.Options) { o.RetryMaxAttempts = 1 }).ListQueues(ctx, &sqs.ListQueuesInput{})
			return err
		}, []string{"InternalError"}},
		{"SES", Faults{SESFail: 1}, func(c aws.Config) error {
			_, err := sesv2.NewFromConfig(c, func(o *sesv2.Options) { o.RetryMaxAttempts = 1 }).SendEmail(ctx, &sesv2.SendEmailInput{
				FromEmailAddress: aws.String("a@drive.example"), Destination: &sestypes.Destination{ToAddresses: []string{"b@drive.example"}},
				Content: &sestypes.EmailContent{Simple: &sestypes.Message{Subject: &sestypes.Content{Data: aws.String("s")}, Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("b")}}}}})
			return err
		}, []string{"TooManyRequestsException", "InternalFailure"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.injector.f = tt.faults
			err := tt.call(cfg)
			var ae smithy.APIError
			if !errors.As(err, &ae) || !strings.Contains(strings.Join(tt.want, " "), ae.ErrorCode()) {
				t.Errorf("got %v, want one of %v", err, tt.want)
			}
		})
	}
}
