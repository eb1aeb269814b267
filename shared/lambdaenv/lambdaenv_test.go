package lambdaenv_test

import (
	"testing"

	"github.com/driveprogramme/referrals/shared/lambdaenv"
)

func TestRequire(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "drive", "BLANK": "  "}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		names   []string
		wantErr string
	}{
		{[]string{"TABLE_NAME"}, ""},
		{[]string{"TABLE_NAME", "QUEUE_URL", "BLANK"}, "missing environment variables: QUEUE_URL, BLANK"},
	}
	for _, tt := range tests {
		vals, err := lambdaenv.Require(getenv, tt.names...)
		switch {
		case tt.wantErr == "" && (err != nil || vals["TABLE_NAME"] != "drive"):
			t.Errorf("Require(%v) = %v, %v; want TABLE_NAME=drive", tt.names, vals, err)
		case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
			t.Errorf("Require(%v) error = %v; want %q", tt.names, err, tt.wantErr)
		}
	}
}

func TestDays(t *testing.T) {
	for v, ok := range map[string]bool{"365": true, "1": true, "0": false, "-3": false, "a year": false, "": false, "3651": false} {
		d, err := lambdaenv.Days(map[string]string{"RETENTION_DAYS": v}, "RETENTION_DAYS")
		if (err == nil) != ok || (ok && d.Hours() < 24) {
			t.Errorf("%q: got %v, %v; want ok=%v", v, d, err, ok)
		}
	}
}
