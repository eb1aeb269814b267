package local

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/driveprogramme/referrals/shared/allocation"
	"github.com/driveprogramme/referrals/shared/dynamo"
	"github.com/driveprogramme/referrals/shared/eligibility"
)

// SeedArea is an area with its case managers, as the seed files hold them.
type SeedArea struct {
	eligibility.Area
	CaseManagers []allocation.CaseManager `json:"caseManagers"`
}

// Seed writes areas and their case managers through the same store the
// functions use.
func Seed(ctx context.Context, store *dynamo.Store, areas []SeedArea) error {
	for _, a := range areas {
		if _, err := store.PutArea(ctx, a.Area); err != nil {
			return err
		}
		for _, m := range a.CaseManagers {
			m.Area = a.ID
			if err := store.PutCaseManager(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// LoadSeed reads a seed file ({"areas": [...]}) strictly, and checks what
// it can, so that a mistake in it is reported with the file's name.
func LoadSeed(path string) ([]SeedArea, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load seed: %w", err)
	}
	defer f.Close()
	var file struct {
		Areas []SeedArea `json:"areas"`
	}
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("load seed %s: %w", path, err)
	}
	var problems []string
	for i, a := range file.Areas {
		if a.ID == "" || a.Name == "" {
			problems = append(problems, fmt.Sprintf("areas[%d] needs an id and a name", i))
		}
		for j, m := range a.CaseManagers {
			if m.ID == "" || m.Email == "" || m.Capacity < 0 {
				problems = append(problems, fmt.Sprintf("areas[%d].caseManagers[%d] needs an id, an email and a capacity of 0 or more", i, j))
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("load seed %s: %s", path, strings.Join(problems, "; "))
	}
	return file.Areas, nil
}
