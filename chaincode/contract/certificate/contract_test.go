package certificate_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

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
	market = ledgertest.Market
	police = ledgertest.Police
	public = ledgertest.Citizen
)

type env struct {
	t      testing.TB
	l      *ledgertest.Ledger
	market ledgertest.Signer // key of department "market" (MarketMSP)
	police ledgertest.Signer // key of department "police" (PoliceMSP)
}

func setup(t testing.TB) *env {
	t.Helper()
	l, m, p := ledgertest.TwoDepartments(t, nil, nil, registry.New(), certificate.New())
	return &env{t: t, l: l, market: m, police: p}
}

// record returns a certificate record of issuer market signed with s, after
// applying change (if any) before signing.
func (e *env) record(id string, s ledgertest.Signer, change func(*domain.Record)) domain.Record {
	r := domain.Record{Fields: domain.Fields{
		ID: id, DocHash: gm.SM3Hex([]byte("document " + id)), Type: "business-licence", Issuer: "market",
		HolderCommitment: gm.Commitment([]byte("0123456789abcdef"), "91310000MA1FL000XX"),
		ValidFrom:        "2026-01-01T00:00:00Z", ValidUntil: "2031-01-01T00:00:00Z", KeyID: s.KeyID,
	}}
	if change != nil {
		change(&r)
	}
	r.Signature = s.Sign(e.t, canon.KindCertificate, r)
	return r
}

func (e *env) issue(id string) domain.Certificate {
	e.t.Helper()
	return cert(e.t, e.l.MustSubmit(market, "certificate:Issue", ledgertest.JSON(e.record(id, e.market, nil))))
}

// status returns a signed status request for the certificate's current txId.
func (e *env) status(c domain.Certificate, action string, s ledgertest.Signer) domain.StatusRequest {
	req := domain.StatusRequest{CertificateID: c.ID, Action: action, Reason: "reason-" + action, KeyID: s.KeyID, PrevTxID: c.TxID}
	req.Signature = s.Sign(e.t, canon.KindCertificateStatus, req)
	return req
}

// submitStatus submits the transaction of action ("certificate:Revoke" for
// "revoke") as tx with a status request for c signed with s.
func (e *env) submitStatus(tx ledgertest.Tx, c domain.Certificate, action string, s ledgertest.Signer) ledgertest.Result {
	return e.l.Submit(tx, "certificate:"+strings.ToUpper(action[:1])+action[1:], ledgertest.JSON(e.status(c, action, s)))
}

// mustStatus makes the issuer (market) take action on c and fails the test
// unless the certificate then has status want and the event is event.
func (e *env) mustStatus(c domain.Certificate, action, want, event string) (domain.Certificate, ledgertest.Result) {
	e.t.Helper()
	r := e.submitStatus(market, c, action, e.market)
	if !r.OK() {
		e.t.Fatalf("%s: %s", action, r.Message)
	}
	got := cert(e.t, r)
	if got.Status != want || r.Event == nil || r.Event.Name != event {
		e.t.Fatalf("%s: %+v, event %+v", action, got, r.Event)
	}
	return got, r
}

func cert(t testing.TB, r ledgertest.Result) domain.Certificate {
	t.Helper()
	var c domain.Certificate
	if err := r.Decode(&c); err != nil {
		t.Fatalf("decoding %s: %v", r.Payload, err)
	}
	return c
}

func TestIssue(t *testing.T) {
	e := setup(t)
	rec := e.record("c-1", e.market, nil)
	r := e.l.MustSubmit(market, "certificate:Issue", ledgertest.JSON(rec))
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
		{"wrong MSP", police, ledgertest.JSON(e.record("c-2", e.market, nil)), codes.Forbidden},
		{"unknown key", market, ledgertest.JSON(e.record("c-2", stranger, nil)), codes.Forbidden},
		{"key of another department", market, ledgertest.JSON(otherDept), codes.Forbidden},
		{"revoked key", market, ledgertest.JSON(e.record("c-2", revoked, nil)), codes.Forbidden},
		{"rotated key used after rotation", market, ledgertest.JSON(e.record("c-2", rotatedOut, nil)), codes.Forbidden},
		{"signature over other fields", market, ledgertest.JSON(tampered), codes.BadSignature},
		{"garbage signature", market, ledgertest.JSON(garbage), codes.BadSignature},
		{"duplicate id", market, ledgertest.JSON(e.record("c-dup", e.market, nil)), codes.Conflict},
		{"unknown issuer", market, ledgertest.JSON(unknownIssuer), codes.NotFound},
		{"holder commitment not a hash", market, ledgertest.JSON(badCommitment), codes.InvalidArgument},
		{"supersedes through Issue", market, ledgertest.JSON(supersedes), codes.InvalidArgument},
		{"unknown field", market, `{"id":"c-2","extra":true}`, codes.InvalidArgument},
		{"not JSON", market, `c-2`, codes.InvalidArgument},
		{"keys in upper case", market, strings.NewReplacer(`"id"`, `"ID"`, `"docHash"`, `"DOCHASH"`).Replace(ledgertest.JSON(e.record("c-2", e.market, nil))), codes.InvalidArgument},
		{"one key in another case", market, strings.Replace(ledgertest.JSON(e.record("c-2", e.market, nil)), `"keyId"`, `"keyID"`, 1), codes.InvalidArgument},
		{"duplicate key, last is the signed one", market, `{"type":"permit",` + ledgertest.JSON(e.record("c-2", e.market, nil))[1:], codes.InvalidArgument},
		{"duplicate key, escaped", market, strings.TrimSuffix(ledgertest.JSON(e.record("c-2", e.market, nil)), "}") + `,"\u0069d":"c-9"}`, codes.InvalidArgument},
		{"validity in another time zone", market, ledgertest.JSON(e.record("c-2", e.market, func(r *domain.Record) { r.ValidFrom = "2026-01-01T08:00:00+08:00" })), codes.InvalidArgument},
		{"validity from year 1", market, ledgertest.JSON(e.record("c-2", e.market, func(r *domain.Record) { r.ValidFrom = "0001-01-01T00:00:00Z" })), codes.InvalidArgument},
		{"validity until 9999", market, ledgertest.JSON(e.record("c-2", e.market, func(r *domain.Record) { r.ValidUntil = "9999-12-31T23:59:59Z" })), codes.InvalidArgument},
		{"two JSON values", market, ledgertest.JSON(e.record("c-2", e.market, nil)) + ledgertest.JSON(e.record("c-2", e.market, nil)), codes.InvalidArgument},
		{"timestamp 6 minutes ahead", ledgertest.Tx{MSP: "MarketMSP", Time: e.l.Now().Add(6 * time.Minute)}, ledgertest.JSON(e.record("c-2", e.market, nil)), codes.InvalidArgument},
		{"timestamp backdated an hour", ledgertest.Tx{MSP: "MarketMSP", Time: e.l.Now().Add(-time.Hour)}, ledgertest.JSON(e.record("c-2", e.market, nil)), codes.InvalidArgument},
		{"no identity", ledgertest.Tx{}, ledgertest.JSON(e.record("c-2", e.market, nil)), codes.Forbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ledgertest.Refused(t, e.l.Submit(tc.tx, "certificate:Issue", tc.input), tc.code)
		})
	}
	// The keys that are valid still work: the rotation's successor and the original.
	e.l.MustSubmit(market, "certificate:Issue", ledgertest.JSON(e.record("c-3", successor, nil)))
	e.l.MustSubmit(market, "certificate:Issue", ledgertest.JSON(e.record("c-4", e.market, nil)))
}

func TestStatusActions(t *testing.T) {
	e := setup(t)
	c := e.issue("c-1")

	e.l.Advance(time.Minute)
	s, r := e.mustStatus(c, domain.ActionSuspend, domain.StatusSuspended, certificate.EventSuspended)
	if s.StatusReason != "reason-suspend" || s.TxID != r.TxID || s.UpdatedAt != "2026-11-28T12:01:00Z" || s.IssuedAt != c.IssuedAt {
		t.Fatalf("suspended %+v", s)
	}
	// Replaying the suspension (its prevTxId is now stale) is refused.
	ledgertest.Refused(t, e.submitStatus(market, c, domain.ActionSuspend, e.market), codes.Conflict)
	ledgertest.Refused(t, e.submitStatus(market, c, domain.ActionReinstate, e.market), codes.Conflict)

	v, _ := e.mustStatus(s, domain.ActionReinstate, domain.StatusValid, certificate.EventReinstated)
	ledgertest.Refused(t, e.submitStatus(market, v, domain.ActionReinstate, e.market), codes.IllegalTransition)

	// Another department cannot revoke, neither with its own key nor with the issuer's.
	ledgertest.Refused(t, e.submitStatus(police, v, domain.ActionRevoke, e.police), codes.Forbidden)
	ledgertest.Refused(t, e.submitStatus(police, v, domain.ActionRevoke, e.market), codes.Forbidden)
	ledgertest.Refused(t, e.submitStatus(market, v, domain.ActionRevoke, e.police), codes.Forbidden)
	// The action must match the function; the signature covers every signed field.
	ledgertest.Refused(t, e.l.Submit(market, "certificate:Revoke", ledgertest.JSON(e.status(v, domain.ActionSuspend, e.market))), codes.InvalidArgument)
	forged := e.status(v, domain.ActionRevoke, e.market)
	forged.Reason = "other reason"
	ledgertest.Refused(t, e.l.Submit(market, "certificate:Revoke", ledgertest.JSON(forged)), codes.BadSignature)
	unknown := e.status(v, domain.ActionRevoke, e.market)
	unknown.CertificateID = "c-none"
	ledgertest.Refused(t, e.l.Submit(market, "certificate:Revoke", ledgertest.JSON(unknown)), codes.NotFound)
	ledgertest.Refused(t, e.submitStatus(ledgertest.Tx{MSP: "MarketMSP", Time: e.l.Now().Add(-10 * time.Minute)}, v, domain.ActionRevoke, e.market), codes.InvalidArgument)

	rv, _ := e.mustStatus(v, domain.ActionRevoke, domain.StatusRevoked, certificate.EventRevoked)
	// Nothing follows a revocation: reinstating a revoked (not suspended)
	// certificate is illegal, and so is suspending or revoking it again.
	for _, action := range []string{domain.ActionReinstate, domain.ActionSuspend, domain.ActionRevoke} {
		ledgertest.Refused(t, e.submitStatus(market, rv, action, e.market), codes.IllegalTransition)
	}

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
	ledgertest.Refused(t, e.l.Evaluate(public, "certificate:History", "c-none"), codes.NotFound)
}

func TestSupersede(t *testing.T) {
	e := setup(t)
	old := e.issue("c-1")
	e.l.Advance(time.Minute)

	next := e.record("c-2", e.market, func(r *domain.Record) { r.Supersedes = "c-1"; r.DocHash = old.DocHash })
	ledgertest.Refused(t, e.l.Submit(market, "certificate:Supersede", ledgertest.JSON(e.record("c-2", e.market, nil))), codes.InvalidArgument)
	ledgertest.Refused(t, e.l.Submit(police, "certificate:Supersede", ledgertest.JSON(next)), codes.Forbidden)
	ledgertest.Refused(t, e.l.Submit(market, "certificate:Supersede", ledgertest.JSON(e.record("c-2", e.market, func(r *domain.Record) { r.Supersedes = "c-9" }))), codes.NotFound)
	foreign := e.record("c-2", e.police, func(r *domain.Record) { r.Supersedes = "c-1"; r.Issuer = "police" })
	ledgertest.Refused(t, e.l.Submit(police, "certificate:Supersede", ledgertest.JSON(foreign)), codes.Forbidden)
	e.issue("c-3")
	ledgertest.Refused(t, e.l.Submit(market, "certificate:Supersede", ledgertest.JSON(e.record("c-3", e.market, func(r *domain.Record) { r.Supersedes = "c-1" }))), codes.Conflict)
	tampered := next
	tampered.ValidUntil = "2040-01-01T00:00:00Z"
	ledgertest.Refused(t, e.l.Submit(market, "certificate:Supersede", ledgertest.JSON(tampered)), codes.BadSignature)

	r := e.l.MustSubmit(market, "certificate:Supersede", ledgertest.JSON(next))
	nc := cert(t, r)
	if nc.ID != "c-2" || nc.Supersedes != "c-1" || nc.Status != domain.StatusValid || r.Event.Name != certificate.EventSuperseded {
		t.Fatalf("new %+v", nc)
	}
	oc := cert(t, e.l.MustEvaluate(public, "certificate:Get", "c-1"))
	if oc.Status != domain.StatusSuperseded || oc.SupersededBy != "c-2" || oc.TxID != r.TxID {
		t.Fatalf("old %+v", oc)
	}
	// A superseded certificate cannot be superseded again.
	ledgertest.Refused(t, e.l.Submit(market, "certificate:Supersede", ledgertest.JSON(e.record("c-4", e.market, func(r *domain.Record) { r.Supersedes = "c-1" }))), codes.IllegalTransition)

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
	ledgertest.Refused(t, e.l.Evaluate(public, "certificate:Get", "c-none"), codes.NotFound)
	ledgertest.Refused(t, e.l.Evaluate(public, "certificate:Get", "bad id"), codes.InvalidArgument)
	ledgertest.Refused(t, e.l.Evaluate(public, "certificate:FindByHash", "xyz"), codes.InvalidArgument)
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
	short := e.l.MustSubmit(market, "certificate:Issue", ledgertest.JSON(e.record("c-short", e.market, func(r *domain.Record) {
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
	c2 := cert(t, e.l.MustSubmit(market, "certificate:Issue", ledgertest.JSON(e.record("c-2", next, nil))))
	e.l.MustSubmit(market, "certificate:Suspend", ledgertest.JSON(e.status(c2, "suspend", next)))
	if res := verify(t, e, `{"id":"c-2"}`); res.Verdict != wire.VerdictSuspended {
		t.Fatalf("suspended: %s", res.Verdict)
	}
}

// TestIssueOneEncoding: the issued certificate's JSON is stored, returned and emitted
// as the same bytes (the issue path encodes it once), and exactly the record and its
// hash index are written.
func TestIssueOneEncoding(t *testing.T) {
	e := setup(t)
	r := e.l.MustSubmit(market, "certificate:Issue", ledgertest.JSON(e.record("c-1", e.market, nil)))
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
