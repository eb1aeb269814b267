// Package auth says who is calling and what they may do. The identity
// comes only from verified tokens: from the claims API Gateway's JWT
// authorizer passes to the function, or from the session cookie of the
// browser pages, verified here. What each role may see and do is decided
// in one place (policy.go) from the identity and Drive's own records.
package auth

import (
	"errors"
	"slices"
	"strings"
)

// Role is what a signed-in person is to Drive; the identity provider
// issues it in the roles claim.
type Role string

// The roles.
const (
	// Officer makes referrals and sees and withdraws their own.
	Officer Role = "officer"
	// CaseManager sees, accepts and closes the cases allocated to them.
	CaseManager Role = "case-manager"
	// AreaLead sees an area's referrals and cases, reallocates, manages the
	// area's case managers and reads its report.
	AreaLead Role = "area-lead"
	// Admin manages areas and any case manager.
	Admin Role = "admin"
)

// Roles are every role, in the order the README lists them.
var Roles = []Role{Officer, CaseManager, AreaLead, Admin}

// Identity is a signed-in person, as their verified token says.
type Identity struct {
	Subject string `json:"sub"`
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	Roles   []Role `json:"roles,omitempty"`
}

// Has reports whether the identity holds role r.
func (id Identity) Has(r Role) bool { return slices.Contains(id.Roles, r) }

// Claims gives a claim's values by name: one for a string, several for an
// array, none when absent.
type Claims func(name string) []string

// fromClaims reads an identity. Roles Drive does not know are ignored, so
// that an identity provider shared with other services may issue its own.
func fromClaims(get Claims, rolesClaim string) (Identity, bool) {
	id := Identity{Subject: first(get("sub")), Name: first(get("name"))}
	if emailVerified(get(verifiedClaim)) {
		id.Email = strings.ToLower(first(get("email")))
	}
	if id.Name == "" {
		id.Name = first(get("preferred_username"))
	}
	for _, r := range get(rolesClaim) {
		if role := Role(r); slices.Contains(Roles, role) && !id.Has(role) {
			id.Roles = append(id.Roles, role)
		}
	}
	return id, id.Subject != ""
}

// emailVerified reports whether the token's email may be trusted, from
// its email_verified claim (OpenID Connect Core 1.0, section 5.1): only
// the boolean true (the string "true" through API Gateway, which passes
// every claim as a string) where the claim is present. An email the
// provider says it has not verified may be anybody's: it must not match
// a member of staff, nor receive a referral's outcome, so the identity
// then has no email. An absent claim trusts the provider: Microsoft Entra
// ID omits it, and issues only the addresses of its own directory.
func emailVerified(v []string) bool {
	if v == nil {
		return true
	}
	return len(v) == 1 && v[0] == "true"
}

// verifiedClaim is the OpenID Connect claim saying whether the email is
// verified.
const verifiedClaim = "email_verified"

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// FromAuthorizer reads the identity from the claims API Gateway's JWT
// authorizer verified: every value is a string there, and an array claim
// arrives as "[a b c]". It reports false when there is no subject, which
// only happens on a route without the authorizer.
func FromAuthorizer(claims map[string]string, rolesClaim string) (Identity, bool) {
	return fromClaims(func(name string) []string {
		v, ok := claims[name]
		if ok && name == verifiedClaim {
			return []string{v} // present, even empty: only "true" is true
		}
		if !ok || v == "" {
			return nil
		}
		if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
			return strings.Fields(v[1 : len(v)-1])
		}
		// A single role may arrive as a plain string, or comma-separated
		// from identity providers that flatten arrays that way.
		if name == rolesClaim {
			return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
		}
		return []string{v}
	}, rolesClaim)
}

// FromJSON reads the identity from a verified token's decoded claims.
func FromJSON(claims map[string]any, rolesClaim string) (Identity, bool) {
	return fromClaims(func(name string) []string {
		if name == verifiedClaim {
			// Only a JSON boolean true is true; anything else present
			// (false, "true", null, a number) is not.
			v, present := claims[name]
			switch {
			case !present:
				return nil
			case v == true:
				return []string{"true"}
			}
			return []string{"false"}
		}
		switch v := claims[name].(type) {
		case string:
			if name == rolesClaim {
				return strings.Fields(v)
			}
			return []string{v}
		case []any:
			var out []string
			for _, e := range v {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
			return out
		}
		return nil
	}, rolesClaim)
}

// ErrUnauthenticated: no verified identity.
var ErrUnauthenticated = errors.New("not signed in")
