package exchange_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode/contract/exchange"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// sealed sends payload to dept-social as an envelope under grant and returns
// the recorded exchange and what the consumer opens.
func (w *world) sealed(id, grant string, declared []string, payload string) (domain.Exchange, domain.Opened) {
	w.t.Helper()
	s, err := domain.SealEnvelope(domain.EnvelopeHeader{ExchangeID: id, GrantID: grant, Provider: "dept-tax", Consumer: "dept-social", Fields: declared},
		&w.social.key.PublicKey, []byte(payload))
	if err != nil {
		w.t.Fatal(err)
	}
	req := w.sendReq(id, grant, func(r *domain.SendRequest) {
		r.PayloadHash, r.EnvelopeHash = s.PayloadHash, s.EnvelopeHash
		r.Signature = "-"
	})
	kind, rec := req.SignedForm()
	req.Signature = signed(w.t, w.tax, kind, rec)
	var e domain.Exchange
	w.l.MustSubmit(w.tax.tx(), "exchange:Send", ledgertest.JSON(req)).MustDecode(w.t, &e)
	o, err := domain.OpenEnvelope(s.Bytes, w.social.key)
	if err != nil {
		w.t.Fatal(err)
	}
	return e, o
}

func (w *world) receipt(o domain.Opened, decision, reason string) domain.AckRequest {
	w.t.Helper()
	fields, err := domain.PayloadFields(o.Payload)
	if err != nil {
		w.t.Fatal(err)
	}
	a := domain.AckRequest{ExchangeID: o.ExchangeID, Consumer: "dept-social", PayloadHash: o.PayloadHash, EnvelopeHash: o.EnvelopeHash,
		Fields: fields, Decision: decision, KeyID: w.social.keyID}
	if reason != "" {
		a.ReasonHash = gm.SM3Hex([]byte(reason))
	}
	kind, rec := a.SignedForm()
	a.Signature = signed(w.t, w.social, kind, rec)
	return a
}

func TestEnvelopeScopeProven(t *testing.T) {
	w := newWorld(t)
	w.createGrant("g-1") // income, name
	w.l.Advance(time.Minute)
	e, o := w.sealed("x-1", "g-1", []string{"income"}, `{"income":52000}`)
	if !e.Enveloped() || e.PayloadHash == gm.SM3Hex([]byte(`{"income":52000}`)) {
		t.Fatalf("exchange %+v", e)
	}
	// The ledger holds the digests and field names, never the payload.
	for k, v := range w.l.Snapshot() {
		if strings.Contains(string(v), "52000") {
			t.Fatalf("payload on the ledger under %q", k)
		}
	}
	w.l.Advance(time.Minute)
	w.refused("declared ack of an envelope", w.social.tx(), codes.InvalidArgument, "exchange:Ack",
		ledgertest.JSON(w.answer("x-1", w.social, domain.DecisionAck, func(a *domain.AckRequest) { a.PayloadHash = e.PayloadHash })))
	w.l.MustSubmit(w.social.tx(), "exchange:Ack", ledgertest.JSON(w.receipt(o, domain.DecisionAck, "")))
	var vr domain.VerifyResult
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:Verify", `{"id":"x-1"}`).MustDecode(t, &vr)
	if vr.Verdict != wire.VerdictValid || !strings.Contains(vr.Steps[domain.StepScope-1].Detail, "proven") {
		t.Fatalf("verify: %s %+v", vr.Verdict, vr.Steps)
	}

	// The provider declares income but the envelope carries taxId too: the
	// consumer's acknowledgement is refused, its rejection records the fields.
	_, o2 := w.sealed("x-2", "g-1", []string{"income", "taxId"}, `{"income":1,"taxId":"T-1"}`)
	w.refused("ack of fields beyond the grant", w.social.tx(), codes.Forbidden, "exchange:Ack", ledgertest.JSON(w.receipt(o2, domain.DecisionAck, "")))
	var rej domain.Exchange
	w.l.MustSubmit(w.social.tx(), "exchange:Reject", ledgertest.JSON(w.receipt(o2, domain.DecisionReject, "taxId is not granted"))).MustDecode(t, &rej)
	if rej.Status != domain.StatusRejected || strings.Join(rej.Ack.Fields, ",") != "income,taxId" || rej.Ack.Reason != "" {
		t.Fatalf("rejected %+v", rej.Ack)
	}
	vr = domain.VerifyResult{}
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:Verify", `{"id":"x-2"}`).MustDecode(t, &vr)
	if vr.Verdict != domain.VerdictOutOfScope {
		t.Fatalf("verify over-sent: %s", vr.Verdict)
	}

	// An exchange naming a certificate that is not on the ledger: NOT_FOUND.
	req := w.sendReq("x-3", "g-1", func(r *domain.SendRequest) {
		r.EnvelopeHash, r.Certificates, r.Signature = gm.SM3Hex([]byte("env")), []string{"c-missing"}, "-"
	})
	kind, rec := req.SignedForm()
	req.Signature = signed(t, w.tax, kind, rec)
	w.refused("unknown certificate", w.tax.tx(), codes.NotFound, "exchange:Send", ledgertest.JSON(req))
}

func TestCatalogUpdateWithdrawHistory(t *testing.T) {
	w := newWorld(t)
	var it domain.CatalogItem
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:GetCatalogItem", "dept-tax", "tax-record").MustDecode(t, &it)
	w.l.Advance(time.Minute)
	up := domain.CatalogChange{Provider: "dept-tax", ID: "tax-record", Name: "Tax record", Fields: []string{"income", "name", "taxId"}, PrevTxID: it.TxID}
	w.refused("update by another department", w.police.tx(), codes.Forbidden, "exchange:UpdateCatalogItem", ledgertest.JSON(up))
	w.refused("stale prevTxId", w.tax.tx(), codes.Conflict, "exchange:UpdateCatalogItem", ledgertest.JSON(func() domain.CatalogChange { c := up; c.PrevTxID = "old"; return c }()))
	w.l.MustSubmit(w.tax.tx(), "exchange:UpdateCatalogItem", ledgertest.JSON(up)).MustDecode(t, &it)
	if it.Version != 2 || lastEvent(t, w.l).Name != exchange.EventCatalogItemUpdated {
		t.Fatalf("updated %+v", it)
	}
	w.createGrant("g-1") // granted before the withdrawal: unchanged by it
	w.l.Advance(time.Minute)
	wd := domain.CatalogChange{Provider: "dept-tax", ID: "tax-record", Reason: "replaced", PrevTxID: it.TxID}
	w.l.MustSubmit(w.tax.tx(), "exchange:WithdrawCatalogItem", ledgertest.JSON(wd)).MustDecode(t, &it)
	if !it.Withdrawn() {
		t.Fatalf("withdrawn %+v", it)
	}
	w.refused("grant on a withdrawn item", w.tax.tx(), codes.Forbidden, "exchange:CreateGrant", ledgertest.JSON(w.grantReq("g-2", nil)))
	w.refused("update after withdrawal", w.tax.tx(), codes.Forbidden, "exchange:UpdateCatalogItem", ledgertest.JSON(func() domain.CatalogChange { c := up; c.PrevTxID = it.TxID; return c }()))
	var hist []struct {
		Record domain.CatalogItem `json:"record"`
	}
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:CatalogHistory", "dept-tax", "tax-record").MustDecode(t, &hist)
	if len(hist) != 3 || hist[0].Record.Version != 3 || hist[2].Record.Version != 1 {
		t.Fatalf("history %+v", hist)
	}
	var gv exchange.GrantView
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:GetGrant", "g-1").MustDecode(t, &gv)
	if gv.EffectiveStatus != domain.GrantActive {
		t.Fatalf("grant after withdrawal: %s", gv.EffectiveStatus)
	}
}

func TestDeletionAttestation(t *testing.T) {
	w := newWorld(t)
	g1 := w.createGrant("g-1")
	// g-2 is sealed (purpose kept off-chain) and expires in an hour.
	req := w.grantReq("g-2", func(r *domain.GrantRequest) {
		r.Purpose, r.PurposeHash = "", gm.SM3Hex([]byte("audit"))
		r.ValidUntil = wire.FormatTime(w.l.Now().Add(time.Hour))
		r.Signature = "-"
	})
	kind, rec := req.SignedForm()
	req.Signature = signed(t, w.tax, kind, rec)
	var g2 domain.Grant
	w.l.MustSubmit(w.tax.tx(), "exchange:CreateGrant", ledgertest.JSON(req)).MustDecode(t, &g2)
	if g2.Purpose != "" || g2.PurposeHash == "" {
		t.Fatalf("sealed grant %+v", g2.GrantRequest)
	}
	attest := func(g domain.Grant, by dept) domain.DeletionRequest {
		d := domain.DeletionRequest{GrantID: g.ID, Consumer: by.id, PrevTxID: g.TxID, KeyID: by.keyID}
		k, r := d.SignedForm()
		d.Signature = signed(t, by, k, r)
		return d
	}
	w.refused("attest while active", w.social.tx(), codes.Conflict, "exchange:AttestDeletion", ledgertest.JSON(attest(g1, w.social)))
	w.l.Advance(2 * time.Hour) // g-2 expired
	missing := func() []string {
		var page struct {
			Records []exchange.GrantView `json:"records"`
		}
		w.l.MustEvaluate(ledgertest.Tx{}, "exchange:ListGrants", `{"consumer":"dept-social","deletion":"missing"}`).MustDecode(t, &page)
		var ids []string
		for _, g := range page.Records {
			ids = append(ids, g.ID)
		}
		return ids
	}
	if got := missing(); strings.Join(got, ",") != "g-2" {
		t.Fatalf("ended without attestation: %v", got)
	}
	w.refused("attested by the provider", w.tax.tx(), codes.Forbidden, "exchange:AttestDeletion", ledgertest.JSON(attest(g2, w.tax)))
	var done domain.Grant
	w.l.MustSubmit(w.social.tx(), "exchange:AttestDeletion", ledgertest.JSON(attest(g2, w.social))).MustDecode(t, &done)
	if done.Deletion == nil || lastEvent(t, w.l).Name != exchange.EventGrantDeletionAttested {
		t.Fatalf("attested %+v", done.Deletion)
	}
	w.refused("attest twice", w.social.tx(), codes.Conflict, "exchange:AttestDeletion", ledgertest.JSON(attest(done, w.social)))
	if got := missing(); len(got) != 0 {
		t.Fatalf("still missing: %v", got)
	}
	var raw json.RawMessage
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:ListGrants", `{"deletion":"attested"}`).MustDecode(t, &raw)
	if !strings.Contains(string(raw), `"g-2"`) || strings.Contains(string(raw), `"g-1"`) {
		t.Fatalf("attested list %s", raw)
	}
	if r := w.l.Evaluate(ledgertest.Tx{}, "exchange:ListGrants", `{"deletion":"maybe"}`); r.Code() != codes.InvalidArgument {
		t.Fatalf("bad filter: %s", r.Message)
	}
}

func TestExchangePolicy(t *testing.T) {
	w := newWorld(t)
	w.createGrant("g-1")
	w.refused("policy set by a department", w.tax.tx(), codes.Forbidden, "exchange:SetPolicy", `{"requireEnvelope":true,"requireSealedText":true}`)
	w.refused("policy with an unknown key", ledgertest.Tx{MSP: "GovMSP"}, codes.InvalidArgument, "exchange:SetPolicy", `{"requireEnvelopes":true}`)
	w.l.MustSubmit(ledgertest.Tx{MSP: "GovMSP"}, "exchange:SetPolicy", `{"requireEnvelope":true,"requireSealedText":true}`)
	var p domain.Policy
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:GetPolicy").MustDecode(t, &p)
	if !p.RequireEnvelope || !p.RequireSealedText || lastEvent(t, w.l).Name != exchange.EventPolicySet {
		t.Fatalf("policy %+v", p)
	}
	w.l.Advance(time.Minute)
	w.refused("declared exchange", w.tax.tx(), codes.Forbidden, "exchange:Send", ledgertest.JSON(w.sendReq("x-1", "g-1", nil)))
	w.refused("purpose in clear", w.tax.tx(), codes.Forbidden, "exchange:CreateGrant", ledgertest.JSON(w.grantReq("g-2", nil)))
	var g domain.Grant
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:GetGrant", "g-1").MustDecode(t, &g)
	rev := domain.RevocationRequest{GrantID: "g-1", Reason: "done", KeyID: w.tax.keyID, PrevTxID: g.TxID}
	rev.Signature = signed(t, w.tax, canon.KindGrantRevoke, rev)
	w.refused("reason in clear", w.tax.tx(), codes.Forbidden, "exchange:RevokeGrant", ledgertest.JSON(rev))
	// The enveloped, sealed forms pass.
	w.sealed("x-2", "g-1", []string{"income"}, `{"income":1}`)
	rev = domain.RevocationRequest{GrantID: "g-1", ReasonHash: gm.SM3Hex([]byte("done")), KeyID: w.tax.keyID, PrevTxID: g.TxID}
	kind, rec := rev.SignedForm()
	rev.Signature = signed(t, w.tax, kind, rec)
	w.l.MustSubmit(w.tax.tx(), "exchange:RevokeGrant", ledgertest.JSON(rev))
}
