package local

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/metrics"
	"github.com/driveprogramme/referrals/shared/notification"
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
	p := &provisioned{tables: map[string]string{"Table": "drive-Table"}, queues: map[string]string{}, named: map[string]string{"EmailConfigurationSet": "drive-EmailConfigurationSet"}}
	for _, id := range tpl.byType("AWS::SQS::Queue") {
		p.queues[id] = "http://moto/123456789012/" + id
	}
	r := &resolver{t: tpl, params: map[string]string{"PublicBaseUrl": "http://localhost:3000"}, ref: p.ref, attr: p.attr,
		pseudo: map[string]string{"AWS::Region": region, "AWS::URLSuffix": "amazonaws.com"}}
	if len(tpl.Functions()) != 8 {
		t.Fatalf("got functions %v, want 8", tpl.Functions())
	}
	for _, id := range tpl.Functions() {
		env, timeout, err := functionEnv(r, tpl, tpl.Resources[id])
		want := 10.0
		if id == "RemindFunction" || id == "RelayFunction" {
			want = 60 // one run chases every late allocation, or sends the outbox
		}
		if err != nil || timeout.Seconds() != want {
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

// TestOnlyThePagesSkipTheAuthorizer reads template.yaml: every route of
// the HTTP API needs a valid ID token unless it is one of the browser
// pages (which check their session cookie), the sign-in steps, or a
// public document.
func TestOnlyThePagesSkipTheAuthorizer(t *testing.T) {
	tpl, err := LoadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	api := tpl.Resources["HttpApi"].Properties
	auth := nested(api, "Auth")
	jwt := nested(nested(nested(auth, "Authorizers"), "OidcAuthorizer"), "JwtConfiguration")
	if auth["DefaultAuthorizer"] != "OidcAuthorizer" || jwt["issuer"] == nil || jwt["audience"] == nil {
		t.Fatalf("HttpApi Auth = %v, want the OIDC JWT authorizer as the default", auth)
	}
	public := map[string]bool{
		"GET /": true, "GET /referrals/new": true, "POST /referrals/new": true, "GET /referrals/{reference}/confirmation": true,
		"GET /referrals/{reference}/status": true, "GET /auth/sign-in": true, "GET /auth/callback": true,
		"POST /auth/sign-out": true, "GET /assets/{file}": true, "GET /favicon.ico": true, "GET /openapi.yaml": true,
		// The case page and its forms; GET /cases/{id} is the API's too, and
		// its function verifies the bearer token as the authorizer would.
		"GET /cases/{id}": true, "POST /cases/{id}": true,
		// The area page and its forms; GET /areas/{area} is the API's too,
		// verified by its function in the same way.
		"GET /areas/{area}": true, "POST /areas/{area}": true,
		"GET /accessibility": true,
		// Your referrals (a page only: the API has no GET /referrals), and
		// the withdrawal page and its form.
		"GET /referrals": true, "GET /referrals/{reference}/withdrawal": true, "POST /referrals/{reference}/withdrawal": true,
		// The area's pages (AdminFunction checks the session cookie).
		"GET /areas/{area}/report": true, "GET /areas/{area}/report.csv": true,
		"GET /areas/{area}/referrals": true, "POST /areas/{area}/referrals": true,
		// The admin's Areas page (GET /areas is the API's too, verified by
		// its function), its create form, and an area's settings.
		"GET /areas": true, "POST /areas": true, "GET /areas/{area}/settings": true, "POST /areas/{area}/settings": true,
	}
	routes := 0
	for _, id := range tpl.Functions() {
		evs, _ := tpl.Resources[id].Properties["Events"].(map[string]any)
		for name, raw := range evs {
			e, _ := raw.(map[string]any)
			if e["Type"] != "HttpApi" {
				continue
			}
			routes++
			props, _ := e["Properties"].(map[string]any)
			key := props["Method"].(string) + " " + props["Path"].(string)
			authorizer, set := nested(props, "Auth")["Authorizer"]
			switch {
			case public[key] && authorizer != "NONE":
				t.Errorf("%s %s (%s) is a page: want Authorizer NONE, got %v", id, name, key, authorizer)
			case !public[key] && set:
				t.Errorf("%s %s (%s) is the API: want the default JWT authorizer, got %v", id, name, key, authorizer)
			}
		}
	}
	if routes < 20 {
		t.Errorf("found %d routes, want all of them (at least 20)", routes)
	}
}

// TestLeastPrivilege reads every function's policies in template.yaml and
// fails on an action with a wildcard or a resource that is "*": each
// function names only the actions and resources it uses. (Scoped ARNs
// such as "<table>/index/*" name one table's indexes.) SAM's policy
// templates are allowed by name: they expand to named actions on the one
// resource they are given.
func TestLeastPrivilege(t *testing.T) {
	tpl, err := LoadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	templates := map[string]bool{"SQSSendMessagePolicy": true, "SQSPollerPolicy": true}
	statements := 0
	for _, id := range tpl.Functions() {
		policies, _ := tpl.Resources[id].Properties["Policies"].([]any)
		if len(policies) == 0 {
			t.Errorf("%s has no policies of its own", id)
		}
		for _, p := range policies {
			m, ok := p.(map[string]any)
			if !ok {
				t.Errorf("%s: policy %v is a managed policy or a name; want statements or a scoped policy template", id, p)
				continue
			}
			for name, v := range m {
				if name != "Statement" {
					if !templates[name] {
						t.Errorf("%s: policy template %s is not known to be scoped", id, name)
					}
					continue
				}
				list, _ := v.([]any)
				for _, raw := range list {
					st, _ := raw.(map[string]any)
					statements++
					if st["Effect"] != "Allow" {
						continue
					}
					for _, a := range strs(st["Action"]) {
						if strings.Contains(a, "*") {
							t.Errorf("%s: action %q has a wildcard", id, a)
						}
					}
					res := strs(st["Resource"])
					if len(res) == 0 {
						t.Errorf("%s: statement %v names no resource", id, st)
					}
					for _, r := range res {
						if r == "*" {
							t.Errorf("%s: resource \"*\" for %v", id, st["Action"])
						}
					}
				}
			}
		}
	}
	if statements == 0 {
		t.Fatal("found no policy statements: the test is not reading the template")
	}
}

// strs returns a policy field's strings: one, or a list; intrinsic
// functions (!Sub, !GetAtt) are shown as their argument.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, strs(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, strs(e)...)
		}
		if len(out) == 0 {
			return []string{"<intrinsic>"}
		}
		return out
	}
	return nil
}

// TestNotifyLeaseFitsTheQueue checks template.yaml against
// notification.ClaimLease: the notify function times out before its
// claim lapses, and a message's last try comes after the claim of a
// worker that died mid-send has lapsed.
func TestNotifyLeaseFitsTheQueue(t *testing.T) {
	tpl, err := LoadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seconds := func(v any) time.Duration {
		n, err := strconv.Atoi(fmt.Sprint(v))
		if err != nil {
			t.Fatalf("%v is not a number of seconds", v)
		}
		return time.Duration(n) * time.Second
	}
	timeout := seconds(nested(tpl.Globals, "Function")["Timeout"])
	if v, ok := tpl.Resources["NotifyFunction"].Properties["Timeout"]; ok {
		timeout = seconds(v)
	}
	visibility := seconds(tpl.Resources["NotifyQueue"].Properties["VisibilityTimeout"])
	tries := int(seconds(tpl.Parameters["MaxReceiveCount"].MinValue) / time.Second)
	lease := notification.ClaimLease
	if timeout >= lease {
		t.Errorf("notify's timeout %v is not shorter than the claim lease %v: a slow send could be sent twice", timeout, lease)
	}
	if span := time.Duration(tries-1) * visibility; span <= lease {
		t.Errorf("with MaxReceiveCount at its minimum %d, the retries span %v, not more than the claim lease %v: an email whose worker died mid-send would be dead-lettered", tries, span, lease)
	}
	// An email whose send's outcome is unknown is sent again only after
	// the reconcile window: at the default MaxReceiveCount a try must come
	// after it, with one to spare, or the email is dead-lettered unsent.
	reconcile, err := time.ParseDuration(fmt.Sprint(tpl.Parameters["ReconcileAfter"].Default))
	if err != nil {
		t.Fatalf("ReconcileAfter: %v", err)
	}
	if reconcile != notification.ReconcileWindow {
		t.Errorf("got ReconcileAfter %v, want notification.ReconcileWindow %v", reconcile, notification.ReconcileWindow)
	}
	defaultTries := int(seconds(tpl.Parameters["MaxReceiveCount"].Default) / time.Second)
	if span := time.Duration(defaultTries-2) * visibility; span < reconcile {
		t.Errorf("at the default MaxReceiveCount %d, the tries after the first but the last span %v, less than the reconcile window %v", defaultTries, span, reconcile)
	}
}

// TestAlarmsDashboardAndSchedule reads template.yaml for what ops rely
// on: an alarm, to the alarm topic, for every dead-letter queue, every
// queue's oldest message, every function's errors and throttles and the
// emails that failed; a dashboard that shows the pipeline's metrics and
// every queue and function; tracing; and the chase's schedule.
func TestAlarmsDashboardAndSchedule(t *testing.T) {
	tpl, err := LoadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ref := func(v any) string {
		switch m := v.(type) {
		case map[string]any:
			if r, ok := m["Ref"].(string); ok {
				return r
			}
			if g, ok := m["Fn::GetAtt"].([]any); ok && len(g) == 2 {
				return fmt.Sprint(g[0])
			}
		}
		return ""
	}
	topic := tpl.Resources["AlarmTopic"]
	subs, _ := topic.Properties["Subscription"].([]any)
	if topic.Type != "AWS::SNS::Topic" || len(subs) != 1 || ref(subs[0].(map[string]any)["Endpoint"]) != "AlarmEmail" {
		t.Fatalf("AlarmTopic = %+v, want an SNS topic emailing the AlarmEmail parameter", topic)
	}
	// What each alarm watches: "metric subject" pairs.
	watched := map[string]bool{}
	for _, id := range tpl.byType("AWS::CloudWatch::Alarm") {
		p := tpl.Resources[id].Properties
		actions, _ := p["AlarmActions"].([]any)
		if len(actions) != 1 || ref(actions[0]) != "AlarmTopic" {
			t.Errorf("%s does not tell the alarm topic: %v", id, p["AlarmActions"])
		}
		if d, _ := p["AlarmDescription"].(string); !strings.Contains(d, "runbook") {
			t.Errorf("%s's description does not point to the runbook", id)
		}
		if name, ok := p["MetricName"].(string); ok {
			dims, _ := p["Dimensions"].([]any)
			subject := fmt.Sprint(p["Namespace"])
			if len(dims) == 1 {
				subject = ref(dims[0].(map[string]any)["Value"])
			}
			watched[name+" "+subject] = true
		}
		metrics, _ := p["Metrics"].([]any)
		for _, m := range metrics {
			stat := nested(m.(map[string]any), "MetricStat")
			metric := nested(stat, "Metric")
			if dims, _ := metric["Dimensions"].([]any); len(dims) == 1 {
				watched[fmt.Sprint(metric["MetricName"])+" "+ref(dims[0].(map[string]any)["Value"])] = true
			}
		}
	}
	var want []string
	for _, q := range tpl.byType("AWS::SQS::Queue") {
		rp := nested(tpl.Resources[q].Properties, "RedrivePolicy")
		if rp == nil {
			continue
		}
		want = append(want, "ApproximateAgeOfOldestMessage "+q, "ApproximateNumberOfMessagesVisible "+ref(rp["deadLetterTargetArn"]))
	}
	if len(want) != 8 {
		t.Errorf("found %d queues with dead-letter queues, want 4", len(want)/2)
	}
	for _, fn := range tpl.Functions() {
		want = append(want, "Errors "+fn, "Throttles "+fn)
	}
	want = append(want, "NotificationsFailed "+metrics.Namespace, "OutboxFailed "+metrics.Namespace, "OutboxOldestAge "+metrics.Namespace)
	for _, w := range want {
		if !watched[w] {
			t.Errorf("no alarm watches %s", w)
		}
	}

	dash := tpl.Resources["Dashboard"]
	sub, _ := dash.Properties["DashboardBody"].(map[string]any)["Fn::Sub"].(string)
	body := regexp.MustCompile(`\$\{[^}]+\}`).ReplaceAllStringFunc(sub, func(s string) string { return strings.Trim(s, "${}") })
	var parsed struct {
		Widgets []map[string]any `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &parsed); err != nil || len(parsed.Widgets) < 8 {
		t.Fatalf("the dashboard's body is not JSON with its widgets: %v", err)
	}
	for _, m := range metrics.Names {
		if !strings.Contains(body, `"`+string(m)+`"`) && !strings.Contains(body, `\"`+string(m)+`\"`) {
			t.Errorf("the dashboard does not show %s", m)
		}
	}
	for _, id := range append(tpl.Functions(), tpl.byType("AWS::SQS::Queue")...) {
		if !strings.Contains(body, id) {
			t.Errorf("the dashboard does not show %s", id)
		}
	}

	if nested(tpl.Globals, "Function")["Tracing"] != "Active" {
		t.Error("tracing is not on for the functions")
	}
	chase := nested(nested(nested(tpl.Resources["RemindFunction"].Properties, "Events"), "Chase"), "Properties")
	every, err := rate(fmt.Sprint(chase["ScheduleExpression"]))
	if tpl.Resources["RemindFunction"].Properties["Events"].(map[string]any)["Chase"].(map[string]any)["Type"] != "ScheduleV2" || err != nil || every > 15*time.Minute {
		t.Errorf("the chase runs %v (%v): want an EventBridge Scheduler schedule of 15 minutes or less", chase["ScheduleExpression"], err)
	}
	// The relay sends what the outbox holds well within the age alarm's 5 minutes.
	relay := nested(nested(tpl.Resources["RelayFunction"].Properties, "Events"), "Relay")
	every, err = rate(fmt.Sprint(nested(relay, "Properties")["ScheduleExpression"]))
	if relay["Type"] != "ScheduleV2" || err != nil || every > time.Minute {
		t.Errorf("the relay runs %v (%v): want an EventBridge Scheduler schedule of a minute", relay, err)
	}
}

// TestTemplateBoundsBursts reads template.yaml: the allocation queue's
// event source bounds its concurrent invocations (ScalingConfig
// MaximumConcurrency, at least 2 as AWS requires), and the local stack's
// pollers honour every source's bound; a bound AWS would refuse is
// refused.
func TestTemplateBoundsBursts(t *testing.T) {
	tpl, err := LoadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := &provisioned{tables: map[string]string{}, queues: map[string]string{}, named: map[string]string{}}
	for _, id := range tpl.byType("AWS::SQS::Queue") {
		p.queues[id] = "http://moto/123456789012/" + id
	}
	r := &resolver{t: tpl, params: map[string]string{}, ref: p.ref, attr: p.attr, pseudo: map[string]string{"AWS::Region": region}}
	bounded := map[string]int{}
	for _, id := range tpl.Functions() {
		for name, ev := range nested(tpl.Resources[id].Properties, "Events") {
			ev, _ := ev.(map[string]any)
			if ev["Type"] != "SQS" {
				continue
			}
			props := nested(ev, "Properties")
			pl, err := newPoller(r, nil, id+"/"+name, props, nil, nil)
			if err != nil {
				t.Fatalf("%s/%s: %v", id, name, err)
			}
			if n := nested(props, "ScalingConfig")["MaximumConcurrency"]; n != nil {
				bounded[id] = n.(int)
				if got := pl.pollers(8); got != n.(int) {
					t.Errorf("%s/%s: got %d pollers of 8, want %v", id, name, got, n)
				}
			} else if got := pl.pollers(8); got != 8 {
				t.Errorf("%s/%s: got %d pollers of 8 without a bound, want 8", id, name, got)
			}
		}
	}
	if n, ok := bounded["AllocateFunction"]; !ok || n < 2 {
		t.Errorf("got the allocation source's MaximumConcurrency %v, want one of at least 2", bounded["AllocateFunction"])
	}
	queue := nested(nested(nested(tpl.Resources["AllocateFunction"].Properties, "Events"), "Eligible"), "Properties")["Queue"]
	for _, bad := range []any{1, 1001, "2"} {
		props := map[string]any{"Queue": queue, "ScalingConfig": map[string]any{"MaximumConcurrency": bad}}
		if _, err := newPoller(r, nil, "x", props, nil, nil); err == nil || !strings.Contains(err.Error(), "MaximumConcurrency") {
			t.Errorf("MaximumConcurrency %#v: got %v, want an error naming it", bad, err)
		}
	}
}
