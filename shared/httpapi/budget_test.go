package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/httpapi"
)

func TestBudget(t *testing.T) {
	tests := []struct {
		name string
		// left is how long the invocation has (0: no deadline).
		left time.Duration
		// want is how long the budget lasts, at most and at least, give
		// or take the time the test itself takes.
		want time.Duration
	}{
		{"Lambda's 10 s: the margin before it", 10 * time.Second, 10*time.Second - httpapi.Margin},
		{"a Lambda timeout over API Gateway's: API Gateway's less the margin", time.Minute, httpapi.IntegrationTimeout - httpapi.Margin},
		{"no deadline: API Gateway's less the margin", 0, httpapi.IntegrationTimeout - httpapi.Margin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.left > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.left)
				defer cancel()
			}
			start := time.Now()
			ctx, cancel := httpapi.Budget(ctx)
			defer cancel()
			end := time.Now()
			d, ok := ctx.Deadline()
			if got := d.Sub(start); !ok || d.After(end.Add(tt.want)) || got < tt.want-time.Second {
				t.Errorf("got a budget of %v, want %v", got, tt.want)
			}
		})
	}
}
