// Package metrics writes Drive's pipeline metrics in CloudWatch Embedded
// Metric Format: one JSON line on standard output per measurement, which
// CloudWatch Logs turns into metrics without an API call. Every metric has
// the Area dimension, and a total without it (for alarms and the
// dashboard). No personal data: the area, the function and a reference.
package metrics

import (
	"encoding/json"
	"io"
	"os"
	"sync"
	"time"
)

// Namespace is where Drive's metrics are in CloudWatch.
const Namespace = "DriveReferrals"

// Name is a metric's name.
type Name string

// Drive's metrics.
const (
	Received            Name = "ReferralsReceived"
	Eligible            Name = "ReferralsEligible"
	Ineligible          Name = "ReferralsIneligible"
	Allocated           Name = "ReferralsAllocated"
	Waitlisted          Name = "ReferralsWaitlisted"
	TimeToAllocation    Name = "TimeToAllocation" // seconds from receipt to allocation
	NotificationsSent   Name = "NotificationsSent"
	NotificationsFailed Name = "NotificationsFailed"
	// The relay's (functions/relay): messages it sent from the outbox,
	// messages it could not send, and the age in seconds of the oldest
	// message still in the outbox after a run (0 when none).
	OutboxRelayed   Name = "OutboxRelayed"
	OutboxFailed    Name = "OutboxFailed"
	OutboxOldestAge Name = "OutboxOldestAge"
)

// Names lists every metric, for the template's dashboard check.
var Names = []Name{Received, Eligible, Ineligible, Allocated, Waitlisted, TimeToAllocation, NotificationsSent, NotificationsFailed,
	OutboxRelayed, OutboxFailed, OutboxOldestAge}

// Recorder writes metrics for one function.
type Recorder struct {
	mu       sync.Mutex
	w        io.Writer
	function string
	now      func() time.Time
}

// New returns a Recorder writing to w (os.Stdout in Lambda) for function.
func New(w io.Writer, function string) *Recorder {
	if w == nil {
		w = os.Stdout
	}
	return &Recorder{w: w, function: function, now: time.Now}
}

// Count records n of metric name in area.
func (r *Recorder) Count(area string, name Name, n int, reference string) {
	r.write(area, name, float64(n), "Count", reference)
}

// Seconds records a duration of metric name in area.
func (r *Recorder) Seconds(area string, name Name, d time.Duration, reference string) {
	r.write(area, name, d.Seconds(), "Seconds", reference)
}

type directive struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []metric   `json:"Metrics"`
}

type metric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// write writes one EMF line; a nil Recorder (a handler under unit test)
// writes nothing.
func (r *Recorder) write(area string, name Name, value float64, unit, reference string) {
	if r == nil {
		return
	}
	if area == "" {
		area = "unknown"
	}
	line := map[string]any{
		"_aws": map[string]any{
			"Timestamp": r.now().UnixMilli(),
			"CloudWatchMetrics": []directive{{
				Namespace:  Namespace,
				Dimensions: [][]string{{"Area"}, {}},
				Metrics:    []metric{{Name: string(name), Unit: unit}},
			}},
		},
		"Area":       area,
		string(name): value,
		"function":   r.function,
	}
	if reference != "" {
		line["reference"] = reference
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.w.Write(append(b, '\n'))
}
