package referral

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
)

// One open referral a person (issue 13). Of the referrals of one
// perpetrator, exactly one is worked on at a time: the open one. Every
// later referral of them is linked to it (StatusLinked), however many
// arrive at once. A duplicate check that reads the referrals stored and
// then stores a new one cannot promise that on its own: two referrals
// sent at the same moment each read before the other is stored, both are
// stored as new, and eligibility then finds the later one ineligible
// ("already has an open referral") instead of linking it. So the open
// referral also holds a claim on its perpetrator, one per way Drive
// recognises them (ClaimKeys), taken in the transaction that stores it,
// on condition that nobody took it since it was read; a referral whose
// claim was taken meanwhile reads again and is linked to the one that
// took it. The claim is released when the open referral ends.

// ClaimKeys returns the keys under which the open referral of r's
// perpetrator claims them: one for the folded names and date of birth
// (PerpetratorKey), and one for the PNC ID when r gives one, as either
// recognises the person (the duplicate check's two ways). Each is a
// SHA-256 hash, so that a claim's key holds no personal data in clear. It
// returns an error wrapping ErrNoPerpetratorKey when r does not say who
// the perpetrator is.
func (r Referral) ClaimKeys() ([]string, error) {
	pk, err := r.PerpetratorKey()
	if err != nil {
		return nil, fmt.Errorf("claim keys: %w", err)
	}
	keys := []string{claimKey("person|" + pk)}
	if pnc := r.Perpetrator.PNCID; pnc != "" {
		keys = append(keys, claimKey("pnc|"+pnc))
	}
	return keys, nil
}

func claimKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// FirstOpen decides which of a perpetrator's referrals a new referral of
// them is linked to: the earliest that is still open (Summary.Open:
// received, eligible, waitlisted, allocated or accepted), in order of
// arrival, ties broken by reference (Summary.Before), so that every
// reader of the same referrals picks the same one. ok is false when none
// is open: the new referral is then the open one, and must take the
// perpetrator's claims (ClaimKeys). candidates is not changed.
func FirstOpen(candidates []Summary) (first Summary, ok bool) {
	open := slices.DeleteFunc(slices.Clone(candidates), func(s Summary) bool { return !s.Open() })
	if len(open) == 0 {
		return Summary{}, false
	}
	return slices.MinFunc(open, func(a, b Summary) int {
		switch {
		case a.Before(Record{Reference: b.Reference, ReceivedAt: b.ReceivedAt}):
			return -1
		case b.Before(Record{Reference: a.Reference, ReceivedAt: a.ReceivedAt}):
			return 1
		}
		return 0
	}), true
}

// Successor decides what becomes of the referrals linked to an open
// referral (ended) when it ends: ineligible, withdrawn or closed. Without
// it they would stay linked for ever to a referral nobody works on, their
// officers told a team is working with the person. Of linked, those still
// linked to ended (StatusLinked, LinkedTo == ended) count; the earliest of
// them (in order of arrival, ties broken by reference, as FirstOpen)
// becomes the person's open referral: it is put back through eligibility
// and decided, allocated or waitlisted like any referral. The rest are
// linked to it instead: one open referral a person, so they are not
// decided too (had they all been put back, eligibility would find every
// later one ineligible, "already has an open referral"). ok is false when
// none is linked to ended. linked is not changed.
func Successor(ended string, linked []Record) (next Record, relink []Record, ok bool) {
	var still []Record
	for _, r := range linked {
		if r.Status == StatusLinked && r.LinkedTo == ended && r.Reference != ended {
			still = append(still, r)
		}
	}
	if len(still) == 0 {
		return Record{}, nil, false
	}
	slices.SortFunc(still, func(a, b Record) int {
		switch {
		case (Summary{Reference: a.Reference, ReceivedAt: a.ReceivedAt}).Before(b):
			return -1
		case (Summary{Reference: b.Reference, ReceivedAt: b.ReceivedAt}).Before(a):
			return 1
		}
		return 0
	})
	return still[0], still[1:], true
}

// SamePerson reports whether a new referral (r) and an open one (open)
// are of one person, so that r may be linked to open. The same folded
// names and date of birth (PerpetratorKey) are. The same PNC ID is only
// when the date of birth or the folded last name agrees too: a PNC ID
// mistyped or pasted from another record would otherwise link, silently,
// a referral of someone else to a team that does not work with them
// (issue 13), and that referral would never be decided. One of the two
// agreeing allows for a name misspelt or a date of birth mistyped on one
// of the referrals. A PNC match that disagrees on both is stored as a
// referral of its own, its staff told of the clash (PNCClashNote).
func SamePerson(r, open Referral) bool {
	if a, err := r.PerpetratorKey(); err == nil {
		if b, err := open.PerpetratorKey(); err == nil && a == b {
			return true
		}
	}
	p, q := r.Perpetrator, open.Perpetrator
	if p.PNCID == "" || p.PNCID != q.PNCID {
		return false
	}
	return p.DateOfBirth == q.DateOfBirth || (foldName(p.LastName) != "" && foldName(p.LastName) == foldName(q.LastName))
}
