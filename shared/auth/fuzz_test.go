package auth

import (
	"context"
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
		resolve(t, id)
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
		resolve(t, id)
	})
}

// everyone is a directory in which every address is a case manager's and
// an area lead's.
type everyone struct{ asked []string }

func (d *everyone) Staff(_ context.Context, email string) (Staff, error) {
	d.asked = append(d.asked, email)
	return Staff{CaseManagerID: "kent-cm1", CaseManagerArea: "kent", Leads: []string{"kent"}}, nil
}

// resolve fails t unless the principal of id holds only what its roles
// cover: a caseload only for a case manager, areas led only for a lead,
// and the directory asked only by a non-empty address.
func resolve(t *testing.T, id Identity) {
	t.Helper()
	dir := &everyone{}
	p, err := Resolve(context.Background(), id, dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.CaseManagerID != "" && !id.Has(CaseManager) {
		t.Fatalf("roles %v: got case manager %q, want none without the role", id.Roles, p.CaseManagerID)
	}
	if len(p.Leads) > 0 && !id.Has(AreaLead) {
		t.Fatalf("roles %v: got leads %v, want none without the role", id.Roles, p.Leads)
	}
	if slices.Contains(dir.asked, "") {
		t.Fatalf("got the directory asked for an empty address")
	}
}
