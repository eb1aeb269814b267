package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// units CloudWatch accepts.
var units = []string{"", "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
	"Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
	"Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// Validate checks one log line against the Embedded Metric Format
// specification and returns the names of the metrics it carries: the
// _aws member with an integer Timestamp and CloudWatchMetrics directives,
// each with a Namespace, dimension sets of at most 30 keys whose values
// are top-level strings, and metrics whose values are top-level numbers
// (or arrays of numbers) with a CloudWatch unit. Tests use it on every
// function's output.
func Validate(line []byte) ([]string, error) {
	var doc map[string]any
	if err := json.Unmarshal(line, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	var root struct {
		AWS *struct {
			Timestamp         *json.Number `json:"Timestamp"`
			CloudWatchMetrics []struct {
				Namespace  string     `json:"Namespace"`
				Dimensions [][]string `json:"Dimensions"`
				Metrics    []struct {
					Name string `json:"Name"`
					Unit string `json:"Unit"`
				} `json:"Metrics"`
			} `json:"CloudWatchMetrics"`
		} `json:"_aws"`
	}
	if err := json.Unmarshal(line, &root); err != nil {
		return nil, fmt.Errorf("_aws: %w", err)
	}
	if root.AWS == nil {
		return nil, errors.New("no _aws member")
	}
	if root.AWS.Timestamp == nil {
		return nil, errors.New("_aws.Timestamp missing")
	}
	if _, err := root.AWS.Timestamp.Int64(); err != nil {
		return nil, fmt.Errorf("_aws.Timestamp is not milliseconds since the epoch: %w", err)
	}
	if len(root.AWS.CloudWatchMetrics) == 0 {
		return nil, errors.New("_aws.CloudWatchMetrics is empty")
	}
	var names []string
	for _, d := range root.AWS.CloudWatchMetrics {
		if d.Namespace == "" || len(d.Namespace) > 255 {
			return nil, errors.New("a directive has no Namespace")
		}
		for _, set := range d.Dimensions {
			if len(set) > 30 {
				return nil, fmt.Errorf("dimension set %v has more than 30 keys", set)
			}
			for _, k := range set {
				if _, ok := doc[k].(string); !ok {
					return nil, fmt.Errorf("dimension %q is not a top-level string", k)
				}
			}
		}
		if len(d.Metrics) == 0 || len(d.Metrics) > 100 {
			return nil, fmt.Errorf("a directive has %d metrics, want 1 to 100", len(d.Metrics))
		}
		for _, m := range d.Metrics {
			if m.Name == "" {
				return nil, errors.New("a metric has no Name")
			}
			if !slices.Contains(units, m.Unit) {
				return nil, fmt.Errorf("metric %s has unit %q, which CloudWatch does not know", m.Name, m.Unit)
			}
			switch v := doc[m.Name].(type) {
			case float64:
			case []any:
				for _, x := range v {
					if _, ok := x.(float64); !ok {
						return nil, fmt.Errorf("metric %s has a value that is not a number", m.Name)
					}
				}
			default:
				return nil, fmt.Errorf("metric %s has no numeric top-level value", m.Name)
			}
			names = append(names, m.Name)
		}
	}
	return names, nil
}
