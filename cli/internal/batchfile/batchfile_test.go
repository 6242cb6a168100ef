package batchfile_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/cli/internal/batchfile"
	"github.com/certledger/certledger/internal/batchindex"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/gm"
)

func TestBuildAndLookup(t *testing.T) {
	const n = 10_000
	var m strings.Builder
	m.WriteString("id,doc_hash,type,holder_id,valid_until\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&m, "c-%06d,%s,business-licence,ID%08d,2030-12-31\n", i, gm.SM3Hex([]byte(fmt.Sprint(i))), i)
	}
	dir := t.TempDir()
	keyID := strings.Repeat("ef", 32)
	b, err := batchfile.Build(strings.NewReader(m.String()), batchfile.Options{
		BatchID: "b-1", Dept: "dept-a", KeyID: keyID, OutDir: dir, Now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := b.Header
	h.Signature = "c2ln"
	if err := h.Validate(); err != nil || h.Count != n {
		t.Fatalf("header %+v: %v", h, err)
	}
	if fi, err := os.Stat(b.Salts); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("salts file mode %v %v", fi.Mode(), err)
	}
	f, _ := os.Open(b.File)
	sum, err := batch.Scan(f, "dept-a", keyID, nil)
	_ = f.Close()
	if err != nil || sum.Matches(h) != nil {
		t.Fatalf("file does not rebuild the header: %v %v", err, sum.Matches(h))
	}
	for _, i := range []int{0, 1, 4095, 4096, n - 1} {
		id := fmt.Sprintf("c-%06d", i)
		rec, proof, err := batchindex.Lookup(b.File, "b-1", id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.ID != id || proof.Index != i {
			t.Fatalf("%s: %+v %+v", id, rec, proof)
		}
		if err := proof.Verify(rec, h); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	if _, _, err := batchindex.Lookup(b.File, "b-1", "c-999999"); err == nil {
		t.Fatal("an absent id was found")
	}
	// The index rebuilt from the file answers the same.
	if err := os.Remove(batchindex.IndexPath(b.File)); err != nil {
		t.Fatal(err)
	}
	if err := batchindex.Index(b.File, "dept-a", keyID); err != nil {
		t.Fatal(err)
	}
	rec, proof, err := batchindex.Lookup(b.File, "b-1", "c-000777")
	if err != nil || proof.Verify(rec, h) != nil {
		t.Fatalf("rebuilt index: %v", err)
	}
	// A second build with the same id is refused.
	if _, err := batchfile.Build(strings.NewReader(m.String()), batchfile.Options{BatchID: "b-1", Dept: "dept-a", KeyID: keyID, OutDir: dir, Now: time.Now()}); err == nil {
		t.Fatal("batch id reused")
	}
}

func TestBuildRefusals(t *testing.T) {
	keyID := strings.Repeat("ef", 32)
	rows := func(extra string) string {
		var m strings.Builder
		m.WriteString("id,doc_hash,type,holder_id,valid_until\n")
		for i := 0; i < 3000; i++ {
			fmt.Fprintf(&m, "c-%06d,%s,licence,H%d,2030-12-31\n", i, gm.SM3Hex([]byte(fmt.Sprint(i))), i)
		}
		m.WriteString(extra)
		return m.String()
	}
	for name, c := range map[string]struct{ manifest, want string }{
		"duplicate id":     {rows("c-000007," + gm.SM3Hex([]byte("x")) + ",licence,H,2030-12-31\n"), "line 3002: bad batch file: record 3001: duplicate certificate id c-000007"},
		"bad valid_until":  {rows("c-x," + gm.SM3Hex([]byte("x")) + ",licence,H,someday\n"), "line 3002"},
		"bad doc_hash":     {rows("c-y,XYZ,licence,H,2030-12-31\n"), "doc_hash must be 64 lowercase hex"},
		"300 years ahead":  {rows("c-z," + gm.SM3Hex([]byte("z")) + ",licence,H,2330-12-31\n"), "valid-until: too far ahead"},
		"before 1949":      {"id,doc_hash,type,holder_id,valid_until,valid_from\nc-w," + gm.SM3Hex([]byte("w")) + ",licence,H,2030-12-31,1900-01-01\n", "before the earliest validity time"},
		"missing document": {"file,type,holder_id,valid_until\nnope.pdf,licence,H,2030-12-31\n", "hashing nope.pdf"},
	} {
		_, err := batchfile.Build(strings.NewReader(c.manifest), batchfile.Options{BatchID: "b", Dept: "dept-a", KeyID: keyID, OutDir: t.TempDir(), Dir: t.TempDir(), Now: time.Now()})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
