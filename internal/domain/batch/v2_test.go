package batch_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
)

const (
	v2Type     = "11100000000013338W011"
	v2DeptCode = "11430000006122244L"
)

// recV2 is v2 record i of a batch of dept-a: odd ones carry sector fields.
func recV2(i int) batch.Record {
	id, err := identifier.New(v2Type, v2DeptCode, fmt.Sprintf("2026%07d", i), "001")
	if err != nil {
		panic(err)
	}
	var ext certificate.Extensions
	if i%2 == 1 {
		ext, _ = certificate.NewExtensions(map[string]string{"KZ_ZL": fmt.Sprintf("岳麓区麓山路%d号", i), "KZ_MJ": "89.5"})
	}
	return batch.Record{
		RecordVersion: certificate.RecordV2, ID: id.String(), DocHash: gm.SM3Hex([]byte(fmt.Sprint("deed", i))), Type: v2Type,
		Name: "不动产权证书", Issuer: "dept-a", IssuerName: "市住房和城乡建设局", IssuerCode: v2DeptCode, IssueDate: "2026-06-01",
		HolderCodeType:       certtype.HolderCitizenID,
		HolderNameCommitment: gm.SM3Hex([]byte(fmt.Sprint("name", i))), HolderCodeCommitment: gm.SM3Hex([]byte(fmt.Sprint("code", i))),
		ValidFrom: "2026-06-01T00:00:00Z", Extensions: ext, KeyID: keyID,
	}
}

// A v2 leaf is the v2 certificate's payload (the bytes its SM2 signature
// would cover, built by canon through reflection), and the fast paths (line,
// one-pass reader) agree with canon and encoding/json.
func TestV2LeafIsTheV2Payload(t *testing.T) {
	odd := recV2(3)
	odd.Name = "x\"\\\n\t\u0001é中</script>\u2028"
	odd.IssuerName = "a\u007fb"
	ext, _ := certificate.NewExtensions(map[string]string{"KZ_A": "}\",{", "KZ_B": "\\"})
	odd.Extensions = ext
	for _, r := range []batch.Record{recV2(0), recV2(1), odd} {
		want, err := r.Certificate().Payload()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(want, []byte(batch.RecordKindV2+"\n")) || r.Kind() != batch.RecordKindV2 {
			t.Fatalf("payload %q, kind %s", want, r.Kind())
		}
		line, err := batch.AppendLine(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		if got := batch.LeafData(nil, r.Kind(), line); !bytes.Equal(got, want) {
			t.Fatalf("leaf\n%s\nwant\n%s", got, want)
		}
		if got, err := batch.Leaf(&r); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Leaf %q %v", got, err)
		}
		if got, err := batch.CertificatePayload(r.Certificate()); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("CertificatePayload\n%s\nwant\n%s (%v)", got, want, err)
		}
		back, err := batch.ParseLine(line)
		if err != nil || back != r {
			t.Fatalf("ParseLine: %v\n%+v\nwant\n%+v", err, back, r)
		}
		slow, err := batch.ParseLineSlow(line)
		if err != nil || slow != r {
			t.Fatalf("ParseLine (encoding/json): %v %+v", err, slow)
		}
		if batch.FromCertificate(r.Certificate()) != r {
			t.Fatal("FromCertificate(Certificate()) changed the record")
		}
	}
	line, _ := batch.AppendLine(nil, ptr(recV2(1)))
	for name, bad := range map[string][]byte{
		"a space":                bytes.Replace(line, []byte(`,`), []byte(`, `), 1),
		"extensions not sorted":  bytes.Replace(line, []byte(`{"KZ_MJ":"89.5","KZ_ZL"`), []byte(`{"KZ_ZL":"x","KZ_MJ"`), 1),
		"a v1 field in a v2 one": bytes.Replace(line, []byte(`"holderCodeCommitment"`), []byte(`"holderCommitment":"","holderCodeCommitment"`), 1),
		"recordVersion in line":  bytes.Replace(line, []byte(`"type"`), []byte(`"recordVersion":2,"type"`), 1),
	} {
		if _, err := batch.ParseLine(bad); err == nil {
			t.Errorf("%s: accepted %s", name, bad)
		}
	}
	// A v1 record's JSON (in receipts) is unchanged: no v2 key appears.
	if b, _ := json.Marshal(rec(1)); bytes.Contains(b, []byte("recordVersion")) || bytes.Contains(b, []byte("extensions")) || bytes.Contains(b, []byte("issuerCode")) {
		t.Fatalf("v1 record JSON %s", b)
	}
}

func buildV2(t *testing.T, n int) ([]byte, batch.Summary) {
	t.Helper()
	var buf bytes.Buffer
	w := batch.NewWriter(&buf, "dept-a", keyID)
	for i := 0; i < n; i++ {
		if err := w.Add(ptr(recV2(i))); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), s
}

func TestV2WriterScanAndProofs(t *testing.T) {
	const n = 300 // > 256: Scan parses on every core
	file, s := buildV2(t, n)
	if s.RecordKind != batch.RecordKindV2 || s.Count != n || len(s.Types) != 1 || s.Types[0] != v2Type {
		t.Fatalf("summary %+v", s)
	}
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i], _ = recV2(i).Certificate().Payload()
	}
	if want := fmt.Sprintf("%x", merkle.Root(leaves)); s.Root != want {
		t.Fatalf("root %s, want %s", s.Root, want)
	}
	got, err := batch.Scan(bytes.NewReader(file), "dept-a", keyID, func(i int, r *batch.Record) error {
		if *r != recV2(i) {
			return fmt.Errorf("record %d differs: %+v", i, *r)
		}
		return nil
	})
	if err != nil || fmt.Sprint(got) != fmt.Sprint(s) {
		t.Fatalf("scan %+v %v, writer %+v", got, err, s)
	}
	h := header(s)
	h.RecordKind = batch.RecordKindV2
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := s.Matches(h); err != nil {
		t.Fatal(err)
	}
	h1 := h
	h1.RecordKind = batch.RecordKindV1
	if err := s.Matches(h1); !errors.Is(err, batch.ErrBadFile) || !strings.Contains(err.Error(), "holds "+batch.RecordKindV2) {
		t.Fatalf("a v2 file against a v1 header: %v", err)
	}
	tree := merkle.BuildFromData(n, func(i int) []byte { return leaves[i] })
	for _, i := range []int{0, 1, n - 1} {
		p := batch.ProofOf(h.ID, tree, i)
		if err := p.Verify(recV2(i), h); err != nil {
			t.Fatalf("proof %d: %v", i, err)
		}
		c := &certificate.Certificate{Record: recV2(i).Certificate(), BatchID: h.ID}
		inc, err := p.Inclusion(h)
		if err != nil {
			t.Fatal(err)
		}
		res := certificate.Evaluate(certificate.Input{Query: certificate.Query{ID: c.ID}, Certificate: c, Inclusion: inc, Offline: true})
		if res.Steps[3].Status != "pass" {
			t.Fatalf("step 4 of a v2 batched certificate: %+v", res.Steps[3])
		}
		changed := recV2(i)
		changed.IssuerName = "another"
		if err := p.Verify(changed, h); !errors.Is(err, merkle.ErrBadProof) {
			t.Fatalf("a changed v2 field verified: %v", err)
		}
		asV1 := recV2(i)
		asV1.RecordVersion = 0
		if err := p.Verify(asV1, h); !errors.Is(err, merkle.ErrBadProof) || !strings.Contains(err.Error(), "holds "+batch.RecordKindV2) {
			t.Fatalf("a v1 record against a v2 batch: %v", err)
		}
	}
}

// One batch holds one kind: a v1 record in a v2 batch (or the reverse) is
// refused by the Writer and by Scan, naming the line.
func TestMixedKindsRefused(t *testing.T) {
	w := batch.NewWriter(&bytes.Buffer{}, "dept-a", keyID)
	if err := w.Add(ptr(recV2(0))); err != nil {
		t.Fatal(err)
	}
	err := w.Add(ptr(rec(1)))
	if !errors.Is(err, batch.ErrBadFile) || !strings.Contains(err.Error(), "record 2") || !strings.Contains(err.Error(), "one kind") {
		t.Fatalf("Writer: %v", err)
	}
	v2, _ := buildV2(t, 3)
	v1, _ := build(t, 3)
	mixed := append(append([]byte{}, v2...), strings.SplitAfter(string(v1), "\n")[0]...)
	_, err = batch.Scan(bytes.NewReader(mixed), "dept-a", keyID, nil)
	if !errors.Is(err, batch.ErrBadFile) || !errors.Is(err, codes.ErrInvalidArgument) || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("Scan: %v", err)
	}
}

func TestV2RecordAndHeaderValidate(t *testing.T) {
	r := recV2(1)
	if err := r.Validate("dept-a", keyID); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*batch.Record){
		"another issuer":        func(r *batch.Record) { r.Issuer = "dept-b" },
		"another key":           func(r *batch.Record) { r.KeyID = strings.Repeat("cd", 32) },
		"supersedes":            func(r *batch.Record) { r.Supersedes = recV2(2).ID },
		"id of another type":    func(r *batch.Record) { r.Type = "11100000000013338W012" },
		"v1 holder commitment":  func(r *batch.Record) { r.HolderCommitment = r.HolderCodeCommitment },
		"bad check character":   func(r *batch.Record) { r.ID = r.ID[:len(r.ID)-1] + "0" },
		"unknown recordVersion": func(r *batch.Record) { r.RecordVersion = 3 },
		"v2 fields, version 0":  func(r *batch.Record) { r.RecordVersion = 0; r.HolderCommitment = r.HolderCodeCommitment },
	} {
		r := recV2(1)
		change(&r)
		if err := r.Validate("dept-a", keyID); !errors.Is(err, codes.ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, s := buildV2(t, 2)
	h := header(s)
	h.RecordKind = batch.RecordKindV2
	h.Types = []string{"business-licence"}
	if err := h.Validate(); err == nil || !strings.Contains(err.Error(), "catalogue type codes") {
		t.Fatalf("a free-form type in a v2 header: %v", err)
	}
	h.RecordKind = "certledger/v3/certificate"
	if err := h.Validate(); err == nil || !strings.Contains(err.Error(), "recordKind") {
		t.Fatalf("unknown record kind: %v", err)
	}
}

// BenchmarkLineV2 compares the reflection-free v2 line and reader with canon
// and encoding/json (a batch file is written and read line by line):
//
//	go test -run XXX -bench LineV2 ./internal/domain/batch/
func BenchmarkLineV2(b *testing.B) {
	r := recV2(1) // with sector fields
	line, _ := batch.AppendLine(nil, &r)
	b.Run("AppendLine", func(b *testing.B) {
		buf := make([]byte, 0, 1024)
		for range b.N {
			buf, _ = batch.AppendLine(buf[:0], &r)
		}
	})
	b.Run("canon.Payload", func(b *testing.B) {
		c := r.Certificate()
		for range b.N {
			_, _ = c.Payload()
		}
	})
	b.Run("ParseLine", func(b *testing.B) {
		for range b.N {
			_, _ = batch.ParseLine(line)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for range b.N {
			_, _ = batch.ParseLineSlow(line)
		}
	})
}
