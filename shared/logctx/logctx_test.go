package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/driveprogramme/referrals/shared/logctx"
)

func TestEveryLineCarriesTheContextsAttributes(t *testing.T) {
	var buf bytes.Buffer
	log := logctx.New(slog.NewJSONHandler(&buf, nil))
	ctx := logctx.With(context.Background(), "messageId", "m-1")
	ctx = logctx.With(ctx, "reference", "DRV-7K4M-Q9TX", "messageId", "m-2")
	log.InfoContext(ctx, "one")
	log.InfoContext(ctx, "two", "reference", "DRV-AAAA-BBBB")
	log.Info("three")
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("line %s: %v", l, err)
		}
		lines = append(lines, m)
	}
	tests := []struct{ reference, messageID any }{
		{"DRV-7K4M-Q9TX", "m-2"}, // the later With replaces the message id
		{"DRV-AAAA-BBBB", "m-2"}, // the line's own attribute wins, once
		{nil, nil},               // no context, no attributes
	}
	for i, tt := range tests {
		if lines[i]["reference"] != tt.reference || lines[i]["messageId"] != tt.messageID {
			t.Errorf("line %d = %v, want reference %v and messageId %v", i, lines[i], tt.reference, tt.messageID)
		}
	}
	if n := bytes.Count(buf.Bytes(), []byte(`"reference"`)); n != 2 {
		t.Errorf("reference written %d times in:\n%s", n, buf.String())
	}
}
