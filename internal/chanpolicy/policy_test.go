package chanpolicy_test

import (
	"errors"
	"testing"

	"github.com/certledger/certledger/internal/chanpolicy"
)

func TestParse(t *testing.T) {
	orgs := []string{"GovMSP", "DeptAMSP", "DeptBMSP", "DeptCMSP"}
	for _, tc := range []struct {
		in   string
		n    int
		msps int
	}{
		{"MAJORITY", 3, 4},
		{"", 3, 4},
		{"any", 1, 4},
		{"ALL", 4, 4},
		{"AND('GovMSP.peer', 'DeptAMSP.peer')", 2, 2},
		{"OR('GovMSP.member','DeptBMSP.peer')", 1, 2},
		{"OutOf(2, 'GovMSP.peer', 'DeptAMSP.peer', 'DeptBMSP.peer')", 2, 3},
	} {
		p, err := chanpolicy.Parse(tc.in, orgs)
		if err != nil || p.N != tc.n || len(p.MSPs) != tc.msps {
			t.Errorf("%q = %+v, %v", tc.in, p, err)
		}
	}
	for _, bad := range []string{"SOME", "AND()", "AND('X.peer')", "OutOf(3, 'GovMSP.peer')", "OR('GovMSP.admin')", "AND('GovMSP.peer','GovMSP.peer')", "OutOf(x, 'GovMSP.peer')"} {
		if _, err := chanpolicy.Parse(bad, orgs); !errors.Is(err, chanpolicy.ErrPolicy) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	p, _ := chanpolicy.Parse("MAJORITY", orgs)
	if plan := p.Plan("DeptBMSP"); len(plan) != 3 || plan[0] != "DeptBMSP" {
		t.Errorf("plan = %v", plan)
	}
	if !p.Satisfied(map[string]bool{"GovMSP": true, "DeptAMSP": true, "DeptCMSP": true}) || p.Satisfied(map[string]bool{"GovMSP": true, "DeptAMSP": true}) {
		t.Error("Satisfied")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"MAJORITY", "AND('A.peer','B.peer')", "OutOf(1, 'A.member')", "OR(", "OutOf(-1,)"} {
		f.Add(s)
	}
	orgs := []string{"A", "B", "C"}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := chanpolicy.Parse(s, orgs)
		if err != nil {
			return
		}
		if p.N < 1 || p.N > len(p.MSPs) || len(p.MSPs) > len(orgs) {
			t.Fatalf("%q parsed to an unsatisfiable policy %+v", s, p)
		}
		if !p.Satisfied(map[string]bool{"A": true, "B": true, "C": true}) {
			t.Fatalf("%q: all organisations do not satisfy %+v", s, p)
		}
	})
}
