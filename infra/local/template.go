// Package local runs the whole pipeline on one machine, as AWS runs it:
// the resources of template.yaml created on a local AWS API server (moto),
// the real function binaries served by a local Lambda Runtime API, HTTP
// requests turned into API Gateway v2 events, and SQS queues polled in
// batches with partial batch failures, redelivery and dead-lettering.
package local

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is the part of a SAM template the local stack reads.
type Template struct {
	Parameters map[string]struct {
		Default  any `yaml:"Default"`
		MinValue any `yaml:"MinValue"`
	} `yaml:"Parameters"`
	Conditions map[string]any      `yaml:"Conditions"`
	Globals    map[string]any      `yaml:"Globals"`
	Resources  map[string]Resource `yaml:"Resources"`
}

// Resource is one resource of the template.
type Resource struct {
	Type       string         `yaml:"Type"`
	Condition  string         `yaml:"Condition"`
	Properties map[string]any `yaml:"Properties"`
}

// LoadTemplate reads a SAM template, turning CloudFormation's short tags
// (!Ref, !GetAtt, !Sub, …) into their long forms.
func LoadTemplate(path string) (*Template, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("load template %s: %w", path, err)
	}
	expandTags(&root)
	var t Template
	if err := root.Decode(&t); err != nil {
		return nil, fmt.Errorf("load template %s: %w", path, err)
	}
	return &t, nil
}

// expandTags rewrites `!Fn x` as `{Fn::Fn: x}` (and `!Ref x` as `{Ref: x}`)
// in place; `!GetAtt A.B` becomes `{Fn::GetAtt: [A, B]}`.
func expandTags(n *yaml.Node) {
	for _, c := range n.Content {
		expandTags(c)
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return
	}
	name := "Fn::" + strings.TrimPrefix(n.Tag, "!")
	if n.Tag == "!Ref" {
		name = "Ref"
	}
	arg := *n
	arg.Tag = ""
	if n.Tag == "!GetAtt" && n.Kind == yaml.ScalarNode {
		a, b, _ := strings.Cut(n.Value, ".")
		arg = yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: a}, {Kind: yaml.ScalarNode, Value: b}}}
	}
	*n = yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: name}, &arg}}
}

// Functions returns the logical ids of the template's functions.
func (t *Template) Functions() []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == "AWS::Serverless::Function" {
			ids = append(ids, id)
		}
	}
	return ids
}

// resolver evaluates intrinsic functions against the local stack.
type resolver struct {
	t      *Template
	params map[string]string
	// ref and attr give a resource's physical id and attributes.
	ref  func(id string) (string, bool)
	attr func(id, name string) (string, bool)
	// pseudo holds AWS::Region, AWS::AccountId and the like.
	pseudo map[string]string
}

func (r *resolver) param(name string) (string, bool) {
	if v, ok := r.params[name]; ok {
		return v, true
	}
	if p, ok := r.t.Parameters[name]; ok {
		return fmt.Sprint(p.Default), true
	}
	return "", false
}

// resolve evaluates v, which may hold intrinsic functions.
func (r *resolver) resolve(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			var err error
			if out[i], err = r.resolve(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") || k == "Condition" {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			var err error
			if out[k], err = r.resolve(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	default:
		return v, nil
	}
}

// String resolves v to a string.
func (r *resolver) String(v any) (string, error) {
	got, err := r.resolve(v)
	if err != nil {
		return "", err
	}
	switch got.(type) {
	case map[string]any, []any:
		return "", fmt.Errorf("%v is not a string", got)
	}
	return fmt.Sprint(got), nil
}

func (r *resolver) intrinsic(fn string, arg any) (any, error) {
	args, _ := arg.([]any)
	switch fn {
	case "Ref":
		name := fmt.Sprint(arg)
		if v, ok := r.pseudo[name]; ok {
			return v, nil
		}
		if v, ok := r.param(name); ok {
			return v, nil
		}
		if v, ok := r.ref(name); ok {
			return v, nil
		}
		return nil, fmt.Errorf("!Ref %s: no such parameter or resource", name)
	case "Fn::GetAtt":
		if len(args) != 2 {
			return nil, fmt.Errorf("!GetAtt %v: want [resource, attribute]", arg)
		}
		if v, ok := r.attr(fmt.Sprint(args[0]), fmt.Sprint(args[1])); ok {
			return v, nil
		}
		return nil, fmt.Errorf("!GetAtt %v.%v is not known locally", args[0], args[1])
	case "Fn::Sub":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("!Sub: only the one-string form is supported locally")
		}
		return r.sub(s)
	case "Fn::Join":
		if len(args) != 2 {
			return nil, fmt.Errorf("!Join %v: want [separator, list]", arg)
		}
		list, err := r.resolve(args[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = fmt.Sprint(it)
		}
		return strings.Join(parts, fmt.Sprint(args[0])), nil
	case "Fn::If":
		if len(args) != 3 {
			return nil, fmt.Errorf("!If %v: want [condition, then, else]", arg)
		}
		ok, err := r.condition(fmt.Sprint(args[0]))
		if err != nil {
			return nil, err
		}
		if ok {
			return r.resolve(args[1])
		}
		return r.resolve(args[2])
	case "Fn::Equals":
		if len(args) != 2 {
			return nil, fmt.Errorf("!Equals %v: want two values", arg)
		}
		a, err := r.String(args[0])
		if err != nil {
			return nil, err
		}
		b, err := r.String(args[1])
		return a == b, err
	case "Fn::Not":
		if len(args) != 1 {
			return nil, fmt.Errorf("!Not %v: want one condition", arg)
		}
		v, err := r.resolve(args[0])
		b, _ := v.(bool)
		return !b, err
	case "Condition":
		return r.condition(fmt.Sprint(arg))
	}
	return nil, fmt.Errorf("%s is not supported by the local stack", fn)
}

func (r *resolver) condition(name string) (bool, error) {
	c, ok := r.t.Conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition %s", name)
	}
	v, err := r.resolve(c)
	b, _ := v.(bool)
	return b, err
}

func (r *resolver) sub(s string) (string, error) {
	var out strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			out.WriteString(s)
			return out.String(), nil
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return "", fmt.Errorf("!Sub %q: unclosed ${", s)
		}
		out.WriteString(s[:i])
		name := s[i+2 : i+j]
		var v any
		var err error
		if res, att, ok := strings.Cut(name, "."); ok {
			v, err = r.intrinsic("Fn::GetAtt", []any{res, att})
		} else {
			v, err = r.intrinsic("Ref", name)
		}
		if err != nil {
			return "", err
		}
		out.WriteString(fmt.Sprint(v))
		s = s[i+j+1:]
	}
}
