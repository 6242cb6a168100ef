package verify

import (
	"encoding/base64"
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

func signed(t *testing.T) *receipt.Receipt {
	k, _ := gm.GenerateKey()
	pub, _ := gm.MarshalPublicKeyPEM(&k.PublicKey)
	salt, _ := gm.NewSalt()
	rec := client.CertificateRecord{Fields: client.CertificateFields{ID: "c-1", DocHash: gm.SM3Hex([]byte("doc")), Type: "t", Issuer: "d",
		HolderCommitment: gm.Commitment(salt, "h"), ValidFrom: "2026-01-01T00:00:00Z", ValidUntil: "2030-01-01T00:00:00Z", KeyID: gm.KeyID(&k.PublicKey)}}
	sig, err := canon.Sign(k, canon.KindCertificate, rec)
	if err != nil {
		t.Fatal(err)
	}
	rec.Signature = sig
	return &receipt.Receipt{Version: receipt.Version, Record: rec,
		IssuerKey: receipt.IssuerKey{DepartmentID: "d", KeyID: rec.KeyID, PublicKey: string(pub)},
		Holder:    receipt.Holder{Salt: base64.StdEncoding.EncodeToString(salt)}}
}

func statuses(steps []client.Step) string {
	s := ""
	for _, x := range steps {
		s += x.Status[:1]
	}
	return s
}

func TestOffline(t *testing.T) {
	r := signed(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := Offline(r, "", now)
	if got := statuses(steps); got != "pssspssp" {
		t.Fatalf("statuses %s", got)
	}
	rep := WithReceipt(r, steps, nil, nil)
	if rep.Verdict != wire.VerdictKeyInvalid || rep.Online || rep.Note != OfflineNote || rep.Steps[5].Code != CodeUntrustedKey {
		t.Fatalf("%+v", rep)
	}
	if v := WithReceipt(r, Offline(r, gm.SM3Hex([]byte("other")), now), nil, nil).Verdict; v != wire.VerdictHashMismatch {
		t.Fatal(v)
	}
	if v := WithReceipt(r, Offline(r, "", time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)), nil, nil).Verdict; v != wire.VerdictExpired {
		t.Fatal(v)
	}
	if v := WithReceipt(r, Offline(r, "", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), nil, nil).Verdict; v != wire.VerdictNotYetValid {
		t.Fatal(v)
	}
	bad := *r
	bad.Record.Type = "x"
	if v := WithReceipt(&bad, Offline(&bad, "", now), nil, nil).Verdict; v != wire.VerdictBadSignature {
		t.Fatal(v)
	}
	other := signed(t)
	swapped := *r
	swapped.IssuerKey.PublicKey = other.IssuerKey.PublicKey
	if v := WithReceipt(&swapped, Offline(&swapped, "", now), nil, nil).Verdict; v != wire.VerdictBadSignature {
		t.Fatal(v)
	}
}

func TestWithLedger(t *testing.T) {
	r := signed(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	ledger := func(verdict string, fail int, cert client.CertificateRecord) *client.VerifyResult {
		res := &client.VerifyResult{Verdict: verdict, Certificate: &client.Certificate{Record: cert}}
		for n := 1; n <= 8; n++ {
			st := "pass"
			if n == 2 {
				st = "skipped"
			}
			code := ""
			if n == fail {
				st, code = "fail", verdict
			}
			res.Steps = append(res.Steps, client.Step{Step: n, Name: certificate.StepName(n), Status: st, Code: code})
		}
		return res
	}
	rep := WithReceipt(r, Offline(r, "", now), ledger(wire.VerdictValid, 0, r.Record), nil)
	if rep.Verdict != wire.VerdictValid || !rep.Online || statuses(rep.Steps) != "pspppppp" {
		t.Fatalf("%s %s", rep.Verdict, statuses(rep.Steps))
	}
	if rep := WithReceipt(r, Offline(r, "", now), ledger("REVOKED", 7, r.Record), nil); rep.Verdict != "REVOKED" {
		t.Fatal(rep.Verdict)
	}
	differs := r.Record
	differs.Signature = "AAAA"
	if rep := WithReceipt(r, Offline(r, "", now), ledger(wire.VerdictValid, 0, differs), nil); rep.Verdict != wire.VerdictReceiptMismatch || rep.Steps[2].Code != wire.VerdictReceiptMismatch {
		t.Fatal(rep.Verdict)
	}
	res := ledger(wire.VerdictValid, 0, r.Record)
	if rep := FromLedger(res, LocalHash(r.Record.DocHash)); rep.Steps[1].Status != wire.StepPass || rep.Verdict != wire.VerdictValid {
		t.Fatalf("%+v", rep.Steps[1])
	}
}

// Step 1 runs before anything is sent: an identifier with a wrong check
// character is BAD_FORMAT, named; a well-formed query (free-form id, real
// identifier, hash) gives nil.
func TestMalformed(t *testing.T) {
	const real = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
	now := time.Now()
	for _, q := range [][2]string{{"c-1", ""}, {real, ""}, {"", gm.SM3Hex([]byte("doc"))}} {
		if rep := Malformed(q[0], q[1], now); rep != nil {
			t.Errorf("%q %q: %+v", q[0], q[1], rep)
		}
	}
	rep := Malformed(real[:len(real)-1]+"V", "", now)
	if rep == nil || rep.Verdict != wire.VerdictBadFormat || rep.Steps[0].Status != wire.StepFail || len(rep.Steps) != 8 ||
		!strings.Contains(rep.Steps[0].Detail, "expected 'U'") {
		t.Fatalf("wrong check character: %+v", rep)
	}
	if rep := Malformed("c/1", "", now); rep == nil || rep.Verdict != wire.VerdictBadFormat {
		t.Fatalf("c/1: %+v", rep)
	}
}
