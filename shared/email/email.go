// Package email sends Drive's emails, in plain text and HTML, through
// Amazon SES v2.
package email

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

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
// complaint events carry. The address is given to SES as mailaddr.ForSES
// makes it (an internationalised domain in Punycode), and one SES cannot
// send to is refused before SES is called, with an error wrapping
// notification.ErrUndeliverable: no retry can send it. Otherwise it
// returns SES's error, wrapped, when SES refuses the email (an unverified
// sender, say) or cannot be reached.
func (s *Sender) Send(ctx context.Context, e notification.Email) (string, error) {
	to, err := mailaddr.ForSES(e.To)
	if err != nil {
		return "", fmt.Errorf("send %s email: %w: %w", e.Kind, notification.ErrUndeliverable, err)
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
		EmailTags: []types.MessageTag{{Name: aws.String("kind"), Value: aws.String(string(e.Kind))}},
	}
	if s.configSet != "" {
		in.ConfigurationSetName = &s.configSet
	}
	out, err := s.client.SendEmail(ctx, in)
	if err != nil {
		return "", fmt.Errorf("send %s email: %w", e.Kind, err)
	}
	return aws.ToString(out.MessageId), nil
}
