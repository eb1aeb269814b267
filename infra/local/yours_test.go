package local_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/referral"
)

// listOfficer makes referrals only in TestYourReferralsAcrossPages, so
// that their list is the test's to know.
const listOfficer = "list.officer@essex.police.example"

var (
	listedRef = regexp.MustCompile(`data-reference="([^"]+)"`)
	nextPage  = regexp.MustCompile(`href="([^"]+)" rel="next"`)
	prevPage  = regexp.MustCompile(`href="([^"]+)" rel="prev"`)
)

// TestYourReferralsAcrossPages: an officer with more than a page of
// referrals (some sent through the API, the rest older, stored as intake
// stores them) sees every one of them on "Your referrals", newest first,
// each once, across its pages; never another officer's, although that
// officer's were made at the same times; an edited page link is a 400
// page.
func TestYourReferralsAcrossPages(t *testing.T) {
	serial(t)
	ctx := t.Context()
	var made []string
	for range 3 {
		code, out := call(t, listOfficer, "POST", "/referrals", string(submission(t, "nowhere", nil)))
		if code != http.StatusAccepted {
			t.Fatalf("POST /referrals as %s: got %d %v", listOfficer, code, out)
		}
		made = append(made, out["reference"].(string))
	}
	code, out := call(t, otherOfficer, "POST", "/referrals", string(submission(t, "nowhere", nil)))
	if code != http.StatusAccepted {
		t.Fatalf("POST /referrals as %s: got %d %v", otherOfficer, code, out)
	}
	others := []string{out["reference"].(string)}
	first, err := stack.Store.Referral(ctx, made[0])
	if err != nil || first.SubmittedBy == nil {
		t.Fatalf("%s: %v %+v", made[0], err, first)
	}
	other, err := stack.Store.Referral(ctx, others[0])
	if err != nil || other.SubmittedBy == nil {
		t.Fatalf("%s: %v %+v", others[0], err, other)
	}
	// Older ones, a day apart, each with another officer's made the same
	// minute: 3 + 22 is more than the page of 20.
	store := func(by *referral.Submitter, at time.Time) string {
		ref, err := referral.NewReference()
		if err != nil {
			t.Fatal(err)
		}
		r := first.Referral
		r.Perpetrator.LastName = fmt.Sprintf("List-%s", ref[4:])
		r.Perpetrator.PNCID = ""
		rec := referral.Record{Reference: ref, Status: referral.StatusIneligible, ReceivedAt: at, UpdatedAt: at, Referral: r, SubmittedBy: by}
		if err := stack.Store.Create(ctx, dynamo.NewReferral{Record: rec}); err != nil {
			t.Fatal(err)
		}
		return ref
	}
	start := time.Now().UTC().Add(-30 * 24 * time.Hour)
	for i := range 22 {
		at := start.Add(time.Duration(i) * 24 * time.Hour)
		made = append(made, store(first.SubmittedBy, at))
		others = append(others, store(other.SubmittedBy, at.Add(time.Second)))
	}
	// Newest first: the API's (now, in the order sent), then the stored.
	want := append(slices.Clone(made[:3]), made[3:]...)
	slices.Reverse(want[:3])
	slices.Reverse(want[3:])

	c := browser(t, listOfficer)
	// open returns a page's references and its links to the pages before
	// and after ("" for none).
	open := func(path string) (refs []string, prev, next string) {
		t.Helper()
		resp, err := c.Get(stack.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: got %d:\n%s", path, resp.StatusCode, textOfPage(body))
		}
		for _, m := range listedRef.FindAllStringSubmatch(string(body), -1) {
			refs = append(refs, m[1])
		}
		if m := prevPage.FindStringSubmatch(string(body)); m != nil {
			prev = html.UnescapeString(m[1])
		}
		if m := nextPage.FindStringSubmatch(string(body)); m != nil {
			next = html.UnescapeString(m[1])
		}
		return refs, prev, next
	}
	var seen, firstPage []string
	pages, prev := 0, ""
	for path := "/referrals"; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("more pages than referrals")
		}
		var refs []string
		refs, prev, path = open(path)
		if pages == 0 {
			firstPage = refs
		}
		seen = append(seen, refs...)
	}
	// Previous from the last page, which a Query reads the other way.
	if back, before, _ := open(prev); prev == "" || !slices.Equal(back, firstPage) || before != "" {
		t.Errorf("Previous from the last page: got %v (and a link before it %q), want the first page %v", back, before, firstPage)
	}
	if pages != 2 {
		t.Errorf("got %d pages, want 2 (20 and 5)", pages)
	}
	if !slices.Equal(seen, want) {
		t.Errorf("across the pages: got %v, want %v (newest first, each once)", seen, want)
	}
	for _, ref := range others {
		if slices.Contains(seen, ref) {
			t.Errorf("the officer was shown %s, another officer's referral", ref)
		}
	}

	resp, err := c.Get(stack.URL + "/referrals?page=b2xkZXI6MjAyNg.AAAA")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a made-up page link: got %d, want 400", resp.StatusCode)
	}
}

// TestBackfillListsReferralsMadeBeforeGSI3: a referral stored before GSI3
// existed (its keys removed here) is not on its officer's list until
// make backfill (dynamo.Store.BackfillSubmitterKeys) gives it its keys;
// run again, it changes nothing.
func TestBackfillListsReferralsMadeBeforeGSI3(t *testing.T) {
	serial(t)
	ctx := t.Context()
	// The other officer's: listOfficer's list is TestYourReferralsAcrossPages's.
	code, out := call(t, otherOfficer, "POST", "/referrals", string(submission(t, "nowhere", nil)))
	if code != http.StatusAccepted {
		t.Fatalf("POST /referrals as %s: got %d %v", otherOfficer, code, out)
	}
	ref := out["reference"].(string)
	rec, err := stack.Store.Referral(ctx, ref)
	if err != nil || rec.SubmittedBy == nil {
		t.Fatalf("%s: %v %+v", ref, err, rec)
	}
	listed := func() bool {
		pg, err := stack.Store.SubmittedBy(ctx, rec.SubmittedBy.Subject, dynamo.PageOf{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(pg.Referrals, func(s dynamo.Submitted) bool { return s.Reference == ref })
	}
	if !listed() {
		t.Fatalf("%s, made through the API, is not on its officer's list", ref)
	}
	_, err = dynamodb.NewFromConfig(stack.AWS).UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(stack.Table),
		Key:              map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "REF#" + ref}, "SK": &ddbtypes.AttributeValueMemberS{Value: "REFERRAL"}},
		UpdateExpression: aws.String("REMOVE GSI3PK, GSI3SK")})
	if err != nil {
		t.Fatal(err)
	}
	if listed() {
		t.Fatalf("%s without its keys: still listed", ref)
	}
	n, err := stack.Store.BackfillSubmitterKeys(ctx)
	if err != nil || n < 1 {
		t.Fatalf("backfill: got %d keyed, %v; want at least 1", n, err)
	}
	if !listed() {
		t.Errorf("%s after the backfill: not on its officer's list", ref)
	}
	if n, err := stack.Store.BackfillSubmitterKeys(ctx); err != nil || n != 0 {
		t.Errorf("the backfill run again: got %d keyed, %v; want 0", n, err)
	}
}
