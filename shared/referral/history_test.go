package referral

import (
	"strings"
	"testing"
)

// TestHistoryWords checks the row of every kind of change: in words,
// naming the person who acted (never by an email address), reason codes
// in words, and notes apart for staff.
func TestHistoryWords(t *testing.T) {
	type row struct{ reason, note string }
	ending := func(a Action, who string, e Ending) row {
		r, n := EndingWords(a, who, e)
		return row{r, n}
	}
	tests := []struct {
		name string
		got  row
		want row
	}{
		{"received from a named officer", row{ReceivedWords("Priya Shah"), ""}, row{"Referral received from Priya Shah", ""}},
		{"received from an officer without a name", row{ReceivedWords(""), ""}, row{"Referral received from the referring officer", ""}},
		{"received from an officer named by email", row{ReceivedWords("p.shah@police.example"), ""}, row{"Referral received from the referring officer", ""}},
		{"decided eligible", row{DecidedWords(true), ""}, row{"Decided: eligible", ""}},
		{"decided not eligible", row{DecidedWords(false), ""}, row{"Decided: not eligible", ""}},
		{"waitlisted", row{WaitlistedWords(), ""}, row{"Put on the waiting list: no case manager in the area has free capacity", ""}},
		{"allocated", row{AllocatedWords("Tom Hughes"), ""}, row{"Allocated to Tom Hughes", ""}},
		{"allocated to a manager without a name", row{AllocatedWords(" "), ""}, row{"Allocated to the case manager", ""}},
		{"reallocated", row{ReallocatedWords("Sam Lead", "Alex Morgan", "Tom Hughes"), ""}, row{"Reallocated by Sam Lead from Alex Morgan to Tom Hughes", ""}},
		{"reallocated by a lead named by email", row{ReallocatedWords("lead@drive.example", "Alex Morgan", "Tom Hughes"), ""}, row{"Reallocated by the area lead from Alex Morgan to Tom Hughes", ""}},
		{"accepted with no body", ending(ActionAccept, "Tom Hughes", Ending{}), row{"Accepted by Tom Hughes", ""}},
		{"accepted with a reason and note", ending(ActionAccept, "Tom Hughes", Ending{Reason: "Seen at MARAC", Note: "call Tuesday"}), row{"Accepted by Tom Hughes", "Seen at MARAC: call Tuesday"}},
		{"closed completed with a note", ending(ActionClose, "Tom Hughes", Ending{Reason: "completed", Note: "Programme completed"}), row{"Closed by Tom Hughes: completed", "Programme completed"}},
		{"closed withdrawn", ending(ActionClose, "Tom Hughes", Ending{Reason: "withdrawn"}), row{"Closed by Tom Hughes: withdrawn", ""}},
		{"closed moved out of area", ending(ActionClose, "Tom Hughes", Ending{Reason: "moved-out-of-area"}), row{"Closed by Tom Hughes: moved out of area", ""}},
		{"closed duplicate", ending(ActionClose, "Tom Hughes", Ending{Reason: "duplicate"}), row{"Closed by Tom Hughes: a duplicate referral", ""}},
		{"closed custody", ending(ActionClose, "Tom Hughes", Ending{Reason: "custody"}), row{"Closed by Tom Hughes: in custody", ""}},
		{"closed other", ending(ActionClose, "Tom Hughes", Ending{Reason: "other", Note: "Died"}), row{"Closed by Tom Hughes: another reason", "Died"}},
		{"closed by a manager without a name", ending(ActionClose, "", Ending{Reason: "completed"}), row{"Closed by the case manager: completed", ""}},
		{"withdrawn by a named officer", ending(ActionWithdraw, "Priya Shah", Ending{Reason: "Victim moved away", Note: "n"}), row{"Withdrawn by Priya Shah: Victim moved away", "n"}},
		{"withdrawn by an officer without a name", ending(ActionWithdraw, "", Ending{Reason: "Victim moved away"}), row{"Withdrawn by the referring officer: Victim moved away", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
			if strings.Contains(tt.got.reason, "@") {
				t.Errorf("got %q, which names someone by email", tt.got.reason)
			}
		})
	}
	for _, code := range CloseReasons {
		if w := CloseReasonWords(code); w == "" || strings.Contains(w, "-") {
			t.Errorf("CloseReasonWords(%q): got %q, want words", code, w)
		}
	}
}

// TestTheReferrerSeesNoDeclineReason: the officer's history (ForReferrer)
// keeps every row but staff-only ones, without staff's notes, and words a
// case manager's decline neutrally, naming no one and giving no reason;
// staff's history is not changed (fresh tester of issue 14).
func TestTheReferrerSeesNoDeclineReason(t *testing.T) {
	declined, note := EndingWords(ActionDecline, "Tom Hughes", Ending{Reason: "knows-the-family", Note: "Neighbour"})
	hist := []Transition{
		{From: StatusEligible, To: StatusAllocated, By: "allocation", Reason: "Allocated to Tom Hughes"},
		{From: StatusAllocated, To: StatusEligible, By: "tom.hughes@drive.example", Reason: declined, Note: note},
		{From: StatusEligible, To: StatusAllocated, By: "allocation", Reason: "Allocated to Alex Morgan"},
		{From: StatusAllocated, To: StatusAllocated, By: "lead", Reason: "Linked", StaffOnly: true},
	}
	got := ForReferrer(hist)
	want := []Transition{
		{From: StatusEligible, To: StatusAllocated, By: "allocation", Reason: "Allocated to Tom Hughes"},
		{From: StatusAllocated, To: StatusEligible, Reason: "Passed to another case manager"},
		{From: StatusEligible, To: StatusAllocated, By: "allocation", Reason: "Allocated to Alex Morgan"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if hist[1].Reason != declined || hist[1].Note != note {
		t.Errorf("staff's history: got %+v, want it unchanged", hist[1])
	}
}
