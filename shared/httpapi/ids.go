package httpapi

import "strings"

// ID tidies an id that a person typed into a path or a query (an area, a
// case manager) into the form ids are stored in: trimmed, lower-case, with
// hyphens for spaces ("  West Sussex " → "west-sussex"). It returns "" for
// a value with nothing in it. Access checks compare ids exactly, so a value
// is tidied before it is checked: untidied, "?area=Essex" was refused to
// the lead of essex.
func ID(typed string) string {
	return strings.ToLower(strings.Join(strings.Fields(typed), "-"))
}
