package eligibility

import (
	"reflect"
	"testing"
)

func TestChanges(t *testing.T) {
	essex := Area{ID: "essex", Name: "Essex", Rules: DefaultRules, Leads: []string{"lead@drive.example"}, IDVADomains: []string{"idva.example"}}
	tests := []struct {
		name string
		old  *Area
		to   func(a Area) Area
		want []Change
	}{
		{"created", nil, func(a Area) Area { return a }, []Change{{What: "Created", To: "Essex"}}},
		{"nothing", &essex, func(a Area) Area { return a }, nil},
		{"threshold and MARAC", &essex, func(a Area) Area { a.Rules.DashThreshold, a.Rules.MARACQualifies = 12, false; return a },
			[]Change{{"DASH threshold", "14", "12"}, {"A MARAC referral qualifies", "Yes", "No"}}},
		{"leads and domains", &essex, func(a Area) Area {
			a.Leads, a.IDVADomains = []string{"lead@drive.example", "two@drive.example"}, nil
			return a
		}, []Change{{"Leads", "lead@drive.example", "lead@drive.example, two@drive.example"}, {"IDVA email domains", "idva.example", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Changes(tt.old, tt.to(essex)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
