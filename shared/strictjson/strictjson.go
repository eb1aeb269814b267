// Package strictjson decodes a JSON request body strictly, the same way on
// every route of the API: one JSON object and nothing after it, every key
// spelt exactly as the contract spells it (letter case included), none
// given twice, and none that the contract does not have. It names every
// field that is wrong at once, so that a client fixes them in one go. It
// has no AWS dependencies.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
)

// FieldError is one problem with one field, named by its JSON path, like
// victims[0].firstName.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FieldErrors lists every problem found in a submission.
type FieldErrors []FieldError

func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Message
	}
	return "invalid fields: " + strings.Join(parts, "; ")
}

// ErrMalformed is returned (wrapped, with what is wrong) by Decode when the
// body is not one JSON object: empty, broken, something other than an
// object, or followed by more data.
var ErrMalformed = errors.New("malformed JSON")

// Decode reads body, which must be one JSON object, into v, a pointer to a
// struct whose json tags are the contract. It returns an error wrapping
// ErrMalformed when body is not one JSON object; FieldErrors naming every
// key that is not one of the contract's (encoding/json alone would match
// "Reason" to "reason"), every key given twice, or else the value of the
// wrong type; nil when v holds the body. noun names what the body is, for
// the messages ("a referral", "a closing reason").
func Decode(body []byte, v any, noun string) error {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return fmt.Errorf("strictjson: decode into %T, not a pointer", v) // a programming error
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	first, err := dec.Token()
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the body is empty; send %s as a JSON object", ErrMalformed, noun)
	case err != nil:
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	case first != json.Delim('{'):
		return fmt.Errorf("%w: send %s as a JSON object, {...}", ErrMalformed, noun)
	}
	w := walker{dec: dec, noun: noun}
	if err := w.value(first, t.Elem(), ""); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: unexpected data after the JSON object; send one object", ErrMalformed)
	}
	if len(w.errs) > 0 {
		slices.SortStableFunc(w.errs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return w.errs
	}
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	err = strict.Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr):
		return FieldErrors{{Field: typeErr.Field, Message: fmt.Sprintf("Enter %s, not %s", describe(typeErr.Type), typeErr.Value)}}
	default:
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
}

// walker checks the keys of a JSON document against the Go type it is
// decoded into, reading the document's tokens once.
type walker struct {
	dec  *json.Decoder
	noun string
	errs FieldErrors
}

// value checks the value whose first token is tok, at path, against t.
func (w *walker) value(tok json.Token, t reflect.Type, path string) error {
	t = deref(t)
	custom := t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) ||
		t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)
	switch {
	case tok == json.Delim('{') && !custom && t.Kind() == reflect.Struct:
		return w.object(t, path)
	case tok == json.Delim('{') && !custom && t.Kind() == reflect.Map:
		return w.members(path, func(string) (reflect.Type, bool) { return t.Elem(), true })
	case tok == json.Delim('[') && !custom && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i := 0; w.dec.More(); i++ {
			tok, err := w.dec.Token()
			if err != nil {
				return err
			}
			if err := w.value(tok, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err := w.dec.Token() // ]
		return err
	case tok == json.Delim('{') || tok == json.Delim('['):
		// Not checked here: a value of the wrong type (which decoding
		// reports) or one that decodes itself.
		return w.skip()
	}
	return nil
}

// object checks the members of a JSON object, its opening brace read,
// against struct type t.
func (w *walker) object(t reflect.Type, path string) error {
	fields := map[string]reflect.Type{}
	collect(t, fields)
	return w.members(path, func(k string) (reflect.Type, bool) { ft, ok := fields[k]; return ft, ok })
}

// members reads an object's members up to its closing brace, its opening
// brace read; field says the type of a key's value, or that there is no
// such key.
func (w *walker) members(path string, field func(string) (reflect.Type, bool)) error {
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		k, _ := tok.(string)
		at := named(path, k)
		if tok, err = w.dec.Token(); err != nil {
			return err
		}
		ft, known := field(k)
		switch {
		case !known && k == "":
			w.errs = append(w.errs, FieldError{Field: at, Message: fmt.Sprintf("A key with no name is not a field of %s: remove it", w.noun)})
		case !known:
			w.errs = append(w.errs, FieldError{Field: at, Message: fmt.Sprintf("%q is not a field of %s: remove it or check its spelling (letter case counts)", at, w.noun)})
			err = w.skipValue(tok)
		case seen[k]:
			w.errs = append(w.errs, FieldError{Field: at, Message: fmt.Sprintf("%q is given more than once: give it once", at)})
			err = w.skipValue(tok)
		default:
			err = w.value(tok, ft, at)
		}
		if err != nil {
			return err
		}
		seen[k] = true
	}
	_, err := w.dec.Token() // }
	return err
}

// named is the path of key k in the object at path, as a field error
// names it: a key with no name is written "" so that the error still names
// a field (a client cannot find an empty one).
func named(path, k string) string {
	if k == "" {
		k = `""`
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

// skipValue reads past the value whose first token is tok.
func (w *walker) skipValue(tok json.Token) error {
	if tok == json.Delim('{') || tok == json.Delim('[') {
		return w.skip()
	}
	return nil
}

// skip reads past the rest of an object or array, its opening token read.
func (w *walker) skip() error {
	for depth := 1; depth > 0; {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// collect adds to fields the JSON names of struct type t's fields, as
// encoding/json sees them: a field's tag name, else its Go name; the
// fields of an embedded struct without a tag as if they were t's own.
func collect(t reflect.Type, fields map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && deref(f.Type).Kind() == reflect.Struct {
			collect(deref(f.Type), fields)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// describe says in words what a value of type t is.
func describe(t reflect.Type) string {
	switch deref(t).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		return "a list"
	default:
		return "an object"
	}
}
