package referral

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/driveprogramme/referrals/shared/strictjson"
)

// The fuzz targets of the referral package: a body a client sends, read
// strictly (Parse, strictjson.Decode), normalised and validated. Seeds are
// in testdata/fuzz/<target> (plain go test runs them); make fuzz explores.

// fuzzToday is a fixed UK day, so that a failure replays the same.
var fuzzToday = time.Date(2026, 11, 23, 10, 15, 30, 0, time.UTC)

// clientError fails t unless err is one the API answers as the client's
// mistake: FieldErrors (422), each with a field and a message, or
// ErrMalformed (400).
func clientError(t *testing.T, err error) {
	t.Helper()
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		if len(fe) == 0 {
			t.Fatalf("got empty FieldErrors, want at least one problem named")
		}
		fieldsNamed(t, fe)
	case errors.Is(err, ErrMalformed):
	default:
		t.Fatalf("got error %v (%T), want FieldErrors or ErrMalformed: the API would answer it as a server fault", err, err)
	}
}

// fieldsNamed fails t for a problem without a field or a message.
func fieldsNamed(t *testing.T, errs FieldErrors) {
	t.Helper()
	for _, e := range errs {
		if e.Field == "" || e.Message == "" {
			t.Fatalf("got field error %+v, want a field and a message", e)
		}
	}
}

// FuzzParse: any body is parsed, or refused as the client's mistake;
// Normalise is idempotent; Validate never panics and names every problem.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := Parse(body)
		if err != nil {
			clientError(t, err)
			return
		}
		r.Normalise()
		again, _ := Parse(body)
		again.Normalise()
		again.Normalise()
		if !reflect.DeepEqual(r, again) {
			t.Fatalf("Normalise is not idempotent:\nonce:  %+v\ntwice: %+v", r, again)
		}
		errs := r.Validate(fuzzToday)
		fieldsNamed(t, errs)
		_, _ = r.PerpetratorKey()
		_ = r.Fingerprint()
	})
}

// FuzzEnding: an accept, close or withdraw body is decoded as the cases
// API decodes it, or refused as the client's mistake; a valid one, sent
// again as the server would write it, is the same and valid again.
func FuzzEnding(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		var e Ending
		if err := decodeStrict(body, &e); err != nil {
			clientError(t, err)
			return
		}
		e.Normalise()
		twice := e
		twice.Normalise()
		if twice != e {
			t.Fatalf("Normalise is not idempotent: once %+v, twice %+v", e, twice)
		}
		for name, validate := range map[string]func() FieldErrors{"accept": e.ValidateAccept, "close": e.ValidateClose, "withdraw": e.ValidateWithdraw} {
			errs := validate()
			fieldsNamed(t, errs)
			if len(errs) > 0 {
				continue
			}
			raw, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			var back Ending
			if err := decodeStrict(raw, &back); err != nil {
				t.Fatalf("%s: a valid ending %s, sent again, got %v, want it read", name, raw, err)
			}
			back.Normalise()
			if back != e {
				t.Fatalf("%s: got %+v after a round trip, want %+v", name, back, e)
			}
		}
	})
}

// FuzzReallocation: a reallocation body, as FuzzEnding.
func FuzzReallocation(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		var r Reallocation
		if err := decodeStrict(body, &r); err != nil {
			clientError(t, err)
			return
		}
		r.Normalise()
		twice := r
		twice.Normalise()
		if twice != r {
			t.Fatalf("Normalise is not idempotent: once %+v, twice %+v", r, twice)
		}
		errs := r.Validate()
		fieldsNamed(t, errs)
		if len(errs) > 0 {
			return
		}
		raw, _ := json.Marshal(r)
		var back Reallocation
		if err := decodeStrict(raw, &back); err != nil {
			t.Fatalf("a valid reallocation %s, sent again, got %v, want it read", raw, err)
		}
		back.Normalise()
		if back != r || len(back.Validate()) > 0 {
			t.Fatalf("got %+v after a round trip, want %+v, valid", back, r)
		}
	})
}

// decodeStrict reads a case body as the cases API does.
func decodeStrict(body []byte, v any) error { return strictjson.Decode(body, v, "a case change") }
