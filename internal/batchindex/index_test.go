package batchindex_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/batchindex"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/testkit"
)

func TestIndexAndLookup(t *testing.T) {
	keyID := strings.Repeat("ab", 32)
	path := filepath.Join(t.TempDir(), "b.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	s := testkit.WriteBatch(t, f, "dept-a", keyID, n)
	_ = f.Close()
	h := batch.Header{ID: "b", Issuer: "dept-a", KeyID: keyID, Root: s.Root, Count: s.Count, FileHash: s.FileHash, RecordKind: batch.RecordKindV1, Types: s.Types}
	if _, _, err := batchindex.Lookup(path, "b", testkit.BatchID(1)); !errors.Is(err, batchindex.ErrNoIndex) {
		t.Fatalf("no index: %v", err)
	}
	if err := batchindex.Index(path, "dept-a", keyID); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 511, 512, n - 1} {
		rec, p, err := batchindex.Lookup(path, "b", testkit.BatchID(i))
		if err != nil || p.Index != i || p.Verify(rec, h) != nil {
			t.Fatalf("%s: %v %+v", testkit.BatchID(i), err, p)
		}
	}
	if _, _, err := batchindex.Lookup(path, "b", testkit.BatchID(n)); err == nil || errors.Is(err, batchindex.ErrNoIndex) {
		t.Fatalf("absent id: %v", err)
	}
	if err := os.WriteFile(batchindex.IndexPath(path), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := batchindex.Lookup(path, "b", testkit.BatchID(1)); !errors.Is(err, batchindex.ErrNoIndex) {
		t.Fatalf("corrupt index: %v", err)
	}
}
