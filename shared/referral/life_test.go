package referral_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/referral"
)

func TestNext(t *testing.T) {
	tests := []struct {
		action referral.Action
		from   referral.Status
		want   referral.Status
		why    string
	}{
		{referral.ActionAccept, referral.StatusAllocated, referral.StatusAccepted, ""},
		{referral.ActionAccept, referral.StatusAccepted, "", "a referral that is accepted cannot be accepted"},
		{referral.ActionClose, referral.StatusAccepted, referral.StatusClosed, ""},
		{referral.ActionClose, referral.StatusClosed, "", "a referral that is closed cannot be closed"},
		// Only an accepted case closes (fresh tester of issue 14).
		{referral.ActionClose, referral.StatusAllocated, "", "not yet accepted cannot be closed. Accept or decline it first"},
		{referral.ActionClose, referral.StatusWaitlisted, "", "waitlisted cannot be closed"},
		{referral.ActionWithdraw, referral.StatusWaitlisted, referral.StatusWithdrawn, ""},
		{referral.ActionWithdraw, referral.StatusIneligible, "", "ineligible cannot be withdrawn"},
		// A linked referral is its officer's to withdraw (issue 13).
		{referral.ActionWithdraw, referral.StatusLinked, referral.StatusWithdrawn, ""},
		{referral.ActionClose, referral.StatusLinked, "", "linked cannot be closed"},
		{referral.ActionAccept, referral.StatusLinked, "", "linked cannot be accepted"},
		{referral.ActionReallocate, referral.StatusAccepted, referral.StatusAllocated, ""},
		{referral.ActionReallocate, referral.StatusAllocated, referral.StatusAllocated, ""},
		{referral.ActionReallocate, referral.StatusWaitlisted, "", "waitlisted cannot be reallocated"},
		{referral.ActionReallocate, referral.StatusClosed, "", "closed cannot be reallocated"},
	}
	for _, tt := range tests {
		got, err := referral.Next(tt.action, tt.from)
		if got != tt.want || (tt.why == "") != (err == nil) || (err != nil && (!strings.Contains(err.Error(), tt.why) || !errors.Is(err, referral.ErrConflict))) {
			t.Errorf("%s from %s: got %q, %v; want %q, %q", tt.action, tt.from, got, err, tt.want, tt.why)
		}
	}
}

func TestEndingValidation(t *testing.T) {
	if errs := (referral.Ending{Reason: "completed"}).ValidateClose(); errs != nil {
		t.Errorf("completed: got %v", errs)
	}
	if errs := (referral.Ending{Reason: "other"}).ValidateClose(); len(errs) != 1 || errs[0].Field != "note" {
		t.Errorf("other without a note: got %v, want a note asked for", errs)
	}
	if errs := (referral.Ending{Reason: "bored"}).ValidateClose(); len(errs) != 1 || errs[0].Field != "reason" {
		t.Errorf("unknown reason: got %v", errs)
	}
	if errs := (referral.Ending{}).ValidateWithdraw(); len(errs) != 1 {
		t.Errorf("withdraw without reason: got %v", errs)
	}
	if errs := (referral.Reallocation{Reason: "Conflict of interest"}).Validate(); errs != nil {
		t.Errorf("reallocation with a reason: got %v", errs)
	}
	if errs := (referral.Reallocation{CaseManager: "cm-1"}).Validate(); len(errs) != 1 || errs[0].Field != "reason" {
		t.Errorf("reallocation without a reason: got %v, want the reason asked for", errs)
	}
}

func TestSummaryOpen(t *testing.T) {
	for status, want := range map[referral.Status]bool{
		referral.StatusReceived: true, referral.StatusWaitlisted: true, referral.StatusAllocated: true, referral.StatusAccepted: true,
		referral.StatusIneligible: false, referral.StatusClosed: false, referral.StatusWithdrawn: false,
	} {
		if got := (referral.Summary{Status: status}).Open(); got != want {
			t.Errorf("%s: got open %v, want %v", status, got, want)
		}
	}
}
