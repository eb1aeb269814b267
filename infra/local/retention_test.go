package local_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/privacytest"
	"github.com/driveprogramme/referrals/shared/referral"
)

// TestEndedReferralsExpireAndLeaveAnEvaluation ends a referral in each way
// (closed, ineligible, withdrawn, linked to an open one) and finds every item holding its
// personal data (the referral, its history, its case, its PNC ID lookup,
// the record of who read it)
// set to expire RetentionDays (365 by default) after it ended, and an
// evaluation record without personal data. Then it does what DynamoDB's
// TTL will do, deletes the expired items, and the area's report still
// counts all three.
func TestEndedReferralsExpireAndLeaveAnEvaluation(t *testing.T) {
	serial(t)
	ctx := t.Context()
	// What no evaluation record may hold: every personal detail of the
	// referrals sent, who sent them, and why they ended.
	secrets, err := personal()
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, privacytest.Text("the referrer's email", "sam.taylor"),
		privacytest.Text("the closing note", "Remanded"), privacytest.Text("the withdrawal's reason", "Sent to the wrong area"))
	send := func(change func(map[string]any)) string {
		body := submission(t, "retention", change)
		r, err := referral.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, privacytest.Referral(r)...)
		return submit(t, body)
	}
	same := func(m map[string]any) {
		p := m["perpetrator"].(map[string]any)
		p["firstName"], p["lastName"], p["dateOfBirth"], p["pncId"] = "Retained", "Twice", "1980-02-03", referral.FormatPNC(2025, 424242)
	}
	closed := send(same)
	awaitStatus(t, closed, "allocated")
	// A second referral of the same person is linked to the open one and
	// ends there: its personal data expires too (found by issue 13's
	// helper: linked referrals were kept for ever).
	body := submission(t, "retention", same)
	r, err := referral.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, privacytest.Referral(r)...)
	code, out := post(t, body, "application/json")
	if code != 202 || out["status"] != "linked" {
		t.Fatalf("the same person again: got %d %v, want 202 linked", code, out)
	}
	linked := out["reference"].(string)
	withdrawn := send(nil) // "retention" has one place: this one waits
	awaitStatus(t, withdrawn, "waitlisted")
	ineligible := send(func(m map[string]any) {
		m["route"] = "police"
		delete(m, "maracDate")
		m["victims"].([]any)[0].(map[string]any)["dashScore"] = 9
		m["abuse"].(map[string]any)["knownVictims"] = 1
		m["abuse"].(map[string]any)["incidentsLast12Months"] = 1
	})
	awaitStatus(t, ineligible, "ineligible")
	// Read while open (views with no expiry yet), the linked one (ended
	// on arrival), and the closed one again once ended: the record of
	// who read them expires with them.
	cm := "cm1@retention.drive.example"
	for who, ref := range map[string]string{cm: closed, lead("retention"): linked} {
		if code, _ := pageStatus(t, who, "/cases/"+ref); code != 200 {
			t.Fatalf("%s's case page as %s: %d", ref, who, code)
		}
	}
	if code, out := call(t, officer, "POST", "/referrals/"+withdrawn+"/withdraw", `{"reason": "Sent to the wrong area"}`); code != 200 {
		t.Fatalf("withdraw: %d %v", code, out)
	}
	if code, out := call(t, cm, "POST", "/cases/"+closed+"/accept", ""); code != 200 { // only an accepted case closes
		t.Fatalf("accept: %d %v", code, out)
	}
	if code, out := call(t, cm, "POST", "/cases/"+closed+"/close", `{"reason": "custody", "note": "Remanded"}`); code != 200 {
		t.Fatalf("close: %d %v", code, out)
	}
	if code, _ := pageStatus(t, lead("retention"), "/cases/"+closed); code != 200 {
		t.Fatalf("the closed case's page as its lead: %d", code)
	}
	ended := time.Now()
	awaitQueuesEmpty(t)

	ddb := dynamodb.NewFromConfig(stack.AWS)
	var items []map[string]ddbtypes.AttributeValue
	p := dynamodb.NewScanPaginator(ddb, &dynamodb.ScanInput{TableName: aws.String(stack.Table)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, page.Items...)
	}
	// The linked one is no longer linked once the open one closed: it is
	// decided on its own (referral.Successor), its items no longer set to
	// expire.
	if rec, err := stack.Store.Referral(ctx, linked); err != nil || rec.Status == referral.StatusLinked || rec.LinkedTo != "" {
		t.Errorf("the linked referral after its open one closed: %v, %s linked to %q; want it decided on its own", err, rec.Status, rec.LinkedTo)
	}
	want := map[string]string{closed: "closed", withdrawn: "withdrawn", ineligible: "ineligible"}
	expiring := map[string]int{}
	for _, it := range items {
		var k struct {
			PK, SK    string
			Reference string `dynamodbav:"reference"`
			ExpiresAt int64  `dynamodbav:"expiresAt"`
		}
		_ = attributevalue.UnmarshalMap(it, &k)
		if strings.HasSuffix(k.PK, linked) || strings.HasSuffix(k.SK, linked) {
			if k.ExpiresAt != 0 && !strings.HasPrefix(k.PK, "EVAL#") {
				t.Errorf("%s %s of the referral decided on its own expires; it is open again", k.PK, k.SK)
			}
			continue
		}
		ref := ""
		for r := range want {
			if strings.HasSuffix(k.PK, r) || strings.HasSuffix(k.SK, r) {
				ref = r
			}
		}
		if ref == "" {
			continue
		}
		if strings.HasPrefix(k.PK, "EVAL#") {
			raw, _ := json.Marshal(it)
			for _, f := range privacytest.Find(string(raw), secrets...) {
				t.Errorf("evaluation record of %s holds %s", ref, f)
			}
			if k.ExpiresAt != 0 {
				t.Errorf("evaluation record of %s expires; it must stay", ref)
			}
			continue
		}
		days := time.Unix(k.ExpiresAt, 0).Sub(ended).Hours() / 24
		if days < 364.9 || days > 365.1 {
			t.Errorf("%s %s of a %s referral expires in %.1f days, want 365", k.PK, k.SK, want[ref], days)
		}
		expiring[ref]++
		if _, err := ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(stack.Table),
			Key: map[string]ddbtypes.AttributeValue{"PK": it["PK"], "SK": it["SK"]}}); err != nil {
			t.Fatal(err)
		}
	}
	// The referral, its history (received, decided, ...) and its PNC ID
	// lookup at least; the closed one its case too, and who read it.
	for ref, status := range want {
		min := map[string]int{"closed": 8, "withdrawn": 5, "ineligible": 4}[status]
		if expiring[ref] < min {
			t.Errorf("%s referral: %d items set to expire, want at least %d", status, expiring[ref], min)
		}
	}
	code, out = call(t, lead("retention"), "GET", "/reports/summary?area=retention", "")
	by, _ := out["byStatus"].(map[string]any)
	// Four: the three ended, and the one linked to the closed one, now
	// open on its own.
	if code != 200 || out["referrals"] != 4.0 || by["closed"] != 1.0 || by["withdrawn"] != 1.0 || by["ineligible"] != 1.0 {
		t.Errorf("report after the personal data expired: got %d %v, want the 3 ended referrals still counted, and the one open again", code, out)
	}
	// The download has them too, from their evaluation records: their
	// statuses with their times, the rules' outcomes, the close reason;
	// and no personal data.
	resp, csvText := getAs(t, browser(t, lead("retention")), "/areas/retention/report.csv")
	if resp.StatusCode != 200 {
		t.Fatalf("download after the personal data expired: got %d", resp.StatusCode)
	}
	for _, f := range privacytest.Find(csvText, secrets...) {
		t.Errorf("the download holds %s", f)
	}
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	byRef := map[string]map[string]string{}
	for _, r := range rows[1:] {
		byRef[r[0]] = map[string]string{}
		for i, h := range rows[0] {
			byRef[r[0]][h] = r[i]
		}
	}
	for ref, st := range map[string]string{closed: "closed", withdrawn: "withdrawn", ineligible: "ineligible"} {
		row := byRef[ref]
		if row == nil || row["status"] != st || row["received_at"] == "" || row[st+"_at"] == "" || row["rule_area_served"] != "passed" {
			t.Errorf("download: %s %s: got %v, want its statuses' times and the rules' outcomes", st, ref, row)
		}
	}
	if c := byRef[closed]; c["close_reason"] != "custody" || c["allocated_at"] == "" {
		t.Errorf("download: the closed one: got %v, want allocated and closed for custody", c)
	}
	if byRef[ineligible]["rule_high_risk_or_serial"] != "failed" {
		t.Errorf("download: the ineligible one: got %v, want its risk rule failed", byRef[ineligible])
	}
}
