// Package email sends Drive's emails, in plain text and HTML, through
// Amazon SES v2.
package email

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/driveprogramme/referrals/shared/mailaddr"
	"github.com/driveprogramme/referrals/shared/notification"
)

// ses is the part of the SES v2 client that Sender uses.
type ses interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ ses = (*sesv2.Client)(nil)

// Sender sends from one verified identity, through a configuration set
// (when named) that publishes bounces and complaints.
type Sender struct {
	client    ses
	from      string
	configSet string
}

// New returns a Sender that sends from the address from, through the
// configuration set configSet ("" for none).
func New(client *sesv2.Client, from, configSet string) *Sender {
	return &Sender{client: client, from: from, configSet: configSet}
}

// Send sends e and returns SES's message id, which its bounce and
// complaint events carry. The email carries a tag naming its receipt
// (notification.ReceiptTag), so that SES's Send and Delivery events tell
// of it even when this call's answer is lost. The address is given to SES
// as mailaddr.ForSES makes it (an internationalised domain in Punycode),
// and one SES cannot send to is refused before SES is called, with an
// error wrapping notification.ErrUndeliverable: no retry can send it.
//
// Otherwise its error says whether SES may have taken the email: one that
// wraps notification.ErrOutcomeUnknown when the request may have reached
// SES and no answer came back (a timeout, a reset connection), so that a
// retry must not send it blindly; one that does not when SES answered with
// an error (throttled, MessageRejected) or no connection was made, so that
// nothing was sent. The SDK's own retries are off for this call: a retry
// after a lost answer would hide exactly that, and the queue retries.
func (s *Sender) Send(ctx context.Context, e notification.Email) (string, error) {
	to, err := mailaddr.ForSES(e.To)
	if err != nil {
		return "", fmt.Errorf("send %s email: %w: %w", e.Kind, notification.ErrUndeliverable, err)
	}
	tags := []types.MessageTag{{Name: aws.String("kind"), Value: aws.String(string(e.Kind))}}
	if e.ID != "" {
		tag, err := notification.ReceiptTag(e.ID)
		if err != nil {
			return "", fmt.Errorf("send %s email: %w", e.Kind, err)
		}
		tags = append(tags, types.MessageTag{Name: aws.String(notification.ReceiptTagName), Value: aws.String(tag)})
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: &s.from,
		Destination:      &types.Destination{ToAddresses: []string{to}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: &e.Subject, Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: &e.Text, Charset: aws.String("UTF-8")},
				Html: &types.Content{Data: &e.HTML, Charset: aws.String("UTF-8")},
			},
		}},
		EmailTags: tags,
	}
	if s.configSet != "" {
		in.ConfigurationSetName = &s.configSet
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("send %s email: not tried: %w", e.Kind, err)
	}
	out, err := s.client.SendEmail(ctx, in, oneAttempt)
	if err != nil {
		if !definite(err) {
			err = fmt.Errorf("%w: %w", notification.ErrOutcomeUnknown, err)
		}
		return "", fmt.Errorf("send %s email: %w", e.Kind, redacted(err))
	}
	return aws.ToString(out.MessageId), nil
}

// sesRefusal is SES's error response without its message: SES's messages
// can name the addresses (MessageRejected in the sandbox lists the
// identities that failed), and this error goes to logs and receipts.
// Unwrap keeps the whole error for errors.Is and errors.As.
type sesRefusal struct {
	code   string
	status int
	err    error
}

func (e *sesRefusal) Error() string {
	return fmt.Sprintf("SES answered %s (HTTP %d)", e.code, e.status)
}

func (e *sesRefusal) Unwrap() error { return e.err }

// redacted returns err with SES's error message left out of its text, or
// err itself when SES did not answer with an error response.
func redacted(err error) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return err
	}
	status := 0
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return &sesRefusal{code: api.ErrorCode(), status: status, err: err}
}

// oneAttempt turns off the SDK's retries for one call.
func oneAttempt(o *sesv2.Options) { o.RetryMaxAttempts = 1 }

// definite reports whether err from SendEmail means SES did not take the
// email: SES answered with an error (an API error response, whatever its
// HTTP status), or no connection was made, so nothing was written.
// Anything else (a deadline, a timeout or reset while waiting for the
// answer) leaves the outcome unknown.
func definite(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
