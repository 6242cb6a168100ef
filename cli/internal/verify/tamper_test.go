package verify

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// genuine is a receipt and what the ledger answers about its certificate.
type genuine struct {
	receipt *receipt.Receipt
	raw     []byte
	ledger  *client.VerifyResult
	anchor  *client.Anchor
	sign    func(client.CertificateRecord) string // signs with the issuer's key
}

func newGenuine(t *testing.T) genuine {
	t.Helper()
	k, _ := gm.GenerateKey()
	pub, _ := gm.MarshalPublicKeyPEM(&k.PublicKey)
	salt, _ := gm.NewSalt()
	rec := client.CertificateRecord{Fields: client.CertificateFields{ID: "lic-1", DocHash: gm.SM3Hex([]byte("doc")), Type: "business-licence", Issuer: "dept-a",
		HolderCommitment: gm.Commitment(salt, "91110000ACME"), ValidFrom: "2026-01-01T00:00:00Z",
		ValidUntil: "2030-01-01T00:00:00Z", KeyID: gm.KeyID(&k.PublicKey)}}
	sign := func(r client.CertificateRecord) string {
		s, err := canon.Sign(k, canon.KindCertificate, r)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rec.Signature = sign(rec)
	r := &receipt.Receipt{Version: receipt.Version, Record: rec,
		IssuerKey: receipt.IssuerKey{DepartmentID: "dept-a", KeyID: rec.KeyID, PublicKey: string(pub)},
		Ledger:    receipt.Ledger{TxID: "tx-issue", BlockNumber: 7, Channel: "certledger"},
		Holder:    receipt.Holder{Salt: base64.StdEncoding.EncodeToString(salt), Note: receipt.SaltNote},
		VerifyURL: "https://gw.example/verify?id=lic-1", IssuedAt: "2026-11-28T12:00:00.5Z"}
	raw, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	res := &client.VerifyResult{Verdict: wire.VerdictValid, CheckedAt: "2027-01-01T00:00:00Z",
		Certificate: &client.Certificate{Record: rec, Status: "valid", IssuedAt: r.IssuedAt, TxID: "tx-later-status-change"},
		IssuerKey:   &client.Key{KeyID: rec.KeyID, PublicKey: string(pub)}, IssuerName: "市场监督管理局", Matches: []string{rec.ID}}
	for n := 1; n <= 8; n++ {
		st := wire.StepPass
		if n == 2 || n == 4 {
			st = wire.StepSkipped
		}
		res.Steps = append(res.Steps, client.Step{Step: n, Name: certificate.StepName(n), Status: st, Code: "OK"})
	}
	return genuine{receipt: r, raw: raw, ledger: res, anchor: &client.Anchor{ID: rec.ID, TxID: "tx-issue", BlockNumber: 7, BlockKnown: true}, sign: sign}
}

// TestTamperEachReceiptField edits one field of a genuine receipt at a time and
// checks the verdict offline and online, and that online the failed step names
// the field. An edit that breaks the receipt's own checks gives the same verdict
// online as offline (an edited signature is BAD_SIGNATURE, not NOT_FOUND).
func TestTamperEachReceiptField(t *testing.T) {
	g := newGenuine(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	other, _ := gm.GenerateKey()
	otherPEM, _ := gm.MarshalPublicKeyPEM(&other.PublicKey)
	otherSig := g.sign(client.CertificateRecord{Fields: client.CertificateFields{ID: "x", DocHash: gm.SM3Hex(nil), Type: "t", Issuer: "dept-a", HolderCommitment: gm.SM3Hex(nil), ValidFrom: "2026-01-01T00:00:00Z", KeyID: g.receipt.Record.KeyID}})

	for _, tc := range []struct {
		field   string // dotted JSON path in the receipt
		value   any
		offline string
		online  string
		names   string // the online step 3 detail names this field ("" = step 3 passes)
	}{
		{"version", "certledger-receipt/v0", wire.VerdictBadFormat, wire.VerdictBadFormat, ""},
		{"record.id", "lic-2", wire.VerdictBadSignature, wire.VerdictBadSignature, "record.id"},
		{"record.docHash", gm.SM3Hex([]byte("forged")), wire.VerdictBadSignature, wire.VerdictBadSignature, "record.docHash"},
		{"record.type", "permit", wire.VerdictBadSignature, wire.VerdictBadSignature, "record.type"},
		{"record.issuer", "dept-b", wire.VerdictBadSignature, wire.VerdictBadSignature, "record.issuer"},
		{"record.holderCommitment", gm.SM3Hex([]byte("someone else")), wire.VerdictBadSignature, wire.VerdictBadSignature, "record.holderCommitment"},
		{"record.validFrom", "2025-01-01T00:00:00Z", wire.VerdictBadSignature, wire.VerdictBadSignature, "record.validFrom"},
		{"record.validUntil", "2040-01-01T00:00:00Z", wire.VerdictBadSignature, wire.VerdictBadSignature, "record.validUntil"},
		{"record.supersedes", "lic-0", wire.VerdictBadSignature, wire.VerdictBadSignature, "record.supersedes"},
		{"record.keyId", gm.KeyID(&other.PublicKey), wire.VerdictBadFormat, wire.VerdictBadFormat, ""},
		{"record.signature", otherSig, wire.VerdictBadSignature, wire.VerdictBadSignature, "record.signature"},
		{"issuerKey.departmentId", "dept-b", wire.VerdictKeyInvalid, wire.VerdictKeyInvalid, "issuerKey.departmentId"},
		{"issuerKey.keyId", gm.KeyID(&other.PublicKey), wire.VerdictBadFormat, wire.VerdictBadFormat, ""},
		{"issuerKey.publicKey", string(otherPEM), wire.VerdictBadSignature, wire.VerdictBadSignature, "issuerKey.publicKey"},
		{"ledger.txId", "tx-forged", wire.VerdictKeyInvalid, wire.VerdictReceiptMismatch, "ledger.txId"},
		{"ledger.blockNumber", 8, wire.VerdictKeyInvalid, wire.VerdictReceiptMismatch, "ledger.blockNumber"},
		{"issuedAt", "2026-11-20T00:00:00Z", wire.VerdictKeyInvalid, wire.VerdictReceiptMismatch, "issuedAt"},
		// Not vouched for by anyone, and never used for a verdict: no difference.
		{"ledger.channel", "other", wire.VerdictKeyInvalid, wire.VerdictValid, ""},
		{"verifyUrl", "https://evil.example/verify?id=lic-1", wire.VerdictKeyInvalid, wire.VerdictValid, ""},
		{"holder.note", "", wire.VerdictKeyInvalid, wire.VerdictValid, ""},
	} {
		t.Run(tc.field, func(t *testing.T) {
			r := tamper(t, g.raw, tc.field, tc.value)
			off := WithReceipt(r, Offline(r, "", now), nil, nil)
			if off.Verdict != tc.offline {
				t.Errorf("offline verdict %s, want %s: %+v", off.Verdict, tc.offline, off.Steps)
			}
			on := WithReceipt(r, Offline(r, "", now), g.ledger, g.anchor)
			if on.Verdict != tc.online {
				t.Errorf("online verdict %s, want %s: %+v", on.Verdict, tc.online, on.Steps)
			}
			s3 := on.Steps[2]
			switch {
			case tc.names == "" && tc.online == wire.VerdictValid && s3.Status != wire.StepPass:
				t.Errorf("step 3 should pass: %+v", s3)
			case tc.names != "" && (s3.Status != wire.StepFail || s3.Code != wire.VerdictReceiptMismatch || !strings.Contains(s3.Detail, tc.names)):
				t.Errorf("step 3 should fail naming %s: %+v", tc.names, s3)
			}
		})
	}

	// The untouched receipt: VALID both ways, step 3 names what it compared.
	r := tamper(t, g.raw, "", nil)
	on := WithReceipt(r, Offline(r, "", now), g.ledger, g.anchor)
	if on.Verdict != wire.VerdictValid || !strings.Contains(on.Steps[2].Detail, "txId tx-issue, block 7") {
		t.Fatalf("genuine: %s %+v", on.Verdict, on.Steps[2])
	}
	// A block the ledger cannot place is said to be unchecked, not passed silently.
	unknown := *g.anchor
	unknown.BlockKnown, unknown.BlockNumber = false, 0
	on = WithReceipt(r, Offline(r, "", now), g.ledger, &unknown)
	if on.Verdict != wire.VerdictValid || !strings.Contains(on.Steps[2].Detail, "not checked: ledger.blockNumber") {
		t.Fatalf("unknown block: %s %+v", on.Verdict, on.Steps[2])
	}
}

// A receipt forged with the tester's own key (issuer dept-a, own key in
// issuerKey) passes its own checks, but online it is not the ledger's record.
func TestForgedReceiptWithOwnKey(t *testing.T) {
	g := newGenuine(t)
	forger := newGenuine(t) // same fields, another key
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	r := forger.receipt
	// Offline a v1 receipt has no trust anchor: its key is never vouched for (issue 14).
	if off := WithReceipt(r, Offline(r, "", now), nil, nil); off.Verdict != wire.VerdictKeyInvalid || off.Steps[5].Code != CodeUntrustedKey {
		t.Fatalf("offline (no trust anchor in a v1 receipt): %s %+v", off.Verdict, off.Steps[5])
	}
	on := WithReceipt(r, Offline(r, "", now), g.ledger, g.anchor)
	if on.Verdict != wire.VerdictReceiptMismatch || !strings.Contains(on.Steps[2].Detail, "record.keyId") || !strings.Contains(on.Steps[2].Detail, "issuerKey.publicKey") {
		t.Fatalf("online: %s %+v", on.Verdict, on.Steps[2])
	}
}

func TestHolderProofStep(t *testing.T) {
	g := newGenuine(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	r := g.receipt
	for _, tc := range []struct {
		id, verdict string
		status      string
	}{
		{"91110000ACME", wire.VerdictValid, wire.StepPass},
		{"91110000ACMF", wire.VerdictHolderMismatch, wire.StepFail},
		{"", wire.VerdictHolderMismatch, wire.StepFail},
	} {
		rep := WithReceipt(r, Offline(r, "", now), g.ledger, g.anchor)
		WithHolder(rep, Holder(r, tc.id))
		last := rep.Steps[len(rep.Steps)-1]
		if rep.Verdict != tc.verdict || last.Step != 9 || last.Name != "holder" || last.Status != tc.status {
			t.Errorf("holder %q: %s %+v", tc.id, rep.Verdict, last)
		}
	}
	noSalt := *r
	noSalt.Holder.Salt = ""
	if s := Holder(&noSalt, "91110000ACME"); s.Status != wire.StepFail || !strings.Contains(s.Detail, "no holder salt") {
		t.Errorf("no salt: %+v", s)
	}
	// A failing document keeps its own verdict; the holder step is still shown.
	bad := WithReceipt(r, Offline(r, gm.SM3Hex([]byte("other")), now), g.ledger, g.anchor)
	WithHolder(bad, Holder(r, "91110000ACME"))
	if bad.Verdict != wire.VerdictHashMismatch {
		t.Errorf("hash mismatch with holder: %s", bad.Verdict)
	}
}

// tamper sets the dotted field of a receipt file to value and decodes it
// (without Parse's format check, which Offline's step 1 runs).
func tamper(t *testing.T, raw []byte, field string, value any) *receipt.Receipt {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if field != "" {
		parts := strings.Split(field, ".")
		obj := m
		for _, p := range parts[:len(parts)-1] {
			obj = obj[p].(map[string]any)
		}
		if _, ok := obj[parts[len(parts)-1]]; !ok && parts[len(parts)-1] != "supersedes" {
			t.Fatalf("the receipt has no field %s", field)
		}
		obj[parts[len(parts)-1]] = value
	}
	b, _ := json.Marshal(m)
	var r receipt.Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}
