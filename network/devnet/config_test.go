package devnet_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certledger/certledger/network/devnet"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "devnet.yaml")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg, err := devnet.LoadConfig(write(""))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Channel != "certledger" || len(cfg.Orgs) != 3 || cfg.Block.MaxTxCount != 500 || !cfg.TLSEnabled() ||
		len(cfg.InitArgs) != 2 || cfg.InitArgs[1] != "GovMSP" {
		t.Fatalf("defaults = %+v", cfg)
	}
	cfg, err = devnet.LoadConfig(write(`
channel: ledger
orgs:
  - {name: office, mspId: OfficeMSP, governance: true}
  - {name: tax, mspId: TaxMSP}
endorsementPolicy: "OR('OfficeMSP.peer', 'TaxMSP.peer')"
block: {maxTxCount: 10, timeout: 250ms}
tls: false
initArgs: []
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Channel != "ledger" || cfg.Block.Timeout != 250*time.Millisecond || cfg.TLSEnabled() || len(cfg.InitArgs) != 0 {
		t.Fatalf("parsed = %+v", cfg)
	}
	for _, bad := range []string{
		"chanel: x\n",
		"orgs: [{name: a, mspId: AMSP}]\n",
		"orgs: [{name: a, mspId: AMSP, governance: true}, {name: a, mspId: BMSP}]\n",
		"endorsementPolicy: SOME\n",
		"orgs: [{name: A B, mspId: AMSP, governance: true}]\n",
	} {
		if _, err := devnet.LoadConfig(write(bad)); !errors.Is(err, devnet.ErrConfig) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestParsePolicy(t *testing.T) {
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
		p, err := devnet.ParsePolicy(tc.in, orgs)
		if err != nil || p.N != tc.n || len(p.MSPs) != tc.msps {
			t.Errorf("%q = %+v, %v", tc.in, p, err)
		}
	}
	for _, bad := range []string{"SOME", "AND()", "AND('X.peer')", "OutOf(3, 'GovMSP.peer')", "OR('GovMSP.admin')", "AND('GovMSP.peer','GovMSP.peer')", "OutOf(x, 'GovMSP.peer')"} {
		if _, err := devnet.ParsePolicy(bad, orgs); !errors.Is(err, devnet.ErrPolicy) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	p, _ := devnet.ParsePolicy("MAJORITY", orgs)
	if plan := p.Plan("DeptBMSP"); len(plan) != 3 || plan[0] != "DeptBMSP" {
		t.Errorf("plan = %v", plan)
	}
	if !p.Satisfied(map[string]bool{"GovMSP": true, "DeptAMSP": true, "DeptCMSP": true}) || p.Satisfied(map[string]bool{"GovMSP": true, "DeptAMSP": true}) {
		t.Error("Satisfied")
	}
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"MAJORITY", "AND('A.peer','B.peer')", "OutOf(1, 'A.member')", "OR(", "OutOf(-1,)"} {
		f.Add(s)
	}
	orgs := []string{"A", "B", "C"}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := devnet.ParsePolicy(s, orgs)
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
