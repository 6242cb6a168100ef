package batchindex_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/batchindex"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/gm"
)

func TestIndexAndLookup(t *testing.T) {
	keyID := strings.Repeat("ab", 32)
	path := filepath.Join(t.TempDir(), "b.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := batch.NewWriter(f, "dept-a", keyID)
	const n = 1000
	for i := 0; i < n; i++ {
		r := batch.Record{ID: fmt.Sprintf("c-%04d", i), DocHash: gm.SM3Hex([]byte(fmt.Sprint(i))), Type: "t", Issuer: "dept-a",
			HolderCommitment: gm.SM3Hex([]byte("h")), ValidFrom: "2026-01-01T00:00:00Z", KeyID: keyID}
		if err := w.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	h := batch.Header{ID: "b", Issuer: "dept-a", KeyID: keyID, Root: s.Root, Count: s.Count, FileHash: s.FileHash, RecordKind: batch.RecordKindV1, Types: s.Types}
	if _, _, err := batchindex.Lookup(path, "b", "c-0001"); !errors.Is(err, batchindex.ErrNoIndex) {
		t.Fatalf("no index: %v", err)
	}
	if err := batchindex.Index(path, "dept-a", keyID); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 511, 512, n - 1} {
		rec, p, err := batchindex.Lookup(path, "b", fmt.Sprintf("c-%04d", i))
		if err != nil || p.Index != i || p.Verify(rec, h) != nil {
			t.Fatalf("c-%04d: %v %+v", i, err, p)
		}
	}
	if _, _, err := batchindex.Lookup(path, "b", "c-9999"); err == nil || errors.Is(err, batchindex.ErrNoIndex) {
		t.Fatalf("absent id: %v", err)
	}
	if err := os.WriteFile(batchindex.IndexPath(path), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := batchindex.Lookup(path, "b", "c-0001"); !errors.Is(err, batchindex.ErrNoIndex) {
		t.Fatalf("corrupt index: %v", err)
	}
}
