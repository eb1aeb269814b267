package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/driveprogramme/referrals/infra/local"
	"github.com/driveprogramme/referrals/shared/allocation"
)

// demo reads what `make run` seeds: the areas and case managers, the demo
// users, and the README that describes them.
func demo(t *testing.T) ([]local.SeedArea, map[string]local.User, string) {
	t.Helper()
	areas, err := local.LoadSeed("../seed/demo.json")
	if err != nil {
		t.Fatal(err)
	}
	list, err := local.ReadUsers("../seed/users.json")
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]local.User{}
	for _, u := range list {
		users[u.Email] = u
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return areas, users, string(readme)
}

func areaNamed(areas []local.SeedArea, name string) *local.SeedArea {
	for i := range areas {
		if areas[i].Name == name {
			return &areas[i]
		}
	}
	return nil
}

var (
	tableRow = regexp.MustCompile(`(?m)^\| (case-manager|area-lead) \| (.*?) \|`)
	entry    = regexp.MustCompile("`([^`]+@[^`]+)`(?: \\(([^)]*)\\))?")
)

// TestDemoDataMatchesTheREADME: the README's table of demo users and its
// words about the demo areas are true of infra/seed: who leads which area,
// who manages cases where, who gets an area's first referral; every case
// manager and lead of the demo areas can sign in with the role that the
// records back.
func TestDemoDataMatchesTheREADME(t *testing.T) {
	areas, users, readme := demo(t)
	for _, a := range areas {
		for _, m := range a.CaseManagers {
			if u, ok := users[m.Email]; !ok || !slices.Contains(u.Roles, "case-manager") || u.Name != m.Name {
				t.Errorf("%s, a case manager of %s, is not a demo user with the case-manager role (users.json has %+v)", m.Email, a.Name, u)
			}
		}
		for _, l := range a.Leads {
			if u, ok := users[l]; !ok || !slices.Contains(u.Roles, "area-lead") {
				t.Errorf("%s, a lead of %s, is not a demo user with the area-lead role", l, a.Name)
			}
		}
	}

	rows := tableRow.FindAllStringSubmatch(readme, -1)
	if len(rows) != 2 {
		t.Fatalf("the README's table of demo users has %d rows for case managers and leads, want 2", len(rows))
	}
	listed := map[string]bool{}
	for _, row := range rows {
		role, cell := row[1], row[2]
		if role == "area-lead" {
			for _, e := range entry.FindAllStringSubmatch(cell, -1) {
				listed[e[1]] = true
				want := strings.FieldsFunc(strings.ReplaceAll(e[2], " and ", ", "), func(r rune) bool { return r == ',' })
				var leads []string
				for _, a := range areas {
					if slices.Contains(a.Leads, e[1]) {
						leads = append(leads, a.Name)
					}
				}
				for i := range want {
					want[i] = strings.TrimSpace(want[i])
				}
				slices.Sort(want)
				slices.Sort(leads)
				if !slices.Equal(leads, want) {
					t.Errorf("the README says %s leads %v; demo.json says %v", e[1], want, leads)
				}
			}
			continue
		}
		// Case managers: "Area: `email` (first), `email`; Area: ..."
		for _, part := range strings.Split(cell, ";") {
			name, emails, ok := strings.Cut(strings.TrimSpace(part), ":")
			a := areaNamed(areas, name)
			if !ok || a == nil {
				t.Errorf("the README lists case managers under %q, which is not a demo area", name)
				continue
			}
			first := allocation.Candidates(a.CaseManagers)
			for _, e := range entry.FindAllStringSubmatch(emails, -1) {
				listed[e[1]] = true
				i := slices.IndexFunc(a.CaseManagers, func(m allocation.CaseManager) bool { return m.Email == e[1] })
				switch {
				case i < 0:
					t.Errorf("the README lists %s under %s, whose case managers do not include them", e[1], a.Name)
				case e[2] == "first" && (len(first) == 0 || first[0].Email != e[1]):
					t.Errorf("the README says %s gets %s's first referral; allocation picks %v", e[1], a.Name, first)
				case e[2] == "inactive" && a.CaseManagers[i].Active:
					t.Errorf("the README says %s is inactive; demo.json says active", e[1])
				}
			}
		}
	}
	for _, a := range areas {
		for _, m := range a.CaseManagers {
			if !listed[m.Email] {
				t.Errorf("the README's table does not list %s, a case manager of %s", m.Email, a.Name)
			}
		}
		for _, l := range a.Leads {
			if !listed[l] {
				t.Errorf("the README's table does not list %s, a lead of %s", l, a.Name)
			}
		}
	}

	// The words of "Try it", each with what makes it true.
	sw := areaNamed(areas, "South Wales")
	claims := []struct {
		words string
		true_ bool
	}{
		{"The demo areas are Essex (`essex`), West Sussex\n(`west-sussex`) and South Wales (`south-wales`)", len(areas) == 3 &&
			areaNamed(areas, "Essex") != nil && areaNamed(areas, "Essex").ID == "essex" &&
			areaNamed(areas, "West Sussex") != nil && areaNamed(areas, "West Sussex").ID == "west-sussex" && sw != nil && sw.ID == "south-wales"},
		{"Dana Whitfield leads all three areas", func() bool {
			for _, a := range areas {
				if !slices.Contains(a.Leads, "dana.whitfield@drive.example") {
					return false
				}
			}
			return users["dana.whitfield@drive.example"].Name == "Dana Whitfield"
		}()},
		{"South Wales has one active case manager, Gareth Evans, with room for one case", func() bool {
			if sw == nil {
				return false
			}
			var active []allocation.CaseManager
			for _, m := range sw.CaseManagers {
				if m.Active {
					active = append(active, m)
				}
			}
			return len(active) == 1 && active[0].Name == "Gareth Evans" && active[0].Capacity == 1
		}()},
	}
	for _, c := range claims {
		if !strings.Contains(readme, c.words) {
			t.Errorf("the README no longer says %q: change this test with it", c.words)
		} else if !c.true_ {
			t.Errorf("the README says %q, and infra/seed says otherwise", c.words)
		}
	}
}

// TestREADMECommandsRunOnLinux: every command in the README's shell
// blocks is one of the tools the README asks for (make, curl, the AWS and
// SAM CLIs) or the shell's own: no macOS-only `open`.
func TestREADMECommandsRunOnLinux(t *testing.T) {
	_, _, readme := demo(t)
	known := []string{"make", "curl", "aws", "sam", "export"}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("the README has no shell blocks")
	}
	assignment := regexp.MustCompile(`^[A-Z_]+=\$\((.*)\)$`)
	for _, b := range blocks {
		for _, line := range strings.Split(b[1], "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "--") {
				continue // a comment, or a continued command's arguments
			}
			if m := assignment.FindStringSubmatch(line); m != nil {
				line = m[1]
			}
			if cmd := strings.Fields(line)[0]; !slices.Contains(known, cmd) {
				t.Errorf("the README runs %q (%s), which is not one of %v: it must run on Linux as written", cmd, line, known)
			}
		}
	}
}
