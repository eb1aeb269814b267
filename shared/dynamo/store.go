// Package dynamo keeps referrals, areas, case managers, cases and
// notification receipts in one DynamoDB table.
//
// Access patterns (PK, SK; GSIn: GSInPK, GSInSK):
//
//	referral by reference          REF#<ref>, REFERRAL
//	a referral's history, in order REF#<ref>, HIST#<time>#<status>
//	who read a referral, newest    REF#<ref>, VIEW#<time>#<subject> (Query backwards on begins_with VIEW#,
//	first                            limited; one put per view; expire with the referral, see views.go)
//	an area's rules                AREA#<area>, AREA      (version rises with each change)
//	a case manager id's area       CMID#<id>, CMID        (ids are unique across areas)
//	staff by email: the case       STAFF#<email>, CM      (emails are unique across case managers)
//	manager, the areas led         STAFF#<email>, LEAD#<area>
//	every area, by id              GSI1: AREAS, <area>
//	an area's case managers        AREA#<area>, CM#<id>   (Query on PK, begins_with CM#)
//	changes to an area and its     AREA#<area>, LOG#<time>#<id>#<n> (who, when, from, to; staff.go;
//	case managers, newest first      <id> is "" for the area's own)
//	case managers on leave, by     GSI1: RETURNS, <date>#<area>#<id> (sparse: only inactive with a
//	the date they are back           date back; staff.go)
//	a case by id                   CASE#<id>, CASE        (case id = referral reference)
//	a case manager's cases         GSI1: CM#<id>, <allocated time>  (case manager ids are unique across areas)
//	an area's referrals waiting    GSI1: WAIT#<area>, <eligible time>#<received time>#<ref> (sparse: only
//	for a place, in order            eligible and waitlisted referrals; allocation.InOrder is the order)
//	allocations not yet accepted,  GSI1: CHASE, <allocated time>#<ref> (sparse: until accepted, ended or
//	oldest first                     escalated; one partition, as Drive allocates a few a day)
//	a perpetrator's referrals      GSI2: PERP#<perpetrator key>, <received time>#<ref>
//	an officer's referrals,        GSI3: SUB#<token subject>, <received time>#<ref> (a page at a time;
//	newest first                     see submitted.go; only the list's attributes are projected)
//	an area's referrals by the     GSI4: AREA#<area>, <received time>#<ref> (the referral and, once it
//	time received                    ends, its evaluation record: the report, its download and the
//	                                 area's list read only the area's items, never the whole table;
//	                                 see reports.go)
//	referrals by PNC ID            PNC#<YYYY/NNNNNNNC>, REF#<ref> (the canonical PNC ID, see referral.ParsePNC)
//	a perpetrator's open referral  OPEN#<claim key>, OPEN (a hash of the names and date of birth, or of the PNC
//	(its claim)                      ID: referral.ClaimKeys; taken with the referral on condition nobody took it
//	                                 since read, released when it ends, or passed to the first referral
//	                                 linked to it, which is decided again: successor.go; see Claims)
//	an idempotency key's result    IDEM#<key>, IDEM       (key scoped to the caller; TTL 24 hours)
//	an email's receipt             NOTE#<id>, NOTE        (expires through TTL)
//	an email by SES message id     SES#<message id>, SES  (for bounces; expires through TTL)
//	an ended referral, for         EVAL#<ref>, EVAL       (no personal data; kept when the referral's
//	evaluation and reports                                  items expire, see WithRetention)
//	messages not yet sent, oldest  OUTBOX, <created>#<id> (the transactional outbox, see outbox.go:
//	first                                                   written with the change they follow, deleted
//	                                                        once sent; never expire)
//
// Every change of a referral's status writes the referral and its history
// record in one transaction, conditional on everything the change was
// decided on: the status it changes from and the case manager holding it
// since the time read (see heldBy); a case's item, on its status and
// holder. A condition that fails is an answer (referral.ErrConflict); a
// transaction cancelled by another at the same time is tried again (see
// transact).
//
// A change that must be followed by a message (to a queue) takes the
// message (Message) and keeps it in the outbox in the same transaction;
// the caller sends it after the commit (Deliver), and the relay sends
// what a caller could not (see outbox.go).
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/eligibility"
	"github.com/driveprogramme/referrals/shared/referral"
)

// ErrReferenceTaken is returned by CreateReferral when the reference is
// already in use; the caller draws another.
var ErrReferenceTaken = errors.New("reference already taken")

// Store is the DynamoDB implementation of the stores the functions need.
type Store struct {
	client *dynamodb.Client
	table  string
	// retention is how long an ended referral's personal data is kept
	// (zero: for ever); see WithRetention.
	retention time.Duration
}

// WithRetention makes the store expire, through the table's TTL, every
// item holding an ended referral's personal data (the referral, its
// history, its case, its PNC ID lookup, and the record of who read it,
// views.go) the given time after it ends:
// ineligible, withdrawn or closed. What evaluation needs is kept without
// personal data (EVAL#<ref>).
func (s *Store) WithRetention(d time.Duration) *Store {
	s.retention = d
	return s
}

// New returns a Store on the named table.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table}
}

// sortable formats times for sort keys: fixed width, so that string order
// is time order.
const sortable = "2006-01-02T15:04:05.000000000Z"

func keyOf(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}}
}

func refKey(ref string) map[string]types.AttributeValue { return keyOf("REF#"+ref, "REFERRAL") }

func marshal(v any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
}

func unmarshal(item map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(item, v, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" })
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// item marshals v and adds the key attributes pairs (name, value, ...).
func item(v any, keys ...string) (map[string]types.AttributeValue, error) {
	m, err := marshal(v)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(keys); i += 2 {
		m[keys[i]] = str(keys[i+1])
	}
	return m, nil
}

func historyPut(table, ref string, tr referral.Transition) (types.TransactWriteItem, error) {
	m, err := item(tr, "PK", "REF#"+ref, "SK", "HIST#"+tr.At.UTC().Format(sortable)+"#"+string(tr.To))
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: m}}, nil
}

// ErrKeyUsed is returned by CreateReferral when the idempotency key was
// used before; KeyResult says for which referral.
var ErrKeyUsed = errors.New("idempotency key already used")

// keyTTL is how long an idempotency key is remembered.
const keyTTL = 24 * time.Hour

// CreateReferral stores a new referral with its first history record
// (Create, with no note and no link).
func (s *Store) CreateReferral(ctx context.Context, rec referral.Record, key, fingerprint string, msgs ...Message) error {
	return s.Create(ctx, NewReferral{Record: rec, Key: key, Fingerprint: fingerprint, Messages: msgs})
}

// NewReferral is a referral as Create stores it.
type NewReferral struct {
	Record referral.Record
	// Key is the caller's idempotency key ("" for none), kept with the
	// request's Fingerprint.
	Key, Fingerprint string
	// Reason, when set, replaces the first history record's words
	// (referral.ReceivedWords); Note is staff's note on it.
	Reason, Note string
	// Link, when set, is the open referral of the same perpetrator that
	// this one is linked to.
	Link *Link
	// Claims, when set, are the perpetrator's claims (referral.ClaimKeys)
	// this referral takes as their open referral: each key with the
	// reference it named when read ("" for none, or one no longer open),
	// taken only if it still names it.
	Claims map[string]string
	// Messages are kept in the outbox in the same transaction.
	Messages []Message
}

// Link records on an open referral that another was linked to it: its
// history gets Transition (from and to its status), on condition that it
// is still in the status, and held by the case manager, it was read with.
type Link struct {
	Open       referral.Record
	Transition referral.Transition
}

// Create stores a new referral with its first history record, the lookup
// of its PNC ID and, when n.Key is not empty, the idempotency key with the
// request's fingerprint, all in one transaction; with n.Link, the open
// referral's history record of the link too; with n.Claims, the
// perpetrator's claims. It returns
// ErrReferenceTaken when the reference is in use, ErrKeyUsed when the key
// is, referral.ErrConflict (wrapped) when the linked referral changed
// since it was read, ErrClaimed and referral.ErrConflict (wrapped) when
// another referral took a claim since it was read (a referral of the same
// person sent at the same moment: read again and link to it), and
// referral.ErrNoPerpetratorKey (wrapped) when the
// referral does not say who the perpetrator is: stored without its
// perpetrator key, it would escape the duplicate check.
func (s *Store) Create(ctx context.Context, n NewReferral) error {
	rec, key := n.Record, n.Key
	pk, err := rec.Referral.PerpetratorKey()
	if err != nil {
		return fmt.Errorf("create referral %s: %w", rec.Reference, err)
	}
	keys := []string{"PK", "REF#" + rec.Reference, "SK", "REFERRAL", "area", rec.Referral.Area,
		"GSI2PK", "PERP#" + pk, "GSI2SK", rec.ReceivedAt.UTC().Format(sortable) + "#" + rec.Reference,
		"GSI4PK", areaPK(rec.Referral.Area), "GSI4SK", areaSK(rec.ReceivedAt, rec.Reference)}
	keys = append(keys, SubmitterKeys(rec)...)
	m, err := item(rec, keys...)
	if err != nil {
		return fmt.Errorf("create referral %s: %w", rec.Reference, err)
	}
	reason := n.Reason
	if reason == "" {
		reason = referral.ReceivedWords(officerName(rec.SubmittedBy))
	}
	hist, err := historyPut(s.table, rec.Reference, referral.Transition{At: rec.ReceivedAt, To: rec.Status, By: "intake", Reason: reason, Note: n.Note})
	if err != nil {
		return fmt.Errorf("create referral %s: %w", rec.Reference, err)
	}
	// A linked referral is not worked on its own: like an ineligible one,
	// it ends when it arrives, its details passed to the open referral's
	// team, and its personal data expires the retention period after.
	var expires types.AttributeValue
	if n.Link != nil && s.retention > 0 {
		expires = &types.AttributeValueMemberN{Value: fmt.Sprint(rec.ReceivedAt.Add(s.retention).Unix())}
		m["expiresAt"], hist.Put.Item["expiresAt"] = expires, expires
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: m, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		hist,
	}
	keyAt, linkAt := -1, -1
	if key != "" {
		keyAt = len(items)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, ConditionExpression: aws.String("attribute_not_exists(PK)"),
			Item: map[string]types.AttributeValue{
				"PK": str("IDEM#" + key), "SK": str("IDEM"), "reference": str(rec.Reference), "fingerprint": str(n.Fingerprint),
				"expiresAt": &types.AttributeValueMemberN{Value: fmt.Sprint(rec.ReceivedAt.Add(keyTTL).Unix())},
			}}})
	}
	if pnc := rec.Referral.Perpetrator.PNCID; pnc != "" {
		lookup := map[string]types.AttributeValue{"PK": str("PNC#" + pnc), "SK": str("REF#" + rec.Reference), "reference": str(rec.Reference)}
		if expires != nil {
			lookup["expiresAt"] = expires
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: lookup}})
	}
	if l := n.Link; l != nil {
		check := &types.Update{TableName: &s.table, Key: refKey(l.Open.Reference),
			ConditionExpression:       aws.String("#status = :from"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":from": str(string(l.Open.Status))}}
		if err := heldBy(check, l.Open.CaseManager); err != nil {
			return fmt.Errorf("create referral %s: %w", rec.Reference, err)
		}
		openHist, err := historyPut(s.table, l.Open.Reference, l.Transition)
		if err != nil {
			return fmt.Errorf("create referral %s: %w", rec.Reference, err)
		}
		linkAt = len(items)
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: check.TableName, Key: check.Key,
			ConditionExpression: check.ConditionExpression, ExpressionAttributeNames: check.ExpressionAttributeNames,
			ExpressionAttributeValues: check.ExpressionAttributeValues}}, openHist)
	}
	claimsAt := len(items)
	for _, k := range slices.Sorted(maps.Keys(n.Claims)) {
		put := &types.Put{TableName: &s.table, Item: map[string]types.AttributeValue{"PK": str(claimPK(k)), "SK": str("OPEN"), "reference": str(rec.Reference)},
			ConditionExpression: aws.String("attribute_not_exists(PK)")}
		if read := n.Claims[k]; read != "" {
			put.ConditionExpression = aws.String("attribute_not_exists(PK) OR #ref = :read") // "reference" is a reserved word
			put.ExpressionAttributeNames = map[string]string{"#ref": "reference"}
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":read": str(read)}
		}
		items = append(items, types.TransactWriteItem{Put: put})
	}
	_, err = s.transact(ctx, append(items, s.outboxPuts(n.Messages)...))
	claimed := false
	for i := claimsAt; i < claimsAt+len(n.Claims); i++ {
		claimed = claimed || failed(err, i)
	}
	switch {
	case claimed:
		return fmt.Errorf("create referral %s: %w: %w", rec.Reference, ErrClaimed, referral.ErrConflict)
	case failed(err, 0):
		return fmt.Errorf("create referral %s: %w", rec.Reference, ErrReferenceTaken)
	case keyAt >= 0 && failed(err, keyAt):
		return fmt.Errorf("create referral %s: %w", rec.Reference, ErrKeyUsed)
	case linkAt >= 0 && failed(err, linkAt):
		return fmt.Errorf("create referral %s linked to %s: %w: it changed meanwhile", rec.Reference, n.Link.Open.Reference, referral.ErrConflict)
	case err != nil:
		return fmt.Errorf("create referral %s: %w", rec.Reference, err)
	}
	return nil
}

// ErrClaimed is returned (with referral.ErrConflict) by Create when
// another referral took one of the perpetrator's claims since they were
// read: it is now their open referral.
var ErrClaimed = errors.New("another referral of the same perpetrator was stored meanwhile")

func claimPK(key string) string { return "OPEN#" + key }

// Claims returns, for each of a perpetrator's claim keys
// (referral.ClaimKeys), the reference of the referral that holds it, read
// consistently; a key nobody holds is absent. Claims are what make the
// duplicate check hold for referrals sent at the same moment: taken in
// Create on condition that they are as read, released when their
// referral ends (ineligible, withdrawn, closed).
func (s *Store) Claims(ctx context.Context, keys []string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range keys {
		var it struct {
			Reference string `json:"reference"`
		}
		err := s.get(ctx, keyOf(claimPK(k), "OPEN"), &it)
		if errors.Is(err, referral.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("claims on a perpetrator: %w", err)
		}
		out[k] = it.Reference
	}
	return out, nil
}

// KeyResult returns the reference and request fingerprint an idempotency
// key was first used with, or referral.ErrNotFound.
func (s *Store) KeyResult(ctx context.Context, key string) (ref, fingerprint string, err error) {
	var it struct {
		Reference   string `json:"reference"`
		Fingerprint string `json:"fingerprint"`
	}
	if err := s.get(ctx, keyOf("IDEM#"+key, "IDEM"), &it); err != nil {
		return "", "", fmt.Errorf("idempotency key: %w", err)
	}
	return it.Reference, it.Fingerprint, nil
}

// Referral returns the referral with that reference, or referral.ErrNotFound.
func (s *Store) Referral(ctx context.Context, ref string) (referral.Record, error) {
	var rec referral.Record
	if err := s.get(ctx, refKey(ref), &rec); err != nil {
		return rec, fmt.Errorf("get referral %s: %w", ref, err)
	}
	return rec, nil
}

// SamePerpetrator returns the other referrals of a referral's perpetrator,
// in any area, oldest first: those with the same PNC ID and those with the
// same folded names and date of birth (see referral.PerpetratorKey). It
// returns an error wrapping referral.ErrNoPerpetratorKey, rather than
// skipping the check, when the referral has no names or date of birth to
// compare.
func (s *Store) SamePerpetrator(ctx context.Context, r referral.Referral) ([]referral.Summary, error) {
	var out []referral.Summary
	pk, err := r.PerpetratorKey()
	if err != nil {
		return nil, fmt.Errorf("referrals of the same perpetrator: %w", err)
	}
	err = s.query(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String("GSI2"),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("PERP#" + pk)},
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("referrals of the same perpetrator: %w", err)
	}
	if pnc := r.Perpetrator.PNCID; pnc != "" {
		var pointers []referral.Summary
		err := s.query(ctx, &dynamodb.QueryInput{
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("PNC#" + pnc)},
		}, &pointers)
		if err != nil {
			return nil, fmt.Errorf("referrals of the same PNC ID: %w", err)
		}
		for _, p := range pointers {
			if slices.ContainsFunc(out, func(o referral.Summary) bool { return o.Reference == p.Reference }) {
				continue
			}
			rec, err := s.Referral(ctx, p.Reference)
			if errors.Is(err, referral.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, referral.Summary{Reference: rec.Reference, Area: rec.Referral.Area, Status: rec.Status, ReceivedAt: rec.ReceivedAt})
		}
	}
	slices.SortFunc(out, func(a, b referral.Summary) int { return a.ReceivedAt.Compare(b.ReceivedAt) })
	return out, nil
}

// History returns a referral's status transitions, oldest first.
func (s *Store) History(ctx context.Context, ref string) ([]referral.Transition, error) {
	var out []referral.Transition
	err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("REF#" + ref), ":sk": str("HIST#")},
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", ref, err)
	}
	return out, nil
}

// RecordDecision moves a received referral to eligible or ineligible and
// keeps the decision. It returns referral.ErrConflict when the referral is
// no longer received (a redelivered message found it decided). msgs
// (where the decision goes next) are kept in the outbox in the same
// transaction. Found ineligible, an open referral releases its claims
// and its successor, the first referral linked to it, is put back through
// eligibility in the same transaction (openEnds).
func (s *Store) RecordDecision(ctx context.Context, rec referral.Record, d referral.Decision, by string, msgs ...Message) error {
	ref := rec.Reference
	to := referral.StatusIneligible
	if d.Eligible {
		to = referral.StatusEligible
	}
	reason := referral.DecidedWords(d.Eligible)
	dm, err := marshal(d)
	if err != nil {
		return fmt.Errorf("record decision on %s: %w", ref, err)
	}
	tr := referral.Transition{At: d.DecidedAt, From: referral.StatusReceived, To: to, By: by, Reason: reason}
	set, values := "SET decision = :decision", map[string]types.AttributeValue{":decision": &types.AttributeValueMemberM{Value: dm}}
	if d.Eligible {
		// In its area's queue for a place from the moment it is eligible,
		// so that no later referral overtakes it (allocation.InOrder).
		rec.Decision = &d
		set += ", GSI1PK = :wpk, GSI1SK = :wsk"
		values[":wpk"], values[":wsk"] = str(waitPK(rec.Referral.Area)), str(waitSK(allocation.ArrivalOf(rec)))
	}
	update, hist, err := s.transitionItems(ref, tr, set, "", values)
	if err != nil {
		return fmt.Errorf("record decision on %s: %w", ref, err)
	}
	items := []types.TransactWriteItem{update, hist}
	var succ [2]int
	if to == referral.StatusIneligible {
		rec.Decision = &d
		ending, err := s.endingItems(ctx, rec, tr, "", update, hist, false)
		if err != nil {
			return fmt.Errorf("record decision on %s: %w", ref, err)
		}
		items = append(items, ending...)
		ends, n, err := s.openEnds(ctx, rec, d.DecidedAt)
		if err != nil {
			return fmt.Errorf("record decision on %s: %w", ref, err)
		}
		items = append(items, ends...)
		succ = [2]int{len(items) - n, len(items)}
	}
	_, err = s.transact(ctx, append(items, s.outboxPuts(msgs)...))
	if failed(err, 0) {
		return fmt.Errorf("record decision on %s: %w", ref, referral.ErrConflict)
	}
	for i := succ[0]; i < succ[1]; i++ {
		if failed(err, i) {
			// Not a decision: a referral linked to this one changed as
			// it was written; the message is tried again.
			return fmt.Errorf("record decision on %s: a referral linked to it changed meanwhile: %w", ref, err)
		}
	}
	if err != nil {
		return fmt.Errorf("record decision on %s: %w", ref, err)
	}
	if to == referral.StatusIneligible {
		s.expireViewsOnEnding(ctx, ref, d.DecidedAt)
	}
	return nil
}

// evaluation is what is kept of an ended referral once its personal data
// has expired: what the reports and Drive's evaluators count, and nothing
// that identifies anyone.
type evaluation struct {
	Reference    string           `json:"reference"`
	Area         string           `json:"area"`
	Route        referral.Route   `json:"route"`
	Status       referral.Status  `json:"status"`
	ReceivedAt   time.Time        `json:"receivedAt"`
	AllocatedAt  time.Time        `json:"allocatedAt,omitzero"`
	WaitingFrom  *time.Time       `json:"waitingFrom,omitempty"`
	EndedAt      time.Time        `json:"endedAt"`
	RulesVersion int              `json:"rulesVersion,omitempty"`
	Rules        map[string]bool  `json:"rules,omitempty"`
	Path         []evaluationStep `json:"path"`
	CloseReason  string           `json:"closeReason,omitempty"`
}

type evaluationStep struct {
	Status referral.Status `json:"status"`
	At     time.Time       `json:"at"`
}

// endingItems are what a transaction that ends a referral adds when
// personal data expires: the expiry on the referral (in its update), its
// new history record, its earlier history, its case and its PNC ID lookup,
// and the evaluation record, which does not expire.
// code is the close reason code (referral.CloseReasons) the evaluation
// counts, or "" for an ending that is not a closure.
// The case's expiry is left out when the transaction already updates the
// case (an item may appear once in a transaction); the caller sets it.
func (s *Store) endingItems(ctx context.Context, rec referral.Record, tr referral.Transition, code string, update, hist types.TransactWriteItem, caseUpdated bool) ([]types.TransactWriteItem, error) {
	if s.retention <= 0 {
		return nil, nil
	}
	expires := &types.AttributeValueMemberN{Value: fmt.Sprint(tr.At.Add(s.retention).Unix())}
	update.Update.UpdateExpression = aws.String(strings.Replace(*update.Update.UpdateExpression, "SET ", "SET expiresAt = :expires, ", 1))
	update.Update.ExpressionAttributeValues[":expires"] = expires
	hist.Put.Item["expiresAt"] = expires

	var earlier []struct {
		SK     string          `json:"SK"`
		To     referral.Status `json:"to"`
		At     time.Time       `json:"at"`
		Reason string          `json:"reason"`
	}
	err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :hist)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("REF#" + rec.Reference), ":hist": str("HIST#")},
		ConsistentRead:            aws.Bool(true),
	}, &earlier)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", rec.Reference, err)
	}
	expire := func(k map[string]types.AttributeValue) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: k,
			UpdateExpression: aws.String("SET expiresAt = :expires"), ConditionExpression: aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":expires": expires}}}
	}
	ev := evaluation{Reference: rec.Reference, Area: rec.Referral.Area, Route: rec.Referral.Route, Status: tr.To,
		ReceivedAt: rec.ReceivedAt, WaitingFrom: rec.WaitingFrom, EndedAt: tr.At}
	var items []types.TransactWriteItem
	for _, h := range earlier {
		items = append(items, expire(keyOf("REF#"+rec.Reference, h.SK)))
		ev.Path = append(ev.Path, evaluationStep{h.To, h.At})
		if h.To == referral.StatusAllocated && ev.AllocatedAt.IsZero() {
			ev.AllocatedAt = h.At
		}
	}
	ev.Path = append(ev.Path, evaluationStep{tr.To, tr.At})
	if rec.CaseManager != nil && !caseUpdated {
		items = append(items, expire(keyOf("CASE#"+rec.Reference, "CASE")))
	}
	if pnc := rec.Referral.Perpetrator.PNCID; pnc != "" {
		items = append(items, expire(keyOf("PNC#"+pnc, "REF#"+rec.Reference)))
	}
	if d := rec.Decision; d != nil {
		ev.RulesVersion, ev.Rules = d.RulesVersion, map[string]bool{}
		for _, o := range d.Outcomes {
			ev.Rules[o.Rule] = o.Passed
		}
	}
	if tr.To == referral.StatusClosed && slices.Contains(referral.CloseReasons, code) {
		ev.CloseReason = code
	}
	evItem, err := item(ev, "PK", "EVAL#"+rec.Reference, "SK", "EVAL",
		"GSI4PK", areaPK(ev.Area), "GSI4SK", areaSK(ev.ReceivedAt, ev.Reference))
	if err != nil {
		return nil, err
	}
	return append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: evItem}}), nil
}

// areaPK and areaSK key a referral, and its evaluation record, in its
// area's index by the time received (GSI4).
func areaPK(area string) string { return "AREA#" + area }

func areaSK(received time.Time, ref string) string {
	return received.UTC().Format(sortable) + "#" + ref
}

// waitPK and waitSK key a referral waiting for a place in its area's
// queue (GSI1), in the order allocation.InOrder gives.
func waitPK(area string) string { return "WAIT#" + area }

func waitSK(a allocation.Arrival) string {
	return a.EligibleAt.UTC().Format(sortable) + "#" + a.ReceivedAt.UTC().Format(sortable) + "#" + a.Reference
}

// Waitlist moves an eligible referral to the area's waitlist, keeping its
// place in the area's queue (allocation.InOrder). It returns
// referral.ErrConflict when the referral is not eligible. msgs (the
// referrer's news) are kept in the outbox in the same transaction.
func (s *Store) Waitlist(ctx context.Context, rec referral.Record, at time.Time, by string, msgs ...Message) error {
	err := s.transition(ctx, rec.Reference, referral.Transition{At: at, From: referral.StatusEligible, To: referral.StatusWaitlisted, By: by,
		Reason: referral.WaitlistedWords()},
		"SET waitingFrom = :at, GSI1PK = :wpk, GSI1SK = :wsk", map[string]types.AttributeValue{
			":at":  str(at.UTC().Format(time.RFC3339Nano)),
			":wpk": str(waitPK(rec.Referral.Area)),
			":wsk": str(waitSK(allocation.ArrivalOf(rec))),
		}, msgs)
	if err != nil {
		return fmt.Errorf("waitlist %s: %w", rec.Reference, err)
	}
	return nil
}

// transition changes a referral's status from tr.From to tr.To with the
// extra SET clause, and writes the history record and the outbox's
// msgs, in one transaction.
func (s *Store) transition(ctx context.Context, ref string, tr referral.Transition, set string, values map[string]types.AttributeValue, msgs []Message) error {
	update, hist, err := s.transitionItems(ref, tr, set, "", values)
	if err != nil {
		return err
	}
	_, err = s.transact(ctx, append([]types.TransactWriteItem{update, hist}, s.outboxPuts(msgs)...))
	if failed(err, 0) {
		return referral.ErrConflict
	}
	return err
}

// remove, when not empty, lists attributes to drop.
func (s *Store) transitionItems(ref string, tr referral.Transition, set, remove string, values map[string]types.AttributeValue) (update, hist types.TransactWriteItem, err error) {
	hist, err = historyPut(s.table, ref, tr)
	if err != nil {
		return update, hist, err
	}
	vals := map[string]types.AttributeValue{":from": str(string(tr.From)), ":to": str(string(tr.To)), ":now": str(tr.At.UTC().Format(time.RFC3339Nano))}
	for k, v := range values {
		vals[k] = v
	}
	expr := set + ", #status = :to, updatedAt = :now"
	if remove != "" {
		expr += " REMOVE " + remove
	}
	update = types.TransactWriteItem{Update: &types.Update{
		TableName:                 &s.table,
		Key:                       refKey(ref),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("#status = :from"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: vals,
	}}
	return update, hist, nil
}

// heldBy adds to a referral's conditional update that the referral is
// still held as it was read: by the same case manager since the same
// time, or by nobody. A status alone does not say who holds a case (a
// reallocation leaves it allocated), so a change decided on a read of the
// holder must check the holder too, or it could close, withdraw or move a
// case that has moved meanwhile, and free a place in the wrong caseload.
func heldBy(u *types.Update, holder *referral.Assignee) error {
	if holder == nil {
		u.ConditionExpression = aws.String(*u.ConditionExpression + " AND attribute_not_exists(caseManager)")
		return nil
	}
	u.ExpressionAttributeNames["#holder"] = "caseManager"
	u.ExpressionAttributeNames["#holderId"] = "id"
	u.ExpressionAttributeNames["#holderSince"] = "since"
	u.ExpressionAttributeValues[":holderId"] = str(holder.ID)
	cond := " AND #holder.#holderId = :holderId"
	if holder.Since.IsZero() {
		cond += " AND attribute_not_exists(#holder.#holderSince)"
	} else {
		since, err := attributevalue.Marshal(holder.Since)
		if err != nil {
			return fmt.Errorf("holder of the case: %w", err)
		}
		u.ExpressionAttributeValues[":holderSince"] = since
		cond += " AND #holder.#holderSince = :holderSince"
	}
	u.ConditionExpression = aws.String(*u.ConditionExpression + cond)
	return nil
}

// failed reports whether err is a cancelled transaction whose item i failed
// its condition.
func failed(err error, i int) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || i >= len(tce.CancellationReasons) {
		return false
	}
	return aws.ToString(tce.CancellationReasons[i].Code) == "ConditionalCheckFailed"
}

func (s *Store) get(ctx context.Context, k map[string]types.AttributeValue, v any) error {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	if out.Item == nil {
		return referral.ErrNotFound
	}
	return unmarshal(out.Item, v)
}

// query runs q on the table (all pages) and unmarshals the items into out,
// a pointer to a slice.
func (s *Store) query(ctx context.Context, q *dynamodb.QueryInput, out any) error {
	q.TableName = &s.table
	var items []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(s.client, q)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		items = append(items, page.Items...)
	}
	return attributevalue.UnmarshalListOfMapsWithOptions(items, out, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" })
}

// Area returns an area's rules, or referral.ErrNotFound when Drive does not
// serve it.
func (s *Store) Area(ctx context.Context, id string) (eligibility.Area, error) {
	var a eligibility.Area
	if err := s.get(ctx, keyOf("AREA#"+id, "AREA"), &a); err != nil {
		return a, fmt.Errorf("get area %s: %w", id, err)
	}
	return a, nil
}

// PutArea creates an area or changes its name, rules and leads, raising
// the rules' version by one, and returns the area as stored. Leads and
// IDVA domains left nil are kept as they are. The directory of leads (STAFF#<email>,
// LEAD#<area>) changes in the same transaction, conditional on the
// version read, so that two changes at once cannot leave it out of step.
func (s *Store) PutArea(ctx context.Context, a eligibility.Area) (eligibility.Area, error) {
	stored, _, err := s.putArea(ctx, a, nil)
	return stored, err
}

// ChangeArea creates or changes area a as PutArea does, and records each
// change from what was stored (eligibility.Changes) in the area's change
// log, as made by by (their account) and byName (their name) at the time
// at, in the same transaction. It is the one operation behind every
// change of an area by a person: the API's PUT /areas/{area} and the
// admin's pages. It returns the area as stored and the changes recorded
// (none when nothing differed); its errors are PutArea's.
func (s *Store) ChangeArea(ctx context.Context, a eligibility.Area, by, byName string, at time.Time) (eligibility.Area, []allocation.Change, error) {
	return s.putArea(ctx, a, func(old *eligibility.Area, a eligibility.Area) []allocation.Change {
		var out []allocation.Change
		for _, c := range eligibility.Changes(old, a) {
			out = append(out, allocation.Change{At: at, By: by, ByName: byName, What: c.What, From: c.From, To: c.To})
		}
		return out
	})
}

// putArea is PutArea, with the change records record returns (nil: none)
// written in the same transaction.
func (s *Store) putArea(ctx context.Context, a eligibility.Area, record func(old *eligibility.Area, a eligibility.Area) []allocation.Change) (eligibility.Area, []allocation.Change, error) {
	var old eligibility.Area
	err := s.get(ctx, keyOf("AREA#"+a.ID, "AREA"), &old)
	exists := err == nil
	if err != nil && !errors.Is(err, referral.ErrNotFound) {
		return a, nil, fmt.Errorf("put area %s: %w", a.ID, err)
	}
	if a.Leads == nil {
		a.Leads = old.Leads
	}
	if a.IDVADomains == nil {
		a.IDVADomains = old.IDVADomains
	}
	domains, err := attributevalue.Marshal(append([]string{}, a.IDVADomains...))
	if err != nil {
		return a, nil, fmt.Errorf("put area %s: %w", a.ID, err)
	}
	rules, err := marshal(a.Rules)
	if err != nil {
		return a, nil, fmt.Errorf("put area %s: %w", a.ID, err)
	}
	leads, err := attributevalue.Marshal(append([]string{}, a.Leads...))
	if err != nil {
		return a, nil, fmt.Errorf("put area %s: %w", a.ID, err)
	}
	cond, values := "attribute_not_exists(PK)", map[string]types.AttributeValue{
		":id": str(a.ID), ":name": str(a.Name), ":rules": &types.AttributeValueMemberM{Value: rules}, ":areas": str("AREAS"), ":leads": leads,
		":idva": str(a.IDVAService), ":marac": str(a.MARACCoordinator), ":domains": domains,
		":zero": &types.AttributeValueMemberN{Value: "0"}, ":one": &types.AttributeValueMemberN{Value: "1"},
	}
	if exists {
		cond = "version = :read"
		values[":read"] = &types.AttributeValueMemberN{Value: fmt.Sprint(old.Version)}
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 &s.table,
		Key:                       keyOf("AREA#"+a.ID, "AREA"),
		UpdateExpression:          aws.String("SET id = :id, #name = :name, #rules = :rules, leads = :leads, idvaService = :idva, maracCoordinator = :marac, idvaDomains = :domains, GSI1PK = :areas, GSI1SK = :id, version = if_not_exists(version, :zero) + :one"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#name": "name", "#rules": "rules"},
		ExpressionAttributeValues: values,
	}}}
	for _, l := range old.Leads {
		if !slices.Contains(a.Leads, l) {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: keyOf("STAFF#"+l, "LEAD#"+a.ID)}})
		}
	}
	for _, l := range a.Leads {
		if !slices.Contains(old.Leads, l) {
			items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table,
				Item: map[string]types.AttributeValue{"PK": str("STAFF#" + l), "SK": str("LEAD#" + a.ID), "area": str(a.ID)}}})
		}
	}
	var changes []allocation.Change
	if record != nil {
		var was *eligibility.Area
		if exists {
			was = &old
		}
		changes = record(was, a)
		puts, err := s.changePuts(a.ID, changes)
		if err != nil {
			return a, nil, fmt.Errorf("put area %s: %w", a.ID, err)
		}
		items = append(items, puts...)
	}
	_, err = s.transact(ctx, items)
	if failed(err, 0) {
		return a, nil, fmt.Errorf("put area %s: %w: it changed meanwhile; try again", a.ID, referral.ErrConflict)
	}
	if err != nil {
		return a, nil, fmt.Errorf("put area %s: %w", a.ID, err)
	}
	stored, err := s.Area(ctx, a.ID)
	return stored, changes, err
}

// Staff returns what Drive's records say of the member of staff with this
// email address: the case manager they are and the areas they lead.
func (s *Store) Staff(ctx context.Context, email string) (auth.Staff, error) {
	var items []struct {
		SK            string `json:"SK"`
		Area          string `json:"area"`
		CaseManagerID string `json:"caseManagerId"`
	}
	err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("STAFF#" + strings.ToLower(email))},
		ConsistentRead:            aws.Bool(true),
	}, &items)
	if err != nil {
		return auth.Staff{}, fmt.Errorf("staff %s: %w", "by email", err)
	}
	var st auth.Staff
	for _, it := range items {
		switch {
		case it.SK == "CM":
			st.CaseManagerID, st.CaseManagerArea = it.CaseManagerID, it.Area
		case strings.HasPrefix(it.SK, "LEAD#"):
			st.Leads = append(st.Leads, it.Area)
		}
	}
	return st, nil
}

// Areas returns every area Drive serves, by id.
func (s *Store) Areas(ctx context.Context) ([]eligibility.Area, error) {
	var out []eligibility.Area
	err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("AREAS")},
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("list areas: %w", err)
	}
	return out, nil
}

// CaseManagers returns the case managers of an area.
func (s *Store) CaseManagers(ctx context.Context, area string) ([]allocation.CaseManager, error) {
	var out []allocation.CaseManager
	err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("AREA#" + area), ":sk": str("CM#")},
		ConsistentRead:            aws.Bool(true),
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("case managers of %s: %w", area, err)
	}
	return out, nil
}

// CaseManager returns one case manager, or referral.ErrNotFound.
func (s *Store) CaseManager(ctx context.Context, area, id string) (allocation.CaseManager, error) {
	var m allocation.CaseManager
	if err := s.get(ctx, keyOf("AREA#"+area, "CM#"+id), &m); err != nil {
		return m, fmt.Errorf("get case manager %s/%s: %w", area, id, err)
	}
	return m, nil
}

// ErrIDTaken is returned by PutCaseManager when the id belongs to a case
// manager of another area: ids are unique across areas.
var ErrIDTaken = errors.New("case manager id used in another area")

// ErrEmailTaken is returned by PutCaseManager when another case manager
// has the email address: it is how a signed-in case manager is known.
var ErrEmailTaken = errors.New("email address used by another case manager")

// PutCaseManager creates or changes a case manager, keeping the caseload
// the store counts, and claims the id across areas and the email address
// across case managers (STAFF#<email>, CM), in one transaction
// conditional on the email address read. A changed address clears the
// flag of a bounced one (FlagBounced). msgs (a release of the area's
// waitlist, for a caseload that may have room) are kept in the outbox in
// the same transaction. The change is conditional on the caseload stored
// being at most the new capacity (allocation.CheckCapacity's rule, in the
// write, so that an allocation landing after any read cannot slip under
// it). It returns ErrIDTaken or ErrEmailTaken when another case manager
// has them, a *allocation.BelowCaseloadError (allocation.ErrBelowCaseload)
// with the caseload stored when the capacity is below it, and
// referral.ErrConflict when the case manager changed since it was read
// (their email address, capacity, whether active or date back: what a
// change record says it changed from). A case manager inactive with a
// date back (ReturnsOn) is indexed by it (OnLeave); any other has none.
func (s *Store) PutCaseManager(ctx context.Context, m allocation.CaseManager, msgs ...Message) error {
	_, err := s.putCaseManager(ctx, m, nil, msgs)
	return err
}

// putCaseManager is PutCaseManager, with the records of the changes that
// changes returns (from what was stored, nil for none: a new case
// manager) put in the same transaction; it returns them.
func (s *Store) putCaseManager(ctx context.Context, m allocation.CaseManager, changes func(old *allocation.CaseManager) []allocation.Change, msgs []Message) ([]allocation.Change, error) {
	m.Email = strings.ToLower(m.Email)
	old, err := s.CaseManager(ctx, m.Area, m.ID)
	if err != nil && !errors.Is(err, referral.ErrNotFound) {
		return nil, fmt.Errorf("put case manager %s/%s: %w", m.Area, m.ID, err)
	}
	var recorded []allocation.Change
	if changes != nil {
		if err == nil {
			recorded = changes(&old)
		} else {
			recorded = changes(nil)
		}
	}
	cond, values := "attribute_not_exists(PK)", map[string]types.AttributeValue{
		":id": str(m.ID), ":area": str(m.Area), ":name": str(m.Name), ":email": str(m.Email),
		":cap": &types.AttributeValueMemberN{Value: fmt.Sprint(m.Capacity)}, ":active": &types.AttributeValueMemberBOOL{Value: m.Active},
		":zero": &types.AttributeValueMemberN{Value: "0"},
	}
	if err == nil {
		// The caseload is counted by allocations and endings alone: the
		// capacity may not fall below it (allocation.CheckCapacity).
		// The changes recorded are from what was read: the write is
		// conditional on it (capacity, whether active, the date back).
		cond = "email = :read AND #capacity = :readCap AND active = :readActive AND (attribute_not_exists(caseload) OR caseload <= :cap)"
		values[":read"] = str(old.Email)
		values[":readCap"] = &types.AttributeValueMemberN{Value: fmt.Sprint(old.Capacity)}
		values[":readActive"] = &types.AttributeValueMemberBOOL{Value: old.Active}
		if old.ReturnsOn == "" {
			cond += " AND attribute_not_exists(returnsOn)"
		} else {
			cond += " AND returnsOn = :readBack"
			values[":readBack"] = str(old.ReturnsOn)
		}
	}
	// Leave with a date back is indexed (GSI1 RETURNS, sparse) for the
	// remind function's schedule to end it on the day (DueBack).
	set, remove := "SET id = :id, area = :area, #name = :name, email = :email, #capacity = :cap, active = :active, caseload = if_not_exists(caseload, :zero)", []string{}
	if !m.Active && m.ReturnsOn != "" {
		set += ", returnsOn = :back, GSI1PK = :rpk, GSI1SK = :rsk"
		values[":back"], values[":rpk"], values[":rsk"] = str(m.ReturnsOn), str(returnsPK), str(m.ReturnsOn+"#"+m.Area+"#"+m.ID)
	} else {
		remove = append(remove, "returnsOn", "GSI1PK", "GSI1SK")
	}
	if old.Email != "" && old.Email != m.Email {
		// A new address is a fresh start: the bounce flag was the old one's.
		remove = append(remove, "emailBouncedAt")
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table,
			Item:                      map[string]types.AttributeValue{"PK": str("CMID#" + m.ID), "SK": str("CMID"), "area": str(m.Area)},
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR area = :area"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":area": str(m.Area)},
		}},
		{Put: &types.Put{TableName: &s.table,
			Item:                      map[string]types.AttributeValue{"PK": str("STAFF#" + m.Email), "SK": str("CM"), "area": str(m.Area), "caseManagerId": str(m.ID)},
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR caseManagerId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(m.ID)},
		}},
		{Update: &types.Update{
			TableName:                 &s.table,
			Key:                       keyOf("AREA#"+m.Area, "CM#"+m.ID),
			UpdateExpression:          aws.String(strings.TrimSpace(set + " " + removeClause(remove))),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#name": "name", "#capacity": "capacity"},
			ExpressionAttributeValues: values,
			// Tells a caseload over the capacity from a changed address.
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
	}
	if old.Email != "" && old.Email != m.Email {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: keyOf("STAFF#"+old.Email, "CM")}})
	}
	logs, err := s.changePuts(m.Area, recorded)
	if err != nil {
		return nil, fmt.Errorf("put case manager %s/%s: %w", m.Area, m.ID, err)
	}
	_, err = s.transact(ctx, append(append(items, logs...), s.outboxPuts(msgs)...))
	switch {
	case failed(err, 0):
		return nil, fmt.Errorf("put case manager %s/%s: %w", m.Area, m.ID, ErrIDTaken)
	case failed(err, 1):
		return nil, fmt.Errorf("put case manager %s/%s: %w", m.Area, m.ID, ErrEmailTaken)
	case failed(err, 2):
		if caseload, ok := storedCaseload(err, 2); ok {
			if below := allocation.CheckCapacity(caseload, m.Capacity); below != nil {
				return nil, fmt.Errorf("put case manager %s/%s: %w", m.Area, m.ID, below)
			}
		}
		return nil, fmt.Errorf("put case manager %s/%s: %w: it changed meanwhile; try again", m.Area, m.ID, referral.ErrConflict)
	case err != nil:
		return nil, fmt.Errorf("put case manager %s/%s: %w", m.Area, m.ID, err)
	}
	return recorded, nil
}

// storedCaseload returns the caseload of the item that failed the
// condition of transaction item i, as the cancellation returned it
// (ReturnValuesOnConditionCheckFailure ALL_OLD), and whether it had one.
func storedCaseload(err error, i int) (int, bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || i >= len(tce.CancellationReasons) {
		return 0, false
	}
	var stored struct {
		Caseload *int `json:"caseload"`
	}
	if item := tce.CancellationReasons[i].Item; item == nil || unmarshal(item, &stored) != nil || stored.Caseload == nil {
		return 0, false
	}
	return *stored.Caseload, true
}

// Case is an allocated referral as the case manager's caseload holds it.
type Case struct {
	ID            string          `json:"id"`
	Reference     string          `json:"reference"`
	Area          string          `json:"area"`
	CaseManagerID string          `json:"caseManagerId"`
	Status        referral.Status `json:"status"`
	AllocatedAt   time.Time       `json:"allocatedAt"`
	// EndedAt is when the case was closed or withdrawn; nil while open
	// (and for cases that ended before it was kept).
	EndedAt *time.Time `json:"endedAt,omitempty"`
}

// Allocate gives an eligible or waitlisted referral to case manager m in
// one transaction: the manager's caseload rises by one only while it is
// below capacity and the manager is active, the case is created once, and
// the referral, still in the status read and held by nobody, moves to
// allocated. It returns allocation.ErrNoCapacity when
// the manager is full or inactive, and referral.ErrConflict when the
// referral is no longer waiting for allocation. msgs (the emails the
// allocation causes) are kept in the outbox in the same transaction.
func (s *Store) Allocate(ctx context.Context, rec referral.Record, m allocation.CaseManager, at time.Time, by string, msgs ...Message) error {
	c := Case{ID: rec.Reference, Reference: rec.Reference, Area: m.Area, CaseManagerID: m.ID, Status: referral.StatusAllocated, AllocatedAt: at}
	caseItem, err := item(c, "PK", "CASE#"+c.ID, "SK", "CASE", "GSI1PK", "CM#"+m.ID, "GSI1SK", at.UTC().Format(sortable)+"#"+c.ID)
	if err != nil {
		return fmt.Errorf("allocate %s: %w", rec.Reference, err)
	}
	assignee, err := marshal(referral.Assignee{ID: m.ID, Name: m.Name, Since: at})
	if err != nil {
		return fmt.Errorf("allocate %s: %w", rec.Reference, err)
	}
	update, hist, err := s.transitionItems(rec.Reference,
		referral.Transition{At: at, From: rec.Status, To: referral.StatusAllocated, By: by, Reason: referral.AllocatedWords(nameOf(m.Name, m.ID))},
		"SET caseManager = :cm, allocatedAt = :now, GSI1PK = :chase, GSI1SK = :due", "chased", map[string]types.AttributeValue{
			":cm": &types.AttributeValueMemberM{Value: assignee}, ":chase": str(chasePK), ":due": str(at.UTC().Format(sortable) + "#" + rec.Reference)})
	if err != nil {
		return fmt.Errorf("allocate %s: %w", rec.Reference, err)
	}
	if err := heldBy(update.Update, rec.CaseManager); err != nil {
		return fmt.Errorf("allocate %s: %w", rec.Reference, err)
	}
	_, err = s.transact(ctx, append([]types.TransactWriteItem{
		update,
		{Put: &types.Put{TableName: &s.table, Item: caseItem, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Update: &types.Update{
			TableName:                &s.table,
			Key:                      keyOf("AREA#"+m.Area, "CM#"+m.ID),
			UpdateExpression:         aws.String("SET caseload = caseload + :one, lastAllocatedAt = :at"),
			ConditionExpression:      aws.String("active = :true AND caseload < #capacity"),
			ExpressionAttributeNames: map[string]string{"#capacity": "capacity"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": &types.AttributeValueMemberN{Value: "1"}, ":true": &types.AttributeValueMemberBOOL{Value: true},
				":at": str(at.UTC().Format(time.RFC3339Nano)),
			},
		}},
		hist,
	}, s.outboxPuts(msgs)...))
	switch {
	case failed(err, 0), failed(err, 1):
		return fmt.Errorf("allocate %s: %w", rec.Reference, referral.ErrConflict)
	case failed(err, 2):
		return fmt.Errorf("allocate %s to %s: %w", rec.Reference, m.ID, allocation.ErrNoCapacity)
	case err != nil:
		return fmt.Errorf("allocate %s: %w", rec.Reference, err)
	}
	return nil
}

// officerName is the name of the officer who made a referral, or "" when
// the referral does not record one.
func officerName(s *referral.Submitter) string {
	if s == nil {
		return ""
	}
	return s.Name
}

// nameOf is how history names a case manager: by name, and by id only for
// one recorded without a name.
func nameOf(name, id string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	return "case manager " + id
}

// Reallocate moves an allocated or accepted case from its case manager to
// m, of the same area, in one transaction: the referral (still in the
// status and with the manager, since the same time, it was read with)
// goes back to allocated, the case moves to m's
// list, the old manager's caseload falls by one and m's rises by one only
// while m is active and below capacity. It returns the changed record,
// allocation.ErrNoCapacity when m is full or inactive, or an error wrapping
// referral.ErrConflict that says why the case cannot move now. by is the
// lead's account, for the audit, and lead their name, for the history's
// words; reason is their note, for staff only. msgs (the emails to both
// managers, the release of the old one's place) are kept in the outbox in
// the same transaction.
func (s *Store) Reallocate(ctx context.Context, rec referral.Record, m allocation.CaseManager, by, lead, reason string, at time.Time, msgs ...Message) (referral.Record, error) {
	to, err := referral.Next(referral.ActionReallocate, rec.Status)
	if err != nil {
		return rec, fmt.Errorf("reallocate %s: %w", rec.Reference, err)
	}
	if rec.CaseManager == nil || rec.CaseManager.ID == m.ID || rec.Referral.Area != m.Area {
		return rec, fmt.Errorf("reallocate %s: %w: the case must move to another case manager of its area", rec.Reference, referral.ErrConflict)
	}
	old := rec.CaseManager.ID
	next := referral.Assignee{ID: m.ID, Name: m.Name, Since: at}
	assignee, err := marshal(next)
	if err != nil {
		return rec, fmt.Errorf("reallocate %s: %w", rec.Reference, err)
	}
	update, hist, err := s.transitionItems(rec.Reference,
		referral.Transition{At: at, From: rec.Status, To: to, By: by, Reason: referral.ReallocatedWords(lead, nameOf(rec.CaseManager.Name, old), nameOf(m.Name, m.ID)), Note: reason},
		"SET caseManager = :cm, GSI1PK = :chase, GSI1SK = :due", "chased", map[string]types.AttributeValue{":cm": &types.AttributeValueMemberM{Value: assignee},
			":chase": str(chasePK), ":due": str(at.UTC().Format(sortable) + "#" + rec.Reference)})
	if err != nil {
		return rec, fmt.Errorf("reallocate %s: %w", rec.Reference, err)
	}
	if err := heldBy(update.Update, rec.CaseManager); err != nil {
		return rec, fmt.Errorf("reallocate %s: %w", rec.Reference, err)
	}
	one := &types.AttributeValueMemberN{Value: "1"}
	_, err = s.transact(ctx, append([]types.TransactWriteItem{
		update,
		{Update: &types.Update{
			TableName: &s.table, Key: keyOf("CASE#"+rec.Reference, "CASE"),
			// allocatedAt: when it came to its new manager, as their
			// home page shows it (fresh tester of issue 14: it showed the
			// old manager's).
			UpdateExpression:         aws.String("SET caseManagerId = :new, GSI1PK = :pk, GSI1SK = :sk, #status = :to, allocatedAt = :at"),
			ConditionExpression:      aws.String("caseManagerId = :old AND #status = :from"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":new": str(m.ID), ":old": str(old), ":to": str(string(to)), ":from": str(string(rec.Status)), ":at": str(at.UTC().Format(time.RFC3339Nano)),
				":pk": str("CM#" + m.ID), ":sk": str(at.UTC().Format(sortable) + "#" + rec.Reference),
			},
		}},
		{Update: &types.Update{
			TableName: &s.table, Key: keyOf("AREA#"+rec.Referral.Area, "CM#"+old),
			UpdateExpression:          aws.String("SET caseload = caseload - :one"),
			ConditionExpression:       aws.String("caseload > :zero"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": one, ":zero": &types.AttributeValueMemberN{Value: "0"}},
		}},
		{Update: &types.Update{
			TableName: &s.table, Key: keyOf("AREA#"+m.Area, "CM#"+m.ID),
			UpdateExpression:         aws.String("SET caseload = caseload + :one, lastAllocatedAt = :at"),
			ConditionExpression:      aws.String("active = :true AND caseload < #capacity"),
			ExpressionAttributeNames: map[string]string{"#capacity": "capacity"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": one, ":true": &types.AttributeValueMemberBOOL{Value: true}, ":at": str(at.UTC().Format(time.RFC3339Nano)),
			},
		}},
		hist,
	}, s.outboxPuts(msgs)...))
	switch {
	case failed(err, 3):
		return rec, fmt.Errorf("reallocate %s to %s: %w", rec.Reference, m.ID, allocation.ErrNoCapacity)
	case failed(err, 0), failed(err, 1), failed(err, 2):
		return rec, fmt.Errorf("reallocate %s: %w: %s", rec.Reference, referral.ErrConflict, changedWords)
	case err != nil:
		return rec, fmt.Errorf("reallocate %s: %w", rec.Reference, err)
	}
	rec.Status, rec.CaseManager, rec.UpdatedAt = to, &next, at
	return rec, nil
}

// Decline hands a case back from the case manager holding it
// (referral.ActionDecline), in one transaction: the referral, still
// allocated to the manager it was read with since the same time, goes
// back to eligible in its old place in the area's queue (allocation.InOrder)
// with the manager added to Declined, so that allocation never offers it
// to them again; the case is deleted (a new one is made when the
// referral is allocated again) and the manager's caseload falls by one.
// who names the manager in the history's words (by is their account, for
// the audit); e is the reason code and note. msgs (the referral's new
// turn for allocation, the leads' email) are kept in the outbox in the
// same transaction. It returns the changed record, or an error wrapping
// referral.ErrConflict that says why the case cannot be declined now.
func (s *Store) Decline(ctx context.Context, rec referral.Record, by, who string, e referral.Ending, at time.Time, msgs ...Message) (referral.Record, error) {
	to, err := referral.Next(referral.ActionDecline, rec.Status)
	if err != nil {
		return rec, fmt.Errorf("decline %s: %w", rec.Reference, err)
	}
	if rec.CaseManager == nil {
		return rec, fmt.Errorf("decline %s: %w: %s", rec.Reference, referral.ErrConflict, changedWords)
	}
	holder := rec.CaseManager.ID
	reason, note := referral.EndingWords(referral.ActionDecline, who, e)
	declined := append(slices.Clone(rec.Declined), holder)
	list, err := attributevalue.Marshal(declined)
	if err != nil {
		return rec, fmt.Errorf("decline %s: %w", rec.Reference, err)
	}
	update, hist, err := s.transitionItems(rec.Reference,
		referral.Transition{At: at, From: rec.Status, To: to, By: by, Reason: reason, Note: note},
		"SET declined = :declined, GSI1PK = :wpk, GSI1SK = :wsk", "caseManager, chased, allocatedAt", map[string]types.AttributeValue{
			":declined": list, ":wpk": str(waitPK(rec.Referral.Area)), ":wsk": str(waitSK(allocation.ArrivalOf(rec)))})
	if err != nil {
		return rec, fmt.Errorf("decline %s: %w", rec.Reference, err)
	}
	if err := heldBy(update.Update, rec.CaseManager); err != nil {
		return rec, fmt.Errorf("decline %s: %w", rec.Reference, err)
	}
	_, err = s.transact(ctx, append([]types.TransactWriteItem{
		update,
		{Delete: &types.Delete{
			TableName: &s.table, Key: keyOf("CASE#"+rec.Reference, "CASE"),
			ConditionExpression:       aws.String("caseManagerId = :holder AND #status = :from"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":holder": str(holder), ":from": str(string(rec.Status))},
		}},
		{Update: &types.Update{
			TableName: &s.table, Key: keyOf("AREA#"+rec.Referral.Area, "CM#"+holder),
			UpdateExpression:          aws.String("SET caseload = caseload - :one"),
			ConditionExpression:       aws.String("caseload > :zero"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}, ":zero": &types.AttributeValueMemberN{Value: "0"}},
		}},
		hist,
	}, s.outboxPuts(msgs)...))
	switch {
	case failed(err, 0), failed(err, 1), failed(err, 2):
		return rec, fmt.Errorf("decline %s: %w: %s", rec.Reference, referral.ErrConflict, changedWords)
	case err != nil:
		return rec, fmt.Errorf("decline %s: %w", rec.Reference, err)
	}
	rec.Status, rec.CaseManager, rec.Declined, rec.UpdatedAt = to, nil, declined, at
	return rec, nil
}

// Case returns a case by id, or referral.ErrNotFound.
func (s *Store) Case(ctx context.Context, id string) (Case, error) {
	var c Case
	if err := s.get(ctx, keyOf("CASE#"+id, "CASE"), &c); err != nil {
		return c, fmt.Errorf("get case %s: %w", id, err)
	}
	return c, nil
}

// Queue returns an area's referrals waiting for a place, eligible or
// waitlisted, first first (allocation.InOrder). The index it reads is
// eventually consistent in DynamoDB: a referral that has just become
// eligible may be missing for a moment, and one just allocated may still
// be listed; read each referral again before acting on it.
func (s *Store) Queue(ctx context.Context, area string) ([]allocation.Arrival, error) {
	var items []referral.Record
	err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(waitPK(area))},
		// What the order needs, and no personal data.
		ProjectionExpression:     aws.String("#ref, #status, receivedAt, decision.decidedAt"),
		ExpressionAttributeNames: map[string]string{"#ref": "reference", "#status": "status"},
	}, &items)
	if err != nil {
		return nil, fmt.Errorf("queue of %s: %w", area, err)
	}
	out := make([]allocation.Arrival, 0, len(items))
	for _, rec := range items {
		if rec.Status == referral.StatusEligible || rec.Status == referral.StatusWaitlisted {
			out = append(out, allocation.ArrivalOf(rec))
		}
	}
	slices.SortFunc(out, allocation.InOrder)
	return out, nil
}

// Waiting returns the references of an area's waitlisted referrals, in
// the order they will be given places (Queue, without those not yet
// waitlisted).
func (s *Store) Waiting(ctx context.Context, area string) ([]string, error) {
	queue, err := s.Queue(ctx, area)
	if err != nil {
		return nil, fmt.Errorf("waitlist of %s: %w", area, err)
	}
	var refs []string
	for _, a := range queue {
		if a.Status == referral.StatusWaitlisted {
			refs = append(refs, a.Reference)
		}
	}
	return refs, nil
}

// changedWords is what a person is told when a case changed between
// their reading it and their change (another person moved, ended or
// accepted it): nothing was changed, and they should look again.
const changedWords = "the case has changed since you opened it (it may have moved to another case manager, or ended): reload it and try again"

// Transition applies an action (accept, close, withdraw) by the person
// named who (by is their account, for the audit) with the ending e given
// for it, to a referral and its case, if it has one, in one transaction
// with its history record, in words (referral.EndingWords); when the
// referral stops holding a place in a caseload, the manager's caseload
// falls by one in the same transaction. The transaction is conditional on
// what rec was read with: its status and its holder (the same case
// manager, since the same time), so that a case that moved or ended since
// is refused rather than closed by its old holder, or its place freed in
// the wrong caseload. msgs (the referrer's news, the release of a freed
// place) are kept in the outbox in the same transaction. It returns the
// changed record, or an error wrapping referral.ErrConflict that says why
// the action cannot be done now.
//
// A linked referral (referral.StatusLinked) withdrawn by its officer also
// writes the staff-only row of the open referral it was linked to
// (referral.LinkWithdrawnWords), in the same transaction and on condition
// that the open referral is still in the status read, so that the row
// expires with it; a change of the open referral meanwhile is read again
// and the withdrawal tried again, up to maxLinkTries times.
//
// An open referral that ends (withdrawn, closed) releases its claims and
// its successor, the first referral linked to it, is put back through
// eligibility in the same transaction (openEnds); a linked referral
// changed meanwhile is read again and tried again the same way.
func (s *Store) Transition(ctx context.Context, rec referral.Record, a referral.Action, by, who string, e referral.Ending, at time.Time, msgs ...Message) (referral.Record, error) {
	for try := 1; ; try++ {
		got, err := s.transitionOnce(ctx, rec, a, by, who, e, at, msgs)
		if errors.Is(err, errOpenChanged) {
			if try < maxLinkTries {
				continue
			}
			return rec, fmt.Errorf("%s %s: %w: %s", a, rec.Reference, referral.ErrConflict, changedWords)
		}
		return got, err
	}
}

// maxLinkTries is how often a withdrawal of a linked referral is tried
// when the open referral it was linked to changes as it is written.
const maxLinkTries = 3

// errOpenChanged: the open referral a linked referral was linked to
// changed between its reading and the transaction that writes its row.
var errOpenChanged = errors.New("the open referral changed meanwhile")

// transitionOnce is one try of Transition.
func (s *Store) transitionOnce(ctx context.Context, rec referral.Record, a referral.Action, by, who string, e referral.Ending, at time.Time, msgs []Message) (referral.Record, error) {
	to, err := referral.Next(a, rec.Status)
	if err != nil {
		return rec, fmt.Errorf("%s %s: %w", a, rec.Reference, err)
	}
	reason, note := referral.EndingWords(a, who, e)
	tr := referral.Transition{At: at, From: rec.Status, To: to, By: by, Reason: reason, Note: note}
	ended := e.Reason
	if ended == "" {
		ended = string(a)
	}
	// Off the waitlist or the list of allocations to chase, whichever it was on.
	update, hist, err := s.transitionItems(rec.Reference, tr,
		"SET endedReason = :reason", "GSI1PK, GSI1SK, chased", map[string]types.AttributeValue{":reason": str(ended)})
	if err != nil {
		return rec, fmt.Errorf("%s %s: %w", a, rec.Reference, err)
	}
	if err := heldBy(update.Update, rec.CaseManager); err != nil {
		return rec, fmt.Errorf("%s %s: %w", a, rec.Reference, err)
	}
	items := []types.TransactWriteItem{update, hist}
	ends := to == referral.StatusClosed || to == referral.StatusWithdrawn
	var succ [2]int
	caseUpdated := rec.CaseManager != nil && referral.HoldsCapacity(rec.Status)
	if caseUpdated {
		caseUpdate := &types.Update{
			TableName: &s.table, Key: keyOf("CASE#"+rec.Reference, "CASE"),
			UpdateExpression:         aws.String("SET #status = :to"),
			ConditionExpression:      aws.String("#status = :from AND caseManagerId = :holder"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":to": str(string(to)), ":from": str(string(rec.Status)),
				":holder": str(rec.CaseManager.ID)},
		}
		if ends {
			// When it ended: the area's pace of freed places
			// (allocation.PaceOf) counts it.
			caseUpdate.UpdateExpression = aws.String("SET #status = :to, endedAt = :at")
			caseUpdate.ExpressionAttributeValues[":at"] = str(at.UTC().Format(time.RFC3339Nano))
		}
		if ends && s.retention > 0 {
			caseUpdate.UpdateExpression = aws.String(*caseUpdate.UpdateExpression + ", expiresAt = :expires")
			caseUpdate.ExpressionAttributeValues[":expires"] = &types.AttributeValueMemberN{Value: fmt.Sprint(at.Add(s.retention).Unix())}
		}
		items = append(items, types.TransactWriteItem{Update: caseUpdate})
		if !referral.HoldsCapacity(to) {
			items = append(items, types.TransactWriteItem{Update: &types.Update{
				TableName: &s.table, Key: keyOf("AREA#"+rec.Referral.Area, "CM#"+rec.CaseManager.ID),
				UpdateExpression:          aws.String("SET caseload = caseload - :one"),
				ConditionExpression:       aws.String("caseload > :zero"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}, ":zero": &types.AttributeValueMemberN{Value: "0"}},
			}})
		}
	}
	if ends {
		ending, err := s.endingItems(ctx, rec, tr, e.Reason, update, hist, caseUpdated)
		if err != nil {
			return rec, fmt.Errorf("%s %s: %w", a, rec.Reference, err)
		}
		items = append(items, ending...)
		released, n, err := s.openEnds(ctx, rec, at)
		if err != nil {
			return rec, fmt.Errorf("%s %s: %w", a, rec.Reference, err)
		}
		items = append(items, released...)
		succ = [2]int{len(items) - n, len(items)}
	}
	linkAt := -1
	if rec.LinkedTo != "" && to == referral.StatusWithdrawn {
		link, err := s.linkWithdrawnItems(ctx, rec, tr)
		if err != nil {
			return rec, fmt.Errorf("%s %s: %w", a, rec.Reference, err)
		}
		if len(link) > 0 {
			linkAt = len(items)
			items = append(items, link...)
		}
	}
	_, err = s.transact(ctx, append(items, s.outboxPuts(msgs)...))
	if failed(err, 0) || (caseUpdated && failed(err, 2)) {
		return rec, fmt.Errorf("%s %s: %w: %s", a, rec.Reference, referral.ErrConflict, changedWords)
	}
	if linkAt >= 0 && failed(err, linkAt) {
		return rec, fmt.Errorf("%s %s: %w", a, rec.Reference, errOpenChanged)
	}
	for i := succ[0]; i < succ[1]; i++ {
		if failed(err, i) {
			// A referral linked to this one changed as it was written:
			// read again and try again.
			return rec, fmt.Errorf("%s %s: %w", a, rec.Reference, errOpenChanged)
		}
	}
	if err != nil {
		return rec, fmt.Errorf("%s %s: %w", a, rec.Reference, err)
	}
	if ends {
		s.expireViewsOnEnding(ctx, rec.Reference, at)
	}
	rec.Status, rec.UpdatedAt = to, at
	return rec, nil
}

// linkWithdrawnItems are what the withdrawal tr of rec, a referral linked
// to an open one, adds to its transaction: the open referral's staff-only
// history row saying so (referral.LinkWithdrawnWords), with the open
// referral's expiry when it has ended since (endingItems set it on its
// other rows), and a check that the open referral is still in the status
// read, so that an ending at the same moment cannot miss the row. None
// when the open referral no longer exists (its retention ended).
func (s *Store) linkWithdrawnItems(ctx context.Context, rec referral.Record, tr referral.Transition) ([]types.TransactWriteItem, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: refKey(rec.LinkedTo), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("#status, expiresAt"), ExpressionAttributeNames: map[string]string{"#status": "status"}})
	if err != nil {
		return nil, fmt.Errorf("read the open referral %s: %w", rec.LinkedTo, err)
	}
	if out.Item == nil {
		return nil, nil
	}
	status, ok := out.Item["status"].(*types.AttributeValueMemberS)
	if !ok {
		return nil, fmt.Errorf("read the open referral %s: it has no status", rec.LinkedTo)
	}
	row, err := historyPut(s.table, rec.LinkedTo, referral.Transition{At: tr.At, From: referral.Status(status.Value), To: referral.Status(status.Value),
		By: tr.By, Reason: referral.LinkWithdrawnWords(rec.Reference), StaffOnly: true})
	if err != nil {
		return nil, err
	}
	if expires, ok := out.Item["expiresAt"]; ok {
		row.Put.Item["expiresAt"] = expires
	}
	check := types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: refKey(rec.LinkedTo),
		ConditionExpression:       aws.String("#status = :status"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":status": status}}}
	return []types.TransactWriteItem{check, row}, nil
}

// CasesOf returns a case manager's cases, oldest allocation first.
func (s *Store) CasesOf(ctx context.Context, caseManagerID string) ([]Case, error) {
	out := []Case{}
	err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("CM#" + caseManagerID)},
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("cases of %s: %w", caseManagerID, err)
	}
	return out, nil
}
