package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// SES publishes events about every email sent through a configuration
// set to the set's event destinations (here an SNS topic, which feeds the
// feedback queue): Send when it takes the email, Delivery when the
// recipient's server accepts it, and bounces and complaints. moto
// publishes none, so the gate's transport does it: after a successful
// SESv2 SendEmail it publishes the Send and Delivery events that the
// template's AWS::SES::ConfigurationSetEventDestination asks for, in SES's
// event JSON and with the email's tags, to the topic it names (provision
// registers it). It sits next to moto, inside any fault injection, so that an email
// moto took is published even when its answer is then lost, as in AWS.

// sesDestination is a configuration set's SNS event destination.
type sesDestination struct {
	topicARN string
	types    []string // lower case, as CloudFormation writes them: send, delivery, bounce...
}

// sesDestinations holds, for each gate (by its URL), the event
// destinations of each configuration set (by name). provision fills it;
// a gate's transport reads it.
var sesDestinations sync.Map // gate URL → *sync.Map (configuration set → sesDestination)

// registerSESDestination records that configuration set configSet, behind
// the gate at endpoint, publishes the event types to topic.
func registerSESDestination(endpoint, configSet string, d sesDestination) {
	sets, _ := sesDestinations.LoadOrStore(strings.TrimRight(endpoint, "/"), &sync.Map{})
	sets.(*sync.Map).Store(configSet, d)
}

// withSESEvents wraps next, the transport to moto, for the gate at
// gateURL, with SES's event publishing.
func withSESEvents(gateURL string, next http.RoundTripper) http.RoundTripper {
	return &sesEvents{gate: strings.TrimRight(gateURL, "/"), next: next}
}

type sesEvents struct {
	gate string
	next http.RoundTripper
}

// sendEmailInput is what an event needs of an SESv2 SendEmail request.
type sendEmailInput struct {
	FromEmailAddress     string
	ConfigurationSetName string
	Destination          struct{ ToAddresses, CcAddresses, BccAddresses []string }
	Content              struct {
		Simple *struct{ Subject struct{ Data string } }
	}
	EmailTags []struct{ Name, Value string }
}

func (s *sesEvents) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.URL.Path != "/v2/email/outbound-emails" || req.Body == nil {
		return s.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := s.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	if err != nil {
		return resp, nil
	}
	var in sendEmailInput
	var out struct{ MessageId string }
	if json.Unmarshal(body, &in) != nil || json.Unmarshal(answer, &out) != nil || out.MessageId == "" || in.ConfigurationSetName == "" {
		return resp, nil
	}
	sets, ok := sesDestinations.Load(s.gate)
	if !ok {
		return resp, nil
	}
	d, ok := sets.(*sync.Map).Load(in.ConfigurationSetName)
	if !ok {
		return resp, nil
	}
	// SES publishes after it has answered, not before.
	moto := req.URL.Scheme + "://" + req.URL.Host
	go s.publish(moto, d.(sesDestination), in, out.MessageId, time.Now().UTC())
	return resp, nil
}

// publish sends SES's Send and Delivery events of an email that the
// destination asks for to its topic, as SES does, through moto's SNS.
func (s *sesEvents) publish(moto string, d sesDestination, in sendEmailInput, messageID string, sent time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	arn := strings.Split(d.topicARN, ":")
	if len(arn) < 6 {
		return
	}
	client := sns.New(sns.Options{Region: arn[3], BaseEndpoint: aws.String(moto), HTTPClient: &http.Client{Transport: s.next},
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	for _, ev := range sesEventsOf(in, messageID, arn[3], arn[4], sent) {
		if !slices.Contains(d.types, strings.ToLower(ev.EventType)) {
			continue
		}
		b, err := json.Marshal(ev)
		if err != nil {
			continue
		}
		if _, err := client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(d.topicARN), Message: aws.String(string(b))}); err != nil {
			fmt.Fprintf(os.Stderr, "local SES: publish %s event of %s: %v\n", ev.EventType, messageID, err)
		}
	}
}

// sesEvent is an SES event as a configuration set publishes it (SES
// developer guide, "Examples of event data that Amazon SES publishes to
// Amazon SNS"): the email's mail object, with its tags, and the event's
// own object.
type sesEvent struct {
	EventType string       `json:"eventType"`
	Mail      sesMail      `json:"mail"`
	Send      *struct{}    `json:"send,omitempty"`
	Delivery  *sesDelivery `json:"delivery,omitempty"`
}

type sesMail struct {
	Timestamp        string              `json:"timestamp"`
	Source           string              `json:"source"`
	SourceArn        string              `json:"sourceArn"`
	SendingAccountID string              `json:"sendingAccountId"`
	MessageID        string              `json:"messageId"`
	Destination      []string            `json:"destination"`
	HeadersTruncated bool                `json:"headersTruncated"`
	Headers          []map[string]string `json:"headers"`
	CommonHeaders    map[string]any      `json:"commonHeaders"`
	Tags             map[string][]string `json:"tags"`
}

type sesDelivery struct {
	Timestamp            string   `json:"timestamp"`
	ProcessingTimeMillis int      `json:"processingTimeMillis"`
	Recipients           []string `json:"recipients"`
	SMTPResponse         string   `json:"smtpResponse"`
	ReportingMTA         string   `json:"reportingMTA"`
}

// sesEventsOf are the Send and Delivery events of an email SES took.
func sesEventsOf(in sendEmailInput, messageID, region, account string, sent time.Time) []sesEvent {
	to := slices.Concat(in.Destination.ToAddresses, in.Destination.CcAddresses, in.Destination.BccAddresses)
	domain := in.FromEmailAddress[strings.LastIndex(in.FromEmailAddress, "@")+1:]
	tags := map[string][]string{
		"ses:operation": {"SendEmail"}, "ses:configuration-set": {in.ConfigurationSetName}, "ses:source-ip": {"127.0.0.1"},
		"ses:from-domain": {domain}, "ses:caller-identity": {"local"},
	}
	for _, t := range in.EmailTags {
		tags[t.Name] = []string{t.Value}
	}
	subject := ""
	if in.Content.Simple != nil {
		subject = in.Content.Simple.Subject.Data
	}
	stamp := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	mail := sesMail{
		Timestamp: stamp(sent), Source: in.FromEmailAddress, SourceArn: "arn:aws:ses:" + region + ":" + account + ":identity/" + domain,
		SendingAccountID: account, MessageID: messageID, Destination: to, Headers: []map[string]string{},
		CommonHeaders: map[string]any{"from": []string{in.FromEmailAddress}, "to": in.Destination.ToAddresses, "messageId": messageID, "subject": subject},
		Tags:          tags,
	}
	delivered := time.Now().UTC()
	return []sesEvent{
		{EventType: "Send", Mail: mail, Send: &struct{}{}},
		{EventType: "Delivery", Mail: mail, Delivery: &sesDelivery{Timestamp: stamp(delivered), ProcessingTimeMillis: int(delivered.Sub(sent).Milliseconds()),
			Recipients: to, SMTPResponse: "250 2.6.0 Message received", ReportingMTA: "a8-70.smtp-out.amazonses.com"}},
	}
}
