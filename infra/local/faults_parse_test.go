package local

import (
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		in      string
		want    Faults
		wantErr bool
	}{
		{"", Faults{}, false},
		{"overlap,conflict:0.2,throttle:0.05,500:0.02,sqs:0.05,ses:0.2,latency:1s@0.05,seed:7",
			Faults{Overlap: true, Conflict: 0.2, Throttle: 0.05, ServerError: 0.02, SQSFail: 0.05, SESFail: 0.2, Latency: time.Second, LatencyRate: 0.05, Seed: 7}, false},
		{"latency:2s", Faults{Latency: 2 * time.Second, LatencyRate: 1}, false},
		{"conflict:1.5", Faults{}, true},
		{"conflict:x", Faults{}, true},
		{"latency:soon", Faults{}, true},
		{"flood:0.1", Faults{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFaults(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
