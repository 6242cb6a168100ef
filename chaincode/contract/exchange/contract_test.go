package exchange_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/exchange"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// dept is a registered department with its Fabric MSP and SM2 key.
type dept struct {
	id, msp string
	key     *sm2.PrivateKey
	keyID   string
}

func (d dept) tx() ledgertest.Tx { return ledgertest.Tx{MSP: d.msp} }

type world struct {
	t                   testing.TB
	l                   *ledgertest.Ledger
	tax, social, police dept
}

var keys []*sm2.PrivateKey

func newWorld(t testing.TB) *world {
	t.Helper()
	cc, err := contractapi.NewChaincode(registry.New(), exchange.New())
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, l: ledgertest.New(t, cc)}
	w.l.MustSubmit(ledgertest.Tx{MSP: "GovMSP"}, "registry:Init", "GovMSP")
	for len(keys) < 3 {
		k, err := gm.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	reg := func(id, msp string, k *sm2.PrivateKey) dept {
		pemBytes, err := gm.MarshalPublicKeyPEM(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		in, _ := json.Marshal(map[string]any{"id": id, "name": id, "mspId": msp, "publicKeys": []string{string(pemBytes)}})
		w.l.MustSubmit(ledgertest.Tx{MSP: "GovMSP"}, "registry:RegisterDepartment", string(in))
		return dept{id: id, msp: msp, key: k, keyID: gm.KeyID(&k.PublicKey)}
	}
	w.tax = reg("dept-tax", "TaxMSP", keys[0])
	w.social = reg("dept-social", "SocialMSP", keys[1])
	w.police = reg("dept-police", "PoliceMSP", keys[2])
	w.l.Advance(time.Second)
	w.l.MustSubmit(w.tax.tx(), "exchange:AddCatalogItem",
		`{"provider":"dept-tax","id":"tax-record","name":"Tax record","fields":["address","income","name","taxId"]}`)
	return w
}

func signed(t testing.TB, d dept, kind canon.Kind, rec any) string {
	t.Helper()
	s, err := canon.Sign(d.key, kind, rec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) grantReq(id string, mut func(*domain.GrantRequest)) domain.GrantRequest {
	now := w.l.Now()
	r := domain.GrantRequest{ID: id, Provider: "dept-tax", Consumer: "dept-social", Item: "tax-record",
		Fields: []string{"income", "name"}, Purpose: "subsidy eligibility", LegalBasis: "Reg. 12/2025 art. 4",
		ValidFrom: wire.FormatTime(now.Add(-time.Hour)), ValidUntil: wire.FormatTime(now.Add(24 * time.Hour)), KeyID: w.tax.keyID}
	if mut != nil {
		mut(&r)
	}
	if r.Signature == "" {
		r.Signature = signed(w.t, w.tax, canon.KindGrant, r)
	}
	return r
}

func (w *world) createGrant(id string) domain.Grant {
	r := w.l.MustSubmit(w.tax.tx(), "exchange:CreateGrant", ledgertest.JSON(w.grantReq(id, nil)))
	var g domain.Grant
	if err := r.Decode(&g); err != nil {
		w.t.Fatal(err)
	}
	return g
}

var payloadA = gm.SM3Hex([]byte("tax extract #1"))
var payloadB = gm.SM3Hex([]byte("tax extract #2"))

func (w *world) sendReq(id, grant string, mut func(*domain.SendRequest)) domain.SendRequest {
	r := domain.SendRequest{ID: id, GrantID: grant, Provider: "dept-tax", Consumer: "dept-social",
		Fields: []string{"income"}, PayloadHash: payloadA, KeyID: w.tax.keyID}
	if mut != nil {
		mut(&r)
	}
	if r.Signature == "" {
		r.Signature = signed(w.t, w.tax, canon.KindExchange, r)
	}
	return r
}

func (w *world) send(id, grant string) domain.Exchange {
	r := w.l.MustSubmit(w.tax.tx(), "exchange:Send", ledgertest.JSON(w.sendReq(id, grant, nil)))
	var e domain.Exchange
	if err := r.Decode(&e); err != nil {
		w.t.Fatal(err)
	}
	return e
}

func (w *world) answer(id string, by dept, decision string, mut func(*domain.AckRequest)) domain.Ack {
	a := domain.AckRequest{ExchangeID: id, Consumer: by.id, PayloadHash: payloadA, Decision: decision, KeyID: by.keyID}
	if decision == domain.DecisionReject {
		a.Reason = "payload incomplete"
	}
	if mut != nil {
		mut(&a)
	}
	if a.Signature == "" {
		a.Signature = signed(w.t, by, canon.KindExchangeAck, a)
	}
	return domain.Ack{AckRequest: a}
}

// refused submits a transaction that must fail with code and proves it wrote
// nothing: the world state and the event list are unchanged.
func (w *world) refused(name string, tx ledgertest.Tx, code, fn string, args ...string) ledgertest.Result {
	w.t.Helper()
	before, events := w.l.Snapshot(), len(w.l.Events())
	r := w.l.Submit(tx, fn, args...)
	if r.OK() {
		w.t.Errorf("%s: %s succeeded, want %s", name, fn, code)
		return r
	}
	w.t.Logf("%s: %s", name, r.Message)
	if r.Code() != code {
		w.t.Errorf("%s: %s failed with %q, want code %s", name, fn, r.Message, code)
	}
	if after := w.l.Snapshot(); !maps.EqualFunc(before, after, bytes.Equal) {
		w.t.Errorf("%s: world state changed by a refused transaction", name)
	}
	if n := len(w.l.Events()); n != events {
		w.t.Errorf("%s: a refused transaction emitted %d event(s)", name, n-events)
	}
	return r
}

func lastEvent(t testing.TB, l *ledgertest.Ledger) ledgertest.Event {
	t.Helper()
	ev := l.Events()
	if len(ev) == 0 {
		t.Fatal("no event")
	}
	return ev[len(ev)-1]
}

func TestHappyPath(t *testing.T) {
	w := newWorld(t)
	if ev := lastEvent(t, w.l); ev.Name != exchange.EventCatalogItemAdded {
		t.Fatalf("event %s", ev.Name)
	}
	g := w.createGrant("g-1")
	if ev := lastEvent(t, w.l); ev.Name != exchange.EventGrantCreated || !strings.Contains(string(ev.Payload), `"id":"g-1"`) {
		t.Fatalf("event %s %s", ev.Name, ev.Payload)
	}
	if g.Status != domain.GrantActive {
		t.Fatalf("grant %+v", g)
	}
	w.l.Advance(time.Minute)
	e := w.send("x-1", "g-1")
	if e.Status != domain.StatusSent || e.SentAt != wire.FormatTime(w.l.Now()) || e.Item != "tax-record" {
		t.Fatalf("exchange %+v", e)
	}
	if ev := lastEvent(t, w.l); ev.Name != exchange.EventExchangeSent {
		t.Fatalf("event %s", ev.Name)
	}

	// Not yet acknowledged.
	var vr domain.VerifyResult
	w.l.MustEvaluate(ledgertest.Tx{MSP: "PoliceMSP"}, "exchange:Verify", `{"id":"x-1"}`).MustDecode(t, &vr)
	if vr.Verdict != domain.VerdictNotAcknowledged {
		t.Fatalf("verdict %s: %+v", vr.Verdict, vr.Steps)
	}

	w.l.Advance(time.Minute)
	r := w.l.MustSubmit(w.social.tx(), "exchange:Ack", ledgertest.JSON(w.answer("x-1", w.social, domain.DecisionAck, nil)))
	var acked domain.Exchange
	_ = r.Decode(&acked)
	if acked.Status != domain.StatusAcknowledged || acked.Ack == nil || acked.Ack.TxID != r.TxID || acked.SentTxID != e.SentTxID {
		t.Fatalf("acked %+v", acked)
	}
	if ev := lastEvent(t, w.l); ev.Name != exchange.EventExchangeAcknowledged {
		t.Fatalf("event %s", ev.Name)
	}

	for _, q := range []string{`{"id":"x-1"}`, `{"payloadHash":"` + payloadA + `"}`, `{"id":"x-1","payloadHash":"` + payloadA + `"}`} {
		vr = domain.VerifyResult{}
		w.l.MustEvaluate(ledgertest.Tx{}, "exchange:Verify", q).MustDecode(t, &vr)
		if vr.Verdict != wire.VerdictValid || vr.Exchange == nil || vr.Grant == nil {
			t.Errorf("verify %s: verdict %s: %+v", q, vr.Verdict, vr.Steps)
		}
	}
	for q, want := range map[string]string{
		`{"id":"x-9"}`: wire.VerdictNotFound, `{"payloadHash":"` + payloadB + `"}`: wire.VerdictNotFound,
		`{"id":"x-1","payloadHash":"` + payloadB + `"}`: wire.VerdictHashMismatch, `{}`: wire.VerdictBadFormat,
	} {
		vr = domain.VerifyResult{}
		w.l.MustEvaluate(ledgertest.Tx{}, "exchange:Verify", q).MustDecode(t, &vr)
		if vr.Verdict != want {
			t.Errorf("verify %s: verdict %s, want %s", q, vr.Verdict, want)
		}
	}

	// Revoking the grant later leaves the recorded exchange VALID.
	rev := domain.RevocationRequest{GrantID: "g-1", Reason: "purpose fulfilled", KeyID: w.tax.keyID, PrevTxID: g.TxID}
	rev.Signature = signed(t, w.tax, canon.KindGrantRevoke, rev)
	w.l.Advance(time.Minute)
	w.l.MustSubmit(w.tax.tx(), "exchange:RevokeGrant", ledgertest.JSON(rev))
	if ev := lastEvent(t, w.l); ev.Name != exchange.EventGrantRevoked {
		t.Fatalf("event %s", ev.Name)
	}
	vr = domain.VerifyResult{}
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:Verify", `{"id":"x-1"}`).MustDecode(t, &vr)
	if vr.Verdict != wire.VerdictValid {
		t.Errorf("after revocation: verdict %s: %+v", vr.Verdict, vr.Steps)
	}
	var gv exchange.GrantView
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:GetGrant", "g-1").MustDecode(t, &gv)
	if gv.EffectiveStatus != domain.GrantRevoked || gv.Revocation == nil {
		t.Errorf("grant view %+v", gv)
	}
	var hist []map[string]any
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:History", "exchange", "x-1").MustDecode(t, &hist)
	if len(hist) != 2 {
		t.Errorf("exchange history has %d versions, want 2", len(hist))
	}

	// Reject path on a second exchange (before revocation is impossible now: new grant).
	w.createGrant("g-2")
	w.send("x-2", "g-2")
	w.l.MustSubmit(w.social.tx(), "exchange:Reject", ledgertest.JSON(w.answer("x-2", w.social, domain.DecisionReject, nil)))
	if ev := lastEvent(t, w.l); ev.Name != exchange.EventExchangeRejected {
		t.Fatalf("event %s", ev.Name)
	}
	vr = domain.VerifyResult{}
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:Verify", `{"id":"x-2"}`).MustDecode(t, &vr)
	if vr.Verdict != domain.VerdictRejected {
		t.Errorf("rejected exchange: verdict %s", vr.Verdict)
	}
	// The same payload sent twice: by hash, the VALID (acknowledged) one is reported.
	vr = domain.VerifyResult{}
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:Verify", `{"payloadHash":"`+payloadA+`"}`).MustDecode(t, &vr)
	if vr.Verdict != wire.VerdictValid || vr.Exchange.ID != "x-1" || len(vr.Matches) != 2 {
		t.Errorf("by hash with two matches: %s %v", vr.Verdict, vr.Matches)
	}
}

func TestRefusalsWriteNothing(t *testing.T) {
	w := newWorld(t)
	g := w.createGrant("g-1")
	w.createGrant("g-short")
	w.send("x-acked", "g-1")
	w.l.MustSubmit(w.social.tx(), "exchange:Ack", ledgertest.JSON(w.answer("x-acked", w.social, domain.DecisionAck, nil)))
	w.send("x-open", "g-1")

	// A revoked grant.
	w.createGrant("g-rev")
	var gr domain.Grant
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:GetGrant", "g-rev").MustDecode(t, &gr)
	rev := domain.RevocationRequest{GrantID: "g-rev", Reason: "withdrawn", KeyID: w.tax.keyID, PrevTxID: gr.TxID}
	rev.Signature = signed(t, w.tax, canon.KindGrantRevoke, rev)
	w.l.MustSubmit(w.tax.tx(), "exchange:RevokeGrant", ledgertest.JSON(rev))

	tax, social, police := w.tax.tx(), w.social.tx(), w.police.tx()
	cases := []struct {
		name string
		tx   ledgertest.Tx
		code string
		fn   string
		arg  string
	}{
		{"field outside grant", tax, codes.Forbidden, "exchange:Send",
			ledgertest.JSON(w.sendReq("x-2", "g-1", func(r *domain.SendRequest) { r.Fields = []string{"income", "taxId"} }))},
		{"revoked grant", tax, codes.Forbidden, "exchange:Send", ledgertest.JSON(w.sendReq("x-2", "g-rev", nil))},
		{"wrong consumer", tax, codes.Forbidden, "exchange:Send",
			ledgertest.JSON(w.sendReq("x-2", "g-1", func(r *domain.SendRequest) { r.Consumer = "dept-police" }))},
		{"send by a third department's MSP", police, codes.Forbidden, "exchange:Send", ledgertest.JSON(w.sendReq("x-2", "g-1", nil))},
		{"send signature over a different payload hash", tax, codes.BadSignature, "exchange:Send",
			ledgertest.JSON(func() domain.SendRequest { r := w.sendReq("x-2", "g-1", nil); r.PayloadHash = payloadB; return r }())},
		{"send signed by the consumer's key", tax, codes.Forbidden, "exchange:Send",
			ledgertest.JSON(w.sendReq("x-2", "g-1", func(r *domain.SendRequest) {
				r.KeyID = w.social.keyID
				r.Signature = signed(t, w.social, canon.KindExchange, *r)
			}))},
		{"send to an unknown grant", tax, codes.NotFound, "exchange:Send", ledgertest.JSON(w.sendReq("x-2", "g-none", nil))},
		{"exchange id reused", tax, codes.Conflict, "exchange:Send", ledgertest.JSON(w.sendReq("x-open", "g-1", nil))},
		{"malformed exchange", tax, codes.InvalidArgument, "exchange:Send", `{"id":"x-2","extra":1}`},
		{"ack by a third department", police, codes.Forbidden, "exchange:Ack", ledgertest.JSON(w.answer("x-open", w.police, domain.DecisionAck, nil))},
		{"ack by a third department naming the consumer", police, codes.Forbidden, "exchange:Ack",
			ledgertest.JSON(w.answer("x-open", w.police, domain.DecisionAck, func(a *domain.AckRequest) { a.Consumer = "dept-social" }))},
		{"ack by the consumer's MSP with a third department's key", social, codes.Forbidden, "exchange:Ack",
			ledgertest.JSON(w.answer("x-open", w.police, domain.DecisionAck, func(a *domain.AckRequest) { a.Consumer = "dept-social" }))},
		{"double ack", social, codes.Conflict, "exchange:Ack", ledgertest.JSON(w.answer("x-acked", w.social, domain.DecisionAck, nil))},
		{"reject after ack", social, codes.Conflict, "exchange:Reject", ledgertest.JSON(w.answer("x-acked", w.social, domain.DecisionReject, nil))},
		{"ack signature over a different payload hash", social, codes.BadSignature, "exchange:Ack",
			ledgertest.JSON(func() domain.Ack {
				a := w.answer("x-open", w.social, domain.DecisionAck, func(a *domain.AckRequest) { a.PayloadHash = payloadB })
				a.PayloadHash = payloadA
				return a
			}())},
		{"ack of another payload", social, codes.InvalidArgument, "exchange:Ack",
			ledgertest.JSON(w.answer("x-open", w.social, domain.DecisionAck, func(a *domain.AckRequest) { a.PayloadHash = payloadB }))},
		{"reject sent to Ack", social, codes.InvalidArgument, "exchange:Ack", ledgertest.JSON(w.answer("x-open", w.social, domain.DecisionReject, nil))},
		{"reject without reason", social, codes.InvalidArgument, "exchange:Reject",
			ledgertest.JSON(w.answer("x-open", w.social, domain.DecisionReject, func(a *domain.AckRequest) { a.Reason = "" }))},
		{"grant field outside the item", tax, codes.InvalidArgument, "exchange:CreateGrant",
			ledgertest.JSON(w.grantReq("g-3", func(r *domain.GrantRequest) { r.Fields = []string{"income", "medical"} }))},
		{"grant by the consumer's MSP", social, codes.Forbidden, "exchange:CreateGrant", ledgertest.JSON(w.grantReq("g-3", nil))},
		{"grant with a bad signature", tax, codes.BadSignature, "exchange:CreateGrant",
			ledgertest.JSON(func() domain.GrantRequest { r := w.grantReq("g-3", nil); r.Purpose = "anything"; return r }())},
		{"grant id reused", tax, codes.Conflict, "exchange:CreateGrant", ledgertest.JSON(w.grantReq("g-1", nil))},
		{"grant for an unknown consumer", tax, codes.NotFound, "exchange:CreateGrant",
			ledgertest.JSON(w.grantReq("g-3", func(r *domain.GrantRequest) { r.Consumer = "dept-nobody" }))},
		{"grant of an unknown item", tax, codes.NotFound, "exchange:CreateGrant",
			ledgertest.JSON(w.grantReq("g-3", func(r *domain.GrantRequest) { r.Item = "land-record" }))},
		{"revoke twice", tax, codes.Conflict, "exchange:RevokeGrant", ledgertest.JSON(func() domain.RevocationRequest {
			var cur domain.Grant
			w.l.MustEvaluate(ledgertest.Tx{}, "exchange:GetGrant", "g-rev").MustDecode(t, &cur)
			r := domain.RevocationRequest{GrantID: "g-rev", Reason: "again", KeyID: w.tax.keyID, PrevTxID: cur.TxID}
			r.Signature = signed(t, w.tax, canon.KindGrantRevoke, r)
			return r
		}())},
		{"revoke replaying an old prevTxId", tax, codes.Conflict, "exchange:RevokeGrant", ledgertest.JSON(func() domain.RevocationRequest {
			r := domain.RevocationRequest{GrantID: "g-1", Reason: "x", KeyID: w.tax.keyID, PrevTxID: "0000"}
			r.Signature = signed(t, w.tax, canon.KindGrantRevoke, r)
			return r
		}())},
		{"revoke by the consumer", social, codes.Forbidden, "exchange:RevokeGrant", ledgertest.JSON(func() domain.RevocationRequest {
			r := domain.RevocationRequest{GrantID: "g-1", Reason: "x", KeyID: w.social.keyID, PrevTxID: g.TxID}
			r.Signature = signed(t, w.social, canon.KindGrantRevoke, r)
			return r
		}())},
		{"catalogue item for another department", social, codes.Forbidden, "exchange:AddCatalogItem",
			`{"provider":"dept-tax","id":"x","fields":["a"]}`},
		{"catalogue item twice", tax, codes.Conflict, "exchange:AddCatalogItem",
			`{"provider":"dept-tax","id":"tax-record","fields":["a"]}`},
		{"backdated send", ledgertest.Tx{MSP: "TaxMSP", Time: w.l.Now().Add(-10 * time.Minute)}, codes.InvalidArgument,
			"exchange:Send", ledgertest.JSON(w.sendReq("x-2", "g-1", nil))},
	}
	for _, c := range cases {
		w.refused(c.name, c.tx, c.code, c.fn, c.arg)
	}

	// An expired grant: move the endorser clock past validUntil.
	w.l.Advance(25 * time.Hour)
	w.refused("expired grant", tax, codes.Forbidden, "exchange:Send", ledgertest.JSON(w.sendReq("x-2", "g-1", nil)))
	// Acknowledging an old exchange still works after the grant expired.
	w.l.MustSubmit(social, "exchange:Ack", ledgertest.JSON(w.answer("x-open", w.social, domain.DecisionAck, nil)))
}

func TestListsAndPagination(t *testing.T) {
	w := newWorld(t)
	w.createGrant("g-1")
	// A second consumer with its own grant.
	pr := w.grantReq("g-p", func(r *domain.GrantRequest) { r.Consumer = "dept-police" })
	w.l.MustSubmit(w.tax.tx(), "exchange:CreateGrant", ledgertest.JSON(pr))
	start := w.l.Now()
	var ids []string
	for i := range 7 {
		id := fmt.Sprintf("x-%02d", i)
		ids = append(ids, id)
		w.l.MustSubmit(w.tax.tx(), "exchange:Send", ledgertest.JSON(w.sendReq(id, "g-1", nil)))
		w.l.Advance(1500 * time.Millisecond) // fractional seconds must still sort in time order
	}
	w.l.MustSubmit(w.tax.tx(), "exchange:Send", ledgertest.JSON(w.sendReq("y-police", "g-p", func(r *domain.SendRequest) { r.Consumer = "dept-police" })))
	w.l.MustSubmit(w.social.tx(), "exchange:Ack", ledgertest.JSON(w.answer("x-03", w.social, domain.DecisionAck, nil)))

	list := func(q exchange.ExchangeQuery) []string {
		t.Helper()
		var got []string
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("pagination does not end")
			}
			var p exchange.Page[domain.Exchange]
			w.l.MustEvaluate(ledgertest.Tx{}, "exchange:ListExchanges", ledgertest.JSON(q)).MustDecode(t, &p)
			if p.Count != len(p.Records) || (q.PageSize > 0 && p.Count > q.PageSize) {
				t.Fatalf("page count %d, %d records, size %d", p.Count, len(p.Records), q.PageSize)
			}
			for _, e := range p.Records {
				got = append(got, e.ID)
			}
			if p.Bookmark == "" {
				return got
			}
			q.Bookmark = p.Bookmark
		}
	}
	all := append(append([]string{}, ids...), "y-police")
	cases := []struct {
		name string
		q    exchange.ExchangeQuery
		want []string
	}{
		{"all", exchange.ExchangeQuery{}, all},
		{"all, pages of 3", exchange.ExchangeQuery{PageSize: 3}, all},
		{"by grant, pages of 2", exchange.ExchangeQuery{GrantID: "g-1", PageSize: 2}, ids},
		{"by provider", exchange.ExchangeQuery{Provider: "dept-tax", PageSize: 4}, all},
		{"by consumer", exchange.ExchangeQuery{Consumer: "dept-police"}, []string{"y-police"}},
		{"by consumer and status", exchange.ExchangeQuery{Consumer: "dept-social", Status: "acknowledged"}, []string{"x-03"}},
		{"period", exchange.ExchangeQuery{From: wire.FormatTime(start.Add(3 * time.Second)), To: wire.FormatTime(start.Add(7500 * time.Millisecond)), PageSize: 1},
			[]string{"x-02", "x-03", "x-04"}},
		{"provider and period", exchange.ExchangeQuery{Provider: "dept-tax", From: wire.FormatTime(start.Add(9 * time.Second))},
			[]string{"x-06", "y-police"}},
		{"until", exchange.ExchangeQuery{Consumer: "dept-social", To: wire.FormatTime(start.Add(time.Second))}, []string{"x-00"}},
		{"other month", exchange.ExchangeQuery{From: "2026-12-01T00:00:00Z", To: "2027-02-01T00:00:00Z"}, nil},
	}
	for _, c := range cases {
		if got := list(c.q); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	for _, bad := range []string{`{"pageSize":1000}`, `{"status":"lost"}`, `{"from":"yesterday"}`,
		`{"from":"2026-12-01T00:00:00Z","to":"2026-11-01T00:00:00Z"}`, `{"bookmark":"%%"}`, `{"nope":1}`} {
		if r := w.l.Evaluate(ledgertest.Tx{}, "exchange:ListExchanges", bad); r.Code() != codes.InvalidArgument {
			t.Errorf("ListExchanges(%s) = %q, want INVALID_ARGUMENT", bad, r.Message)
		}
	}

	var gp exchange.Page[exchange.GrantView]
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:ListGrants", `{"consumer":"dept-police"}`).MustDecode(t, &gp)
	if gp.Count != 1 || gp.Records[0].ID != "g-p" || gp.Records[0].EffectiveStatus != domain.GrantActive {
		t.Errorf("grants of police: %+v", gp)
	}
	gp = exchange.Page[exchange.GrantView]{}
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:ListGrants", "").MustDecode(t, &gp)
	if gp.Count != 2 {
		t.Errorf("all grants: %d", gp.Count)
	}
	gp = exchange.Page[exchange.GrantView]{}
	w.l.MustEvaluate(ledgertest.Tx{Time: w.l.Now().Add(48 * time.Hour)}, "exchange:ListGrants", `{"provider":"dept-tax","status":"expired","pageSize":1}`).MustDecode(t, &gp)
	if gp.Count != 1 || gp.Bookmark == "" {
		t.Errorf("expired grants, first page: %+v", gp)
	}
	var items []domain.CatalogItem
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:ListCatalog", "dept-tax").MustDecode(t, &items)
	if len(items) != 1 || items[0].ID != "tax-record" {
		t.Errorf("catalogue %+v", items)
	}
	if r := w.l.Evaluate(ledgertest.Tx{}, "exchange:GetExchange", "x-nope"); r.Code() != codes.NotFound {
		t.Errorf("GetExchange unknown: %q", r.Message)
	}
}

func TestKeyRotation(t *testing.T) {
	w := newWorld(t)
	w.createGrant("g-1")
	w.send("x-old", "g-1")
	w.l.MustSubmit(w.social.tx(), "exchange:Ack", ledgertest.JSON(w.answer("x-old", w.social, domain.DecisionAck, nil)))

	newKey, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := gm.MarshalPublicKeyPEM(&newKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	w.l.Advance(time.Minute)
	w.l.MustSubmit(ledgertest.Tx{MSP: "GovMSP"}, "registry:RotateKey", "dept-tax", w.tax.keyID, string(pemBytes))
	w.l.Advance(time.Second)

	// The rotated-out key signs nothing new.
	w.refused("send with a rotated-out key", w.tax.tx(), codes.Forbidden, "exchange:Send", ledgertest.JSON(w.sendReq("x-new", "g-1", nil)))
	// What it signed before stays valid.
	var vr domain.VerifyResult
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:Verify", `{"id":"x-old"}`).MustDecode(t, &vr)
	if vr.Verdict != wire.VerdictValid {
		t.Errorf("old exchange after rotation: %s %+v", vr.Verdict, vr.Steps)
	}
	// The new key sends under the grant signed by the old one.
	old := w.tax
	w.tax = dept{id: old.id, msp: old.msp, key: newKey, keyID: gm.KeyID(&newKey.PublicKey)}
	w.send("x-new", "g-1")
	w.l.MustSubmit(w.social.tx(), "exchange:Ack", ledgertest.JSON(w.answer("x-new", w.social, domain.DecisionAck, nil)))
	vr = domain.VerifyResult{}
	w.l.MustEvaluate(ledgertest.Tx{}, "exchange:Verify", `{"id":"x-new"}`).MustDecode(t, &vr)
	if vr.Verdict != wire.VerdictValid {
		t.Errorf("new exchange: %s %+v", vr.Verdict, vr.Steps)
	}
}

// TestListAcrossMonths pages through month buckets: a bookmark taken in one
// month resumes in the next, and a period skips the months outside it.
func TestListAcrossMonths(t *testing.T) {
	w := newWorld(t)
	w.l.MustSubmit(w.tax.tx(), "exchange:CreateGrant", ledgertest.JSON(w.grantReq("g-long", func(r *domain.GrantRequest) {
		r.ValidUntil = wire.FormatTime(w.l.Now().Add(100 * 24 * time.Hour))
	})))
	for _, s := range []struct {
		id  string
		gap time.Duration
	}{{"x-nov-1", 0}, {"x-nov-2", time.Hour}, {"x-dec", 5 * 24 * time.Hour}, {"x-jan", 31 * 24 * time.Hour}} {
		w.l.Advance(s.gap)
		w.l.MustSubmit(w.tax.tx(), "exchange:Send", ledgertest.JSON(w.sendReq(s.id, "g-long", nil)))
	}
	list := func(q exchange.ExchangeQuery) []string {
		t.Helper()
		var got []string
		for range 10 {
			var p exchange.Page[domain.Exchange]
			w.l.MustEvaluate(ledgertest.Tx{}, "exchange:ListExchanges", ledgertest.JSON(q)).MustDecode(t, &p)
			for _, e := range p.Records {
				got = append(got, e.ID)
			}
			if p.Bookmark == "" {
				return got
			}
			q.Bookmark = p.Bookmark
		}
		t.Fatal("pagination does not end")
		return nil
	}
	for _, c := range []struct {
		name string
		q    exchange.ExchangeQuery
		want string
	}{
		{"three months, pages of 1", exchange.ExchangeQuery{From: "2026-11-01T00:00:00Z", To: "2027-02-01T00:00:00Z", PageSize: 1}, "x-nov-1,x-nov-2,x-dec,x-jan"},
		{"December only", exchange.ExchangeQuery{From: "2026-12-01T00:00:00Z", To: "2027-01-01T00:00:00Z"}, "x-dec"},
		{"consumer, from December, pages of 1", exchange.ExchangeQuery{Consumer: "dept-social", From: "2026-12-01T00:00:00Z", To: "2027-06-01T00:00:00Z", PageSize: 1}, "x-dec,x-jan"},
		{"grant, no period, pages of 3", exchange.ExchangeQuery{GrantID: "g-long", PageSize: 3}, "x-nov-1,x-nov-2,x-dec,x-jan"},
		{"within November", exchange.ExchangeQuery{Provider: "dept-tax", From: "2026-11-28T12:30:00Z", To: "2026-11-30T00:00:00Z"}, "x-nov-2"},
	} {
		if got := strings.Join(list(c.q), ","); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
