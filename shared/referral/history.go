package referral

import "strings"

// The words of history. Every row of a referral's history says what
// happened in words and names the person who acted (STYLE.md: names shown
// to people are names, never ids or email addresses); the steps Drive's
// pipeline takes on its own (eligibility, waitlisting) say what was
// decided. A reason code is shown in words (CloseReasonWords). Staff's
// own notes go in Transition.Note, which only Drive's staff see
// (ForReferrer): the officer sees the outcome in words, not case notes.

// closeReasonWords are the close reason codes (CloseReasons) in words.
var closeReasonWords = map[string]string{
	"completed":         "completed",
	"withdrawn":         "withdrawn",
	"moved-out-of-area": "moved out of area",
	"duplicate":         "a duplicate referral",
	"custody":           "in custody",
	"other":             "another reason",
}

// declineReasonWords are the decline reason codes (DeclineReasons) in
// words.
var declineReasonWords = map[string]string{
	"conflict-of-interest": "a conflict of interest",
	"knows-the-family":     "knows the family",
	"no-capacity":          "no capacity after all",
	"other":                "another reason",
}

// DeclineReasonWords returns a decline reason code (DeclineReasons) in
// words ("knows-the-family" → "knows the family"); a code the list lacks
// is returned with its hyphens as spaces.
func DeclineReasonWords(code string) string {
	if w, ok := declineReasonWords[code]; ok {
		return w
	}
	return strings.ReplaceAll(code, "-", " ")
}

// CloseReasonWords returns a close reason code (CloseReasons) in words
// ("moved-out-of-area" → "moved out of area"); a code the list lacks is
// returned with its hyphens as spaces, never as nothing.
func CloseReasonWords(code string) string {
	if w, ok := closeReasonWords[code]; ok {
		return w
	}
	return strings.ReplaceAll(code, "-", " ")
}

// PersonName returns how history names a person: name, when it is a name;
// otherwise role ("the referring officer"). An email address is never a
// name: an identity provider may give one as the preferred username.
func PersonName(name, role string) string {
	name = strings.TrimSpace(name)
	if name == "" || strings.Contains(name, "@") {
		return role
	}
	return name
}

// The roles history names a person by when their name is not known.
const (
	RoleReferrer    = "the referring officer"
	RoleCaseManager = "the case manager"
	RoleAreaLead    = "the area lead"
)

// ReceivedWords is the history's first row: who sent the referral, by
// name or as RoleReferrer.
func ReceivedWords(officer string) string {
	return "Referral received from " + PersonName(officer, RoleReferrer)
}

// LinkedWords is the first row of a linked referral (StatusLinked), as
// its officer sees it: it names no other referral, which may be another
// officer's.
func LinkedWords(officer string) string {
	return "Referral received from " + PersonName(officer, RoleReferrer) + " and passed to the Drive team already working with this person"
}

// LinkedNote is staff's note on a linked referral's first row: the open
// referral it was linked to.
func LinkedNote(open string) string {
	return "Linked to referral " + open + ", open for the same person, and its team told"
}

// LinkWords is the staff-only row of an open referral that another, of
// the same person, was linked to.
func LinkWords(linked string) string {
	return "Another referral for this person, " + linked + ", was received and linked to this one"
}

// LinkWithdrawnWords is the staff-only row of an open referral when a
// referral linked to it (linked) is withdrawn by the officer who made it.
// It names no officer: the open referral may be another officer's.
func LinkWithdrawnWords(linked string) string {
	return "Referral " + linked + ", linked to this one, was withdrawn by the officer who made it"
}

// DecidedWords is the row of the eligibility decision.
func DecidedWords(eligible bool) string {
	if eligible {
		return "Decided: eligible"
	}
	return "Decided: not eligible"
}

// WaitlistedWords is the row of a referral put on its area's waiting list.
func WaitlistedWords() string {
	return "Put on the waiting list: no case manager in the area has free capacity"
}

// AllocatedWords is the row of an allocation to the case manager named.
func AllocatedWords(caseManager string) string {
	return "Allocated to " + PersonName(caseManager, RoleCaseManager)
}

// ReallocatedWords is the row of a reallocation by lead from one case
// manager to another; the lead's reason is the row's staff-only note.
func ReallocatedWords(lead, from, to string) string {
	return "Reallocated by " + PersonName(lead, RoleAreaLead) + " from " + PersonName(from, RoleCaseManager) + " to " + PersonName(to, RoleCaseManager)
}

// EndingWords returns the row of an accept, close or withdraw action
// taken by the person named who (PersonName gives their role when who is
// not a name), with the ending e given for it: reason is for everyone who
// may see the referral, note for staff only (Transition.Note).
//   - accept: "Accepted by Tom Hughes"; a reason and note given are notes.
//   - close: "Closed by Tom Hughes: moved out of area"; the note is a note.
//   - decline: "Declined by Tom Hughes: knows the family"; the note is a
//     note.
//   - withdraw: "Withdrawn by the referring officer: Victim moved away";
//     the officer's reason is their own words and shown, the note a note.
//
// An action it does not know is named as it is.
func EndingWords(a Action, who string, e Ending) (reason, note string) {
	switch a {
	case ActionAccept:
		return "Accepted by " + PersonName(who, RoleCaseManager), joinNote(e.Reason, e.Note)
	case ActionClose:
		reason = "Closed by " + PersonName(who, RoleCaseManager)
		if e.Reason != "" {
			reason += ": " + CloseReasonWords(e.Reason)
		}
		return reason, e.Note
	case ActionDecline:
		reason = "Declined by " + PersonName(who, RoleCaseManager)
		if e.Reason != "" {
			reason += ": " + DeclineReasonWords(e.Reason)
		}
		return reason, e.Note
	case ActionWithdraw:
		reason = "Withdrawn by " + PersonName(who, RoleReferrer)
		if e.Reason != "" {
			reason += ": " + e.Reason
		}
		return reason, e.Note
	}
	return string(a) + " by " + PersonName(who, "someone"), joinNote(e.Reason, e.Note)
}

// joinNote puts a reason and a note into one note, "reason: note".
func joinNote(reason, note string) string {
	switch {
	case reason == "":
		return note
	case note == "":
		return reason
	}
	return reason + ": " + note
}

// ReopenedWords is the row of a linked referral put back through
// eligibility because the open referral it was linked to ended
// (Successor). It names no other referral: that one may be another
// officer's.
const ReopenedWords = "The Drive team this referral was passed to is no longer working with this person, so it will now be decided on its own"

// RelinkedNote is staff's note on the row of a linked referral moved to
// the person's new open referral (open) when the one it was linked to
// ended (Successor).
func RelinkedNote(ended, open string) string {
	return "Referral " + ended + ", which this one was linked to, has ended; now linked to referral " + open + ", open for the same person"
}

// PNCClashNote is staff's note on the first row of a referral whose PNC
// ID is that of another open referral (other) whose perpetrator's names
// and date of birth differ (SamePerson): it is stored as a referral of
// its own, and staff should check which PNC ID is right.
func PNCClashNote(other string) string {
	return "Referral " + other + " gives the same PNC ID for a person with a different name and date of birth: check which PNC ID is right"
}
