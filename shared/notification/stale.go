package notification

import "github.com/driveprogramme/referrals/shared/referral"

// Stale says why the emails of event e must not be sent now that the
// referral is as rec says (read when the email is about to be sent, not
// when the event was queued), or "" when they are still true. The reason
// is in words a lead reads on the email's receipt, without personal data.
//
// What stale means, by kind (issue 12, "nothing stale": an email is
// composed from the referral as it is when it is sent):
//   - allocated: the referral has ended (closed, withdrawn), or no longer
//     holds a place (not allocated or accepted), or is held by another case
//     manager, or was reallocated away and back since the event (that new
//     allocation has its own event). Accepted by the same manager is still
//     current: the IDVA and MARAC coordinator still need to know.
//   - reminder, escalation: the allocation is no longer waiting for this
//     case manager: accepted, ended, or held by someone else or since
//     another time.
//   - reallocated (to the manager the case moved from): the case has come
//     back to them. A case closed after it moved still moved from them.
//   - outcome (to the referrer): the referral has ended since with another
//     status than the one told, or a "waitlisted" outcome finds the
//     referral already allocated (its own outcome email follows).
//   - send-failed: the email it is about would be stale now (its event is
//     rebuilt from the one it carries): no one need be told that an email
//     that no longer matters was not sent.
//   - bounced: never; it is about a case manager's address, which bounces
//     whatever became of the referral.
//   - linked: never; it goes to whoever works on the referral when it is
//     sent (its holder, else its area's leads), and the link stands
//     whatever became of the referral.
func Stale(e Event, rec referral.Record) string {
	ended := rec.Status == referral.StatusClosed || rec.Status == referral.StatusWithdrawn
	// holder says whether the allocation e names is the one rec holds.
	holder := func() string {
		switch {
		case ended:
			return "the referral has since been " + string(rec.Status)
		case !referral.HoldsCapacity(rec.Status):
			return "the referral is now " + string(rec.Status) + ", not allocated"
		case rec.CaseManager == nil || rec.CaseManager.ID != e.CaseManagerID:
			return "the case has since moved to another case manager"
		case !e.Since.IsZero() && !rec.CaseManager.Since.Equal(e.Since):
			return "the case has since been reallocated: this allocation is no longer the current one"
		}
		return ""
	}
	switch e.Kind {
	case KindAllocated:
		return holder()
	case KindReminder, KindEscalation:
		if why := holder(); why != "" {
			return why
		}
		if rec.Status != referral.StatusAllocated {
			return "the allocation has since been " + string(rec.Status)
		}
	case KindReallocated:
		if !ended && rec.CaseManager != nil && rec.CaseManager.ID == e.CaseManagerID {
			return "the case has since been allocated back to this case manager"
		}
	case KindOutcome:
		switch {
		case ended && e.Status != rec.Status:
			return "the referral has since been " + string(rec.Status)
		case e.Status == referral.StatusWaitlisted && referral.HoldsCapacity(rec.Status):
			return "the referral has since been allocated: its own outcome email follows"
		}
	case KindSendFailed:
		about := Event{Kind: e.About, Reference: e.Reference, Status: e.Status, CaseManagerID: e.CaseManagerID, Since: e.Since}
		if why := Stale(about, rec); why != "" && e.About != KindSendFailed {
			return "the email it is about is no longer needed: " + why
		}
	}
	return ""
}
