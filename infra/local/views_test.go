package local_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/referral"
)

// pageStatus fetches path as who, in a signed-in browser, and returns the
// answer's status and body.
func pageStatus(t *testing.T, who, path string) (int, string) {
	t.Helper()
	resp, err := browser(t, who).Get(stack.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestManyViewsNeverStopTheCasePage (the fresh tester's fault: views were
// a list on the referral's item, capped at 1,000, after which the case
// page answered 503 to everyone): a case read 1,000 times is still shown
// to its case manager and its lead, and each reading is still recorded;
// the lead sees the 50 newest views and how many earlier, views recorded
// in the old list included.
func TestManyViewsNeverStopTheCasePage(t *testing.T) {
	serial(t)
	ref := submit(t, submission(t, "views", nil))
	awaitStatus(t, ref, "allocated")
	rec, err := stack.Store.Referral(t.Context(), ref)
	if err != nil || rec.CaseManager == nil {
		t.Fatalf("%s: %v %+v", ref, err, rec)
	}
	cm := strings.TrimPrefix(rec.CaseManager.ID, "views-") + "@views.drive.example"
	at := time.Now().Add(-time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 1000; i += 8 {
				v := referral.View{At: at.Add(time.Duration(i) * time.Millisecond), Subject: fmt.Sprint("reader-", i), Name: "Reader", Role: "case manager"}
				if err := stack.Store.RecordView(t.Context(), ref, v); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("recording view: %v", err)
	}
	if code, body := pageStatus(t, cm, "/cases/"+ref); code != http.StatusOK || !strings.Contains(body, rec.Referral.Perpetrator.LastName) {
		t.Fatalf("case manager's page after 1,000 views: got %d, want 200 with the details", code)
	}
	// Two views in the list views were once kept in, on the referral's
	// item: older than all the others, counted with them.
	old := &ddbtypes.AttributeValueMemberL{}
	for i := range 2 {
		old.Value = append(old.Value, &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
			"at": &ddbtypes.AttributeValueMemberS{Value: at.Add(-time.Duration(i+1) * time.Hour).UTC().Format(time.RFC3339Nano)}, "subject": &ddbtypes.AttributeValueMemberS{Value: "legacy"},
			"name": &ddbtypes.AttributeValueMemberS{Value: "Legacy Reader"}, "role": &ddbtypes.AttributeValueMemberS{Value: "area lead"}}})
	}
	if _, err := dynamodb.NewFromConfig(stack.AWS).UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(stack.Table),
		Key:              map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "REF#" + ref}, "SK": &ddbtypes.AttributeValueMemberS{Value: "REFERRAL"}},
		UpdateExpression: aws.String("SET #views = :old"), ExpressionAttributeNames: map[string]string{"#views": "views"},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":old": old}}); err != nil {
		t.Fatal(err)
	}
	code, body := pageStatus(t, lead("views"), "/cases/"+ref)
	if code != http.StatusOK {
		t.Fatalf("lead's page after 1,000 views: got %d, want 200", code)
	}
	table := body[strings.Index(body, `id="viewed-by"`):]
	table = table[:strings.Index(table, "</table>")]
	// 1,000 + the case manager's + the lead's + 2 old = 1,004: the newest 50 shown.
	if rows := strings.Count(table, "<tr class=\"govuk-table__row\">") - 1; rows != referral.RecentViews || !strings.Contains(body, "And 954 earlier views, not shown.") {
		t.Errorf("lead's Viewed by: got %d rows and %q, want %d and 954 earlier", rows, between(body, `id="earlier-views">`, "</p>"), referral.RecentViews)
	}
	if !strings.Contains(table, "Lead of views") || !strings.Contains(table, "Manager ") {
		t.Errorf("lead's Viewed by: want the lead's own view and the case manager's among the newest, got\n%s", table)
	}
	recent, earlier, err := stack.Store.Views(t.Context(), ref, 1100)
	if err != nil || len(recent) != 1004 || earlier != 0 || recent[len(recent)-1].Name != "Legacy Reader" || recent[0].Name != "Lead of views" {
		t.Errorf("all views: got %d (newest %+v), %d earlier, %v; want 1,004, the lead's newest and the old list's last", len(recent), recent[0], earlier, err)
	}
}

// between is the text of s between the first from and the next to after it.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}
