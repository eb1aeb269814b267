package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// fuzzBody has a field of every shape Decode walks: text, numbers, a
// pointer, a list of objects, a map, an embedded struct and one that
// decodes itself.
type fuzzBody struct {
	Embedded
	Name    string            `json:"name"`
	Count   *int              `json:"count,omitempty"`
	Ratio   float64           `json:"ratio"`
	OK      bool              `json:"ok"`
	Tags    []string          `json:"tags,omitempty"`
	Items   []fuzzItem        `json:"items,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
	Raw     json.RawMessage   `json:"raw,omitempty"`
	Skipped string            `json:"-"`
	Untaged int
}

type Embedded struct {
	Version int `json:"version"`
}

type fuzzItem struct {
	ID     string     `json:"id"`
	Nested *fuzzItem  `json:"nested,omitempty"`
	Ages   [3]int     `json:"ages"`
	List   []fuzzItem `json:"list,omitempty"`
}

// FuzzDecode: any body is read, or refused as FieldErrors (each naming a
// field) or ErrMalformed, never another error and never a panic; what
// Decode reads is what encoding/json reads from the same body.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		var got fuzzBody
		err := Decode(body, &got, "a test body")
		var fe FieldErrors
		switch {
		case err == nil:
		case errors.As(err, &fe):
			if len(fe) == 0 {
				t.Fatal("got empty FieldErrors, want a problem named")
			}
			for _, e := range fe {
				if e.Field == "" && e.Message == "" {
					t.Fatalf("got field error %+v, want a message", e)
				}
			}
			return
		case errors.Is(err, ErrMalformed):
			return
		default:
			t.Fatalf("got %v (%T), want FieldErrors or ErrMalformed", err, err)
		}
		var want fuzzBody
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("Decode took %q, but encoding/json refuses it: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode read %+v, encoding/json %+v", got, want)
		}
	})
}
