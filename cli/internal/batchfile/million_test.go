package batchfile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/certledger/certledger/cli/internal/batchfile"
	"github.com/certledger/certledger/internal/batchindex"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

// TestMillionBatch measures a batch built from a manifest of precomputed hashes
// (records, salts, tree, index) and its header signed. It runs only with
// CERTLEDGER_BATCH_ROWS set (e.g. 1000000); timings are printed, never asserted:
//
//	CERTLEDGER_BATCH_ROWS=1000000 go test -run TestMillionBatch -v ./cli/internal/batchfile/
func TestMillionBatch(t *testing.T) {
	n := testkit.EnvCount(t, "CERTLEDGER_BATCH_ROWS", "set CERTLEDGER_BATCH_ROWS=1000000 to measure a large batch")
	dir := t.TempDir()
	mpath := filepath.Join(dir, "manifest.csv")
	testkit.WriteManifest(t, mpath, "lic-", "business-licence", "", n)
	key, _ := gm.GenerateKey()
	m, _ := os.Open(mpath)
	defer func() { _ = m.Close() }() // read-only
	runtime.GC()
	t0 := time.Now()
	b, err := batchfile.Build(m, batchfile.Options{BatchID: "b-million", Dept: "dept-a", KeyID: gm.KeyID(&key.PublicKey), OutDir: dir, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	h := b.Header
	if h.Signature, err = canon.Sign(key, canon.KindBatchHeader, h); err != nil {
		t.Fatal(err)
	}
	d := time.Since(t0)
	fi, _ := os.Stat(b.File)
	ix, _ := os.Stat(b.Index)
	t0 = time.Now()
	rec, proof, err := batchindex.Lookup(b.File, h.ID, fmt.Sprintf("lic-%08d", n/2))
	if err != nil || proof.Verify(rec, h) != nil {
		t.Fatal(err)
	}
	lookup := time.Since(t0)
	t.Logf("%d records built + tree + index + header signed in %s (%.0f records/s); file %d MiB, index %d MiB; receipt lookup %s",
		n, d.Round(time.Millisecond), float64(n)/d.Seconds(), fi.Size()>>20, ix.Size()>>20, lookup)
}
