package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/receipt/receipttest"
	"github.com/certledger/certledger/internal/testkit"
	"github.com/certledger/certledger/internal/trust"
)

// receiptCase is one offline check, answered by the Go code (want) and by
// static/offline.js (under Node and in Chromium).
type receiptCase struct {
	Name     string `json:"name"`
	Receipt  string `json:"receipt"`
	Bundle   string `json:"bundle"`
	Pin      string `json:"pin"`
	FileHash string `json:"fileHash"`
	Now      string `json:"now"`
	want     receipt.Result
}

func flip(v any) any {
	b, _ := base64.StdEncoding.DecodeString(v.(string))
	b[len(b)-1] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

func setTo(s string) func(any) any { return func(any) any { return s } }

// receiptCases builds the cases: valid, a tampered document, tampered fields, a
// forged receipt (own key), endorsements from outside the bundle, a rogue
// bundle, a bundle older and newer than a key revocation, an expired record.
func receiptCases(t testing.TB) []receiptCase {
	t.Helper()
	w := receipttest.New(t, time.Now())
	doc := []byte("licence")
	rec := w.Record(t, "lic-1", doc)
	good := receipttest.Marshal(t, w.Receipt(t, rec, receipttest.Tx{}))
	bundle := w.Bundle(t)
	now := wire.FormatTime(w.Now.Add(time.Hour))
	h := gm.SM3Hex(doc)
	cs := []receiptCase{
		{Name: "valid", Receipt: string(good), Bundle: string(bundle), FileHash: h},
		{Name: "valid without document", Receipt: string(good), Bundle: string(bundle)},
		{Name: "tampered document", Receipt: string(good), Bundle: string(bundle), FileHash: gm.SM3Hex([]byte("licencf"))},
		{Name: "expired", Receipt: string(good), Bundle: string(bundle), FileHash: h, Now: wire.FormatTime(w.Now.Add(6 * 365 * 24 * time.Hour))},
	}
	other, _ := gm.GenerateKey()
	otherPEM, _ := gm.MarshalPublicKeyPEM(&other.PublicKey)
	for _, e := range []struct {
		path string
		f    func(any) any
	}{
		{"version", setTo("certledger-receipt/v1")},
		{"record.type", setTo("permit")},
		{"record.validUntil", setTo(wire.FormatTime(w.Now.Add(90 * 365 * 24 * time.Hour)))},
		{"issuedAt", setTo(wire.FormatTime(w.Now.Add(-time.Minute)))},
		{"issuerKey.publicKey", setTo(string(otherPEM))},
		{"ledger.txId", setTo(strings.Repeat("ab", 32))},
		{"ledger.channel", setTo("other")},
		{"anchor.header", flip},
		{"anchor.proposalPayload", flip},
		{"anchor.proposalResponse", flip},
		{"anchor.endorsements.0.signature", flip},
		{"bundleFingerprint", setTo(strings.Repeat("0", 64))},
	} {
		cs = append(cs, receiptCase{Name: "tampered " + e.path, Receipt: string(testkit.EditJSON(t, good, e.path, e.f)), Bundle: string(bundle), FileHash: h})
	}
	// A forged record signed with the forger's key, on the genuine anchor.
	forged := rec
	forged.ID, forged.KeyID = "lic-forged", gm.KeyID(&other.PublicKey)
	forged.Signature, _ = canon.Sign(other, canon.KindCertificate, forged)
	fr := w.Receipt(t, rec, receipttest.Tx{})
	fr.Record, fr.IssuerKey = forged, receipt.IssuerKey{DepartmentID: "dept-a", KeyID: forged.KeyID, PublicKey: string(otherPEM)}
	cs = append(cs, receiptCase{Name: "forged receipt (own key)", Receipt: string(receipttest.Marshal(t, fr)), Bundle: string(bundle), FileHash: h})
	// Endorsements from outside the bundle.
	impostor := receipttest.NewOrg(t, "DeptBMSP", w.Now)
	cs = append(cs, receiptCase{Name: "endorsement from a CA outside the bundle",
		Receipt: string(receipttest.Marshal(t, w.Receipt(t, rec, receipttest.Tx{Endorsers: []*receipttest.Org{w.Org("DeptAMSP"), impostor}}))), Bundle: string(bundle), FileHash: h})
	cs = append(cs, receiptCase{Name: "endorsement from an MSP outside the bundle",
		Receipt: string(receipttest.Marshal(t, w.Receipt(t, rec, receipttest.Tx{Endorsers: []*receipttest.Org{w.Org("DeptAMSP"), receipttest.NewOrg(t, "XMSP", w.Now)}}))), Bundle: string(bundle), FileHash: h})
	// Bundles.
	rogue, _ := gm.GenerateKey()
	cs = append(cs, receiptCase{Name: "bundle signed by a non-governance key", Receipt: string(good), Bundle: string(w.Sign(t, w.BundleOf(), rogue)), FileHash: h})
	nb := w.BundleOf()
	nb.Height = 20
	k := &nb.Departments[0].Keys[0]
	k.RevokedAt, k.RevokeReason = wire.FormatTime(w.Now.Add(-time.Hour)), registry.ReasonCompromised
	cs = append(cs, receiptCase{Name: "bundle listing a key revocation", Receipt: string(good), Bundle: string(w.Sign(t, nb, nil)), FileHash: h})
	pre := w.BundleOf()
	pre.Height = 3
	pre.Departments[0].Keys = []registry.Key{}
	cs = append(cs, receiptCase{Name: "bundle older than the key", Receipt: string(good), Bundle: string(w.Sign(t, pre, nil)), FileHash: h})

	// Batched certificates.
	bdoc := func(i int) []byte { return []byte(fmt.Sprintf("licence %d\n", i)) }
	bt := w.NewBatch(t, "bt-1", 13, bdoc)
	bgood := receipttest.Marshal(t, w.BatchReceipt(t, bt, 6, receipttest.Tx{}))
	bh := gm.SM3Hex(bdoc(6))
	otherBatch := w.NewBatch(t, "bt-1", 13, func(int) []byte { return []byte("x") })
	cs = append(cs,
		receiptCase{Name: "batched", Receipt: string(bgood), Bundle: string(bundle), FileHash: bh},
		receiptCase{Name: "batched, another document", Receipt: string(bgood), Bundle: string(bundle), FileHash: gm.SM3Hex(bdoc(7))},
		receiptCase{Name: "batched, bundle before the key", Receipt: string(bgood), Bundle: string(w.Sign(t, pre, nil)), FileHash: bh})
	for _, e := range []struct {
		path string
		f    func(any) any
	}{
		{"batch.record.id", setTo("bt-1-0000007")},
		{"batch.record.validUntil", setTo(wire.FormatTime(w.Now.Add(90 * 365 * 24 * time.Hour)))},
		{"batch.proof.index", func(any) any { return 7 }},
		{"batch.proof.path.1", setTo(strings.Repeat("0", 64))},
		{"batch.header.root", setTo(otherBatch.Header.Root)},
		{"batch.header.signature", setTo(otherBatch.Header.Signature)},
		{"batch.header.anchoredAt", setTo(wire.FormatTime(w.Now.Add(time.Second)))},
		{"anchor.endorsements.0.signature", flip},
	} {
		cs = append(cs, receiptCase{Name: "batched, tampered " + e.path, Receipt: string(testkit.EditJSON(t, bgood, e.path, e.f)), Bundle: string(bundle), FileHash: bh})
	}

	// A batched v2 certificate: its leaf is the v2 signed view.
	bt2 := w.NewBatchV2(t, "bt-2", 11, bdoc)
	for _, i := range []int{4, 5} { // without and with sector fields
		good2 := receipttest.Marshal(t, w.BatchReceipt(t, bt2, i, receipttest.Tx{}))
		cs = append(cs, receiptCase{Name: fmt.Sprintf("batched v2 #%d", i), Receipt: string(good2), Bundle: string(bundle), FileHash: gm.SM3Hex(bdoc(i))})
		for _, e := range []struct {
			path string
			f    func(any) any
		}{
			{"batch.record.issuerName", setTo("另一个局")},
			{"batch.record.holderCodeCommitment", setTo(strings.Repeat("1", 64))},
			{"batch.record.extensions", func(any) any { return map[string]any{"KZ_ZS": "别处"} }},
			{"batch.record.recordVersion", func(any) any { return nil }},
			{"batch.header.recordKind", setTo("certledger/v1/certificate")},
		} {
			cs = append(cs, receiptCase{Name: fmt.Sprintf("batched v2 #%d, tampered %s", i, e.path), Receipt: string(testkit.EditJSON(t, good2, e.path, e.f)), Bundle: string(bundle), FileHash: gm.SM3Hex(bdoc(i))})
		}
	}

	for i := range cs {
		c := &cs[i]
		c.Pin = w.Pin
		if c.Now == "" {
			c.Now = now
		}
		at, _ := wire.ParseTime(c.Now)
		in := receipt.Input{Pin: w.Pin, FileHash: c.FileHash, Now: at}
		in.Receipt, in.ParseErr = receipt.Parse([]byte(c.Receipt))
		in.Bundle, in.BundleErr = trust.Verify([]byte(c.Bundle), w.Pin)
		c.want = receipt.Check(in)
		if v2 := strings.HasPrefix(c.Name, "batched v2"); v2 && (c.want.Verdict == wire.VerdictValid) == strings.Contains(c.Name, "tampered") {
			t.Fatalf("%s: Go says %s", c.Name, c.want.Verdict)
		}
	}
	return cs
}

// TestReceiptJS runs static/offline.js's verifyReceipt under Node on every case
// and wants the Go answer: the verdict and each step's number, name, status
// and code.
func TestReceiptJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIP: node not found in PATH; the in-browser receipt check (static/offline.js) is not compared with the Go one. Install Node.js 20.")
	}
	cs := receiptCases(t)
	f := filepath.Join(t.TempDir(), "cases.json")
	raw, _ := json.Marshal(cs)
	if err := os.WriteFile(f, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, filepath.Join("testdata", "receipt_runner.js"), mustAbs(t, filepath.Join("static", "offline.js")), f).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("node receipt_runner.js: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got []jsAnswer
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("runner output: %v\n%s", err, out)
	}
	if want := stateFields(); !slices.Equal(got[len(got)-1].StateFields, want) {
		t.Errorf("offline.js CERT_STATE_FIELDS %v, certificate.Certificate's own fields %v", got[len(got)-1].StateFields, want)
	}
	if sf := got[len(got)-1].SignedFields; !slices.Equal(sf, canon.SignedFields[canon.KindCertificate]) {
		t.Errorf("offline.js CERT_SIGNED_FIELDS %v, canon.SignedFields %v", sf, canon.SignedFields[canon.KindCertificate])
	}
	if hf := got[len(got)-1].HeaderFields; !slices.Equal(hf, canon.SignedFields[canon.KindBatchHeader]) {
		t.Errorf("offline.js BATCH_HEADER_FIELDS %v, canon.SignedFields %v", hf, canon.SignedFields[canon.KindBatchHeader])
	}
	if bf := got[len(got)-1].BatchV2Fields; !slices.Equal(sortedCopy(bf), jsonFields(batch.Record{})) {
		t.Errorf("offline.js BATCH_V2_RECORD_FIELDS %v, batch.Record's JSON fields %v", bf, jsonFields(batch.Record{}))
	}
	for i, c := range cs {
		compareAnswer(t, c, got[i])
	}
	t.Logf("Node: a valid receipt checked in %.1f ms", got[0].MS)
}

type jsAnswer struct {
	Verdict      string   `json:"verdict"`
	Steps        []jsStep `json:"steps"`
	Unknown      []string `json:"unknown"`
	MS           float64  `json:"ms"`
	Exception    string   `json:"exception"`
	SignedFields []string `json:"signedFields"`
	HeaderFields []string `json:"headerFields"`
	// BatchV2Fields is offline.js's BATCH_V2_RECORD_FIELDS.
	BatchV2Fields []string `json:"batchV2Fields"`
	StateFields   []string `json:"stateFields"`
}

type jsStep struct {
	Step   int    `json:"step"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func compareAnswer(t *testing.T, c receiptCase, g jsAnswer) {
	t.Helper()
	if g.Exception != "" {
		t.Errorf("%s: exception in offline.js: %s", c.Name, g.Exception)
		return
	}
	if g.Verdict != c.want.Verdict {
		t.Errorf("%s: js verdict %s, go %s\njs steps: %+v\ngo steps: %+v", c.Name, g.Verdict, c.want.Verdict, g.Steps, c.want.Steps)
		return
	}
	if len(g.Steps) != len(c.want.Steps) {
		t.Errorf("%s: js %d steps, go %d", c.Name, len(g.Steps), len(c.want.Steps))
		return
	}
	for i, s := range c.want.Steps {
		j := g.Steps[i]
		if j.Step != s.Step || j.Name != s.Name || j.Status != s.Status || j.Code != s.Code {
			t.Errorf("%s: step %d: js %s %s %s (%s), go %s %s %s (%s)", c.Name, s.Step, j.Name, j.Status, j.Code, j.Detail, s.Name, s.Status, s.Code, s.Detail)
		}
	}
	if !slices.Equal(g.Unknown, c.want.Unknown) {
		t.Errorf("%s: js unknown %q, go %q", c.Name, g.Unknown, c.want.Unknown)
	}
}

// stateFields are the JSON names of certificate.Certificate's fields that are
// not certificate.Record's (what the ledger stores beside the signed record).
// jsonFields returns the JSON names of v's struct fields, sorted.
func jsonFields(v any) []string {
	var out []string
	ct := reflect.TypeOf(v)
	for i := range ct.NumField() {
		name, _, _ := strings.Cut(ct.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func sortedCopy(s []string) []string { return slices.Sorted(slices.Values(s)) }

func stateFields() []string {
	var out []string
	ct := reflect.TypeOf(certificate.Certificate{})
	for i := range ct.NumField() {
		f := ct.Field(i)
		if f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
