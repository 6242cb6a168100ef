package receipt_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/receipt/receipttest"
	"github.com/certledger/certledger/internal/testkit"
	"github.com/certledger/certledger/internal/trust"
)

var doc = []byte("Business licence of Example Co., Ltd.\n")

// check parses receiptFile and bundleFile and runs the offline check with the world's pin.
func check(t *testing.T, w *receipttest.World, receiptFile, bundleFile, document []byte) receipt.Result {
	t.Helper()
	in := receipt.Input{Pin: w.Pin, Now: w.Now.Add(48 * time.Hour)}
	in.Receipt, in.ParseErr = receipt.Parse(receiptFile)
	in.Bundle, in.BundleErr = trust.Verify(bundleFile, w.Pin)
	if document != nil {
		in.FileHash = gm.SM3Hex(document)
	}
	return receipt.Check(in)
}

// editCase is one field of a receipt file tampered with (path as
// testkit.EditJSON takes it) and the verdict and first failing step (0: none)
// the check must then give.
type editCase struct {
	path    string
	edit    func(any) any
	verdict string
	step    int
}

// checkEdits checks each case's edit of file against bundle and document.
func checkEdits(t *testing.T, w *receipttest.World, file, bundle, document []byte, cases []editCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			res := check(t, w, testkit.EditJSON(t, file, c.path, c.edit), bundle, document)
			if first := firstFailing(res); res.Verdict != c.verdict || first != c.step {
				t.Fatalf("verdict %s (first failing step %d), want %s (%d):\n%s", res.Verdict, first, c.verdict, c.step, failed(res))
			}
		})
	}
}

// firstFailing is the number of res's first failing step (0: none).
func firstFailing(res receipt.Result) int {
	for _, s := range res.Steps {
		if s.Status == wire.StepFail {
			return s.Step
		}
	}
	return 0
}

func failed(res receipt.Result) string {
	var b strings.Builder
	for _, s := range res.Steps {
		if s.Status == wire.StepFail {
			b.WriteString(s.Name + " " + s.Code + ": " + s.Detail + "\n")
		}
	}
	return b.String()
}

func TestCheckValid(t *testing.T) {
	w := receipttest.New(t, time.Now())
	r := w.Receipt(t, w.Record(t, "lic-1", doc), receipttest.Tx{})
	res := check(t, w, receipttest.Marshal(t, r), w.Bundle(t), doc)
	if !res.Valid() {
		t.Fatalf("verdict %s:\n%s", res.Verdict, failed(res))
	}
	if len(res.Steps) != 8 || res.Steps[6].Status != wire.StepSkipped || res.Steps[3].Code != "NOT_BATCHED" {
		t.Fatalf("steps: %+v", res.Steps)
	}
	if len(res.Unknown) != 3 || !strings.Contains(res.Unknown[0], "revoked") || !strings.Contains(res.Unknown[2], "committed valid") {
		t.Fatalf("unknown: %q", res.Unknown)
	}
	if res.Endorsements == nil || !res.Endorsements.Satisfied || len(res.Endorsements.MSPs) != 2 {
		t.Fatalf("endorsements: %+v", res.Endorsements)
	}
	// Without the document: VALID, step 2 NO_FILE.
	res = check(t, w, receipttest.Marshal(t, r), w.Bundle(t), nil)
	if !res.Valid() || res.Steps[1].Code != receipt.CodeNoFile {
		t.Fatalf("no file: %s %+v", res.Verdict, res.Steps[1])
	}
	// Another document.
	res = check(t, w, receipttest.Marshal(t, r), w.Bundle(t), []byte("another"))
	if res.Verdict != wire.VerdictHashMismatch {
		t.Fatalf("other document: %s", res.Verdict)
	}
}

// flipB64 flips the last byte (or the byte at -k) of a base64 value.
func flipB64(k int) func(any) any {
	return func(v any) any {
		b, _ := base64.StdEncoding.DecodeString(v.(string))
		b[len(b)-k] ^= 0x01
		return base64.StdEncoding.EncodeToString(b)
	}
}

func str(s string) func(any) any { return func(any) any { return s } }

// TestTamperEachField edits one field of a valid receipt at a time and checks
// the offline verdict: never VALID for anything the receipt proves; the
// fields that prove nothing (the block number as reported, the issuer's
// governance fingerprint, the holder part, the verify link) leave it VALID and
// the answer says what is not proven.
func TestTamperEachField(t *testing.T) {
	w := receipttest.New(t, time.Now())
	rec := w.Record(t, "lic-1", doc)
	r := w.Receipt(t, rec, receipttest.Tx{})
	file := receipttest.Marshal(t, r)
	other, _ := gm.GenerateKey()
	otherPEM, _ := gm.MarshalPublicKeyPEM(&other.PublicKey)
	otherSig, _ := canon.Sign(w.DeptKey, canon.KindCertificate, map[string]any{"id": "x", "docHash": rec.DocHash, "type": "t", "issuer": "dept-a",
		"holderCommitment": rec.HolderCommitment, "validFrom": rec.ValidFrom, "validUntil": "", "keyId": rec.KeyID, "supersedes": ""})
	cases := []editCase{
		{"version", str("certledger-receipt/v1"), wire.VerdictBadFormat, 1},
		{"record.id", str("lic-2"), wire.VerdictNotAnchored, 3},
		{"record.docHash", str(gm.SM3Hex([]byte("x"))), wire.VerdictHashMismatch, 2},
		{"record.type", str("permit"), wire.VerdictNotAnchored, 3},
		{"record.issuer", str("dept-b"), wire.VerdictBadFormat, 1},
		{"record.holderCommitment", str(gm.SM3Hex([]byte("h"))), wire.VerdictNotAnchored, 3},
		{"record.validFrom", str(wire.FormatTime(w.Now.Add(-2 * time.Hour))), wire.VerdictNotAnchored, 3},
		{"record.validUntil", str(wire.FormatTime(w.Now.Add(50 * 365 * 24 * time.Hour))), wire.VerdictNotAnchored, 3},
		{"record.keyId", str(gm.KeyID(&other.PublicKey)), wire.VerdictBadFormat, 1},
		{"record.supersedes", str("lic-0"), wire.VerdictNotAnchored, 3},
		{"record.signature", str(otherSig), wire.VerdictNotAnchored, 3},
		{"issuedAt", str(wire.FormatTime(w.Now.Add(-time.Minute))), wire.VerdictNotAnchored, 3},
		{"issuerKey.departmentId", str("dept-b"), wire.VerdictBadFormat, 1},
		{"issuerKey.keyId", str(gm.KeyID(&other.PublicKey)), wire.VerdictBadFormat, 1},
		{"issuerKey.publicKey", str(string(otherPEM)), wire.VerdictBadFormat, 1},
		{"ledger.txId", str(strings.Repeat("ab", 32)), wire.VerdictNotAnchored, 3},
		{"ledger.channel", str("otherchannel"), wire.VerdictBadFormat, 1},
		{"ledger.blockNumber", func(any) any { return 8 }, wire.VerdictValid, 0},
		{"anchor.header", flipB64(1), wire.VerdictNotAnchored, 3},
		{"anchor.proposalPayload", flipB64(1), wire.VerdictNotAnchored, 3},
		{"anchor.proposalResponse", flipB64(1), wire.VerdictNotAnchored, 3},
		{"anchor.endorsements.0.endorser", flipB64(30), wire.VerdictNotAnchored, 3},
		{"anchor.endorsements.0.signature", flipB64(1), wire.VerdictNotAnchored, 3},
		{"anchor.endorsements.1.signature", flipB64(1), wire.VerdictNotAnchored, 3},
		{"bundleFingerprint", str(strings.Repeat("0", 64)), wire.VerdictValid, 0},
		{"holder.salt", str(base64.StdEncoding.EncodeToString([]byte("another salt, 16+ bytes"))), wire.VerdictValid, 0},
		{"verifyUrl", str("https://evil.example/verify"), wire.VerdictValid, 0},
	}
	bundle := w.Bundle(t)
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			edited := testkit.EditJSON(t, file, c.path, c.edit)
			if bytes.Equal(edited, file) {
				t.Fatal("the edit changed nothing")
			}
			res := check(t, w, edited, bundle, doc)
			if res.Verdict != c.verdict {
				t.Fatalf("verdict %s, want %s:\n%s", res.Verdict, c.verdict, failed(res))
			}
			if first := firstFailing(res); first != c.step {
				t.Fatalf("first failing step %d, want %d:\n%s", first, c.step, failed(res))
			}
			if c.path == "ledger.blockNumber" && !strings.Contains(res.Unknown[2], "block number is as reported") {
				t.Fatalf("unknown: %q", res.Unknown)
			}
			if c.path == "bundleFingerprint" && !strings.Contains(res.Steps[0].Detail, "not the one pinned here") {
				t.Fatalf("step 1: %s", res.Steps[0].Detail)
			}
		})
	}
}

// TestForgedReceipt: the attack of issue 14 — a receipt signed with the
// tester's own key, issuer dept-a, own public key in issuerKey — is not VALID
// offline, whether it keeps a genuine receipt's anchor or not.
func TestForgedReceipt(t *testing.T) {
	w := receipttest.New(t, time.Now())
	genuine := w.Receipt(t, w.Record(t, "lic-1", doc), receipttest.Tx{})
	own, _ := gm.GenerateKey()
	ownPEM, _ := gm.MarshalPublicKeyPEM(&own.PublicKey)
	forged := genuine.Record
	forged.ID, forged.KeyID = "lic-forged", gm.KeyID(&own.PublicKey)
	sig, err := canon.Sign(own, canon.KindCertificate, forged)
	if err != nil {
		t.Fatal(err)
	}
	forged.Signature = sig
	r := *genuine
	r.Record = forged
	r.IssuerKey = receipt.IssuerKey{DepartmentID: "dept-a", KeyID: forged.KeyID, PublicKey: string(ownPEM)}
	res := check(t, w, receipttest.Marshal(t, &r), w.Bundle(t), doc)
	if res.Valid() || res.Steps[2].Code != receipt.CodeWriteSetMismatch || res.Steps[5].Code != trust.UnknownKey {
		t.Fatalf("forged with a genuine anchor: %s\n%s", res.Verdict, failed(res))
	}
	// The forger's own transaction, endorsed by peers of their own CA.
	fakeW := receipttest.New(t, w.Now)
	fake := receipttest.New(t, w.Now)
	fake.DeptKey = own
	fr := fake.Receipt(t, forged, receipttest.Tx{Endorsers: fakeW.Orgs[:2]})
	res = check(t, w, receipttest.Marshal(t, fr), w.Bundle(t), doc)
	if res.Valid() || res.Steps[2].Code != receipt.CodeEndorsementPolicy || res.Steps[5].Status != wire.StepFail {
		t.Fatalf("forged with its own endorsements: %s\n%s", res.Verdict, failed(res))
	}
}

// TestEndorsementOutsideBundle: endorsements from a CA the bundle does not
// list for the MSP (an impostor DeptBMSP), from an MSP the bundle does not
// list, from a client (not a peer), and one too few endorsements.
func TestEndorsementOutsideBundle(t *testing.T) {
	w := receipttest.New(t, time.Now())
	rec := w.Record(t, "lic-1", doc)
	impostor := receipttest.NewOrg(t, "DeptBMSP", w.Now)
	stranger := receipttest.NewOrg(t, "StrangerMSP", w.Now)
	client := *w.Org("DeptBMSP")
	ck, cpem := client.Issue(t, "user1", "client", w.Now)
	client.PeerKey, client.PeerPEM = ck, cpem
	client.Endorser = receipttest.Serialize(t, "DeptBMSP", cpem)
	bundle := w.Bundle(t)
	for _, c := range []struct {
		name      string
		endorsers []*receipttest.Org
		problem   string
	}{
		{"CA outside the bundle", []*receipttest.Org{w.Org("DeptAMSP"), impostor}, "does not chain to a root CA of DeptBMSP"},
		{"MSP outside the bundle", []*receipttest.Org{w.Org("DeptAMSP"), stranger}, "StrangerMSP is not in the trust bundle"},
		{"client, not peer", []*receipttest.Org{w.Org("DeptAMSP"), &client}, "not a peer's"},
		{"one organisation twice", []*receipttest.Org{w.Org("DeptAMSP"), w.Org("DeptAMSP")}, "do not satisfy the bundle's policy 2 of"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := w.Receipt(t, rec, receipttest.Tx{Endorsers: c.endorsers})
			res := check(t, w, receipttest.Marshal(t, r), bundle, doc)
			if res.Verdict != wire.VerdictNotAnchored || res.Steps[2].Code != receipt.CodeEndorsementPolicy || !strings.Contains(res.Steps[2].Detail, c.problem) {
				t.Fatalf("%s: %s\n%s", c.name, res.Verdict, failed(res))
			}
		})
	}
	// All three organisations, one of them an impostor: still 2 of 3, VALID.
	r := w.Receipt(t, rec, receipttest.Tx{Endorsers: []*receipttest.Org{w.Org("DeptAMSP"), impostor, w.Org("GovMSP")}})
	if res := check(t, w, receipttest.Marshal(t, r), bundle, doc); !res.Valid() || res.Endorsements.Checks[1].Valid {
		t.Fatalf("2 of 3 with an impostor: %s %+v", res.Verdict, res.Endorsements)
	}
}

// TestBundleTrust: a bundle signed by a key other than the pinned governance
// key, a tampered bundle, no bundle.
func TestBundleTrust(t *testing.T) {
	w := receipttest.New(t, time.Now())
	file := receipttest.Marshal(t, w.Receipt(t, w.Record(t, "lic-1", doc), receipttest.Tx{}))
	rogue, _ := gm.GenerateKey()
	res := check(t, w, file, w.Sign(t, w.BundleOf(), rogue), doc)
	if res.Verdict != wire.VerdictUntrustedBundle || !strings.Contains(res.Steps[0].Detail, "not signed by the pinned governance key") {
		t.Fatalf("rogue bundle: %s %s", res.Verdict, res.Steps[0].Detail)
	}
	tampered := bytes.Replace(w.Bundle(t), []byte("市场监督管理局"), []byte("市场监督管理总局"), 1)
	if res := check(t, w, file, tampered, doc); res.Verdict != wire.VerdictUntrustedBundle {
		t.Fatalf("tampered bundle: %s", res.Verdict)
	}
	if res := check(t, w, file, nil, doc); res.Verdict != wire.VerdictUntrustedBundle {
		t.Fatalf("no bundle: %s", res.Verdict)
	}
}

// TestBundleAndRevocation: a key revoked (compromised) from before the issue.
// A bundle older than the revocation cannot know it: VALID, and the answer
// says revocations after the bundle's height are unknown. The bundle that
// lists the revocation says KEY_INVALID (KEY_REVOKED). A bundle older than
// the key itself does not list it: KEY_INVALID (UNKNOWN_KEY), never VALID.
func TestBundleAndRevocation(t *testing.T) {
	w := receipttest.New(t, time.Now())
	file := receipttest.Marshal(t, w.Receipt(t, w.Record(t, "lic-1", doc), receipttest.Tx{}))
	old := w.Bundle(t)
	res := check(t, w, file, old, doc)
	if !res.Valid() || !strings.Contains(res.Unknown[1], "key revocations registered after the trust bundle (height 10") {
		t.Fatalf("old bundle: %s %q", res.Verdict, res.Unknown)
	}

	nb := w.BundleOf()
	nb.Height = 20
	k := &nb.Departments[0].Keys[0]
	k.RevokedAt, k.RevokeReason = wire.FormatTime(w.Now.Add(-time.Hour)), registry.ReasonCompromised
	res = check(t, w, file, w.Sign(t, nb, nil), doc)
	if res.Verdict != wire.VerdictKeyInvalid || res.Steps[5].Code != registry.KeyRevoked || !strings.Contains(res.Steps[5].Detail, "height 20") {
		t.Fatalf("newer bundle: %s %+v", res.Verdict, res.Steps[5])
	}

	pre := w.BundleOf()
	pre.Height = 3
	pre.Departments[0].Keys = []registry.Key{}
	res = check(t, w, file, w.Sign(t, pre, nil), doc)
	if res.Verdict != wire.VerdictKeyInvalid || res.Steps[5].Code != trust.UnknownKey || res.Steps[4].Code != receipt.CodeNotInBundle {
		t.Fatalf("bundle before the key: %s %+v %+v", res.Verdict, res.Steps[4], res.Steps[5])
	}

	// Issued after the bundle's block time: the key answer says so.
	late := w.Now.Add(3 * time.Hour)
	file = receipttest.Marshal(t, w.Receipt(t, w.Record(t, "lic-2", doc), receipttest.Tx{Time: &late}))
	res = check(t, w, file, old, doc)
	if !res.Valid() || !strings.Contains(res.Steps[5].Detail, "after the bundle") {
		t.Fatalf("issued after the bundle: %s %+v", res.Verdict, res.Steps[5])
	}
}
