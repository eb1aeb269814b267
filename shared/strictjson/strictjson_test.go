package strictjson_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/shared/strictjson"
)

type Common struct {
	Version int `json:"version"`
}

type body struct {
	Common
	Reason  string            `json:"reason"`
	Note    string            `json:"note,omitempty"`
	Count   *int              `json:"count,omitempty"`
	Tags    []string          `json:"tags,omitempty"`
	People  []person          `json:"people,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
	Any     any               `json:"any,omitempty"`
	Ignored string            `json:"-"`
}

type person struct {
	Name string `json:"name"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		malformed bool
		fields    []string // the fields named, in order
		want      string   // the reason decoded, when accepted
	}{
		{"accepted", `{"reason": "completed", "note": "done"}`, false, nil, "completed"},
		{"accepted with white space after", "{\"reason\": \"completed\"}\n\t ", false, nil, "completed"},
		{"embedded struct's field", `{"reason": "x", "version": 2}`, false, nil, "x"},
		{"a map takes any key", `{"reason": "x", "extra": {"Anything": "goes"}}`, false, nil, "x"},
		{"any takes any value", `{"reason": "x", "any": {"Reason": [1, {"a": 2}]}}`, false, nil, "x"},
		{"empty", ``, true, nil, ""},
		{"only white space", "  \n", true, nil, ""},
		{"not JSON", `{"reason": `, true, nil, ""},
		{"trailing object", `{"reason": "completed"} {}`, true, nil, ""},
		{"trailing text", `{"reason": "completed"}x`, true, nil, ""},
		{"a list, not an object", `[{"reason": "completed"}]`, true, nil, ""},
		{"null, not an object", `null`, true, nil, ""},
		{"a string, not an object", `"completed"`, true, nil, ""},
		{"key in another letter case", `{"Reason": "completed"}`, false, []string{"Reason"}, ""},
		{"key in capitals", `{"REASON": "completed", "Note": "x"}`, false, []string{"Note", "REASON"}, ""},
		{"key given twice", `{"reason": "completed", "reason": "other"}`, false, []string{"reason"}, ""},
		{"unknown key", `{"reason": "x", "colour": "green"}`, false, []string{"colour"}, ""},
		{"a key with no name", `{"reason": "x", "": 1}`, false, []string{`""`}, ""},
		{"a key with no name in a list's object", `{"people": [{"": "b"}]}`, false, []string{`people[0].""`}, ""},
		{"the ignored field", `{"reason": "x", "Ignored": "y"}`, false, []string{"Ignored"}, ""},
		{"unknown key in a list's object", `{"people": [{"name": "a"}, {"Name": "b", "age": 3}]}`, false, []string{"people[1].Name", "people[1].age"}, ""},
		{"every problem at once", `{"b": 1, "a": {"x": [1]}, "reason": "x", "reason": "y"}`, false, []string{"a", "b", "reason"}, ""},
		{"wrong type", `{"reason": 42}`, false, []string{"reason"}, ""},
		{"wrong type in a list", `{"tags": ["a", 1]}`, false, []string{"tags"}, ""},
		{"object where a list is wanted", `{"tags": {"Reason": 1}}`, false, []string{"tags"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b body
			err := strictjson.Decode([]byte(tt.body), &b, "a test body")
			if got := errors.Is(err, strictjson.ErrMalformed); got != tt.malformed {
				t.Fatalf("got malformed %v (%v), want %v", got, err, tt.malformed)
			}
			var fe strictjson.FieldErrors
			errors.As(err, &fe)
			var got []string
			for _, e := range fe {
				got = append(got, e.Field)
				if e.Message == "" {
					t.Errorf("field %s: got no message", e.Field)
				}
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("got fields %v (%v), want %v", got, err, tt.fields)
			}
			if !tt.malformed && tt.fields == nil && (err != nil || b.Reason != tt.want) {
				t.Errorf("got %+v, %v, want reason %q and no error", b, err, tt.want)
			}
		})
	}
}

func TestDecodeMessages(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{`{"Reason": "completed"}`, `"Reason" is not a field of a test body: remove it or check its spelling (letter case counts)`},
		{`{"reason": "a", "reason": "b"}`, `"reason" is given more than once: give it once`},
		{`{"count": "three"}`, `Enter a whole number, not string`},
		{`{"reason": "a"} {"reason": "b"}`, `unexpected data after the JSON object`},
		{``, `the body is empty`},
	}
	for _, tt := range tests {
		var b body
		if err := strictjson.Decode([]byte(tt.body), &b, "a test body"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error saying %q", tt.body, err, tt.want)
		}
	}
}

func TestDecodeNeedsAPointer(t *testing.T) {
	if err := strictjson.Decode([]byte(`{}`), body{}, "a test body"); err == nil {
		t.Error("got no error decoding into a value, want one")
	}
}

// A body nested as deep as the size limits allow is refused, not a crash.
func TestDecodeDeepNesting(t *testing.T) {
	deep := `{"any": ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `, "reason": "x"}`
	var b body
	if err := strictjson.Decode([]byte(deep), &b, "a test body"); err != nil {
		t.Errorf("got %v, want a deep value under any accepted", err)
	}
	deep = `{"people": ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	if err := strictjson.Decode([]byte(deep), &b, "a test body"); err == nil {
		t.Error("got no error for lists of lists where a list of people is wanted")
	}
}
