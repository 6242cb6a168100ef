package certificate_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
)

// fixture is a certificate issued at t0 by "market" with a key valid from t0-1h.
type fixture struct {
	cert certificate.Certificate
	key  registry.Key
}

// newKey is a fresh SM2 key and its registry entry, valid from t0-1h.
func newKey(t *testing.T) (*sm2.PrivateKey, registry.Key) {
	t.Helper()
	sk, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := gm.MarshalPublicKeyPEM(&sk.PublicKey)
	key, err := registry.NewKey(string(p), t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return sk, key
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	sk, key := newKey(t)
	r := goodRecord()
	r.KeyID = key.KeyID
	var err error
	r.Signature, err = canon.Sign(sk, canon.KindCertificate, r)
	if err != nil {
		t.Fatal(err)
	}
	c, err := certificate.New(r, t0, "tx1")
	if err != nil {
		t.Fatal(err)
	}
	return fixture{cert: c, key: key}
}

func (f fixture) input() certificate.Input {
	c, k := f.cert, f.key
	return certificate.Input{
		Query: certificate.Query{ID: c.ID}, Certificate: &c, Matches: []string{c.ID},
		IssuerKey: &k, KeyOwner: "market", Now: t0.Add(24 * time.Hour),
	}
}

func TestEvaluate(t *testing.T) {
	f := newFixture(t)
	at := func(d time.Duration) string { return wire.FormatTime(t0.Add(d)) }

	// A batch of three certificates holding f.cert at index 1.
	leaf, _ := canon.Payload(canon.KindCertificate, f.cert.Record)
	leaves := [][]byte{[]byte("a"), leaf, []byte("c")}
	proof, err := merkle.Proof(leaves, 1)
	if err != nil {
		t.Fatal(err)
	}
	goodProof := &certificate.Inclusion{Index: 1, Size: 3, Proof: proof, Root: merkle.Root(leaves)}
	badProof := &certificate.Inclusion{Index: 0, Size: 3, Proof: proof, Root: merkle.Root(leaves)}

	for _, tc := range []struct {
		name    string
		change  func(*certificate.Input)
		verdict string
		step    int    // the step expected to decide (0 = none fails)
		code    string // its code
	}{
		{"valid", func(*certificate.Input) {}, wire.VerdictValid, 0, ""},
		{"valid by hash", func(in *certificate.Input) { in.Query = certificate.Query{DocHash: f.cert.DocHash} }, wire.VerdictValid, 0, ""},
		{"valid with matching file hash", func(in *certificate.Input) { in.FileHash = f.cert.DocHash }, wire.VerdictValid, 0, ""},
		{"empty query", func(in *certificate.Input) { in.Query = certificate.Query{} }, wire.VerdictBadFormat, 1, wire.VerdictBadFormat},
		{"bad hash in query", func(in *certificate.Input) { in.Query = certificate.Query{DocHash: "ABC"} }, wire.VerdictBadFormat, 1, wire.VerdictBadFormat},
		{"undecodable input", func(in *certificate.Input) { in.FormatError = "not JSON" }, wire.VerdictBadFormat, 1, wire.VerdictBadFormat},
		{"file hash differs", func(in *certificate.Input) { in.FileHash = gm.SM3Hex([]byte("other")) }, wire.VerdictHashMismatch, 2, wire.VerdictHashMismatch},
		{"id and other docHash", func(in *certificate.Input) { in.Query.DocHash = gm.SM3Hex([]byte("other")) }, wire.VerdictHashMismatch, 2, wire.VerdictHashMismatch},
		{"not found", func(in *certificate.Input) { in.Certificate, in.Matches = nil, nil }, wire.VerdictNotFound, 3, wire.VerdictNotFound},
		{"batched, proof verifies", func(in *certificate.Input) { in.Certificate.BatchID, in.Inclusion = "b-1", goodProof }, wire.VerdictValid, 0, ""},
		{"batched, wrong proof", func(in *certificate.Input) { in.Certificate.BatchID, in.Inclusion = "b-1", badProof }, wire.VerdictBadSignature, 4, certificate.CodeMerkleMismatch},
		{"tampered field", func(in *certificate.Input) { in.Certificate.Type = "permit" }, wire.VerdictBadSignature, 5, wire.VerdictBadSignature},
		{"tampered validUntil", func(in *certificate.Input) { in.Certificate.ValidUntil = "2030-01-01T00:00:00Z" }, wire.VerdictBadSignature, 5, wire.VerdictBadSignature},
		{"other key supplied", func(in *certificate.Input) { in.IssuerKey.KeyID = gm.SM3Hex(nil) }, wire.VerdictBadSignature, 5, wire.VerdictBadSignature},
		{"unknown key", func(in *certificate.Input) { in.IssuerKey, in.KeyOwner = nil, "" }, wire.VerdictKeyInvalid, 6, certificate.CodeKeyUnknown},
		{"key of another department", func(in *certificate.Input) { in.KeyOwner = "police" }, wire.VerdictKeyInvalid, 6, certificate.CodeKeyNotIssuers},
		{"key rotated before issue", func(in *certificate.Input) { in.IssuerKey.RotatedAt = at(-time.Minute) }, wire.VerdictKeyInvalid, 6, registry.KeyRotated},
		{"key rotated after issue", func(in *certificate.Input) { in.IssuerKey.RotatedAt = at(time.Minute) }, wire.VerdictValid, 0, ""},
		{"key compromised before issue", func(in *certificate.Input) {
			in.IssuerKey.RevokedAt, in.IssuerKey.RevokeReason = at(-time.Minute), registry.ReasonCompromised
		}, wire.VerdictKeyInvalid, 6, registry.KeyRevoked},
		{"key compromised after issue", func(in *certificate.Input) {
			in.IssuerKey.RevokedAt, in.IssuerKey.RevokeReason = at(time.Minute), registry.ReasonCompromised
		}, wire.VerdictValid, 0, ""},
		{"key not yet valid at issue", func(in *certificate.Input) { in.IssuerKey.ValidFrom = at(time.Minute) }, wire.VerdictKeyInvalid, 6, registry.KeyNotYetValid},
		{"revoked", func(in *certificate.Input) {
			in.Certificate.Status, in.Certificate.StatusReason = certificate.StatusRevoked, "fraud"
		}, wire.VerdictRevoked, 7, wire.VerdictRevoked},
		{"suspended", func(in *certificate.Input) { in.Certificate.Status = certificate.StatusSuspended }, wire.VerdictSuspended, 7, wire.VerdictSuspended},
		{"superseded", func(in *certificate.Input) {
			in.Certificate.Status, in.Certificate.SupersededBy = certificate.StatusSuperseded, "c-2"
		}, wire.VerdictSuperseded, 7, wire.VerdictSuperseded},
		{"revoked but offline", func(in *certificate.Input) { in.Certificate.Status, in.Offline = certificate.StatusRevoked, true }, wire.VerdictValid, 0, ""},
		{"expired", func(in *certificate.Input) { in.Now = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }, wire.VerdictExpired, 8, wire.VerdictExpired},
		{"not yet valid", func(in *certificate.Input) { in.Now = time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC) }, wire.VerdictNotYetValid, 8, wire.VerdictNotYetValid},
		{"revoked and expired: the earlier step decides", func(in *certificate.Input) {
			in.Certificate.Status, in.Now = certificate.StatusRevoked, time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
		}, wire.VerdictRevoked, 7, wire.VerdictRevoked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := f.input()
			c, k := *in.Certificate, *in.IssuerKey // fresh copies per case
			in.Certificate, in.IssuerKey = &c, &k
			tc.change(&in)
			res := certificate.Evaluate(in)
			if res.Verdict != tc.verdict {
				t.Fatalf("verdict %s, want %s; steps %+v", res.Verdict, tc.verdict, res.Steps)
			}
			if len(res.Steps) != 8 {
				t.Fatalf("%d steps", len(res.Steps))
			}
			names := []string{"format", "hash", "lookup", "merkle", "signature", "key", "status", "validity"}
			firstFail := 0
			for i, s := range res.Steps {
				if s.Step != i+1 || s.Name != names[i] || s.Code == "" {
					t.Fatalf("step %d = %+v", i+1, s)
				}
				if s.Status == wire.StepFail && firstFail == 0 {
					firstFail = s.Step
				}
			}
			if firstFail != tc.step {
				t.Fatalf("first failing step %d, want %d: %+v", firstFail, tc.step, res.Steps)
			}
			if tc.step > 0 && res.Steps[tc.step-1].Code != tc.code {
				t.Fatalf("step %d code %s, want %s", tc.step, res.Steps[tc.step-1].Code, tc.code)
			}
			if res.CheckedAt != wire.FormatTime(in.Now) || res.Matches == nil {
				t.Fatalf("result = %+v", res)
			}
		})
	}
}

func TestEvaluateSkips(t *testing.T) {
	f := newFixture(t)
	in := f.input()
	in.Offline = true
	res := certificate.Evaluate(in)
	want := map[int]string{2: certificate.CodeClientHashes, 4: certificate.CodeNotBatched, 7: certificate.CodeOffline}
	for _, s := range res.Steps {
		if code, ok := want[s.Step]; ok {
			if s.Status != wire.StepSkipped || s.Code != code {
				t.Errorf("step %d = %+v, want skipped %s", s.Step, s, code)
			}
		} else if s.Status != wire.StepPass {
			t.Errorf("step %d = %+v, want pass", s.Step, s)
		}
	}
	in = f.input()
	in.Certificate.BatchID = "b-1"
	if s := certificate.Evaluate(in).Steps[3]; s.Status != wire.StepSkipped || s.Code != certificate.CodeNoProof {
		t.Errorf("batched without proof: %+v", s)
	}
}

func TestResultJSON(t *testing.T) {
	res := certificate.Evaluate(certificate.Input{Query: certificate.Query{ID: "x"}, Now: t0})
	b, _ := json.Marshal(res)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"verdict", "checkedAt", "certificate", "issuerKey", "matches", "steps"} {
		if _, ok := m[k]; !ok {
			t.Errorf("VerifyResult JSON lacks %q: %s", k, b)
		}
	}
	if m["verdict"] != "NOT_FOUND" {
		t.Errorf("verdict %v", m["verdict"])
	}
}

func TestSummarize(t *testing.T) {
	mk := func(id, issuer, verdict, issued string) certificate.Result {
		c := &certificate.Certificate{Record: certificate.Record{Fields: certificate.Fields{ID: id, Issuer: issuer}}, IssuedAt: issued}
		if verdict == wire.VerdictRevoked {
			c.StatusReason = "fraud"
		}
		return certificate.Result{Verdict: verdict, Certificate: c, IssuerName: "Name of " + issuer}
	}
	revokedA := mk("a-1", "dept-a", "REVOKED", "2026-01-01T00:00:00Z")
	validB := mk("b-1", "dept-b", "VALID", "2026-02-01T00:00:00Z")
	expiredA := mk("a-0", "dept-a", "EXPIRED", "2025-01-01T00:00:00Z")
	superseded := mk("a-2", "dept-a", "SUPERSEDED", "2026-01-15T00:00:00Z")
	superseded.Certificate.SupersededBy = "a-3"
	replacement := mk("a-3", "dept-a", "VALID", "2026-03-01T00:00:00Z")
	forged := mk("x-1", "dept-x", "BAD_SIGNATURE", "2026-04-01T00:00:00Z")

	for _, tc := range []struct {
		name     string
		in       []certificate.Result
		verdict  string
		headline string
		message  []string // substrings of Message
	}{
		{"one valid", []certificate.Result{validB}, "VALID", "b-1", nil},
		{"one revoked", []certificate.Result{revokedA}, "REVOKED", "a-1", nil},
		{"valid hides a revocation by another issuer", []certificate.Result{validB, revokedA}, "CONFLICTING", "a-1",
			[]string{"b-1 of dept-b (Name of dept-b) is VALID", "a-1 of dept-a (Name of dept-a) is REVOKED (fraud)"}},
		{"order does not matter", []certificate.Result{revokedA, validB}, "CONFLICTING", "a-1", nil},
		{"a forged record for the same document", []certificate.Result{validB, forged}, "CONFLICTING", "x-1", []string{"BAD_SIGNATURE"}},
		{"an expired earlier term is no conflict", []certificate.Result{expiredA, validB}, "VALID", "b-1", []string{"a-0: EXPIRED"}},
		{"superseded by a valid one in the list", []certificate.Result{superseded, replacement}, "VALID", "a-3", nil},
		{"superseded by one not in the list", []certificate.Result{superseded, validB}, "CONFLICTING", "a-2", []string{"SUPERSEDED"}},
		{"none valid: the newest", []certificate.Result{revokedA, expiredA}, "REVOKED", "a-1", []string{"none is valid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := certificate.Summarize(tc.in)
			if res.Verdict != tc.verdict || res.Certificate.ID != tc.headline {
				t.Fatalf("verdict %s headline %s, want %s %s (%s)", res.Verdict, res.Certificate.ID, tc.verdict, tc.headline, res.Message)
			}
			if len(res.Results) != len(tc.in) {
				t.Fatalf("results %d, want all %d", len(res.Results), len(tc.in))
			}
			for i := 1; i < len(res.Results); i++ {
				if res.Results[i].Certificate.IssuedAt > res.Results[i-1].Certificate.IssuedAt || res.Results[i].Results != nil {
					t.Fatalf("results not newest first / nested: %+v", res.Results)
				}
			}
			for _, m := range tc.message {
				if !strings.Contains(res.Message, m) {
					t.Errorf("message %q lacks %q", res.Message, m)
				}
			}
			if len(tc.in) > 1 && res.Message == "" {
				t.Errorf("several matches without a message")
			}
		})
	}
	if r := certificate.Summarize(nil); r.Verdict != "" || r.Results != nil {
		t.Errorf("empty: %+v", r)
	}
}

func TestCheckMayIssue(t *testing.T) {
	d := registry.Department{ID: "dept-b", Categories: []string{"housing", "property"}}
	if err := certificate.CheckMayIssue(d, "property"); err != nil {
		t.Fatal(err)
	}
	err := certificate.CheckMayIssue(d, "business-licence")
	if codes.Code(err) != codes.Forbidden || !strings.Contains(err.Error(), "housing, property") {
		t.Fatalf("err = %v", err)
	}
	if err := certificate.CheckMayIssue(registry.Department{ID: "old"}, "anything"); err != nil {
		t.Fatalf("no categories registered: %v", err)
	}
}

// TestEvaluateBatchedSignature: a batched record has no signature of its own;
// step 5 checks the batch header through BatchCheck.
func TestEvaluateBatchedSignature(t *testing.T) {
	f := newFixture(t)
	f.cert.BatchID, f.cert.Signature = "b-1", ""
	for _, tc := range []struct {
		name         string
		check        func(*registry.Key) error
		status, code string
		verdict      string
	}{
		{"header not supplied", nil, wire.StepSkipped, certificate.CodeNoBatchHeader, wire.VerdictValid},
		{"header signature verifies", func(*registry.Key) error { return nil }, wire.StepPass, certificate.CodeOK, wire.VerdictValid},
		{"header signature fails", func(*registry.Key) error { return errors.New("bad SM2 signature") }, wire.StepFail, wire.VerdictBadSignature, wire.VerdictBadSignature},
	} {
		in := f.input()
		in.BatchCheck = tc.check
		res := certificate.Evaluate(in)
		if s := res.Steps[4]; s.Status != tc.status || s.Code != tc.code || res.Verdict != tc.verdict {
			t.Errorf("%s: step 5 %+v, verdict %s", tc.name, s, res.Verdict)
		}
	}
}
