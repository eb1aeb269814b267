package auth

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// checkIdentity fails t unless id is what any claims may give: a subject
// exactly when ok, a lowercase email, and only Drive's roles, each once.
func checkIdentity(t *testing.T, id Identity, ok bool) {
	t.Helper()
	if ok != (id.Subject != "") {
		t.Fatalf("got ok %v with subject %q, want ok exactly when there is a subject", ok, id.Subject)
	}
	if id.Email != strings.ToLower(id.Email) {
		t.Fatalf("got email %q, want it lowercase", id.Email)
	}
	for i, r := range id.Roles {
		if !slices.Contains(Roles, r) {
			t.Fatalf("got role %q, want only Drive's roles %v", r, Roles)
		}
		if slices.Contains(id.Roles[:i], r) {
			t.Fatalf("got roles %v, want each once", id.Roles)
		}
	}
}

// FuzzFromAuthorizer: whatever string claims API Gateway's JWT authorizer
// passes, the identity read from them holds only what checkIdentity allows.
func FuzzFromAuthorizer(f *testing.F) {
	f.Fuzz(func(t *testing.T, sub, email, name, username, roles string) {
		claims := map[string]string{"sub": sub, "email": email, "name": name, "preferred_username": username, "roles": roles}
		id, ok := FromAuthorizer(claims, "roles")
		checkIdentity(t, id, ok)
		if !strings.Contains(roles, "admin") && id.Has(Admin) {
			t.Fatalf("got the admin role from roles %q", roles)
		}
	})
}

// FuzzFromJSON: whatever a verified token's payload holds (any JSON
// types), the identity read from it holds only what checkIdentity allows.
func FuzzFromJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		var claims map[string]any
		if json.Unmarshal(payload, &claims) != nil {
			return
		}
		id, ok := FromJSON(claims, "roles")
		checkIdentity(t, id, ok)
	})
}
