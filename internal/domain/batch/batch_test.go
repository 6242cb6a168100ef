package batch_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
)

var keyID = strings.Repeat("ab", 32)

func rec(i int) batch.Record {
	return batch.Record{
		ID: fmt.Sprintf("lic-%07d", i), DocHash: gm.SM3Hex([]byte(fmt.Sprint("doc", i))), Type: []string{"business-licence", "food-safety"}[i%2],
		Issuer: "dept-a", HolderCommitment: gm.SM3Hex([]byte(fmt.Sprint("holder", i))),
		ValidFrom: "2026-01-01T00:00:00Z", ValidUntil: "2031-01-01T00:00:00Z", KeyID: keyID,
	}
}

func TestLineIsTheCanonicalPayload(t *testing.T) {
	for _, r := range []batch.Record{rec(1), {ID: "x\"\\\n\t\u0001é中", Type: "t\u007f", DocHash: "", ValidUntil: "</script>"}} {
		line, err := batch.AppendLine(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := canon.Payload(canon.KindCertificate, r.Certificate())
		if err != nil {
			t.Fatal(err)
		}
		if got := batch.LeafData(nil, batch.RecordKindV1, line); !bytes.Equal(got, want) {
			t.Fatalf("leaf\n%s\nwant\n%s", got, want)
		}
		if got, err := batch.CertificatePayload(r.Certificate()); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("CertificatePayload\n%s\nwant\n%s (%v)", got, want, err)
		}
		back, err := batch.ParseLine(line)
		if err != nil || back != r {
			t.Fatalf("ParseLine: %v %+v", err, back)
		}
	}
	if _, err := batch.ParseLine([]byte(`{"id":"a"}`)); err == nil {
		t.Fatal("a line missing fields was accepted")
	}
	line, _ := batch.AppendLine(nil, ptr(rec(1)))
	if _, err := batch.ParseLine(bytes.Replace(line, []byte(`,`), []byte(`, `), 1)); err == nil {
		t.Fatal("a line with a space was accepted")
	}
}

func ptr[T any](v T) *T { return &v }

func build(t *testing.T, n int) ([]byte, batch.Summary) {
	t.Helper()
	var buf bytes.Buffer
	w := batch.NewWriter(&buf, "dept-a", keyID)
	for i := 0; i < n; i++ {
		if err := w.Add(ptr(rec(i))); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), s
}

func TestWriterAndScanAgree(t *testing.T) {
	for _, n := range []int{1, 2, 3, 8191, 8193} {
		file, s := build(t, n)
		if s.Count != n || s.FileHash != gm.SM3Hex(file) || len(s.Types) != min(n, 2) {
			t.Fatalf("n=%d: summary %+v", n, s)
		}
		// The root is the RFC 6962 root of the canonical payloads.
		leaves := make([][]byte, n)
		for i := range leaves {
			leaves[i], _ = canon.Payload(canon.KindCertificate, rec(i).Certificate())
		}
		if want := fmt.Sprintf("%x", merkle.Root(leaves)); s.Root != want {
			t.Fatalf("n=%d: root %s, want %s", n, s.Root, want)
		}
		var seen int
		got, err := batch.Scan(bytes.NewReader(file), "dept-a", keyID, func(i int, r *batch.Record) error {
			if *r != rec(i) {
				return fmt.Errorf("record %d differs", i)
			}
			seen++
			return nil
		})
		if err != nil || seen != n {
			t.Fatalf("n=%d: scan %v (%d seen)", n, err, seen)
		}
		if fmt.Sprint(got) != fmt.Sprint(s) {
			t.Fatalf("n=%d: scan %+v, writer %+v", n, got, s)
		}
	}
}

func header(s batch.Summary) batch.Header {
	return batch.Header{
		ID: "b-1", Issuer: "dept-a", KeyID: keyID, Root: s.Root, Count: s.Count, FileHash: s.FileHash,
		WindowFrom: "2026-11-28T12:00:00Z", WindowUntil: "2026-11-29T12:00:00Z", RecordKind: batch.RecordKindV1, Types: s.Types, Signature: "c2ln",
	}
}

func TestBadFilesDoNotRebuildTheHeader(t *testing.T) {
	file, s := build(t, 100)
	h := header(s)
	if err := s.Matches(h); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(file), "\n")
	lines = lines[:len(lines)-1]
	oneByte := []byte(string(file))
	oneByte[strings.Index(string(file), "lic-0000050")+10] = '7' // lic-0000057 exists: a duplicate
	flip := []byte(string(file))
	i := strings.Index(string(flip), "2031")
	flip[i+3] = '2' // 2032: a valid record, different bytes
	cases := map[string]struct {
		file    string
		scanErr bool
	}{
		"one byte changed":     {string(flip), false},
		"duplicate id":         {string(oneByte), true},
		"a record dropped":     {strings.Join(append(append([]string{}, lines[:10]...), lines[11:]...), ""), false},
		"two records swapped":  {strings.Join(append(append(append([]string{}, lines[:10]...), lines[11], lines[10]), lines[12:]...), ""), false},
		"no final newline":     {strings.TrimSuffix(string(file), "\n"), true},
		"a line not canonical": {strings.Replace(string(file), `{"docHash"`, `{ "docHash"`, 1), true},
		"another issuer":       {strings.Replace(string(file), `"issuer":"dept-a"`, `"issuer":"dept-b"`, 1), true},
		"empty":                {"", true},
	}
	for name, c := range cases {
		got, err := batch.Scan(strings.NewReader(c.file), "dept-a", keyID, nil)
		if c.scanErr {
			if !errors.Is(err, batch.ErrBadFile) {
				t.Errorf("%s: scan error %v, want ErrBadFile", name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := got.Matches(h); !errors.Is(err, batch.ErrBadFile) {
			t.Errorf("%s: matches the header", name)
		}
	}
}

func TestHeaderValidate(t *testing.T) {
	_, s := build(t, 3)
	good := header(s)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*batch.Header){
		"id":          func(h *batch.Header) { h.ID = "bad id" },
		"issuer":      func(h *batch.Header) { h.Issuer = "" },
		"keyId":       func(h *batch.Header) { h.KeyID = "x" },
		"root":        func(h *batch.Header) { h.Root = strings.ToUpper(h.Root) },
		"count":       func(h *batch.Header) { h.Count = 0 },
		"fileHash":    func(h *batch.Header) { h.FileHash = "" },
		"previous":    func(h *batch.Header) { h.Previous = h.ID },
		"windowFrom":  func(h *batch.Header) { h.WindowFrom = "yesterday" },
		"windowUntil": func(h *batch.Header) { h.WindowUntil = "2027-01-01T00:00:00Z" },
		"recordKind":  func(h *batch.Header) { h.RecordKind = "certledger/v9/certificate" },
		"types":       func(h *batch.Header) { h.Types = []string{"b", "a"} },
		"signature":   func(h *batch.Header) { h.Signature = "" },
	}
	for field, change := range cases {
		h := good
		h.Types = append([]string{}, good.Types...)
		change(&h)
		var fe wire.FieldErrors
		if err := h.Validate(); !errors.As(err, &fe) || fe[0].Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	if _, err := good.Payload(); err != nil {
		t.Fatal(err)
	}
}

func TestProofVerifies(t *testing.T) {
	const n = 37
	recs := make([]batch.Record, n)
	leaves := make([][]byte, n)
	for i := range recs {
		recs[i] = rec(i)
		line, _ := batch.AppendLine(nil, &recs[i])
		leaves[i] = batch.LeafData(nil, batch.RecordKindV1, line)
	}
	tree := merkle.BuildFromData(n, func(i int) []byte { return leaves[i] })
	_, s := build(t, n)
	h := header(s)
	for i := 0; i < n; i++ {
		p := batch.ProofOf(h.ID, tree, i)
		if err := p.Verify(recs[i], h); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
		// certificate.Evaluate's step 4 accepts the converted proof.
		inc, err := p.Inclusion(h)
		if err != nil {
			t.Fatal(err)
		}
		c := &certificate.Certificate{Record: recs[i].Certificate(), BatchID: h.ID}
		res := certificate.Evaluate(certificate.Input{Query: certificate.Query{ID: c.ID}, Certificate: c, Inclusion: inc})
		if res.Steps[3].Status != wire.StepPass {
			t.Fatalf("leaf %d: step 4 %+v", i, res.Steps[3])
		}
	}
	p := batch.ProofOf(h.ID, tree, 5)
	other := recs[5]
	other.ValidUntil = "2032-01-01T00:00:00Z"
	if err := p.Verify(other, h); !errors.Is(err, merkle.ErrBadProof) {
		t.Fatalf("an edited record verified: %v", err)
	}
	if err := p.Verify(recs[6], h); !errors.Is(err, merkle.ErrBadProof) {
		t.Fatalf("another record verified: %v", err)
	}
	p.Size = n + 1
	if err := p.Verify(recs[5], h); !errors.Is(err, merkle.ErrBadProof) {
		t.Fatalf("a proof with the wrong size verified: %v", err)
	}
}

// BenchmarkScan reads a 100,000-record batch file as the gateway's store does.
func BenchmarkScan(b *testing.B) {
	var buf bytes.Buffer
	w := batch.NewWriter(&buf, "dept-a", keyID)
	for i := 0; i < 100_000; i++ {
		if err := w.Add(ptr(rec(i))); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for range b.N {
		if _, err := batch.Scan(bytes.NewReader(buf.Bytes()), "dept-a", keyID, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// FuzzParseLine: the one-pass reader and encoding/json + re-encoding agree on
// every line (same record, or both refuse).
func FuzzParseLine(f *testing.F) {
	line, _ := batch.AppendLine(nil, ptr(rec(1)))
	f.Add(line)
	line2, _ := batch.AppendLine(nil, ptr(recV2(1)))
	f.Add(line2)
	f.Add([]byte(`{"docHash":"a\"b","holderCommitment":"","id":"","issuer":"","keyId":"","supersedes":"","type":"","validFrom":"","validUntil":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, errFast := batch.ParseLine(b)
		slow, errSlow := batch.ParseLineSlow(b)
		if (errFast == nil) != (errSlow == nil) || (errFast == nil && fast != slow) {
			t.Fatalf("%q: fast %+v %v, slow %+v %v", b, fast, errFast, slow, errSlow)
		}
	})
}

// TestHeaderVectors: the signed payload of a header (canon kind batch-header),
// against payloads written independently (testdata/header-vectors.json).
func TestHeaderVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/header-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []struct {
		Name    string       `json:"name"`
		Header  batch.Header `json:"header"`
		Payload string       `json:"payload"`
	}
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		got, err := v.Header.Payload()
		if err != nil || string(got) != v.Payload {
			t.Errorf("%s:\n got %q (%v)\nwant %q", v.Name, got, err, v.Payload)
		}
	}
}

// TestRecordValidity: a batched record's window follows the rules of every
// signed window (wire: UTC with Z, not before 1949-10-01; at most 100 years
// after the anchoring, checked by ValidateAt).
func TestRecordValidity(t *testing.T) {
	anchoredAt := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for name, c := range map[string]struct {
		change func(*batch.Record)
		field  string // "" = valid
		at     bool   // refused only by ValidateAt
	}{
		"valid":                {func(*batch.Record) {}, "", false},
		"another time zone":    {func(r *batch.Record) { r.ValidFrom = "2026-01-01T08:00:00+08:00" }, "validFrom", false},
		"before 1949-10-01":    {func(r *batch.Record) { r.ValidFrom = "1900-01-01T00:00:00Z" }, "validFrom", false},
		"until before from":    {func(r *batch.Record) { r.ValidUntil = "2025-01-01T00:00:00Z" }, "validUntil", false},
		"more than 100 years":  {func(r *batch.Record) { r.ValidUntil = "2127-01-01T00:00:00Z" }, "validUntil", true},
		"just under 100 years": {func(r *batch.Record) { r.ValidUntil = "2126-11-28T12:00:00Z" }, "", false},
	} {
		r := rec(1)
		r.ValidFrom, r.ValidUntil = "2026-01-01T00:00:00Z", "2031-01-01T00:00:00Z"
		c.change(&r)
		errV, errAt := r.Validate(r.Issuer, r.KeyID), r.ValidateAt(r.Issuer, r.KeyID, anchoredAt)
		switch {
		case c.field == "":
			if errV != nil || errAt != nil {
				t.Errorf("%s: %v / %v", name, errV, errAt)
			}
		case c.at:
			if errV != nil || codes.Code(errAt) != codes.InvalidArgument || !strings.Contains(errAt.Error(), c.field) {
				t.Errorf("%s: Validate %v, ValidateAt %v", name, errV, errAt)
			}
		default:
			var fe wire.FieldErrors
			if !errors.As(errV, &fe) || fe[0].Field != c.field || errAt == nil {
				t.Errorf("%s: %v / %v", name, errV, errAt)
			}
		}
	}
}
