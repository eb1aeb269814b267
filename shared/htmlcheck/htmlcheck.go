// Package htmlcheck reads a rendered page with an HTML parser and finds
// what makes a form lie about what was clicked or typed: element ids used
// twice, labels that name another control (or none), controls without a
// label, and references (aria-describedby, aria-labelledby, in-page links
// such as the error summary's) to ids the page does not have.
//
// The rule comes from the GOV.UK Design System and WCAG 2.2 (1.3.1 Info and
// Relationships, 4.1.2 Name, Role, Value): an id is unique in its page, and
// each label is programmatically tied to its own control. A browser
// resolves label[for] to the first element with that id, so a duplicated
// id sends a click on one label's text to another control (issue 11: the
// words "Stalking or harassment" ticked "Sexual"). The tests of every page
// run Check on each page they render.
package htmlcheck

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Check parses page and returns a problem, in words, for each element id
// used more than once; each label whose for attribute names no element,
// names something other than an input, select or textarea, names a control
// outside the label's own group (its parent element), or names a control
// that another label names too; each control (other than hidden inputs and
// buttons) that no label names; and each aria-describedby,
// aria-labelledby or href="#..." that names an id the page lacks. It
// returns nil for a page with none of these, and a single problem for a
// page that does not parse.
func Check(page []byte) []string {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return []string{"the page does not parse as HTML: " + err.Error()}
	}
	var (
		problems []string
		byID     = map[string][]*html.Node{}
		labels   []*html.Node
		controls []*html.Node
		refs     []reference
	)
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if id, ok := attr(n, "id"); ok {
				byID[id] = append(byID[id], n)
			}
			switch {
			case n.DataAtom == atom.Label:
				labels = append(labels, n)
			case isControl(n):
				controls = append(controls, n)
			}
			for _, name := range []string{"aria-describedby", "aria-labelledby"} {
				if v, ok := attr(n, name); ok {
					for _, id := range strings.Fields(v) {
						refs = append(refs, reference{n, name, id})
					}
				}
			}
			if href, ok := attr(n, "href"); ok && n.DataAtom == atom.A && strings.HasPrefix(href, "#") && len(href) > 1 {
				refs = append(refs, reference{n, "href", href[1:]})
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)

	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		switch nodes := byID[id]; {
		case id == "" || strings.ContainsAny(id, " \t\n\f\r"):
			problems = append(problems, fmt.Sprintf("%s has the id %q, which is empty or has spaces", describe(nodes[0]), id))
		case len(nodes) > 1:
			var what []string
			for _, n := range nodes {
				what = append(what, describe(n))
			}
			problems = append(problems, fmt.Sprintf("the id %q is used %d times: %s", id, len(nodes), strings.Join(what, ", ")))
		}
	}

	labelled := map[*html.Node]*html.Node{} // control → the first label naming it
	for _, l := range labels {
		target, hasFor := attr(l, "for")
		if !hasFor {
			if c := firstControl(l); c != nil {
				labelled[c] = l // a control wrapped in its label
			}
			continue
		}
		nodes := byID[target]
		if len(nodes) == 0 {
			problems = append(problems, fmt.Sprintf("%s names the id %q, which no element has", describe(l), target))
			continue
		}
		c := nodes[0] // what a browser ticks or focuses when the label is clicked
		if !isControl(c) {
			problems = append(problems, fmt.Sprintf("%s names %s, which is not an input, select or textarea", describe(l), describe(c)))
			continue
		}
		if l.Parent != nil && !contains(l.Parent, c) {
			problems = append(problems, fmt.Sprintf("%s names %s, which is not in the label's own group", describe(l), describe(c)))
		}
		if first, ok := labelled[c]; ok {
			problems = append(problems, fmt.Sprintf("%s and %s both name %s", describe(first), describe(l), describe(c)))
			continue
		}
		labelled[c] = l
	}
	for _, c := range controls {
		_, aria := attr(c, "aria-label")
		_, ariaBy := attr(c, "aria-labelledby")
		if _, ok := labelled[c]; !ok && !aria && !ariaBy {
			problems = append(problems, fmt.Sprintf("%s has no label", describe(c)))
		}
	}
	for _, r := range refs {
		if len(byID[r.id]) == 0 {
			problems = append(problems, fmt.Sprintf("%s's %s names the id %q, which no element has", describe(r.from), r.attr, r.id))
		}
	}
	return problems
}

type reference struct {
	from     *html.Node
	attr, id string
}

// isControl reports whether n is a form control a person fills in or
// ticks: an input other than hidden or a button, a select, a textarea.
func isControl(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Select, atom.Textarea:
		return true
	case atom.Input:
		t, _ := attr(n, "type")
		switch strings.ToLower(t) {
		case "hidden", "submit", "button", "reset", "image":
			return false
		}
		return true
	}
	return false
}

func firstControl(n *html.Node) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && isControl(c) {
			return c
		}
		if found := firstControl(c); found != nil {
			return found
		}
	}
	return nil
}

func contains(ancestor, n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p == ancestor {
			return true
		}
	}
	return false
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// describe names an element as a person reading the page would find it:
// its tag, id or name, and for a label its words.
func describe(n *html.Node) string {
	var b strings.Builder
	b.WriteString("<" + n.Data)
	for _, k := range []string{"id", "for", "name", "type", "value"} {
		if v, ok := attr(n, k); ok {
			fmt.Fprintf(&b, " %s=%q", k, v)
		}
	}
	b.WriteString(">")
	if n.DataAtom == atom.Label || n.DataAtom == atom.A {
		text := strings.Join(strings.Fields(textOf(n)), " ")
		if len(text) > 60 {
			text = text[:60] + "…"
		}
		fmt.Fprintf(&b, " (%q)", text)
	}
	return b.String()
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}
