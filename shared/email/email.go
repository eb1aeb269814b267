// Package email sends plain-text emails through Amazon SES v2.
package email

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/driveprogramme/referrals/shared/notification"
)

// Sender sends from one verified identity.
type Sender struct {
	client *sesv2.Client
	from   string
}

// New returns a Sender that sends from the address from.
func New(client *sesv2.Client, from string) *Sender { return &Sender{client: client, from: from} }

// Send sends e. It returns SES's error, wrapped, when SES refuses it (an
// unverified sender, say) or cannot be reached.
func (s *Sender) Send(ctx context.Context, e notification.Email) error {
	_, err := s.client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: &s.from,
		Destination:      &types.Destination{ToAddresses: []string{e.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: &e.Subject, Charset: ptr("UTF-8")},
			Body:    &types.Body{Text: &types.Content{Data: &e.Body, Charset: ptr("UTF-8")}},
		}},
	})
	if err != nil {
		return fmt.Errorf("send email: %w", err)
	}
	return nil
}

func ptr(s string) *string { return &s }
