package certificate_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

var (
	gov    = ledgertest.Gov
	market = ledgertest.Tx{MSP: "MarketMSP"}
	police = ledgertest.Tx{MSP: "PoliceMSP"}
	public = ledgertest.Tx{MSP: "CitizenMSP"}
)

type env struct {
	t      testing.TB
	l      *ledgertest.Ledger
	market ledgertest.Signer // key of department "market" (MarketMSP)
	police ledgertest.Signer // key of department "police" (PoliceMSP)
}

func setup(t testing.TB) *env {
	t.Helper()
	cc, err := contractapi.NewChaincode(registry.New(), certificate.New())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, l: ledgertest.New(t, cc), market: ledgertest.NewSigner(t), police: ledgertest.NewSigner(t)}
	e.l.InitRegistry()
	e.l.RegisterDepartment("market", "MarketMSP", e.market)
	e.l.RegisterDepartment("police", "PoliceMSP", e.police)
	return e
}

// record returns a certificate record of issuer market signed with s, after
// applying change (if any) before signing.
func (e *env) record(id string, s ledgertest.Signer, change func(*domain.Record)) domain.Record {
	r := domain.Record{
		ID: id, DocHash: gm.SM3Hex([]byte("document " + id)), Type: "business-licence", Issuer: "market",
		HolderCommitment: gm.Commitment([]byte("0123456789abcdef"), "91310000MA1FL000XX"),
		ValidFrom:        "2026-01-01T00:00:00Z", ValidUntil: "2031-01-01T00:00:00Z", KeyID: s.KeyID,
	}
	if change != nil {
		change(&r)
	}
	r.Signature = s.Sign(e.t, canon.KindCertificate, r)
	return r
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (e *env) issue(id string) domain.Certificate {
	e.t.Helper()
	return cert(e.t, e.l.MustSubmit(market, "certificate:Issue", js(e.record(id, e.market, nil))))
}

// status returns a signed status request for the certificate's current txId.
func (e *env) status(c domain.Certificate, action string, s ledgertest.Signer) domain.StatusRequest {
	req := domain.StatusRequest{CertificateID: c.ID, Action: action, Reason: "reason-" + action, KeyID: s.KeyID, PrevTxID: c.TxID}
	req.Signature = s.Sign(e.t, canon.KindCertificateStatus, req)
	return req
}

func cert(t testing.TB, r ledgertest.Result) domain.Certificate {
	t.Helper()
	var c domain.Certificate
	if err := r.Decode(&c); err != nil {
		t.Fatalf("decoding %s: %v", r.Payload, err)
	}
	return c
}

func refused(t *testing.T, r ledgertest.Result, code string) {
	t.Helper()
	if r.OK() || r.Code() != code {
		t.Fatalf("got status %d %q, want code %s", r.Status, r.Message, code)
	}
	if len(r.Writes) != 0 || r.Event != nil || r.Committed {
		t.Fatalf("refused transaction wrote %d keys, event %+v", len(r.Writes), r.Event)
	}
}

func TestIssue(t *testing.T) {
	e := setup(t)
	rec := e.record("c-1", e.market, nil)
	r := e.l.MustSubmit(market, "certificate:Issue", js(rec))
	c := cert(t, r)
	if c.Record != rec || c.Status != domain.StatusValid || c.IssuedAt != "2026-11-28T12:00:00Z" || c.TxID != r.TxID || c.SupersededBy != "" {
		t.Fatalf("certificate %+v", c)
	}
	if r.Event == nil || r.Event.Name != certificate.EventIssued || string(r.Event.Payload) != string(r.Payload) {
		t.Fatalf("event %+v", r.Event)
	}
	// Two writes: the record and its hash index.
	if len(r.Writes) != 2 {
		t.Fatalf("writes %+v", r.Writes)
	}
	got := cert(t, e.l.MustEvaluate(public, "certificate:Get", "c-1"))
	if got != c {
		t.Fatalf("Get = %+v", got)
	}
}

func TestIssueRefusals(t *testing.T) {
	e := setup(t)
	e.issue("c-dup")
	stranger := ledgertest.NewSigner(t)
	rotatedOut, revoked := ledgertest.NewSigner(t), ledgertest.NewSigner(t)
	e.l.MustSubmit(gov, "registry:AddKey", "market", rotatedOut.PublicPEM)
	e.l.MustSubmit(gov, "registry:AddKey", "market", revoked.PublicPEM)
	e.l.Advance(time.Minute)
	successor := ledgertest.NewSigner(t)
	e.l.MustSubmit(gov, "registry:RotateKey", "market", rotatedOut.KeyID, successor.PublicPEM)
	e.l.MustSubmit(market, "registry:RevokeKey", "market", revoked.KeyID, "retired", "")
	e.l.Advance(time.Second)

	tampered := e.record("c-2", e.market, nil)
	tampered.Type = "permit" // signature over other fields
	garbage := e.record("c-2", e.market, nil)
	garbage.Signature = "MEUCIQDzZ2hvc3QAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIgAAAA"
	otherDept := e.record("c-2", e.police, nil) // police key, issuer market
	unknownIssuer := e.record("c-2", e.market, func(r *domain.Record) { r.Issuer = "tax" })
	badCommitment := e.record("c-2", e.market, func(r *domain.Record) { r.HolderCommitment = "110101199001011234" })
	supersedes := e.record("c-2", e.market, func(r *domain.Record) { r.Supersedes = "c-dup" })

	for _, tc := range []struct {
		name  string
		tx    ledgertest.Tx
		input string
		code  string
	}{
		{"wrong MSP", police, js(e.record("c-2", e.market, nil)), codes.Forbidden},
		{"unknown key", market, js(e.record("c-2", stranger, nil)), codes.Forbidden},
		{"key of another department", market, js(otherDept), codes.Forbidden},
		{"revoked key", market, js(e.record("c-2", revoked, nil)), codes.Forbidden},
		{"rotated key used after rotation", market, js(e.record("c-2", rotatedOut, nil)), codes.Forbidden},
		{"signature over other fields", market, js(tampered), codes.BadSignature},
		{"garbage signature", market, js(garbage), codes.BadSignature},
		{"duplicate id", market, js(e.record("c-dup", e.market, nil)), codes.Conflict},
		{"unknown issuer", market, js(unknownIssuer), codes.NotFound},
		{"holder commitment not a hash", market, js(badCommitment), codes.InvalidArgument},
		{"supersedes through Issue", market, js(supersedes), codes.InvalidArgument},
		{"unknown field", market, `{"id":"c-2","extra":true}`, codes.InvalidArgument},
		{"not JSON", market, `c-2`, codes.InvalidArgument},
		{"keys in upper case", market, strings.NewReplacer(`"id"`, `"ID"`, `"docHash"`, `"DOCHASH"`).Replace(js(e.record("c-2", e.market, nil))), codes.InvalidArgument},
		{"one key in another case", market, strings.Replace(js(e.record("c-2", e.market, nil)), `"keyId"`, `"keyID"`, 1), codes.InvalidArgument},
		{"duplicate key, last is the signed one", market, `{"type":"permit",` + js(e.record("c-2", e.market, nil))[1:], codes.InvalidArgument},
		{"duplicate key, escaped", market, strings.TrimSuffix(js(e.record("c-2", e.market, nil)), "}") + `,"\u0069d":"c-9"}`, codes.InvalidArgument},
		{"validity in another time zone", market, js(e.record("c-2", e.market, func(r *domain.Record) { r.ValidFrom = "2026-01-01T08:00:00+08:00" })), codes.InvalidArgument},
		{"validity from year 1", market, js(e.record("c-2", e.market, func(r *domain.Record) { r.ValidFrom = "0001-01-01T00:00:00Z" })), codes.InvalidArgument},
		{"validity until 9999", market, js(e.record("c-2", e.market, func(r *domain.Record) { r.ValidUntil = "9999-12-31T23:59:59Z" })), codes.InvalidArgument},
		{"two JSON values", market, js(e.record("c-2", e.market, nil)) + js(e.record("c-2", e.market, nil)), codes.InvalidArgument},
		{"timestamp 6 minutes ahead", ledgertest.Tx{MSP: "MarketMSP", Time: e.l.Now().Add(6 * time.Minute)}, js(e.record("c-2", e.market, nil)), codes.InvalidArgument},
		{"timestamp backdated an hour", ledgertest.Tx{MSP: "MarketMSP", Time: e.l.Now().Add(-time.Hour)}, js(e.record("c-2", e.market, nil)), codes.InvalidArgument},
		{"no identity", ledgertest.Tx{}, js(e.record("c-2", e.market, nil)), codes.Forbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused(t, e.l.Submit(tc.tx, "certificate:Issue", tc.input), tc.code)
		})
	}
	// The keys that are valid still work: the rotation's successor and the original.
	e.l.MustSubmit(market, "certificate:Issue", js(e.record("c-3", successor, nil)))
	e.l.MustSubmit(market, "certificate:Issue", js(e.record("c-4", e.market, nil)))
}

func TestStatusActions(t *testing.T) {
	e := setup(t)
	c := e.issue("c-1")

	e.l.Advance(time.Minute)
	r := e.l.MustSubmit(market, "certificate:Suspend", js(e.status(c, "suspend", e.market)))
	s := cert(t, r)
	if s.Status != domain.StatusSuspended || s.StatusReason != "reason-suspend" || s.TxID != r.TxID || s.UpdatedAt != "2026-11-28T12:01:00Z" || s.IssuedAt != c.IssuedAt {
		t.Fatalf("suspended %+v", s)
	}
	if r.Event.Name != certificate.EventSuspended {
		t.Fatalf("event %s", r.Event.Name)
	}
	// Replaying the suspension (its prevTxId is now stale) is refused.
	refused(t, e.l.Submit(market, "certificate:Suspend", js(e.status(c, "suspend", e.market))), codes.Conflict)
	refused(t, e.l.Submit(market, "certificate:Reinstate", js(e.status(c, "reinstate", e.market))), codes.Conflict)

	r = e.l.MustSubmit(market, "certificate:Reinstate", js(e.status(s, "reinstate", e.market)))
	v := cert(t, r)
	if v.Status != domain.StatusValid || r.Event.Name != certificate.EventReinstated {
		t.Fatalf("reinstated %+v", v)
	}
	refused(t, e.l.Submit(market, "certificate:Reinstate", js(e.status(v, "reinstate", e.market))), codes.IllegalTransition)

	// Another department cannot revoke, neither with its own key nor with the issuer's.
	refused(t, e.l.Submit(police, "certificate:Revoke", js(e.status(v, "revoke", e.police))), codes.Forbidden)
	refused(t, e.l.Submit(police, "certificate:Revoke", js(e.status(v, "revoke", e.market))), codes.Forbidden)
	refused(t, e.l.Submit(market, "certificate:Revoke", js(e.status(v, "revoke", e.police))), codes.Forbidden)
	// The action must match the function; the signature covers every signed field.
	refused(t, e.l.Submit(market, "certificate:Revoke", js(e.status(v, "suspend", e.market))), codes.InvalidArgument)
	forged := e.status(v, "revoke", e.market)
	forged.Reason = "other reason"
	refused(t, e.l.Submit(market, "certificate:Revoke", js(forged)), codes.BadSignature)
	unknown := e.status(v, "revoke", e.market)
	unknown.CertificateID = "c-none"
	refused(t, e.l.Submit(market, "certificate:Revoke", js(unknown)), codes.NotFound)
	refused(t, e.l.Submit(ledgertest.Tx{MSP: "MarketMSP", Time: e.l.Now().Add(-10 * time.Minute)}, "certificate:Revoke", js(e.status(v, "revoke", e.market))), codes.InvalidArgument)

	r = e.l.MustSubmit(market, "certificate:Revoke", js(e.status(v, "revoke", e.market)))
	rv := cert(t, r)
	if rv.Status != domain.StatusRevoked || r.Event.Name != certificate.EventRevoked {
		t.Fatalf("revoked %+v", rv)
	}
	// Reinstating a revoked (not suspended) certificate is illegal.
	refused(t, e.l.Submit(market, "certificate:Reinstate", js(e.status(rv, "reinstate", e.market))), codes.IllegalTransition)
	refused(t, e.l.Submit(market, "certificate:Suspend", js(e.status(rv, "suspend", e.market))), codes.IllegalTransition)
	refused(t, e.l.Submit(market, "certificate:Revoke", js(e.status(rv, "revoke", e.market))), codes.IllegalTransition)

	// History: every version, newest first.
	var h []state.HistoryEntry
	if err := e.l.MustEvaluate(public, "certificate:History", "c-1").Decode(&h); err != nil {
		t.Fatal(err)
	}
	wantStatus := []string{"revoked", "valid", "suspended", "valid"}
	if len(h) != len(wantStatus) {
		t.Fatalf("history has %d entries", len(h))
	}
	for i, entry := range h {
		var c domain.Certificate
		if err := json.Unmarshal(entry.Record, &c); err != nil || c.Status != wantStatus[i] || entry.TxID != c.TxID || entry.IsDelete || entry.Timestamp == "" {
			t.Fatalf("history[%d] = %+v (%v)", i, entry, err)
		}
	}
	refused(t, e.l.Evaluate(public, "certificate:History", "c-none"), codes.NotFound)
}

func TestSupersede(t *testing.T) {
	e := setup(t)
	old := e.issue("c-1")
	e.l.Advance(time.Minute)

	next := e.record("c-2", e.market, func(r *domain.Record) { r.Supersedes = "c-1"; r.DocHash = old.DocHash })
	refused(t, e.l.Submit(market, "certificate:Supersede", js(e.record("c-2", e.market, nil))), codes.InvalidArgument)
	refused(t, e.l.Submit(police, "certificate:Supersede", js(next)), codes.Forbidden)
	refused(t, e.l.Submit(market, "certificate:Supersede", js(e.record("c-2", e.market, func(r *domain.Record) { r.Supersedes = "c-9" }))), codes.NotFound)
	foreign := e.record("c-2", e.police, func(r *domain.Record) { r.Supersedes = "c-1"; r.Issuer = "police" })
	refused(t, e.l.Submit(police, "certificate:Supersede", js(foreign)), codes.Forbidden)
	e.issue("c-3")
	refused(t, e.l.Submit(market, "certificate:Supersede", js(e.record("c-3", e.market, func(r *domain.Record) { r.Supersedes = "c-1" }))), codes.Conflict)
	tampered := next
	tampered.ValidUntil = "2040-01-01T00:00:00Z"
	refused(t, e.l.Submit(market, "certificate:Supersede", js(tampered)), codes.BadSignature)

	r := e.l.MustSubmit(market, "certificate:Supersede", js(next))
	nc := cert(t, r)
	if nc.ID != "c-2" || nc.Supersedes != "c-1" || nc.Status != domain.StatusValid || r.Event.Name != certificate.EventSuperseded {
		t.Fatalf("new %+v", nc)
	}
	oc := cert(t, e.l.MustEvaluate(public, "certificate:Get", "c-1"))
	if oc.Status != domain.StatusSuperseded || oc.SupersededBy != "c-2" || oc.TxID != r.TxID {
		t.Fatalf("old %+v", oc)
	}
	// A superseded certificate cannot be superseded again.
	refused(t, e.l.Submit(market, "certificate:Supersede", js(e.record("c-4", e.market, func(r *domain.Record) { r.Supersedes = "c-1" }))), codes.IllegalTransition)

	// Both share the document hash: FindByHash returns both, ordered by id;
	// Verify by hash reports the valid one.
	var found []domain.Certificate
	if err := e.l.MustEvaluate(public, "certificate:FindByHash", old.DocHash).Decode(&found); err != nil || len(found) != 2 || found[0].ID != "c-1" || found[1].ID != "c-2" {
		t.Fatalf("FindByHash = %+v, %v", found, err)
	}
	res := verify(t, e, `{"docHash":"`+old.DocHash+`"}`)
	if res.Verdict != wire.VerdictValid || res.Certificate.ID != "c-2" || fmt.Sprint(res.Matches) != "[c-1 c-2]" {
		t.Fatalf("verify by hash = %+v", res)
	}
	if res := verify(t, e, `{"id":"c-1"}`); res.Verdict != wire.VerdictSuperseded {
		t.Fatalf("verify old = %s", res.Verdict)
	}
}

func TestReads(t *testing.T) {
	e := setup(t)
	refused(t, e.l.Evaluate(public, "certificate:Get", "c-none"), codes.NotFound)
	refused(t, e.l.Evaluate(public, "certificate:Get", "bad id"), codes.InvalidArgument)
	refused(t, e.l.Evaluate(public, "certificate:FindByHash", "xyz"), codes.InvalidArgument)
	if got := string(e.l.MustEvaluate(public, "certificate:FindByHash", gm.SM3Hex(nil)).Payload); got != "[]" {
		t.Fatalf("FindByHash none = %s", got)
	}
}

func verify(t *testing.T, e *env, input string) domain.Result {
	t.Helper()
	var res domain.Result
	if err := e.l.MustEvaluate(public, "certificate:Verify", input).Decode(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestVerify(t *testing.T) {
	e := setup(t)
	c := e.issue("c-1")
	short := e.l.MustSubmit(market, "certificate:Issue", js(e.record("c-short", e.market, func(r *domain.Record) {
		r.ValidUntil = "2026-11-28T13:00:00Z"
	})))
	_ = short

	for _, tc := range []struct {
		name, input, verdict string
	}{
		{"by id", `{"id":"c-1"}`, wire.VerdictValid},
		{"by hash", `{"docHash":"` + c.DocHash + `"}`, wire.VerdictValid},
		{"by both", `{"id":"c-1","docHash":"` + c.DocHash + `"}`, wire.VerdictValid},
		{"id with another hash", `{"id":"c-1","docHash":"` + gm.SM3Hex([]byte("x")) + `"}`, wire.VerdictHashMismatch},
		{"unknown id", `{"id":"c-none"}`, wire.VerdictNotFound},
		{"unknown hash", `{"docHash":"` + gm.SM3Hex([]byte("x")) + `"}`, wire.VerdictNotFound},
		{"empty", `{}`, wire.VerdictBadFormat},
		{"not JSON", `c-1`, wire.VerdictBadFormat},
		{"unknown field", `{"ID":"c-1","x":1}`, wire.VerdictBadFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := verify(t, e, tc.input)
			if res.Verdict != tc.verdict || len(res.Steps) != 8 {
				t.Fatalf("verdict %s, want %s: %+v", res.Verdict, tc.verdict, res.Steps)
			}
			if res.CheckedAt != "2026-11-28T12:00:00Z" {
				t.Fatalf("checkedAt %s", res.CheckedAt)
			}
		})
	}
	res := verify(t, e, `{"id":"c-1"}`)
	if res.IssuerKey == nil || res.IssuerKey.KeyID != e.market.KeyID || res.Certificate.ID != "c-1" || res.Steps[1].Status != wire.StepSkipped {
		t.Fatalf("result %+v", res)
	}

	// Later: the short certificate expired; rotating the key keeps c-1 valid.
	e.l.Advance(2 * time.Hour)
	if res := verify(t, e, `{"id":"c-short"}`); res.Verdict != wire.VerdictExpired {
		t.Fatalf("short: %s", res.Verdict)
	}
	next := ledgertest.NewSigner(t)
	e.l.MustSubmit(gov, "registry:RotateKey", "market", e.market.KeyID, next.PublicPEM)
	if res := verify(t, e, `{"id":"c-1"}`); res.Verdict != wire.VerdictValid {
		t.Fatalf("after rotation: %s %+v", res.Verdict, res.Steps)
	}
	// A compromise dated after the issue keeps it valid; dated before, it does not.
	e.l.MustSubmit(gov, "registry:RevokeKey", "market", e.market.KeyID, "compromised", "2026-11-28T12:30:00Z")
	if res := verify(t, e, `{"id":"c-1"}`); res.Verdict != wire.VerdictValid {
		t.Fatalf("compromise after issue: %s", res.Verdict)
	}
	e.l.MustSubmit(gov, "registry:RevokeKey", "market", e.market.KeyID, "compromised", "2026-11-28T11:00:00Z")
	if res := verify(t, e, `{"id":"c-1"}`); res.Verdict != wire.VerdictKeyInvalid || res.Steps[5].Code != "KEY_REVOKED" {
		t.Fatalf("compromise before issue: %s %+v", res.Verdict, res.Steps[5])
	}

	// Status shows through.
	c2 := cert(t, e.l.MustSubmit(market, "certificate:Issue", js(e.record("c-2", next, nil))))
	e.l.MustSubmit(market, "certificate:Suspend", js(e.status(c2, "suspend", next)))
	if res := verify(t, e, `{"id":"c-2"}`); res.Verdict != wire.VerdictSuspended {
		t.Fatalf("suspended: %s", res.Verdict)
	}
}

// TestIssueOneEncoding: the issued certificate's JSON is stored, returned and emitted
// as the same bytes (the issue path encodes it once), and exactly the record and its
// hash index are written.
func TestIssueOneEncoding(t *testing.T) {
	e := setup(t)
	r := e.l.MustSubmit(market, "certificate:Issue", js(e.record("c-1", e.market, nil)))
	if r.Event == nil || r.Event.Name != certificate.EventIssued {
		t.Fatalf("event %+v, want %s", r.Event, certificate.EventIssued)
	}
	if len(r.Writes) != 2 {
		t.Fatalf("writes %+v, want the record and its hash index", r.Writes)
	}
	var stored []byte
	for _, w := range r.Writes {
		if w.Key == "\x00certificate\x00c-1\x00" {
			stored = w.Value
		}
	}
	if string(stored) != string(r.Payload) || string(r.Event.Payload) != string(r.Payload) {
		t.Fatalf("stored %s\nresult %s\nevent %s\nwant the same bytes", stored, r.Payload, r.Event.Payload)
	}
}
