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
