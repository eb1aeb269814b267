package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/referral"
)

// An officer's referrals are found through GSI3, keyed by who made them:
// GSI3PK "SUB#<subject>" (the token's subject, as the referral's
// SubmittedBy records it), GSI3SK "<received time>#<ref>", so that a
// Query reads them newest first, a page at a time. Create writes the keys;
// a referral made before GSI3 has none until infra/backfill gives it them.

// submitterPK and submitterSK key a referral in GSI3.
func submitterPK(subject string) string { return "SUB#" + subject }

func submitterSK(receivedAt time.Time, ref string) string {
	return receivedAt.UTC().Format(sortable) + "#" + ref
}

// SubmitterKeys are the GSI3 key attributes, as pairs for item, of a
// referral made by a signed-in officer; none for one without a subject
// (made before referrals recorded who made them).
func SubmitterKeys(rec referral.Record) []string {
	if rec.SubmittedBy == nil || rec.SubmittedBy.Subject == "" {
		return nil
	}
	return []string{"GSI3PK", submitterPK(rec.SubmittedBy.Subject), "GSI3SK", submitterSK(rec.ReceivedAt, rec.Reference)}
}

// Submitted is one of an officer's referrals as their list shows it:
// never the referral's personal details (GSI3 projects only these).
type Submitted struct {
	Reference   string             `json:"reference"`
	Area        string             `json:"area"`
	Status      referral.Status    `json:"status"`
	ReceivedAt  time.Time          `json:"receivedAt"`
	CaseManager *referral.Assignee `json:"caseManager,omitempty"`
	// Key is the referral's place in its officer's list (GSI3SK).
	Key string `json:"GSI3SK"`
}

// PageOf is where a page of a list starts: after the item whose key is
// After, going towards older items, or, with Newer, towards newer ones.
// The zero PageOf is the first page, the newest.
type PageOf struct {
	After string
	Newer bool
}

// SubmittedPage is a page of an officer's referrals, newest first. Newer
// and Older are where the pages next to it start (PageOf), when there are
// more referrals that way; nil when not.
type SubmittedPage struct {
	Referrals    []Submitted
	Newer, Older *PageOf
}

// ErrBadPage is returned (wrapped) by SubmittedBy for a PageOf whose key
// is not a key of the list.
var ErrBadPage = errors.New("not a place in the list")

// SubmittedBy returns a page of at most size referrals made by the
// officer with the token subject given, newest first, starting at from.
// The partition read is the subject's own whatever from says, so that no
// page starts in another officer's list. It returns an error wrapping
// ErrBadPage when from's key does not read as "<time>#<reference>", and
// another error when the table cannot be read.
func (s *Store) SubmittedBy(ctx context.Context, subject string, from PageOf, size int) (SubmittedPage, error) {
	var pg SubmittedPage
	if size < 1 {
		size = 1
	}
	if subject == "" {
		return pg, nil
	}
	var start map[string]types.AttributeValue
	if from.After != "" {
		at, ref, ok := strings.Cut(from.After, "#")
		_, timeErr := time.Parse(sortable, at)
		if _, valid := referral.ParseReference(ref); !ok || timeErr != nil || !valid {
			return pg, fmt.Errorf("referrals of %s: %w", subject, ErrBadPage)
		}
		start = map[string]types.AttributeValue{"PK": str("REF#" + ref), "SK": str("REFERRAL"),
			"GSI3PK": str(submitterPK(subject)), "GSI3SK": str(from.After)}
	}
	// One more than a page says whether there is more beyond it.
	items, err := s.submitted(ctx, subject, start, !from.Newer, size+1)
	if err != nil {
		return pg, err
	}
	if from.Newer {
		if len(items) <= size {
			// Fewer than a page is newer: that is the first page.
			return s.SubmittedBy(ctx, subject, PageOf{}, size)
		}
		items = items[:size]
		slices.Reverse(items)
		pg.Referrals = items
		pg.Newer = &PageOf{After: items[0].Key, Newer: true}
		pg.Older = &PageOf{After: items[len(items)-1].Key}
		return pg, nil
	}
	if len(items) > size {
		items = items[:size]
		pg.Older = &PageOf{After: items[len(items)-1].Key}
	}
	if from.After != "" && len(items) > 0 {
		pg.Newer = &PageOf{After: items[0].Key, Newer: true}
	}
	pg.Referrals = items
	return pg, nil
}

// submitted reads at most limit of the subject's referrals from GSI3,
// after start (nil: from the end), newest first or oldest first.
func (s *Store) submitted(ctx context.Context, subject string, start map[string]types.AttributeValue, newestFirst bool, limit int) ([]Submitted, error) {
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String("GSI3"),
		KeyConditionExpression:    aws.String("GSI3PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(submitterPK(subject))},
		ScanIndexForward:          aws.Bool(!newestFirst),
		ExclusiveStartKey:         start,
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("referrals of %s: %w", subject, err)
	}
	list := []Submitted{}
	for _, it := range out.Items {
		var sub Submitted
		if err := unmarshal(it, &sub); err != nil {
			return nil, fmt.Errorf("referrals of %s: %w", subject, err)
		}
		list = append(list, sub)
	}
	return list, nil
}

// BackfillSubmitterKeys gives GSI3's keys to every referral made by a
// signed-in officer that has none: those stored before GSI3 existed,
// which "Your referrals" does not list until then. It scans the table's
// referral items without the keys and sets each one's on condition that
// it still has none (a referral changed meanwhile keeps its own), so that
// it can be run again, or while the functions run. It returns how many
// referrals it keyed, and an error when the table cannot be read or
// written (those keyed before it stay keyed).
func (s *Store) BackfillSubmitterKeys(ctx context.Context) (int, error) {
	p := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{
		TableName:                 &s.table,
		FilterExpression:          aws.String("SK = :sk AND attribute_not_exists(GSI3PK) AND attribute_exists(submittedBy.subject)"),
		ProjectionExpression:      aws.String("#ref, receivedAt, submittedBy"),
		ExpressionAttributeNames:  map[string]string{"#ref": "reference"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sk": str("REFERRAL")},
	})
	keyed := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return keyed, fmt.Errorf("backfill GSI3: %w", err)
		}
		for _, it := range page.Items {
			var rec referral.Record
			if err := unmarshal(it, &rec); err != nil {
				return keyed, fmt.Errorf("backfill GSI3: %w", err)
			}
			k := SubmitterKeys(rec)
			if len(k) != 4 {
				continue
			}
			_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: refKey(rec.Reference),
				UpdateExpression:          aws.String("SET GSI3PK = :pk, GSI3SK = :sk"),
				ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(GSI3PK)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(k[1]), ":sk": str(k[3])}})
			var ccf *types.ConditionalCheckFailedException
			switch {
			case errors.As(err, &ccf):
				continue // keyed meanwhile, or expired
			case err != nil:
				return keyed, fmt.Errorf("backfill GSI3 %s: %w", rec.Reference, err)
			}
			keyed++
		}
	}
	return keyed, nil
}
