package exchange

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

var payloadIncome = []byte(`{"income":52000}` + "\n" + `{"income":61000}` + "\n")

func header() EnvelopeHeader {
	return EnvelopeHeader{ExchangeID: "x-1", GrantID: "g-1", Provider: "dept-tax", Consumer: "dept-social", Fields: []string{"income", "name"}}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	f := newFixture(t)
	s, err := SealEnvelope(header(), &f.cons.priv.PublicKey, payloadIncome)
	if err != nil {
		t.Fatal(err)
	}
	if s.EnvelopeHash != gm.SM3Hex(s.Bytes) || !wire.ValidHash(s.PayloadHash) {
		t.Fatalf("sealed %+v", s)
	}
	// The payload's plain SM3 appears nowhere: the digest is salted.
	if s.PayloadHash == gm.SM3Hex(payloadIncome) || bytes.Contains(s.Bytes, payloadIncome) {
		t.Fatal("payload digest is not salted or payload is in clear")
	}
	o, err := OpenEnvelope(s.Bytes, f.cons.priv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(o.Payload, payloadIncome) || o.PayloadHash != s.PayloadHash || o.EnvelopeHash != s.EnvelopeHash ||
		o.RecipientKeyID != f.cons.id || len(o.Salt) != EnvelopeSaltSize {
		t.Fatalf("opened %+v", o.EnvelopeHeader)
	}
	if got, err := PayloadFields(o.Payload); err != nil || strings.Join(got, ",") != "income" {
		t.Fatalf("fields %v %v", got, err)
	}
	// Two seals of the same payload differ (fresh key, nonce and salt).
	s2, _ := SealEnvelope(header(), &f.cons.priv.PublicKey, payloadIncome)
	if s2.PayloadHash == s.PayloadHash || s2.EnvelopeHash == s.EnvelopeHash {
		t.Fatal("sealing is deterministic")
	}
}

func TestEnvelopeRefusals(t *testing.T) {
	f := newFixture(t)
	s, err := SealEnvelope(header(), &f.cons.priv.PublicKey, payloadIncome)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(s.Bytes, &m)
	reencode := func(mut func(map[string]any)) []byte {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		mut(c)
		raw, _ := json.Marshal(c)
		b, err := canon.Canonicalize(raw)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ct, _ := base64.StdEncoding.DecodeString(m["ciphertext"].(string))
	ct[len(ct)/2] ^= 1
	cases := []struct {
		name string
		b    []byte
	}{
		{"header moved to another exchange", reencode(func(c map[string]any) { c["exchangeId"] = "x-2" })},
		{"fields widened in the header", reencode(func(c map[string]any) { c["fields"] = []string{"income", "name", "taxId"} })},
		{"ciphertext changed", reencode(func(c map[string]any) { c["ciphertext"] = base64.StdEncoding.EncodeToString(ct) })},
		{"unknown member", reencode(func(c map[string]any) { c["extra"] = "x" })},
		{"missing member", reencode(func(c map[string]any) { delete(c, "nonce") })},
		{"bad format marker", reencode(func(c map[string]any) { c["format"] = "other" })},
		{"short nonce", reencode(func(c map[string]any) { c["nonce"] = base64.StdEncoding.EncodeToString([]byte("short")) })},
		{"wrapped key not SM2 ASN.1", reencode(func(c map[string]any) {
			c["wrappedKey"] = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
		})},
		{"not canonical (whitespace)", append(append([]byte{}, s.Bytes...), ' ')},
		{"not JSON", []byte("envelope")},
		{"too large", bytes.Repeat([]byte{' '}, MaxEnvelopeSize+1)},
	}
	for _, c := range cases {
		if _, err := OpenEnvelope(c.b, f.cons.priv); !errors.Is(err, ErrBadEnvelope) || codes.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Addressed to the consumer: the provider's (or anyone else's) key does not open it.
	if _, err := OpenEnvelope(s.Bytes, f.third.priv); !errors.Is(err, ErrBadEnvelope) {
		t.Fatalf("other key: %v", err)
	}
	// A provider cannot seal fields it does not declare.
	h := header()
	h.Fields = []string{"name"}
	if _, err := SealEnvelope(h, &f.cons.priv.PublicKey, payloadIncome); !errors.Is(err, ErrOutOfScope) {
		t.Fatalf("undeclared field sealed: %v", err)
	}
}

func TestPayloadFields(t *testing.T) {
	cases := []struct {
		in   string
		want string // "" = error
	}{
		{`{"name":"x","income":1}`, "income,name"},
		{`[{"name":"x"},{"income":2,"taxId":"t"}]`, "income,name,taxId"},
		{"{\"a\":1}\n{\"b\":2}\n\n", "a,b"},
		{`{"bad name":1}`, ""},
		{`{}`, ""},
		{`[]`, ""},
		{`"text"`, ""},
		{`{"a":1} junk`, ""},
		{``, ""},
		{`[1,2]`, ""},
	}
	for _, c := range cases {
		got, err := PayloadFields([]byte(c.in))
		if c.want == "" {
			if err == nil {
				t.Errorf("PayloadFields(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != c.want {
			t.Errorf("PayloadFields(%q) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
}

// An enveloped exchange: the consumer's receipt proves the fields received; a
// receipt acknowledging fields beyond the grant is refused, a rejection records
// them and verification reports the exchange out of scope.
func TestEnvelopeExchangeReceipt(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t)
	send := func(id string, payload []byte, declared []string) (Exchange, Opened) {
		h := header()
		h.ExchangeID, h.Fields = id, declared
		s, err := SealEnvelope(h, &f.cons.priv.PublicKey, payload)
		if err != nil {
			t.Fatal(err)
		}
		req := SendRequest{ID: id, GrantID: "g-1", Provider: "dept-tax", Consumer: "dept-social", Fields: []string{"income"},
			PayloadHash: s.PayloadHash, EnvelopeHash: s.EnvelopeHash, Certificates: []string{"c-1"}, KeyID: f.prov.id}
		kind, signed := req.SignedForm()
		req.Signature = sign(t, f.prov, kind, signed)
		e, err := NewExchange(req, g, t0, "tx-"+id, f.ring)
		if err != nil {
			t.Fatal(err)
		}
		o, err := OpenEnvelope(s.Bytes, f.cons.priv)
		if err != nil {
			t.Fatal(err)
		}
		return e, o
	}
	receipt := func(e Exchange, o Opened, decision, reasonHash string) Ack {
		fields, err := PayloadFields(o.Payload)
		if err != nil {
			t.Fatal(err)
		}
		a := Ack{AckRequest: AckRequest{ExchangeID: e.ID, Consumer: "dept-social", PayloadHash: o.PayloadHash, EnvelopeHash: o.EnvelopeHash,
			Fields: fields, Decision: decision, ReasonHash: reasonHash, KeyID: f.cons.id}}
		kind, signed := a.SignedForm()
		a.Signature = sign(t, f.cons, kind, signed)
		return a
	}
	at := t0.Add(time.Minute)

	e, o := send("x-1", payloadIncome, []string{"income"})
	acked, err := e.Answer(receipt(e, o, DecisionAck, ""), g, at, "tx-ack", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	r := Verify(Query{ID: "x-1"}, &acked, &g, at, f.ring)
	if r.Verdict != wire.VerdictValid || !strings.Contains(r.Steps[StepScope-1].Detail, "proven") {
		t.Fatalf("verify %s %+v", r.Verdict, r.Steps)
	}

	// A declared-form ack of an enveloped exchange is refused.
	if _, err := e.Answer(f.ack(t, f.cons, func(a *Ack) { a.PayloadHash = e.PayloadHash }), g, at, "tx", f.ring); !errors.Is(err, codes.ErrInvalidArgument) {
		t.Fatalf("declared ack of an envelope: %v", err)
	}

	// The provider declares "income" but the payload holds taxId too (it sealed
	// them as declared in the envelope header, ignoring the grant).
	over := []byte(`{"income":1,"taxId":"T-9"}`)
	e2, o2 := send("x-2", over, []string{"income", "taxId"})
	if _, err := e2.Answer(receipt(e2, o2, DecisionAck, ""), g, at, "tx", f.ring); !errors.Is(err, ErrOutOfScope) || codes.Code(err) != codes.Forbidden {
		t.Fatalf("ack beyond the grant: %v", err)
	}
	rej, err := e2.Answer(receipt(e2, o2, DecisionReject, gm.SM3Hex([]byte("taxId not granted"))), g, at, "tx-rej", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	r = Verify(Query{ID: "x-2"}, &rej, &g, at, f.ring)
	if r.Verdict != VerdictOutOfScope {
		t.Fatalf("verify over-sent: %s %+v", r.Verdict, r.Steps)
	}

	// A receipt over another envelope, or with the reason in clear, is refused.
	bad := receipt(e, o, DecisionAck, "")
	bad.EnvelopeHash = gm.SM3Hex([]byte("other"))
	if _, err := e.Answer(bad, g, at, "tx", f.ring); !errors.Is(err, codes.ErrInvalidArgument) {
		t.Fatalf("other envelope: %v", err)
	}
	clear := receipt(e, o, DecisionReject, gm.SM3Hex([]byte("r")))
	clear.Reason = "in clear"
	if err := clear.Validate(); err == nil {
		t.Fatal("receipt with a clear reason accepted")
	}
}

func TestSealedGrantRevocationAndDeletion(t *testing.T) {
	f := newFixture(t)
	req := f.grantReq(t, func(r *GrantRequest) { r.Purpose = ""; r.PurposeHash = gm.SM3Hex([]byte("subsidy")); r.Signature = "x" })
	kind, signed := req.SignedForm()
	if kind != canon.KindGrantSealed {
		t.Fatalf("kind %s", kind)
	}
	req.Signature = sign(t, f.prov, kind, signed)
	g, err := NewGrant(req, f.item, t0.Add(-30*time.Minute), "tx-grant", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	// Both purpose and its hash: refused.
	both := req
	both.Purpose = "subsidy"
	if err := both.Validate(); err == nil {
		t.Fatal("purpose and purposeHash accepted")
	}

	del := func(by *testKey, prev string) Deletion {
		d := Deletion{DeletionRequest: DeletionRequest{GrantID: g.ID, Consumer: by.dept, PrevTxID: prev, KeyID: by.id}}
		k, s := d.SignedForm()
		d.Signature = sign(t, by, k, s)
		return d
	}
	// While active: refused.
	if _, err := g.AttestDeletion(del(f.cons, g.TxID), t0, "tx", f.ring); !errors.Is(err, ErrGrantNotEnded) {
		t.Fatalf("attest while active: %v", err)
	}
	rv := Revocation{RevocationRequest: RevocationRequest{GrantID: g.ID, ReasonHash: gm.SM3Hex([]byte("done")), KeyID: f.prov.id, PrevTxID: g.TxID}}
	k, s := rv.SignedForm()
	rv.Signature = sign(t, f.prov, k, s)
	revAt := t0.Add(time.Hour)
	revoked, err := g.Revoke(rv, revAt, "tx-rev", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	at := revAt.Add(time.Hour)
	for _, c := range []struct {
		name string
		d    Deletion
		want error
	}{
		{"by the provider", del(f.prov, "tx-rev"), ErrWrongConsumer},
		{"stale prevTxId", del(f.cons, "tx-grant"), ErrStaleTx},
		{"third department claiming the consumer", func() Deletion { d := del(f.third, "tx-rev"); d.Consumer = "dept-social"; return d }(), ErrKeyInvalid},
	} {
		if _, err := revoked.AttestDeletion(c.d, at, "tx", f.ring); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	done, err := revoked.AttestDeletion(del(f.cons, "tx-rev"), at, "tx-del", f.ring)
	if err != nil || done.Deletion == nil || done.Deletion.TxID != "tx-del" || done.TxID != "tx-del" {
		t.Fatalf("attest: %+v %v", done.Deletion, err)
	}
	if _, err := done.AttestDeletion(del(f.cons, "tx-del"), at, "tx", f.ring); !errors.Is(err, ErrAlreadyAttested) {
		t.Fatalf("twice: %v", err)
	}
	// An expired grant (never revoked) is attested against its creation tx.
	expiredAt := mustTime(g.ValidUntil).Add(time.Second)
	if _, err := g.AttestDeletion(del(f.cons, "tx-grant"), expiredAt, "tx", f.ring); err != nil {
		t.Fatalf("attest after expiry: %v", err)
	}
}

func TestCatalogUpdateWithdraw(t *testing.T) {
	f := newFixture(t)
	it := f.item
	up, err := it.Update(CatalogChange{Provider: "dept-tax", ID: "tax-record", Name: "Tax record v2", Fields: []string{"income", "name"}, PrevTxID: "tx-item"}, t0, "tx-up")
	if err != nil || up.Version != 2 || up.TxID != "tx-up" || strings.Join(up.Fields, ",") != "income,name" {
		t.Fatalf("update %+v %v", up, err)
	}
	if _, err := up.Update(CatalogChange{Provider: "dept-tax", ID: "tax-record", Fields: []string{"a"}, PrevTxID: "tx-item"}, t0, "tx"); !errors.Is(err, ErrStaleTx) {
		t.Fatalf("stale update: %v", err)
	}
	wd, err := up.Withdraw(CatalogChange{Provider: "dept-tax", ID: "tax-record", Reason: "replaced by tax-record-2", PrevTxID: "tx-up"}, t0, "tx-wd")
	if err != nil || !wd.Withdrawn() || wd.Version != 3 || wd.Withdrawal.Reason == "" {
		t.Fatalf("withdraw %+v %v", wd, err)
	}
	if _, err := wd.Update(CatalogChange{Provider: "dept-tax", ID: "tax-record", Fields: []string{"a"}, PrevTxID: "tx-wd"}, t0, "tx"); !errors.Is(err, ErrItemWithdrawn) {
		t.Fatalf("update after withdrawal: %v", err)
	}
	if (CatalogChange{Provider: "dept-tax", ID: "tax-record", PrevTxID: "tx"}).ValidateWithdraw() == nil {
		t.Fatal("withdrawal without a reason accepted")
	}
	// A withdrawn item takes no new grant.
	if _, err := NewGrant(f.grantReq(t, nil), wd, t0, "tx", f.ring); !errors.Is(err, ErrItemWithdrawn) {
		t.Fatalf("grant on a withdrawn item: %v", err)
	}
}

func FuzzParseEnvelope(f *testing.F) {
	k, _ := gm.GenerateKey()
	s, err := SealEnvelope(header(), &k.PublicKey, payloadIncome)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(s.Bytes)
	f.Add([]byte(`{"format":"certledger/v1/envelope"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEnvelope(b)
		if err != nil {
			if !errors.Is(err, ErrBadEnvelope) {
				t.Fatalf("uncoded error %v", err)
			}
			return
		}
		// What parses is canonical and re-encodes to the same bytes.
		raw, _ := json.Marshal(e)
		c, err := canon.Canonicalize(raw)
		if err != nil || !bytes.Equal(c, b) {
			t.Fatalf("parsed envelope does not re-encode to its bytes")
		}
		_, _ = OpenEnvelope(b, k)
	})
}

func FuzzPayloadFields(f *testing.F) {
	f.Add(payloadIncome)
	f.Add([]byte(`[{"a":1}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, err := PayloadFields(b)
		if err == nil && CheckFields(fields) != nil {
			t.Fatalf("PayloadFields returned an invalid list %q", fields)
		}
	})
}

// The operator id is signed in the envelope and receipt forms: changing it
// after signing breaks the signature; a record without one signs as before.
func TestEnvelopeFormsSignOperator(t *testing.T) {
	f := newFixture(t)
	req := SendRequest{ID: "x-1", GrantID: "g-1", Provider: "dept-tax", Consumer: "dept-social", Fields: []string{"income"},
		PayloadHash: hashA, EnvelopeHash: hashB, KeyID: f.prov.id, Operator: "clerk1@dept-tax"}
	kind, rec := req.SignedForm()
	req.Signature = sign(t, f.prov, kind, rec)
	if err := f.ring.VerifySigned(kind, "dept-tax", f.prov.id, t0, rec, req.Signature); err != nil {
		t.Fatal(err)
	}
	forged := req
	forged.Operator = "clerk2@dept-tax"
	kind, rec = forged.SignedForm()
	if err := f.ring.VerifySigned(kind, "dept-tax", f.prov.id, t0, rec, req.Signature); !errors.Is(err, codes.ErrBadSignature) {
		t.Fatalf("changed operator: %v", err)
	}
	a := AckRequest{ExchangeID: "x-1", Consumer: "dept-social", PayloadHash: hashA, EnvelopeHash: hashB, Fields: []string{"income"},
		Decision: DecisionAck, KeyID: f.cons.id, Operator: "clerk9@dept-social"}
	kind, rec = a.SignedForm()
	sig := sign(t, f.cons, kind, rec)
	a.Operator = ""
	kind, rec = a.SignedForm()
	if err := f.ring.VerifySigned(kind, "dept-social", f.cons.id, t0, rec, sig); !errors.Is(err, codes.ErrBadSignature) {
		t.Fatalf("dropped operator: %v", err)
	}
}
