package loadcmd

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// TestWriteManifest: a header and n rows of id, SM3 of seed+i, type, holder,
// validity; ids as manifestID names them.
func TestWriteManifest(t *testing.T) {
	var b bytes.Buffer
	if err := writeManifest(&b, "fb-x-", "business-licence", "seed", 3); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 4 || lines[0] != "id,doc_hash,type,holder_id,valid_until" {
		t.Fatalf("manifest:\n%s", b.String())
	}
	for i, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 5 || f[0] != manifestID("fb-x-", i) || !wire.ValidID(f[0]) || !wire.ValidHash(f[1]) ||
			f[1] != gm.SM3Hex([]byte("seed"+string(rune('0'+i)))) || f[2] != "business-licence" || f[4] != "2031-12-31" {
			t.Fatalf("row %d: %q", i, l)
		}
	}
	if manifestID("p-", 999999) != "p-00999999" {
		t.Fatal(manifestID("p-", 999999))
	}
}

func TestBatchUsageErrors(t *testing.T) {
	run(t, 2, "fabric", "--batch", "-1")
	run(t, 2, "fabric", "--batch", "4000001")
	run(t, 2, "fabric", "--batch", "10", "--group", "10")
}

// TestBatchFabricOnDevnet runs fabric --batch --with-devnet through the
// connection profiles of an in-process devnet (the path a real network takes,
// without Fabric), then on a devnet process: the real CLI, a gateway process
// with a read model, the batch answered by the model on both.
func TestBatchFabricOnDevnet(t *testing.T) {
	skipE2E(t)
	gw, dn := groupTools(t)
	cliBin := filepath.Join(t.TempDir(), "certledger")
	if out, err := exec.Command("go", "build", "-o", cliBin, "github.com/certledger/certledger/cli/cmd/certledger").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	profiles := inProcessProfiles(t)
	out := run(t, 0, "fabric", "-profiles", profiles, "--batch", "300",
		"--gateway-bin", gw, "--cli-bin", cliBin, "--with-devnet", "--devnet-bin", dn)
	wantClean(t, out, "a 300-certificate Merkle batch", "end to end", "real Fabric", "devnet", "gateway peak RSS", "CLI CPU-s")
}
