package metrics_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/metrics"
)

func TestEveryMetricIsValidEMF(t *testing.T) {
	var buf bytes.Buffer
	r := metrics.New(&buf, "notify")
	for _, n := range metrics.Names {
		if n == metrics.TimeToAllocation {
			r.Seconds("essex", n, 90*time.Second, "DRV-7K4M-Q9TX")
		} else {
			r.Count("essex", n, 1, "DRV-7K4M-Q9TX")
		}
	}
	r.Count("", metrics.Received, 1, "")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != len(metrics.Names)+1 {
		t.Fatalf("got %d lines, want %d", len(lines), len(metrics.Names)+1)
	}
	for _, l := range lines {
		got, err := metrics.Validate(l)
		if err != nil {
			t.Errorf("%s: %v", l, err)
		}
		if len(got) != 1 {
			t.Errorf("%s: got metrics %v, want one", l, got)
		}
	}
}

func TestValidateFindsWhatCloudWatchWouldReject(t *testing.T) {
	tests := map[string]string{
		"not JSON":             `{"_aws":`,
		"no _aws":              `{"Area":"essex","X":1}`,
		"no timestamp":         `{"_aws":{"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Area"]],"Metrics":[{"Name":"X"}]}]},"Area":"essex","X":1}`,
		"no namespace":         `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[["Area"]],"Metrics":[{"Name":"X"}]}]},"Area":"essex","X":1}`,
		"dimension missing":    `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Area"]],"Metrics":[{"Name":"X"}]}]},"X":1}`,
		"dimension not string": `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Area"]],"Metrics":[{"Name":"X"}]}]},"Area":3,"X":1}`,
		"value missing":        `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Area"]],"Metrics":[{"Name":"X"}]}]},"Area":"essex"}`,
		"value not a number":   `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Area"]],"Metrics":[{"Name":"X"}]}]},"Area":"essex","X":"1"}`,
		"bad unit":             `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Area"]],"Metrics":[{"Name":"X","Unit":"Parsecs"}]}]},"Area":"essex","X":1}`,
	}
	for name, line := range tests {
		if _, err := metrics.Validate([]byte(line)); err == nil {
			t.Errorf("%s: valid, want an error", name)
		}
	}
}
