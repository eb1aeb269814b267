package local

import (
	"strings"
	"testing"
)

func TestRouteMatch(t *testing.T) {
	tests := []struct {
		route, method, path string
		ok                  bool
		param               string
	}{
		{"/referrals/{reference}", "GET", "/referrals/DRV-7K4M-Q9TX", true, "DRV-7K4M-Q9TX"},
		{"/referrals/{reference}", "GET", "/referrals/", false, ""},
		{"/referrals/{reference}", "GET", "/referrals/a/b", false, ""},
		{"/referrals/{reference}", "POST", "/referrals/x", false, ""},
		{"/referrals", "POST", "/referrals", true, ""},
		{"/files/{proxy+}", "GET", "/files/a/b", true, "a/b"},
	}
	for _, tt := range tests {
		method := "GET"
		if tt.route == "/referrals" {
			method = "POST"
		}
		params, ok := newRoute(method, tt.route, nil).match(tt.method, tt.path)
		if ok != tt.ok {
			t.Errorf("%s %s on %s: got %v, want %v", tt.method, tt.path, tt.route, ok, tt.ok)
		}
		if !ok {
			continue
		}
		for _, v := range params {
			if v != tt.param {
				t.Errorf("%s on %s: got parameter %q, want %q", tt.path, tt.route, v, tt.param)
			}
		}
	}
}

// TestTemplateResolves reads the real template.yaml: every function's
// environment must resolve locally, so the local stack cannot drift.
func TestTemplateResolves(t *testing.T) {
	tpl, err := LoadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := &provisioned{tables: map[string]string{"Table": "drive-Table"}, queues: map[string]string{}}
	for _, id := range tpl.byType("AWS::SQS::Queue") {
		p.queues[id] = "http://moto/123456789012/" + id
	}
	r := &resolver{t: tpl, params: map[string]string{"PublicBaseUrl": "http://localhost:3000"}, ref: p.ref, attr: p.attr,
		pseudo: map[string]string{"AWS::Region": region, "AWS::URLSuffix": "amazonaws.com"}}
	if len(tpl.Functions()) != 6 {
		t.Fatalf("got functions %v, want 6", tpl.Functions())
	}
	for _, id := range tpl.Functions() {
		env, timeout, err := functionEnv(r, tpl, tpl.Resources[id])
		if err != nil || timeout.Seconds() != 10 {
			t.Fatalf("%s: env %v timeout %v err %v", id, env, timeout, err)
		}
		joined := strings.Join(env, " ")
		if !strings.Contains(joined, "TABLE_NAME=drive-Table") {
			t.Errorf("%s: got %s, want TABLE_NAME from Globals", id, joined)
		}
		if id == "NotifyFunction" && !strings.Contains(joined, "PUBLIC_BASE_URL=http://localhost:3000") {
			t.Errorf("notify: got %s, want PUBLIC_BASE_URL from the parameter", joined)
		}
		if id == "EligibilityFunction" && !strings.Contains(joined, "ALLOCATION_QUEUE_URL=http://moto/123456789012/AllocationQueue") {
			t.Errorf("eligibility: got %s, want the allocation queue's URL", joined)
		}
	}
}
