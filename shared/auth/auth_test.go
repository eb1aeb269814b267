package auth_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/driveprogramme/referrals/shared/auth"
	"github.com/driveprogramme/referrals/shared/referral"
)

func TestFromAuthorizer(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]string
		claim  string
		want   []auth.Role
		ok     bool
	}{
		{"API Gateway's bracketed array", map[string]string{"sub": "u1", "roles": "[officer area-lead]"}, "roles", []auth.Role{auth.Officer, auth.AreaLead}, true},
		{"one role as a plain string", map[string]string{"sub": "u1", "roles": "admin"}, "roles", []auth.Role{auth.Admin}, true},
		{"comma-separated", map[string]string{"sub": "u1", "roles": "officer,case-manager"}, "roles", []auth.Role{auth.Officer, auth.CaseManager}, true},
		{"Cognito groups, others' roles ignored", map[string]string{"sub": "u1", "cognito:groups": "[finance case-manager]"}, "cognito:groups", []auth.Role{auth.CaseManager}, true},
		{"the roles claim is configured, not guessed", map[string]string{"sub": "u1", "roles": "[admin]"}, "groups", nil, true},
		{"no subject", map[string]string{"roles": "[admin]"}, "roles", []auth.Role{auth.Admin}, false},
		{"no claims at all", nil, "roles", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := auth.FromAuthorizer(tt.claims, tt.claim)
			if ok != tt.ok || !slices.Equal(id.Roles, tt.want) {
				t.Errorf("got %v %v, want %v %v", id.Roles, ok, tt.want, tt.ok)
			}
		})
	}
	id, _ := auth.FromAuthorizer(map[string]string{"sub": "u1", "email": "Alex.Morgan@Drive.Example", "preferred_username": "alex"}, "roles")
	if id.Email != "alex.morgan@drive.example" || id.Name != "alex" {
		t.Errorf("got email %q name %q, want the email lower-cased and the username for a missing name", id.Email, id.Name)
	}
}

func TestFromJSON(t *testing.T) {
	id, ok := auth.FromJSON(map[string]any{"sub": "u1", "name": "Alex", "roles": []any{"case-manager", 7, "officer"}}, "roles")
	if !ok || id.Name != "Alex" || !slices.Equal(id.Roles, []auth.Role{auth.CaseManager, auth.Officer}) {
		t.Errorf("got %+v %v", id, ok)
	}
}

type directory map[string]auth.Staff

func (d directory) Staff(_ context.Context, email string) (auth.Staff, error) {
	if email == "down@drive.example" {
		return auth.Staff{}, errors.New("table unavailable")
	}
	return d[email], nil
}

func TestPolicy(t *testing.T) {
	dir := directory{
		"cm1@drive.example":  {CaseManagerID: "essex-cm1", CaseManagerArea: "essex"},
		"cm2@drive.example":  {CaseManagerID: "essex-cm2", CaseManagerArea: "essex"},
		"lead@drive.example": {Leads: []string{"essex"}},
	}
	rec := referral.Record{Reference: "DRV-7K4M-Q9TX", Referral: referral.Referral{Area: "essex"},
		SubmittedBy: &referral.Submitter{Subject: "officer-1"}, CaseManager: &referral.Assignee{ID: "essex-cm1"}}
	resolve := func(sub, email string, roles ...auth.Role) auth.Principal {
		p, err := auth.Resolve(context.Background(), auth.Identity{Subject: sub, Email: email, Roles: roles}, dir)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name                            string
		p                               auth.Principal
		sees, made, holds, colleague    bool
		leads, areas, managers, reports bool
	}{
		{"the officer who referred", resolve("officer-1", "o1@police.example", auth.Officer), true, true, false, false, false, false, false, false},
		{"another officer", resolve("officer-2", "o2@police.example", auth.Officer), false, false, false, false, false, false, false, false},
		{"the same subject without the officer role", resolve("officer-1", "o1@police.example"), false, false, false, false, false, false, false, false},
		{"the case manager holding it", resolve("cm-1", "cm1@drive.example", auth.CaseManager), true, false, true, false, false, false, false, false},
		{"a colleague of the area", resolve("cm-2", "cm2@drive.example", auth.CaseManager), false, false, false, true, false, false, false, false},
		{"a case manager's email without the role", resolve("cm-1", "cm1@drive.example", auth.Officer), false, false, false, false, false, false, false, false},
		{"the area's lead", resolve("lead", "lead@drive.example", auth.AreaLead), true, false, false, false, true, true, true, true},
		{"a lead of no area", resolve("lead2", "lead2@drive.example", auth.AreaLead), false, false, false, false, false, false, false, false},
		{"an admin", resolve("admin", "admin@drive.example", auth.Admin), false, false, false, false, false, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			got := []bool{p.MaySee(rec), p.Made(rec), p.Holds(rec), p.IsColleague(rec), p.LeadsArea("essex"), p.MayReadArea("essex"), p.MayManageCaseManagers("essex"), p.MayReadReport("essex")}
			want := []bool{tt.sees, tt.made, tt.holds, tt.colleague, tt.leads, tt.areas, tt.managers, tt.reports}
			if !slices.Equal(got, want) {
				t.Errorf("sees, made, holds, colleague, leads, areas, managers, reports: got %v, want %v", got, want)
			}
			// Staff's notes: the case manager holding it and the area's leads.
			if got, want := p.MaySeeStaffNotes(rec), tt.holds || tt.leads; got != want {
				t.Errorf("sees staff's notes: got %v, want %v", got, want)
			}
		})
	}
	if _, err := auth.Resolve(context.Background(), auth.Identity{Subject: "x", Email: "down@drive.example", Roles: []auth.Role{auth.CaseManager}}, dir); err == nil {
		t.Error("a directory that fails: got no error, want it passed on (a 503, not a silent refusal)")
	}
}

// TestEmailVerified (issue 13, found by a fresh tester): a token whose
// email_verified claim is present and not true gives an identity with no
// email, so that it matches no member of staff and receives no outcome;
// an absent claim trusts the provider (Entra ID omits it).
func TestEmailVerified(t *testing.T) {
	const email = "alex@drive.example"
	json := []struct {
		name     string
		verified any
		present  bool
		want     string
	}{
		{"absent: the provider is trusted", nil, false, email},
		{"true", true, true, email},
		{"false", false, true, ""},
		{"the string true is not a boolean", "true", true, ""},
		{"the string false", "false", true, ""},
		{"null", nil, true, ""},
		{"a number", 1.0, true, ""},
	}
	for _, tt := range json {
		t.Run("JSON "+tt.name, func(t *testing.T) {
			claims := map[string]any{"sub": "u1", "email": email}
			if tt.present {
				claims["email_verified"] = tt.verified
			}
			if id, _ := auth.FromJSON(claims, "roles"); id.Email != tt.want {
				t.Errorf("got email %q, want %q", id.Email, tt.want)
			}
		})
	}
	authorizer := []struct {
		name     string
		verified string
		present  bool
		want     string
	}{
		{"absent: the provider is trusted", "", false, email},
		{"true", "true", true, email},
		{"false", "false", true, ""},
		{"empty", "", true, ""},
		{"anything else", "yes", true, ""},
	}
	for _, tt := range authorizer {
		t.Run("authorizer "+tt.name, func(t *testing.T) {
			claims := map[string]string{"sub": "u1", "email": email}
			if tt.present {
				claims["email_verified"] = tt.verified
			}
			if id, _ := auth.FromAuthorizer(claims, "roles"); id.Email != tt.want {
				t.Errorf("got email %q, want %q", id.Email, tt.want)
			}
		})
	}
}
