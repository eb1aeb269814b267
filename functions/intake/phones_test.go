package main

import (
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestPhonesAsOfficersTypeThem: every way of writing a UK number is
// accepted and stored as E.164 with any extension; text that is not one
// number gets 422 naming the field.
func TestPhonesAsOfficersTypeThem(t *testing.T) {
	tests := []struct{ typed, stored string }{
		{"+44 (0)1632 960001", "+441632960001"},
		{"0044 1632 960001", "+441632960001"},
		{"01632 960001 ext 123", "+441632960001;ext=123"},
		{"01632 960001 x123", "+441632960001;ext=123"},
		{"01632.960.001", "+441632960001"},
		{"01632-960-001", "+441632960001"},
		{"+353 87 123 4567", "+353871234567"},
		{"01632 96OOO1", ""},
		{"999", ""},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			h, st, _ := newHandler(io.Discard)
			code, _, raw := invoke(t, h, event(t, "post-referral.json", func(e *events.APIGatewayV2HTTPRequest) {
				e.Body = strings.Replace(e.Body, `"phone":"01632 960 001"`, `"phone":"`+tt.typed+`"`, 1)
				e.Body = strings.Replace(e.Body, `"phone":"07700 900 982"`, `"phone":"`+tt.typed+`"`, 1)
			}))
			if tt.stored == "" {
				if code != 422 || !strings.Contains(raw, `"field":"referrer.phone"`) || !strings.Contains(raw, `"field":"perpetrator.phone"`) {
					t.Errorf("got %d %s, want 422 on both phones", code, raw)
				}
				return
			}
			r := st.records[refs[0]].Referral
			if code != 202 || r.Referrer.Phone != tt.stored || r.Perpetrator.Phone != tt.stored {
				t.Errorf("got %d %s, stored %q and %q; want 202 storing %q", code, raw, r.Referrer.Phone, r.Perpetrator.Phone, tt.stored)
			}
		})
	}
}
