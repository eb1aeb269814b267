package phone_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestOnlyIntakeAndCasesLinkThePhoneLibrary keeps the phone-number library
// (1.5 MB of a zipped function) out of the functions that never read a
// typed number or show one: importing this package from a shared one they
// link (referral, dynamo, web…) would put it in all of them. Intake reads
// typed numbers; cases shows them on the case page as people read them.
func TestOnlyIntakeAndCasesLinkThePhoneLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{if eq .Name "main"}}{{.ImportPath}} {{join .Deps " "}}{{end}}`, "../../functions/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	var linking []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fn, deps, _ := strings.Cut(line, " ")
		if slices.Contains(strings.Fields(deps), "github.com/nyaruka/phonenumbers") {
			linking = append(linking, fn[strings.LastIndex(fn, "/")+1:])
		}
	}
	slices.Sort(linking)
	if !slices.Equal(linking, []string{"cases", "intake"}) {
		t.Errorf("got the phone library linked by %v, want cases and intake only", linking)
	}
}
