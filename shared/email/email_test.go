package email

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/notification"
	"github.com/driveprogramme/referrals/shared/referral"
)

// fakeSES refuses what SES documents it refuses (a non-ASCII address: SES
// has no SMTPUTF8) and records what it was given.
type fakeSES struct{ to []string }

func (f *fakeSES) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	to := in.Destination.ToAddresses[0]
	for _, c := range to {
		if c > 0x7e {
			return nil, errors.New("InvalidParameterValue: Local address contains control or whitespace")
		}
	}
	f.to = append(f.to, to)
	return &sesv2.SendEmailOutput{MessageId: aws.String("ses-1")}, nil
}

// addresses are typed as officers and admins type them. ses is what SES is
// given, or "" when intake and the admin API must refuse the address.
var addresses = []struct{ typed, ses string }{
	{"sam.taylor@essex.police.uk", "sam.taylor@essex.police.uk"},
	{" Sam.Taylor@Essex.Police.UK ", "Sam.Taylor@essex.police.uk"},
	{"o'brien+drive@force.police.uk", "o'brien+drive@force.police.uk"},
	{"idva@bücher.example", "idva@xn--bcher-kva.example"},
	{"idva@straße.example", "idva@xn--strae-oqa.example"},
	{"cm@例え.テスト", "cm@xn--r8jz45g.xn--zckzah"},
	{"team@xn--bcher-kva.example", "team@xn--bcher-kva.example"},
	{strings.Repeat("a", 64) + "@x.example", strings.Repeat("a", 64) + "@x.example"},
	{strings.Repeat("a", 65) + "@x.example", ""},
	{strings.Repeat("a", 250) + "@x.example", ""},
	{"a@" + strings.Repeat("b", 64) + ".example", ""},
	{"a@" + strings.Repeat(strings.Repeat("b", 60)+".", 5) + "example", ""},
	{"josé@example.com", ""},
	{"用户@例子.广告", ""},
	{"Sam Taylor <sam@essex.police.uk>", ""},
	{`"sam taylor"@essex.police.uk`, ""},
	{"sam@essex", ""},
	{"sam@[192.0.2.1]", ""},
	{"sam..taylor@essex.police.uk", ""},
	{"sam@essex\u200b.police.uk", ""},
	{"sam\u200b@essex.police.uk", ""},
	{"sam@-essex.police.uk", ""},
	{"sam at essex", ""},
}

// TestIntakeAcceptsOnlyWhatSESTakes runs every address through each hop
// that takes one (a referral's referrer and IDVA; the admin API's case
// manager, leads, IDVA service and MARAC coordinator) and then through
// this adapter: whatever a hop accepts, the adapter sends, in ASCII.
func TestIntakeAcceptsOnlyWhatSESTakes(t *testing.T) {
	for _, tt := range addresses {
		t.Run(tt.typed, func(t *testing.T) {
			r := referral.Referral{Referrer: referral.Referrer{Email: tt.typed}, Victims: []referral.Victim{{IDVAEmail: tt.typed}}}
			r.Normalise()
			accepted := map[string]bool{"referrer.email": true, "victims[0].idvaEmail": true}
			for _, e := range r.Validate(time.Now()) {
				if _, ok := accepted[e.Field]; ok {
					accepted[e.Field] = false
				}
			}
			// The admin API trims every address, and lower-cases an area's.
			m := allocation.CaseManager{Name: "A", Email: strings.TrimSpace(tt.typed), Capacity: 1}
			accepted["case manager"] = true
			for _, e := range m.Validate() {
				accepted["case manager"] = accepted["case manager"] && e.Field != "email"
			}
			lower := strings.ToLower(strings.TrimSpace(tt.typed))
			a := eligibility.Area{Name: "A", Rules: eligibility.DefaultRules, Leads: []string{lower}, IDVAService: lower, MARACCoordinator: lower}
			for _, f := range []string{"leads", "idvaService", "maracCoordinator"} {
				accepted[f] = true
			}
			for _, e := range a.Validate() {
				accepted[e.Field] = false
			}
			sent := map[string]string{"referrer.email": r.Referrer.Email, "victims[0].idvaEmail": r.Victims[0].IDVAEmail,
				"case manager": m.Email, "leads": lower, "idvaService": lower, "maracCoordinator": lower}
			for hop, ok := range accepted {
				if ok != (tt.ses != "") {
					t.Errorf("%s: got accepted %v, want %v", hop, ok, tt.ses != "")
				}
				if !ok {
					continue
				}
				ses := &fakeSES{}
				s := &Sender{client: ses, from: "drive@drive.example"}
				if _, err := s.Send(t.Context(), notification.Email{To: sent[hop], Kind: notification.KindOutcome}); err != nil {
					t.Errorf("%s accepted %q, but the adapter refuses it: %v", hop, sent[hop], err)
					continue
				}
				if want := tt.ses; hop == "leads" || hop == "idvaService" || hop == "maracCoordinator" {
					if !strings.EqualFold(ses.to[0], want) {
						t.Errorf("%s: SES was given %q, want %q", hop, ses.to[0], want)
					}
				} else if ses.to[0] != want {
					t.Errorf("%s: SES was given %q, want %q", hop, ses.to[0], want)
				}
			}
		})
	}
}

// TestUndeliverableIsPermanent: an address SES cannot send to is refused
// before SES is called, with an error no retry can cure.
func TestUndeliverableIsPermanent(t *testing.T) {
	ses := &fakeSES{}
	s := &Sender{client: ses, from: "drive@drive.example"}
	_, err := s.Send(t.Context(), notification.Email{To: strings.Repeat("a", 250) + "@x.example", Kind: notification.KindOutcome})
	if !errors.Is(err, notification.ErrUndeliverable) || len(ses.to) != 0 {
		t.Errorf("got %v with %d sent, want ErrUndeliverable and nothing sent", err, len(ses.to))
	}
	if strings.Contains(err.Error(), "aaaa") {
		t.Errorf("the error %q holds the address", err)
	}
}

// scriptedSES answers SendEmail with err, and keeps what it was given.
type scriptedSES struct {
	err  error
	in   *sesv2.SendEmailInput
	opts sesv2.Options
}

func (f *scriptedSES) SendEmail(_ context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	f.in, f.opts = in, sesv2.Options{RetryMaxAttempts: 3}
	for _, o := range opts {
		o(&f.opts)
	}
	if f.err != nil {
		return nil, f.err
	}
	return &sesv2.SendEmailOutput{MessageId: aws.String("ses-1")}, nil
}

// TestSendSaysWhetherSESMayHaveTakenIt: an error SES answered with, or a
// connection never made, is definite (nothing sent, safe to resend);
// anything after the request may have been written is unknown.
func TestSendSaysWhetherSESMayHaveTakenIt(t *testing.T) {
	op := func(err error) error {
		return &smithy.OperationError{ServiceID: "SESv2", OperationName: "SendEmail", Err: err}
	}
	tests := []struct {
		name    string
		err     error
		unknown bool
	}{
		{"throttled", op(&smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "Too many requests"}), false},
		{"rejected", op(&types.MessageRejected{Message: aws.String("Email address is not verified")}), false},
		{"no connection", op(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), false},
		{"deadline while waiting", op(context.DeadlineExceeded), true},
		{"reset after writing", op(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), true},
		{"timeout reading the answer", op(&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ses := &scriptedSES{err: tt.err}
			s := &Sender{client: ses, from: "drive@drive.example"}
			_, err := s.Send(t.Context(), notification.Email{ID: "outcome#DRV-7K4M-Q9TX#ineligible#abc", To: "sam@essex.police.uk", Kind: notification.KindOutcome})
			if err == nil {
				t.Fatal("got no error, want one")
			}
			if got := errors.Is(err, notification.ErrOutcomeUnknown); got != tt.unknown {
				t.Errorf("got unknown %v (%v), want %v", got, err, tt.unknown)
			}
			if ses.opts.RetryMaxAttempts != 1 {
				t.Errorf("got the SDK retrying %d times, want 1 attempt: a retry after a lost answer would send twice", ses.opts.RetryMaxAttempts)
			}
		})
	}
}

// TestSESErrorTextIsNotRepeated: SES's error messages can name the
// addresses (MessageRejected in the sandbox lists them); the error Send
// returns, which goes to logs and receipts, gives SES's code only.
func TestSESErrorTextIsNotRepeated(t *testing.T) {
	msg := "Email address is not verified. The following identities failed the check in region EU-WEST-2: sam@essex.police.uk"
	ses := &scriptedSES{err: &smithy.OperationError{ServiceID: "SESv2", OperationName: "SendEmail", Err: &types.MessageRejected{Message: aws.String(msg)}}}
	s := &Sender{client: ses, from: "drive@drive.example"}
	_, err := s.Send(t.Context(), notification.Email{ID: "outcome#DRV-7K4M-Q9TX#ineligible#abc", To: "sam@essex.police.uk", Kind: notification.KindOutcome})
	if err == nil {
		t.Fatal("got no error, want one")
	}
	if strings.Contains(err.Error(), "sam@") || strings.Contains(err.Error(), "not verified") {
		t.Errorf("got %q, want SES's code without its message", err)
	}
	if !strings.Contains(err.Error(), "MessageRejected") {
		t.Errorf("got %q, want SES's error code", err)
	}
	var rejected *types.MessageRejected
	if !errors.As(err, &rejected) {
		t.Errorf("got %v, want the SES error still reachable with errors.As", err)
	}
}

// TestSendTagsTheReceipt: every email names its receipt in a tag that
// SES's events carry back.
func TestSendTagsTheReceipt(t *testing.T) {
	ses := &scriptedSES{}
	s := &Sender{client: ses, from: "drive@drive.example", configSet: "drive"}
	id := "allocated#DRV-7K4M-Q9TX#allocated#essex-cm1#2026-11-23T10:00:00Z#0a1b2c3d4e5f"
	if _, err := s.Send(t.Context(), notification.Email{ID: id, To: "cm@drive.example", Kind: notification.KindAllocated}); err != nil {
		t.Fatal(err)
	}
	var got string
	for _, tag := range ses.in.EmailTags {
		if aws.ToString(tag.Name) == notification.ReceiptTagName {
			got, _ = notification.ReceiptFromTag(aws.ToString(tag.Value))
		}
	}
	if got != id || aws.ToString(ses.in.ConfigurationSetName) != "drive" {
		t.Errorf("got receipt tag %q through %q, want %q through the configuration set", got, aws.ToString(ses.in.ConfigurationSetName), id)
	}
}
