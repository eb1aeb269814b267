package local

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

const (
	region  = "eu-west-2"
	account = "123456789012"
)

// provisioned holds the physical ids of what provision created.
type provisioned struct {
	tables map[string]string // logical id → table name
	queues map[string]string // logical id → queue URL
	keys   map[string]string // logical id → KMS key ARN
	named  map[string]string // logical id → what Ref answers: an SNS topic's ARN, an SES configuration set's name
}

func (p *provisioned) ref(id string) (string, bool) {
	if v, ok := p.tables[id]; ok {
		return v, true
	}
	if arn, ok := p.keys[id]; ok {
		return arn[strings.LastIndex(arn, "/")+1:], true // a key's Ref is its id
	}
	if v, ok := p.named[id]; ok {
		return v, true
	}
	v, ok := p.queues[id]
	return v, ok
}

func (p *provisioned) attr(id, name string) (string, bool) {
	if t, ok := p.tables[id]; ok && name == "Arn" {
		return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, account, t), true
	}
	if arn, ok := p.keys[id]; ok && name == "Arn" {
		return arn, true
	}
	if _, ok := p.queues[id]; ok {
		switch name {
		case "Arn":
			return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, account, id), true
		case "QueueName":
			return id, true
		case "QueueUrl":
			return p.queues[id], true
		}
	}
	return "", false
}

// byType returns the logical ids of resources of one type, sorted.
func (t *Template) byType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// provision creates the template's tables, queues (with their redrive
// policies) and SES identities. visibility, when not zero, replaces every
// queue's visibility timeout (tests shorten it to see redelivery quickly).
func provision(ctx context.Context, cfg aws.Config, r *resolver, p *provisioned, visibility int) error {
	ddb, sq, ses := dynamodb.NewFromConfig(cfg), sqs.NewFromConfig(cfg), sesv2.NewFromConfig(cfg)
	// Keys first: the table and the queues are encrypted with them.
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	for _, id := range r.t.byType("AWS::KMS::Key") {
		desc, _ := r.String(r.t.Resources[id].Properties["Description"])
		out, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(desc)})
		if err != nil {
			return fmt.Errorf("create key %s: %w", id, err)
		}
		p.keys[id] = aws.ToString(out.KeyMetadata.Arn)
		if ok, _ := r.t.Resources[id].Properties["EnableKeyRotation"].(bool); ok {
			if _, err := kms.NewFromConfig(cfg).EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: out.KeyMetadata.KeyId}); err != nil {
				return fmt.Errorf("key %s rotation: %w", id, err)
			}
		}
	}
	for _, id := range r.t.byType("AWS::DynamoDB::Table") {
		if err := createTable(ctx, ddb, r, id, p.tables[id]); err != nil {
			return err
		}
	}
	// Queues first, redrive policies once every dead-letter queue exists.
	queueIDs := r.t.byType("AWS::SQS::Queue")
	for _, id := range queueIDs {
		attrs := map[string]string{}
		for _, name := range []string{"VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "MaximumMessageSize",
			"KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"} {
			if v, ok := r.t.Resources[id].Properties[name]; ok {
				s, err := r.String(v)
				if err != nil {
					return fmt.Errorf("queue %s %s: %w", id, name, err)
				}
				attrs[name] = s
			}
		}
		if visibility > 0 {
			attrs["VisibilityTimeout"] = fmt.Sprint(visibility)
		}
		out, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(id), Attributes: attrs})
		if err != nil {
			return fmt.Errorf("create queue %s: %w", id, err)
		}
		p.queues[id] = aws.ToString(out.QueueUrl)
	}
	for _, id := range queueIDs {
		rp, ok := r.t.Resources[id].Properties["RedrivePolicy"]
		if !ok {
			continue
		}
		resolved, err := r.resolve(rp)
		if err != nil {
			return fmt.Errorf("queue %s redrive policy: %w", id, err)
		}
		policy, _ := json.Marshal(resolved)
		if _, err := sq.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(p.queues[id]),
			Attributes: map[string]string{"RedrivePolicy": string(policy)}}); err != nil {
			return fmt.Errorf("queue %s redrive policy: %w", id, err)
		}
	}
	// Bounces and complaints: SES's configuration set, the SNS topic it
	// publishes to, and the topic's subscriptions (moto delivers to SQS).
	if p.named == nil {
		p.named = map[string]string{}
	}
	for _, id := range r.t.byType("AWS::SES::ConfigurationSet") {
		name := "drive-local-" + id
		if _, err := ses.CreateConfigurationSet(ctx, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: &name}); err != nil {
			return fmt.Errorf("SES configuration set %s: %w", id, err)
		}
		p.named[id] = name
	}
	topics := sns.NewFromConfig(cfg)
	for _, id := range r.t.byType("AWS::SNS::Topic") {
		out, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(id)})
		if err != nil {
			return fmt.Errorf("SNS topic %s: %w", id, err)
		}
		p.named[id] = aws.ToString(out.TopicArn)
	}
	for _, id := range r.t.byType("AWS::SNS::Subscription") {
		props := r.t.Resources[id].Properties
		if props["Protocol"] != "sqs" {
			continue // email and the like: nowhere to deliver locally
		}
		topic, err := r.String(props["TopicArn"])
		if err != nil {
			return fmt.Errorf("subscription %s: %w", id, err)
		}
		endpoint, err := r.String(props["Endpoint"])
		if err != nil {
			return fmt.Errorf("subscription %s: %w", id, err)
		}
		attrs := map[string]string{}
		if raw, _ := props["RawMessageDelivery"].(bool); raw {
			attrs["RawMessageDelivery"] = "true"
		}
		if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: &endpoint, Attributes: attrs}); err != nil {
			return fmt.Errorf("subscription %s: %w", id, err)
		}
	}
	// SES's event destinations: the gate publishes SES's Send and
	// Delivery events to their topics, as SES does (sesevents.go).
	for _, id := range r.t.byType("AWS::SES::ConfigurationSetEventDestination") {
		props := r.t.Resources[id].Properties
		set, err := r.String(props["ConfigurationSetName"])
		if err != nil {
			return fmt.Errorf("event destination %s: %w", id, err)
		}
		dest, _ := props["EventDestination"].(map[string]any)
		if enabled, ok := dest["Enabled"].(bool); ok && !enabled {
			continue
		}
		snsDest, _ := dest["SnsDestination"].(map[string]any)
		if snsDest == nil {
			continue
		}
		topic, err := r.String(snsDest["TopicARN"])
		if err != nil {
			return fmt.Errorf("event destination %s: %w", id, err)
		}
		d := sesDestination{topicARN: topic}
		types, _ := dest["MatchingEventTypes"].([]any)
		for _, t := range types {
			d.types = append(d.types, strings.ToLower(fmt.Sprint(t)))
		}
		registerSESDestination(aws.ToString(cfg.BaseEndpoint), set, d)
	}
	for _, id := range r.t.byType("AWS::SES::EmailIdentity") {
		res := r.t.Resources[id]
		if res.Condition != "" {
			if ok, err := r.condition(res.Condition); err != nil || !ok {
				continue
			}
		}
		identity, err := r.String(res.Properties["EmailIdentity"])
		if err != nil {
			return fmt.Errorf("SES identity %s: %w", id, err)
		}
		if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: &identity}); err != nil {
			return fmt.Errorf("SES identity %s: %w", id, err)
		}
	}
	return nil
}

// createTable creates a table from its CloudFormation properties: the key
// and index properties have the same names in CloudFormation and the API.
func createTable(ctx context.Context, ddb *dynamodb.Client, r *resolver, id, name string) error {
	props, err := r.resolve(r.t.Resources[id].Properties)
	if err != nil {
		return fmt.Errorf("table %s: %w", id, err)
	}
	pm := props.(map[string]any)
	subset := map[string]any{}
	for _, k := range []string{"AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "BillingMode", "ProvisionedThroughput", "DeletionProtectionEnabled"} {
		if v, ok := pm[k]; ok {
			subset[k] = v
		}
	}
	// CloudFormation's SSEEnabled is the API's Enabled.
	if sse, ok := pm["SSESpecification"].(map[string]any); ok {
		subset["SSESpecification"] = map[string]any{"Enabled": sse["SSEEnabled"], "SSEType": sse["SSEType"], "KMSMasterKeyId": sse["KMSMasterKeyId"]}
	}
	raw, _ := json.Marshal(subset)
	var in dynamodb.CreateTableInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return fmt.Errorf("table %s: %w", id, err)
	}
	in.TableName = aws.String(name)
	if _, err := ddb.CreateTable(ctx, &in); err != nil {
		return fmt.Errorf("create table %s: %w", id, err)
	}
	if pitr, ok := pm["PointInTimeRecoverySpecification"].(map[string]any); ok && pitr["PointInTimeRecoveryEnabled"] == true {
		if _, err := ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(name),
			PointInTimeRecoverySpecification: &dtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}}); err != nil {
			return fmt.Errorf("table %s point-in-time recovery: %w", id, err)
		}
	}
	if ttl, ok := pm["TimeToLiveSpecification"].(map[string]any); ok {
		raw, _ := json.Marshal(ttl)
		var spec struct{ AttributeName string }
		_ = json.Unmarshal(raw, &spec)
		if _, err := ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
			TimeToLiveSpecification: &dtypes.TimeToLiveSpecification{AttributeName: &spec.AttributeName, Enabled: aws.Bool(true)}}); err != nil {
			return fmt.Errorf("table %s TTL: %w", id, err)
		}
	}
	return nil
}
