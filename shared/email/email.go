// Package email sends Drive's emails, in plain text and HTML, through
// Amazon SES v2.
package email

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/driveprogramme/referrals/shared/notification"
)

// Sender sends from one verified identity, through a configuration set
// (when named) that publishes bounces and complaints.
type Sender struct {
	client    *sesv2.Client
	from      string
	configSet string
}

// New returns a Sender that sends from the address from, through the
// configuration set configSet ("" for none).
func New(client *sesv2.Client, from, configSet string) *Sender {
	return &Sender{client: client, from: from, configSet: configSet}
}

// Send sends e and returns SES's message id, which its bounce and
// complaint events carry. It returns SES's error, wrapped, when SES
// refuses it (an unverified sender, say) or cannot be reached.
func (s *Sender) Send(ctx context.Context, e notification.Email) (string, error) {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: &s.from,
		Destination:      &types.Destination{ToAddresses: []string{e.To}},
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
