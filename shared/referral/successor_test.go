package referral

import (
	"slices"
	"testing"
	"time"
)

func TestSuccessor(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	rec := func(ref string, st Status, to string, at time.Duration) Record {
		return Record{Reference: ref, Status: st, LinkedTo: to, ReceivedAt: t0.Add(at)}
	}
	tests := []struct {
		name       string
		linked     []Record
		wantOK     bool
		wantNext   string
		wantRelink []string
	}{
		{"none linked", nil, false, "", nil},
		{"one linked becomes open", []Record{rec("DRV-B", StatusLinked, "DRV-A", time.Minute)}, true, "DRV-B", nil},
		{"earliest becomes open, the rest relinked", []Record{
			rec("DRV-D", StatusLinked, "DRV-A", 3*time.Minute),
			rec("DRV-B", StatusLinked, "DRV-A", time.Minute),
			rec("DRV-C", StatusLinked, "DRV-A", 2*time.Minute),
		}, true, "DRV-B", []string{"DRV-C", "DRV-D"}},
		{"ties broken by reference", []Record{
			rec("DRV-C", StatusLinked, "DRV-A", time.Minute),
			rec("DRV-B", StatusLinked, "DRV-A", time.Minute),
		}, true, "DRV-B", []string{"DRV-C"}},
		{"withdrawn and other links ignored", []Record{
			rec("DRV-B", StatusWithdrawn, "DRV-A", time.Minute),
			rec("DRV-C", StatusLinked, "DRV-X", time.Minute),
			rec("DRV-D", StatusReceived, "", time.Minute),
			rec("DRV-E", StatusLinked, "DRV-A", 5*time.Minute),
		}, true, "DRV-E", nil},
		{"only others", []Record{rec("DRV-C", StatusLinked, "DRV-X", time.Minute)}, false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, relink, ok := Successor("DRV-A", tt.linked)
			if ok != tt.wantOK || next.Reference != tt.wantNext {
				t.Fatalf("got %q, %v, want %q, %v", next.Reference, ok, tt.wantNext, tt.wantOK)
			}
			var got []string
			for _, r := range relink {
				got = append(got, r.Reference)
			}
			if !slices.Equal(got, tt.wantRelink) {
				t.Errorf("relinked: got %v, want %v", got, tt.wantRelink)
			}
		})
	}
}

func TestSamePerson(t *testing.T) {
	ref := func(first, last, dob, pnc string) Referral {
		return Referral{Perpetrator: Perpetrator{FirstName: first, LastName: last, DateOfBirth: dob, PNCID: pnc}}
	}
	open := ref("Gus", "Pnc", "1990-01-01", "2011/0654321F")
	tests := []struct {
		name string
		r    Referral
		want bool
	}{
		{"same names and date of birth, no PNC ID", ref("gus", "PNC", "1990-01-01", ""), true},
		{"same PNC ID, names and date of birth differ", ref("Other", "Name", "1991-01-01", "2011/0654321F"), false},
		{"same PNC ID and date of birth, name misspelt", ref("Gus", "Pnk", "1990-01-01", "2011/0654321F"), true},
		{"same PNC ID and last name, date of birth mistyped", ref("Gus", "Pnc", "1990-10-01", "2011/0654321F"), true},
		{"different PNC ID, names and date of birth", ref("Other", "Name", "1991-01-01", "2012/0000001A"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SamePerson(tt.r, open); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
