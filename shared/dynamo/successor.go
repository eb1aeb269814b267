package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/referral"
)

// openEnds are what the transaction that ends rec (ineligible, withdrawn,
// closed) adds when rec is a person's open referral: the release of the
// claims it holds, and its successor (referral.Successor):
// the earliest referral still linked to it is put back through
// eligibility (linked → received, its eligibility message in the outbox,
// its expiry removed, the claims taken), and any other still linked to it
// is linked to that one instead. All in the one transaction, each
// conditional on the linked referral being still linked to rec, so that
// no linked referral is left linked to an ended one, and a retry finds
// the work done. When a claim of the successor's person is held by
// another open referral (a PNC match of different names, say), every
// referral linked to rec is linked to that one instead.
//
// The referrals linked to rec are found through rec's perpetrator's
// referrals (SamePerpetrator: the names' index and the PNC ID's lookup),
// which is how they were linked. succ is the number of items, at the end
// of items, whose condition failing means a linked referral changed
// meanwhile (read again and try again).
func (s *Store) openEnds(ctx context.Context, rec referral.Record, at time.Time) (items []types.TransactWriteItem, succ int, err error) {
	if rec.LinkedTo != "" {
		return nil, 0, nil // a linked referral holds no claim and has nothing linked to it
	}
	keys, err := rec.Referral.ClaimKeys()
	if err != nil {
		return nil, 0, nil // stored before the duplicate check needed a key: it holds none
	}
	held, err := s.Claims(ctx, keys)
	if err != nil {
		return nil, 0, err
	}
	release := map[string]bool{}
	for _, k := range keys {
		if held[k] == rec.Reference {
			release[k] = true
		}
	}
	next, relink, ok, err := s.successor(ctx, rec)
	if err != nil {
		return nil, 0, err
	}
	var after []types.TransactWriteItem
	if ok {
		nextKeys, err := next.Referral.ClaimKeys()
		if err != nil {
			return nil, 0, fmt.Errorf("successor of %s: %w", rec.Reference, err)
		}
		nheld, err := s.Claims(ctx, nextKeys)
		if err != nil {
			return nil, 0, err
		}
		other := ""
		for _, k := range nextKeys {
			if h := nheld[k]; h != "" && h != rec.Reference && h != next.Reference {
				other = h
			}
		}
		if other != "" {
			relink = append([]referral.Record{next}, relink...)
		} else {
			reopen, err := s.reopenItems(ctx, next, rec.Reference, at)
			if err != nil {
				return nil, 0, err
			}
			after = append(after, reopen...)
			for _, k := range nextKeys {
				put := &types.Put{TableName: &s.table, Item: map[string]types.AttributeValue{"PK": str(claimPK(k)), "SK": str("OPEN"), "reference": str(next.Reference)},
					ConditionExpression: aws.String("attribute_not_exists(PK)")}
				if nheld[k] != "" {
					put.ConditionExpression = aws.String("#ref = :read") // "reference" is a reserved word
					put.ExpressionAttributeNames = map[string]string{"#ref": "reference"}
					put.ExpressionAttributeValues = map[string]types.AttributeValue{":read": str(nheld[k])}
				}
				delete(release, k) // taken over, not released: one write an item a transaction
				after = append(after, types.TransactWriteItem{Put: put})
			}
			other = next.Reference
		}
		for _, r := range relink {
			tr := referral.Transition{At: at, From: referral.StatusLinked, To: referral.StatusLinked, By: "eligibility",
				Reason: referral.LinkedWords(officerName(r.SubmittedBy)), Note: referral.RelinkedNote(rec.Reference, other)}
			hist, err := historyPut(s.table, r.Reference, tr)
			if err != nil {
				return nil, 0, fmt.Errorf("relink %s: %w", r.Reference, err)
			}
			after = append(after, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: refKey(r.Reference),
				UpdateExpression:          aws.String("SET linkedTo = :open, updatedAt = :now"),
				ConditionExpression:       aws.String("#status = :linked AND linkedTo = :ended"),
				ExpressionAttributeNames:  map[string]string{"#status": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":open": str(other), ":now": str(at.UTC().Format(time.RFC3339Nano)), ":linked": str(string(referral.StatusLinked)), ":ended": str(rec.Reference)},
			}}, hist)
		}
	}
	for _, k := range keys {
		if release[k] {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: keyOf(claimPK(k), "OPEN")}})
		}
	}
	return append(items, after...), len(after), nil
}

// successor reads the referrals still linked to the open referral rec and
// decides which of them follows it (referral.Successor).
func (s *Store) successor(ctx context.Context, rec referral.Record) (next referral.Record, relink []referral.Record, ok bool, err error) {
	all, err := s.SamePerpetrator(ctx, rec.Referral)
	if err != nil && !errors.Is(err, referral.ErrNoPerpetratorKey) {
		return next, nil, false, fmt.Errorf("successor of %s: %w", rec.Reference, err)
	}
	var linked []referral.Record
	for _, sum := range all {
		if sum.Status != referral.StatusLinked {
			continue
		}
		r, err := s.Referral(ctx, sum.Reference)
		if errors.Is(err, referral.ErrNotFound) {
			continue
		}
		if err != nil {
			return next, nil, false, fmt.Errorf("successor of %s: %w", rec.Reference, err)
		}
		linked = append(linked, r)
	}
	next, relink, ok = referral.Successor(rec.Reference, linked)
	return next, relink, ok, nil
}

// reopenItems put next, linked to the ended referral, back through
// eligibility: received again, no longer linked, its history's row saying
// why (referral.ReopenedWords), its expiry (set when it was linked: a
// linked referral ended as it arrived) removed from it, its history, the
// record of who read it and its PNC ID's lookup, and its eligibility message in the outbox.
func (s *Store) reopenItems(ctx context.Context, next referral.Record, ended string, at time.Time) ([]types.TransactWriteItem, error) {
	tr := referral.Transition{At: at, From: referral.StatusLinked, To: referral.StatusReceived, By: "eligibility", Reason: referral.ReopenedWords,
		Note: "Referral " + ended + ", which this one was linked to, has ended"}
	hist, err := historyPut(s.table, next.Reference, tr)
	if err != nil {
		return nil, fmt.Errorf("reopen %s: %w", next.Reference, err)
	}
	msg, err := NewMessage(QueueEligibility, referral.Message{Reference: next.Reference}, at)
	if err != nil {
		return nil, fmt.Errorf("reopen %s: %w", next.Reference, err)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: &s.table, Key: refKey(next.Reference),
		UpdateExpression:          aws.String("SET #status = :received, updatedAt = :now REMOVE linkedTo, expiresAt"),
		ConditionExpression:       aws.String("#status = :linked AND linkedTo = :ended"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":received": str(string(referral.StatusReceived)), ":now": str(at.UTC().Format(time.RFC3339Nano)), ":linked": str(string(referral.StatusLinked)), ":ended": str(ended)},
	}}, hist}
	unexpire := func(k map[string]types.AttributeValue) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: k,
			UpdateExpression: aws.String("REMOVE expiresAt"), ConditionExpression: aws.String("attribute_exists(PK)")}}
	}
	if s.retention > 0 {
		var earlier []struct {
			SK string `json:"SK"`
		}
		err := s.query(ctx, &dynamodb.QueryInput{
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("REF#" + next.Reference)},
			ConsistentRead:            aws.Bool(true),
		}, &earlier)
		if err != nil {
			return nil, fmt.Errorf("items of %s: %w", next.Reference, err)
		}
		for _, h := range earlier {
			if h.SK != "REFERRAL" { // its history and who read it (views.go)
				items = append(items, unexpire(keyOf("REF#"+next.Reference, h.SK)))
			}
		}
		if pnc := next.Referral.Perpetrator.PNCID; pnc != "" {
			items = append(items, unexpire(keyOf("PNC#"+pnc, "REF#"+next.Reference)))
		}
	}
	return append(items, s.outboxPuts([]Message{msg})...), nil
}
