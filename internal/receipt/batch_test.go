package receipt_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/receipt/receipttest"
	"github.com/certledger/certledger/internal/trust"
)

func batchDoc(i int) []byte { return []byte(fmt.Sprintf("licence %d\n", i)) }

// TestCheckBatched: a batched certificate's receipt (leaf, proof, signed
// header, the anchoring transaction's endorsements) verifies offline; each of
// its own fields tampered with is not VALID.
func TestCheckBatched(t *testing.T) {
	w := receipttest.New(t, time.Now())
	b := w.NewBatch(t, "bt-1", 37, batchDoc)
	r := w.BatchReceipt(t, b, 21, receipttest.Tx{})
	file := receipttest.Marshal(t, r)
	bundle := w.Bundle(t)
	res := check(t, w, file, bundle, batchDoc(21))
	if !res.Valid() || res.Steps[3].Status != wire.StepPass || !strings.Contains(res.Steps[4].Detail, "header of batch bt-1") ||
		!strings.Contains(res.Steps[2].Detail, "anchors exactly this batch header") {
		t.Fatalf("batched: %s\n%s%+v", res.Verdict, failed(res), res.Steps)
	}
	other := w.NewBatch(t, "bt-1", 37, func(i int) []byte { return []byte("other") })
	flipHex := func(v any) any {
		s := v.(string)
		return s[:len(s)-1] + map[bool]string{true: "0", false: "1"}[s[len(s)-1] != '0']
	}
	cases := []editCase{
		{"batch.record.docHash", str(gm.SM3Hex(batchDoc(22))), wire.VerdictHashMismatch, 2},
		{"batch.record.id", str("bt-1-0000022"), wire.VerdictBadSignature, 4},
		{"batch.record.validUntil", str(wire.FormatTime(w.Now.Add(99 * 365 * 24 * time.Hour))), wire.VerdictBadSignature, 4},
		{"batch.record.issuer", str("dept-b"), wire.VerdictBadFormat, 1},
		{"batch.proof.index", func(any) any { return 22 }, wire.VerdictBadSignature, 4},
		{"batch.proof.size", func(any) any { return 38 }, wire.VerdictBadSignature, 4},
		{"batch.proof.path.0", flipHex, wire.VerdictBadSignature, 4},
		{"batch.header.root", str(other.Header.Root), wire.VerdictNotAnchored, 3},
		{"batch.header.count", func(any) any { return 36 }, wire.VerdictNotAnchored, 3},
		{"batch.header.signature", str(other.Header.Signature), wire.VerdictNotAnchored, 3},
		{"batch.header.anchoredAt", str(wire.FormatTime(w.Now.Add(time.Second))), wire.VerdictNotAnchored, 3},
		{"batch.header.txId", str(strings.Repeat("cd", 32)), wire.VerdictNotAnchored, 3},
		{"issuedAt", str(wire.FormatTime(w.Now.Add(-time.Minute))), wire.VerdictNotAnchored, 3},
		{"ledger.txId", str(strings.Repeat("ab", 32)), wire.VerdictNotAnchored, 3},
		{"anchor.proposalResponse", flipB64(1), wire.VerdictNotAnchored, 3},
		{"anchor.endorsements.1.signature", flipB64(1), wire.VerdictNotAnchored, 3},
		{"holder", func(any) any { return map[string]any{"salt": base64.StdEncoding.EncodeToString(make([]byte, 16))} }, wire.VerdictValid, 0},
	}
	checkEdits(t, w, file, bundle, batchDoc(21), cases)
	// The header signed by another key of the same department is the
	// chaincode's business; one the bundle does not list is never VALID.
	pre := w.BundleOf()
	pre.Departments[0].Keys = pre.Departments[0].Keys[:0]
	if res := check(t, w, file, w.Sign(t, pre, nil), batchDoc(21)); res.Verdict != wire.VerdictKeyInvalid || res.Steps[5].Code != trust.UnknownKey {
		t.Fatalf("key not in the bundle: %s %+v", res.Verdict, res.Steps[5])
	}
	// A receipt may hold a record or a batch, not both.
	both := *r
	both.Record = w.Record(t, "lic-1", doc)
	if _, err := receipt.Parse(receipttest.Marshal(t, &both)); err == nil {
		t.Fatal("a receipt with both a record and a batch parsed")
	}
}

// BenchmarkCheckBatched is BenchmarkCheckSingle for a certificate of a batch of
// 65,536 records (a 16-hash inclusion proof; the header's SM2 signature).
func BenchmarkCheckBatched(b *testing.B) {
	w := receipttest.New(b, time.Now())
	bt := w.NewBatch(b, "bt-1", 1<<16, batchDoc)
	file := receipttest.Marshal(b, w.BatchReceipt(b, bt, 40_000, receipttest.Tx{}))
	benchCheck(b, w, file, batchDoc(40_000))
}

// TestCheckBatchedV2: the receipt of a certificate of a v2 batch (its leaf the
// v2 signed view) verifies offline; a changed v2 field breaks step 4; a record
// of the other kind than its batch's is malformed.
func TestCheckBatchedV2(t *testing.T) {
	w := receipttest.New(t, time.Now())
	b := w.NewBatchV2(t, "bt-2", 29, batchDoc)
	bundle := w.Bundle(t)
	for _, i := range []int{6, 7} { // without and with sector fields
		file := receipttest.Marshal(t, w.BatchReceipt(t, b, i, receipttest.Tx{}))
		res := check(t, w, file, bundle, batchDoc(i))
		if !res.Valid() || res.Steps[3].Status != wire.StepPass || !strings.Contains(res.Steps[4].Detail, "header of batch bt-2") {
			t.Fatalf("v2 batched %d: %s\n%s%+v", i, res.Verdict, failed(res), res.Steps)
		}
	}
	file := receipttest.Marshal(t, w.BatchReceipt(t, b, 7, receipttest.Tx{}))
	cases := []editCase{
		{"batch.record.docHash", str(gm.SM3Hex(batchDoc(8))), wire.VerdictHashMismatch, 2},
		{"batch.record.issuerName", str("另一个局"), wire.VerdictBadSignature, 4},
		{"batch.record.issueDate", str("2020-01-01"), wire.VerdictBadSignature, 4},
		{"batch.record.extensions", func(any) any { return map[string]any{"KZ_ZS": "别处"} }, wire.VerdictBadSignature, 4},
		{"batch.record.holderNameCommitment", str(gm.SM3Hex([]byte("someone else"))), wire.VerdictBadSignature, 4},
		{"batch.record.recordVersion", func(any) any { return nil }, wire.VerdictBadFormat, 1},
		{"batch.header.recordKind", str("certledger/v1/certificate"), wire.VerdictBadFormat, 1},
	}
	checkEdits(t, w, file, bundle, batchDoc(7), cases)
}

// TestCheckBatchedV2Fields: offline, step 6 checks a batched v2 record's
// issuerCode and issuerName against the trust bundle's department (the
// chaincode anchored the batch without seeing its records); the bundle has no
// type catalogue, so holderCodeType is listed among the unknowns.
func TestCheckBatchedV2Fields(t *testing.T) {
	w := receipttest.New(t, time.Now())
	bundle := w.Bundle(t)
	const otherCode = "11430000006122244L" // another organisation's unified social credit code
	for _, tc := range []struct {
		name  string
		edit  func(i int, r *batch.Record)
		field string // "" = VALID
	}{
		{"fields agree", nil, ""},
		{"another organisation's issuerCode", func(i int, r *batch.Record) {
			gid, err := identifier.New(receipttest.LicenceType, otherCode, fmt.Sprintf("2026%07d", i), "001")
			if err != nil {
				t.Fatal(err)
			}
			r.ID, r.IssuerCode = gid.String(), otherCode
		}, "issuerCode"},
		{"another issuerName", func(_ int, r *batch.Record) { r.IssuerName = "另一个局" }, "issuerName"},
		// Not knowable offline: the bundle carries no catalogue.
		{"holderCodeType the type does not take", func(_ int, r *batch.Record) { r.HolderCodeType = "111" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := w.NewBatchV2Edited(t, "bt-f", 5, batchDoc, tc.edit)
			res := check(t, w, receipttest.Marshal(t, w.BatchReceipt(t, b, 3, receipttest.Tx{})), bundle, batchDoc(3))
			s := res.Steps[5]
			if tc.field == "" {
				if !res.Valid() || !strings.Contains(s.Detail, "issuerCode and issuerName are the department's") ||
					!strings.Contains(strings.Join(res.Unknown, "\n"), "holderCodeType") {
					t.Fatalf("%s\n%s%+v\n%q", res.Verdict, failed(res), s, res.Unknown)
				}
				return
			}
			if res.Verdict != wire.VerdictKeyInvalid || s.Status != wire.StepFail || s.Code != certificate.CodeNotAuthorized ||
				!strings.Contains(s.Detail, tc.field) || res.Steps[4].Status != wire.StepPass {
				t.Fatalf("%s\n%s", res.Verdict, failed(res))
			}
		})
	}
}
