package batchstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/internal/batchstore"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
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
	if _, err := st.Finalize(h, nil); err != nil {
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
		if _, err := st.Finalize(c.h, nil); !errors.Is(err, batch.ErrBadFile) {
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
	if _, err := b.Finalize(h, nil); err != nil {
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
	if _, err := st.Finalize(h, nil); !errors.Is(err, batchstore.ErrNotFound) {
		t.Fatalf("finalized from another department's staging: %v", err)
	}
	if _, err := st.Append("dept-a", "b-1", 0, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finalize(h, nil); err != nil || !st.Has(h.FileHash) {
		t.Fatalf("issuer's upload: %v", err)
	}
	for _, bad := range [][2]string{{"../x", "b-1"}, {"dept-a", "../b"}, {"", "b-1"}} {
		if _, err := st.Append(bad[0], bad[1], 0, 1, strings.NewReader("x")); err == nil {
			t.Errorf("Append(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// v2 catalogue values: the department's code, another organisation's, a type.
const (
	deptCode  = "11330100MB1234567E"
	otherCode = "11430000006122244L"
	typeCode  = "11100000MB0143028R001"
)

// fileV2 is a v2 batch file of n records of dept-a whose record i goes
// through edit, and the header that the file rebuilds.
func fileV2(t *testing.T, n int, edit func(i int, r *batch.Record)) ([]byte, batch.Header) {
	t.Helper()
	var buf bytes.Buffer
	w := batch.NewWriter(&buf, "dept-a", keyID)
	for i := 0; i < n; i++ {
		gid, err := identifier.New(typeCode, deptCode, fmt.Sprintf("2026%07d", i), "001")
		if err != nil {
			t.Fatal(err)
		}
		r := batch.Record{RecordVersion: certificate.RecordV2, ID: gid.String(), DocHash: gm.SM3Hex([]byte(fmt.Sprint(i))), Type: typeCode,
			Name: "营业执照", Issuer: "dept-a", IssuerName: "市场监督管理局", IssuerCode: deptCode, IssueDate: "2026-01-01",
			HolderCodeType: certtype.HolderUSCC, HolderNameCommitment: gm.SM3Hex([]byte(fmt.Sprint("name", i))),
			HolderCodeCommitment: gm.SM3Hex([]byte(fmt.Sprint("code", i))), ValidFrom: "2026-01-01T00:00:00Z", KeyID: keyID}
		if edit != nil {
			edit(i, &r)
		}
		if err := w.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), batch.Header{ID: "b-2", Issuer: "dept-a", KeyID: keyID, Root: s.Root, Count: s.Count, FileHash: s.FileHash, RecordKind: s.RecordKind, Types: s.Types}
}

// TestV2RecordsCheckedAgainstTheLedger: the chaincode anchors a v2 header
// without seeing its records, so the store checks each record of the file
// against the registry's department and the catalogue's type
// (certificate.AuthorizeFields): a file that rebuilds its header but claims
// another organisation's code, another name or another holder code type is
// refused naming the line and the field, and nothing is stored.
func TestV2RecordsCheckedAgainstTheLedger(t *testing.T) {
	ty, err := certtype.New(certtype.Registration{Code: typeCode, Name: "营业执照", NameEn: "Business licence", DefiningBody: "国家市场监督管理总局",
		HolderCodeType: certtype.HolderUSCC, Issuers: []string{"dept-a"}}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "tx0")
	if err != nil {
		t.Fatal(err)
	}
	auth := &batchstore.Authority{Department: registry.Department{ID: "dept-a", Name: "市场监督管理局", Code: deptCode},
		Types: map[string]certtype.Type{typeCode: ty}}
	forged := func(edit func(r *batch.Record)) func(int, *batch.Record) {
		return func(i int, r *batch.Record) {
			if i == 2 {
				edit(r)
			}
		}
	}
	for _, c := range []struct {
		name  string
		edit  func(int, *batch.Record)
		auth  *batchstore.Authority
		field string // "" = stored
	}{
		{"records agree", nil, auth, ""},
		{"another organisation's issuerCode", forged(func(r *batch.Record) {
			gid, _ := identifier.New(typeCode, otherCode, "20269999999", "001")
			r.ID, r.IssuerCode = gid.String(), otherCode
		}), auth, "issuerCode"},
		{"another issuerName", forged(func(r *batch.Record) { r.IssuerName = "另一个局" }), auth, "issuerName"},
		{"another holderCodeType", forged(func(r *batch.Record) { r.HolderCodeType = certtype.HolderCitizenID }), auth, "holderCodeType"},
		{"type not in the catalogue", nil, &batchstore.Authority{Department: auth.Department}, "type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, h := fileV2(t, 5, c.edit)
			st, _ := batchstore.Open(t.TempDir())
			if _, err := st.Append("dept-a", h.ID, 0, int64(len(data)), bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			_, err := st.Finalize(h, c.auth)
			if c.field == "" {
				if err != nil || !st.Has(h.FileHash) {
					t.Fatalf("%v, stored %t", err, st.Has(h.FileHash))
				}
				return
			}
			line := "line 3 ("
			if c.field == "type" {
				line = "line 1 ("
			}
			if !errors.Is(err, batch.ErrBadFile) || !strings.Contains(err.Error(), line) || !strings.Contains(err.Error(), ": "+c.field) {
				t.Fatalf("%v", err)
			}
			if st.Has(h.FileHash) {
				t.Fatal("stored")
			}
			if off, _ := st.Offset("dept-a", h.ID); off != 0 {
				t.Fatal("the refused staged file was kept")
			}
		})
	}
	// A v2 header without the ledger's view is not checked blindly: refused,
	// the staged file kept for a retry.
	data, h := fileV2(t, 2, nil)
	st, _ := batchstore.Open(t.TempDir())
	if _, err := st.Append("dept-a", h.ID, 0, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Finalize(h, nil); err == nil || errors.Is(err, batch.ErrBadFile) || st.Has(h.FileHash) {
		t.Fatalf("no authority: %v", err)
	}
	if off, _ := st.Offset("dept-a", h.ID); off != int64(len(data)) {
		t.Fatalf("staged %d of %d", off, len(data))
	}
}
