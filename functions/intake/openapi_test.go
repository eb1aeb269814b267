package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/driveprogramme/referrals/shared/referral"
)

// limitedField is a string or list of the Referral schema, by JSON path.
type limitedField struct {
	path   string // victims[0].firstName
	keys   []any  // "victims", 0, "firstName"
	schema *openapi3.SchemaRef
}

// referralFields returns every string and array of a schema, list items
// included (as item 0).
func referralFields(ref *openapi3.SchemaRef, path string, keys []any) []limitedField {
	s := ref.Value
	var out []limitedField
	switch {
	case s.Type.Is("object"):
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			at := name
			if path != "" {
				at = path + "." + name
			}
			out = append(out, referralFields(s.Properties[name], at, append(slices.Clone(keys), name))...)
		}
	case s.Type.Is("array"):
		out = append(out, limitedField{path, keys, ref})
		out = append(out, referralFields(s.Items, path+"[0]", append(slices.Clone(keys), 0))...)
	case s.Type.Is("string"):
		out = append(out, limitedField{path, keys, ref})
	}
	return out
}

// setAt returns v with the value at keys replaced by val.
func setAt(v any, keys []any, val any) any {
	if len(keys) == 0 {
		return val
	}
	switch k := keys[0].(type) {
	case string:
		m, _ := v.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		m[k] = setAt(m[k], keys[1:], val)
		return m
	default:
		a, _ := v.([]any)
		for len(a) <= k.(int) {
			a = append(a, nil)
		}
		a[k.(int)] = setAt(a[k.(int)], keys[1:], val)
		return a
	}
}

func getAt(v any, keys []any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		default:
			a, _ := v.([]any)
			if k.(int) >= len(a) {
				return nil
			}
			v = a[k.(int)]
		}
	}
	return v
}

// validate runs intake's own parse, normalise and validate on a body.
func validate(t *testing.T, body map[string]any) referral.FieldErrors {
	t.Helper()
	raw, _ := json.Marshal(body)
	r, err := referral.Parse(raw)
	if fe, ok := err.(referral.FieldErrors); ok {
		return fe
	}
	if err != nil {
		t.Fatal(err)
	}
	normalise(&r)
	return r.Validate(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
}

// The OpenAPI description and the validator agree on limits: every string
// and every list of a referral has a limit in the description, and the
// validator refuses a value just over it, and (for plain text) accepts one
// at it.
func TestOpenAPIAndValidatorAgreeOnLimits(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.yaml is not valid OpenAPI: %v", err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event(t, "post-referral.json", nil), &ev); err != nil {
		t.Fatal(err)
	}
	example := func() map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(ev.Body), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if errs := validate(t, example()); errs != nil {
		t.Fatalf("the example: got %v, want no errors", errs)
	}
	fields := referralFields(doc.Components.Schemas["Referral"], "", nil)
	if len(fields) < 40 {
		t.Fatalf("found %d strings and lists in the Referral schema, want them all", len(fields))
	}
	for _, f := range fields {
		t.Run(f.path, func(t *testing.T) {
			s := f.schema.Value
			errorOn := func(errs referral.FieldErrors) bool {
				return slices.ContainsFunc(errs, func(e referral.FieldError) bool { return e.Field == f.path })
			}
			switch {
			case s.Type.Is("array"):
				if s.MaxItems == nil {
					t.Fatalf("got no maxItems, want a limit")
				}
				item := getAt(example(), append(slices.Clone(f.keys), 0))
				if item == nil {
					t.Fatalf("the example has no %s[0] to repeat", f.path)
				}
				over := slices.Repeat([]any{item}, int(*s.MaxItems)+1)
				if errs := validate(t, setAt(example(), f.keys, over).(map[string]any)); !errorOn(errs) {
					t.Errorf("%d items: got %v, want an error on %s", len(over), errs, f.path)
				}
			case len(s.Enum) > 0:
				// A choice: its values are its limit.
			case s.MaxLength == nil:
				t.Fatalf("got no maxLength, want a limit")
			default:
				over := strings.Repeat("a", int(*s.MaxLength)+1)
				if errs := validate(t, setAt(example(), f.keys, over).(map[string]any)); !errorOn(errs) {
					t.Errorf("%d characters: got %v, want an error on %s", len(over), errs, f.path)
				}
				if s.Pattern != "" || s.Format != "" || (f.schema.Ref != "" && !strings.HasSuffix(f.schema.Ref, "Name")) || strings.HasSuffix(f.path, "pncId") {
					return // a value in a given form, which a's are not
				}
				at := strings.Repeat("a", int(*s.MaxLength))
				if errs := validate(t, setAt(example(), f.keys, at).(map[string]any)); errorOn(errs) {
					t.Errorf("%d characters: got %v, want no error on %s (the description allows it)", len(at), errs, f.path)
				}
			}
		})
	}
}

// openapi.yaml is YAML a strict reader takes: no key twice in a mapping
// (a merge once left a route with two "400" answers, which kin-openapi
// reads without complaint and yaml.v3, as clients do, refuses).
func TestOpenAPIHasNoKeyTwice(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		seen := map[string]bool{}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				if seen[c.Value] {
					t.Errorf("%s: key %q given twice (line %d)", path, c.Value, c.Line)
				}
				seen[c.Value] = true
				continue
			}
			at := path
			if n.Kind == yaml.MappingNode {
				at += "/" + n.Content[i-1].Value
			}
			walk(c, at)
		}
	}
	walk(&doc, "")
}
