package batchstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/certledger/certledger/gateway/internal/batchstore"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/gm"
)

var keyID = strings.Repeat("cd", 32)

func file(t *testing.T, n int) ([]byte, batch.Header) {
	t.Helper()
	var buf bytes.Buffer
	w := batch.NewWriter(&buf, "dept-a", keyID)
	for i := 0; i < n; i++ {
		r := batch.Record{ID: fmt.Sprintf("c-%05d", i), DocHash: gm.SM3Hex([]byte(fmt.Sprint(i))), Type: "business-licence", Issuer: "dept-a",
			HolderCommitment: gm.SM3Hex([]byte("h")), ValidFrom: "2026-01-01T00:00:00Z", KeyID: keyID}
		if err := w.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), batch.Header{ID: "b-1", Issuer: "dept-a", KeyID: keyID, Root: s.Root, Count: s.Count, FileHash: s.FileHash, RecordKind: s.RecordKind, Types: s.Types}
}

// failing returns the first n bytes of b, then an error (a connection cut).
type failing struct {
	r io.Reader
}

func (f *failing) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("connection reset")
	}
	return n, err
}

func TestInterruptedUploadResumesToTheSameFile(t *testing.T) {
	st, err := batchstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, h := file(t, 2000)
	total := int64(len(data))
	// A chunk cut after 1000 bytes keeps them.
	got, err := st.Append("dept-a", "b-1", 0, total, &failing{bytes.NewReader(data[:1000])})
	if err == nil || got != 1000 {
		t.Fatalf("interrupted chunk: %d, %v", got, err)
	}
	// Resending from 0 is refused with the staged offset; the client asks and resumes.
	if _, err := st.Append("dept-a", "b-1", 0, total, bytes.NewReader(data)); !errors.Is(err, batchstore.ErrOffset) {
		t.Fatalf("stale offset: %v", err)
	}
	off, _ := st.Offset("dept-a", "b-1")
	if off != 1000 {
		t.Fatalf("offset %d", off)
	}
	if _, err := st.Append("dept-a", "b-1", off, total, bytes.NewReader(data[off:])); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finalize(h); err != nil {
		t.Fatal(err)
	}
	stored, err := os.ReadFile(st.Path(h.FileHash))
	if err != nil || !bytes.Equal(stored, data) || !st.Has(h.FileHash) {
		t.Fatalf("stored file differs (%v)", err)
	}
	if off, _ := st.Offset("dept-a", "b-1"); off != 0 {
		t.Fatal("staging not emptied")
	}
	// A chunk past the announced size is refused and dropped.
	if _, err := st.Append("dept-a", "b-2", 0, 10, bytes.NewReader(data[:11])); !errors.Is(err, batchstore.ErrTooLarge) {
		t.Fatalf("oversized chunk: %v", err)
	}
}

func TestFilesThatDoNotRebuildTheRootAreRefused(t *testing.T) {
	data, h := file(t, 50)
	lines := bytes.SplitAfter(data, []byte("\n"))
	lines = lines[:len(lines)-1]
	join := func(ls ...[]byte) []byte { return bytes.Join(ls, nil) }
	oneByte := bytes.Clone(data)
	oneByte[bytes.Index(oneByte, []byte("2026-01-01"))+3] = '7' // 2027: still a valid record
	swapped := join(append(append(append([][]byte{}, lines[:3]...), lines[4], lines[3]), lines[5:]...)...)
	dropped := join(append(append([][]byte{}, lines[:3]...), lines[4:]...)...)
	wrongCount := h
	wrongCount.Count++
	for name, c := range map[string]struct {
		data []byte
		h    batch.Header
	}{
		"one byte changed":    {oneByte, h},
		"two records swapped": {swapped, h},
		"a record dropped":    {dropped, h},
		"leaf count differs":  {data, wrongCount},
		"duplicate id":        {join(append(append([][]byte{}, lines...), lines[0])...), h},
	} {
		st, _ := batchstore.Open(t.TempDir())
		if _, err := st.Append("dept-a", "b-1", 0, int64(len(c.data)), bytes.NewReader(c.data)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Finalize(c.h); !errors.Is(err, batch.ErrBadFile) {
			t.Errorf("%s: %v", name, err)
		}
		if st.Has(h.FileHash) {
			t.Errorf("%s: stored", name)
		}
		if off, _ := st.Offset("dept-a", "b-1"); off != 0 {
			t.Errorf("%s: the bad staged file was kept", name)
		}
	}
}

// TestTwoStoresOnOneDirectory: two gateways (two Stores) share a directory; a
// file staged through one is finished and stored through the other, and both
// see it.
func TestTwoStoresOnOneDirectory(t *testing.T) {
	dir := t.TempDir()
	a, _ := batchstore.Open(dir)
	b, _ := batchstore.Open(dir)
	data, h := file(t, 300)
	half := int64(len(data) / 2)
	if _, err := a.Append("dept-a", "b-1", 0, int64(len(data)), bytes.NewReader(data[:half])); err != nil {
		t.Fatal(err)
	}
	if off, _ := b.Offset("dept-a", "b-1"); off != half {
		t.Fatalf("the other gateway sees offset %d", off)
	}
	if _, err := b.Append("dept-a", "b-1", half, int64(len(data)), bytes.NewReader(data[half:])); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Finalize(h); err != nil {
		t.Fatal(err)
	}
	if !a.Has(h.FileHash) || !b.Has(h.FileHash) {
		t.Fatal("stored file not visible to both")
	}
}

// TestStagingIsPerDepartment: another department's upload under the same batch
// id neither moves the issuer's offset nor becomes the batch's file.
func TestStagingIsPerDepartment(t *testing.T) {
	st, _ := batchstore.Open(t.TempDir())
	data, h := file(t, 20)
	if _, err := st.Append("dept-b", "b-1", 0, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if off, _ := st.Offset("dept-a", "b-1"); off != 0 {
		t.Fatalf("dept-b's bytes count for dept-a: offset %d", off)
	}
	if _, err := st.Finalize(h); !errors.Is(err, batchstore.ErrNotFound) {
		t.Fatalf("finalized from another department's staging: %v", err)
	}
	if _, err := st.Append("dept-a", "b-1", 0, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finalize(h); err != nil || !st.Has(h.FileHash) {
		t.Fatalf("issuer's upload: %v", err)
	}
	for _, bad := range [][2]string{{"../x", "b-1"}, {"dept-a", "../b"}, {"", "b-1"}} {
		if _, err := st.Append(bad[0], bad[1], 0, 1, strings.NewReader("x")); err == nil {
			t.Errorf("Append(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
