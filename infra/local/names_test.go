package local_test

import (
	"context"
	"net/http"
	"testing"
)

// The same perpetrator is recognised, and the second referral linked to
// the first, however they are typed,
// through the whole stack (API Gateway, intake, DynamoDB's perpetrator
// index and PNC ID lookup): José composed (NFC) and decomposed (NFD), a PNC
// ID with and without the serial's leading zeros or a four-digit year, and
// a person with one name given in either box.
func TestSamePerpetratorHoweverTypedIsLinked(t *testing.T) {
	serial(t)
	perpetrator := func(first, last, pnc string) func(map[string]any) {
		return func(m map[string]any) {
			p := m["perpetrator"].(map[string]any)
			p["firstName"], p["lastName"], p["dateOfBirth"], p["pncId"] = first, last, "1981-05-04", pnc
		}
	}
	// Two tests to each of the duplicate areas, whose capacity the other
	// duplicate test needs too.
	tests := []struct {
		name          string
		area          string
		first, second func(map[string]any)
	}{
		{"José composed, then decomposed", "dup",
			perpetrator("Jos\u00e9", "Ramírez", ""), perpetrator("Jose\u0301", "Rami\u0301rez", "")},
		{"PNC ID without the serial's leading zeros, then with them", "dup",
			perpetrator("Kit", "Marlowe", "04/12345D"), perpetrator("Christopher", "Marley", "04/0012345D")},
		{"PNC ID with a two-digit year, then a four-digit one", "dup-other",
			perpetrator("Ben", "Jonson", "05/12345U"), perpetrator("Benjamin", "Johnson", "2005/0012345U")},
		{"one name as the first name, then as the last", "dup-other",
			perpetrator("Ozymandias", "", ""), perpetrator("", "OZYMANDIAS", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := submit(t, submission(t, tt.area, tt.first))
			code, out := post(t, submission(t, tt.area, tt.second), "application/json")
			if code != http.StatusAccepted || out["status"] != "linked" || out["linkedTo"] != first {
				t.Errorf("second referral: got %d %v, want 202 linked to %s", code, out, first)
			}
		})
	}
	// What is stored, compared and shown is the canonical PNC ID.
	ref := submit(t, submission(t, "dup-other", perpetrator("Tom", "Kyd", "87/4711u")))
	rec, err := stack.Store.Referral(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Referral.Perpetrator.PNCID; got != "1987/0004711U" {
		t.Errorf("stored PNC ID %q, want 1987/0004711U", got)
	}
}
