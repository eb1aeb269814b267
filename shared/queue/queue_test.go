package queue

import (
	"context"
	"strings"
	"testing"
)

// TestNamedRefusesAQueueItHasNot: an outbox message for a queue the
// function was not given fails (and so stays for the relay, which has
// every queue), rather than going anywhere else.
func TestNamedRefusesAQueueItHasNot(t *testing.T) {
	n := Named{"eligibility": New(nil, "https://sqs.example/123/Eligibility")}
	err := n.Send(context.Background(), "notify", `{"kind":"outcome"}`)
	if err == nil || !strings.Contains(err.Error(), `"notify"`) {
		t.Errorf("got %v, want an error naming the queue notify", err)
	}
}
