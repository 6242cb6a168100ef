package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	batchcc "github.com/certledger/certledger/chaincode/contract/batch"
	certcc "github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
	"github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/trust"
	"github.com/certledger/certledger/network/devnet"
)

// TestReceiptEvidenceEndToEnd: a certificate issued on the devnet, its
// receipt evidence from GET /api/v1/certificates/{id}/receipt (read from the
// block through qscc), a trust bundle exported from the same ledger: the v2
// receipt built from them verifies offline (real endorsements, real CAs, the
// real chaincode's write set); the route refuses a malformed id and answers
// NOT_FOUND for an unknown certificate.
func TestReceiptEvidenceEndToEnd(t *testing.T) {
	gov, _ := gm.GenerateKey()
	pin := trust.Fingerprint(&gov.PublicKey)
	s := startDevnetStack(t, "receipt", devnet.BlockConfig{}, certcc.New(), nil)
	k, _ := gm.GenerateKey()
	p, _ := gm.MarshalPublicKeyPEM(&k.PublicKey)
	s.must(t, "POST", "/api/v1/departments", "gov", DepartmentInput{ID: "dept-a", Name: "市场监督管理局", MSPID: "DeptAMSP",
		Categories: []string{"business-licence"}, PublicKeys: []string{string(p)}}, http.StatusCreated)
	doc := []byte("licence 1")
	rec := CertificateRecord{Fields: CertificateFields{ID: "lic-1", DocHash: gm.SM3Hex(doc), Type: "business-licence", Issuer: "dept-a",
		HolderCommitment: gm.SM3Hex([]byte("holder")), ValidFrom: wire.FormatTime(time.Now().Add(-time.Hour)), KeyID: gm.KeyID(&k.PublicKey)}}
	sig, err := canon.Sign(k, canon.KindCertificate, rec)
	if err != nil {
		t.Fatal(err)
	}
	rec.Signature = sig
	s.must(t, "POST", "/api/v1/certificates", "a", rec, http.StatusCreated)

	var ev ReceiptEvidence
	if err := json.Unmarshal(s.must(t, "GET", "/api/v1/certificates/lic-1/receipt", "", nil, http.StatusOK), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ValidationCode != "VALID" || ev.Channel == "" || ev.Certificate == nil || ev.Certificate.Signature != rec.Signature || len(ev.Anchor.Endorsements) < 2 {
		t.Fatalf("evidence: %+v", ev)
	}
	s.must(t, "GET", "/api/v1/certificates/nope/receipt", "", nil, http.StatusNotFound)
	s.must(t, "GET", "/api/v1/certificates/bad%20id/receipt", "", nil, http.StatusBadRequest)

	var ci trust.ChannelInfo
	if err := json.Unmarshal(s.must(t, "GET", "/api/v1/ledger/channel", "", nil, http.StatusOK), &ci); err != nil {
		t.Fatal(err)
	}
	depts, err := trust.DecodeDepartments(s.must(t, "GET", "/api/v1/departments", "", nil, http.StatusOK))
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := trust.Sign(trust.Build(trust.SourceFrom(&ci, depts, "gov", nil), time.Now()), gov)
	if err != nil {
		t.Fatal(err)
	}
	r := &receipt.Receipt{Version: receipt.Version, Record: ev.Certificate.Record, IssuedAt: ev.Certificate.IssuedAt,
		IssuerKey: receipt.IssuerKey{DepartmentID: "dept-a", KeyID: rec.KeyID, PublicKey: string(p)},
		Ledger:    receipt.Ledger{TxID: ev.TxID, BlockNumber: ev.BlockNumber, Channel: ev.Channel},
		Anchor:    ev.Anchor, BundleFingerprint: pin, Holder: json.RawMessage(`{}`), VerifyURL: ""}
	file, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := receipt.Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	res := receipt.Check(receipt.Input{Receipt: parsed, Bundle: bundle, Pin: pin, FileHash: gm.SM3Hex(doc), Now: time.Now()})
	if !res.Valid() {
		t.Fatalf("offline check of a devnet receipt: %s %+v", res.Verdict, res.Steps)
	}
	if !res.Endorsements.Satisfied || len(res.Endorsements.MSPs) < 2 {
		t.Fatalf("endorsements: %+v", res.Endorsements)
	}
}

// A ledger that cannot hand out blocks (the in-memory test ledger) answers
// 501 for receipt evidence, after the id check.
func TestReceiptEvidenceNeedsBlocks(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-1", "dept-a")); r.status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/certificates/c-1/receipt", "", nil); r.status != http.StatusNotImplemented {
		t.Fatalf("receipt on a ledger without blocks: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/certificates/bad%20id/receipt", "", nil); r.status != http.StatusBadRequest {
		t.Fatalf("malformed id: %d %s", r.status, r.body)
	}
}

// TestBatchReceiptEvidenceEndToEnd: a batch anchored on the devnet (batch
// contract), the evidence from GET /api/v1/batches/{id}/receipt, a bundle of the
// same ledger: the v2 receipt of one of its certificates verifies offline.
func TestBatchReceiptEvidenceEndToEnd(t *testing.T) {
	gov, _ := gm.GenerateKey()
	pin := trust.Fingerprint(&gov.PublicKey)
	s := startDevnetStack(t, "batch receipt", devnet.BlockConfig{}, batchcc.New(), nil)
	k, _ := gm.GenerateKey()
	p, _ := gm.MarshalPublicKeyPEM(&k.PublicKey)
	keyID := gm.KeyID(&k.PublicKey)
	s.must(t, "POST", "/api/v1/departments", "gov", DepartmentInput{ID: "dept-a", Name: "市场监督管理局", MSPID: "DeptAMSP",
		Categories: []string{"business-licence"}, PublicKeys: []string{string(p)}}, http.StatusCreated)
	now := time.Now().UTC()
	var recs []batch.Record
	for i := range 9 {
		recs = append(recs, batch.Record{ID: fmt.Sprintf("bl-%d", i), DocHash: gm.SM3Hex(fmt.Appendf(nil, "doc %d", i)), Type: "business-licence",
			Issuer: "dept-a", HolderCommitment: gm.SM3Hex([]byte("h")), ValidFrom: wire.FormatTime(now.Add(-time.Hour)), KeyID: keyID})
	}
	var file bytes.Buffer
	bw := batch.NewWriter(&file, "dept-a", keyID)
	bw.KeepLeaves = true
	for i := range recs {
		if err := bw.Add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := bw.Close()
	if err != nil {
		t.Fatal(err)
	}
	h := batch.Header{ID: "bt-1", Issuer: "dept-a", KeyID: keyID, Root: sum.Root, Count: sum.Count, FileHash: sum.FileHash,
		WindowFrom: wire.FormatTime(now.Add(-5 * time.Minute)), WindowUntil: wire.FormatTime(now.Add(time.Hour)), RecordKind: batch.RecordKindV1, Types: sum.Types}
	pl, _ := h.Payload()
	if h.Signature, err = gm.SignBase64(k, pl); err != nil {
		t.Fatal(err)
	}
	s.must(t, "POST", "/api/v1/batches", "a", h, http.StatusCreated)

	var ev receipt.BatchEvidence
	if err := json.Unmarshal(s.must(t, "GET", "/api/v1/batches/bt-1/receipt", "", nil, http.StatusOK), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ValidationCode != "VALID" || ev.Batch == nil || ev.Batch.Signature != h.Signature || ev.Batch.TxID != ev.TxID {
		t.Fatalf("evidence: %+v", ev)
	}
	s.must(t, "GET", "/api/v1/batches/nope/receipt", "", nil, http.StatusNotFound)

	var ci trust.ChannelInfo
	_ = json.Unmarshal(s.must(t, "GET", "/api/v1/ledger/channel", "", nil, http.StatusOK), &ci)
	depts, _ := trust.DecodeDepartments(s.must(t, "GET", "/api/v1/departments", "", nil, http.StatusOK))
	bundle, err := trust.Sign(trust.Build(trust.SourceFrom(&ci, depts, "gov", nil), time.Now()), gov)
	if err != nil {
		t.Fatal(err)
	}
	r := &receipt.Receipt{Version: receipt.Version,
		Batch:     &receipt.Batched{Record: recs[4], Proof: batch.ProofOf("bt-1", merkle.Build(bw.Leaves), 4), Header: *ev.Batch},
		IssuedAt:  ev.Batch.AnchoredAt,
		IssuerKey: receipt.IssuerKey{DepartmentID: "dept-a", KeyID: keyID, PublicKey: string(p)},
		Ledger:    receipt.Ledger{TxID: ev.TxID, BlockNumber: ev.BlockNumber, Channel: ev.Channel},
		Anchor:    ev.Anchor, BundleFingerprint: pin, Holder: json.RawMessage(`{}`)}
	file2, _ := r.Marshal()
	parsed, err := receipt.Parse(file2)
	if err != nil {
		t.Fatal(err)
	}
	res := receipt.Check(receipt.Input{Receipt: parsed, Bundle: bundle, Pin: pin, FileHash: recs[4].DocHash, Now: time.Now()})
	if !res.Valid() {
		t.Fatalf("offline check of a devnet batch receipt: %s %+v", res.Verdict, res.Steps)
	}
}
