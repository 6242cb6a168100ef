package exchange

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/testkit"
)

func checkErr(t *testing.T, name string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: unexpected error %v", name, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: error %v, want %v", name, err, want)
	}
}

func TestCheckFields(t *testing.T) {
	cases := []struct {
		in []string
		ok bool
	}{
		{[]string{"a"}, true},
		{[]string{"a", "b", "c_d", "e.f"}, true},
		{nil, false},
		{[]string{}, false},
		{[]string{"b", "a"}, false},
		{[]string{"a", "a"}, false},
		{[]string{"1a"}, false},
		{[]string{"a b"}, false},
		{[]string{strings.Repeat("x", 65)}, false},
	}
	for _, c := range cases {
		err := CheckFields(c.in)
		if (err == nil) != c.ok {
			t.Errorf("CheckFields(%q) = %v, want ok=%v", c.in, err, c.ok)
		}
		if err != nil && !errors.Is(err, codes.ErrInvalidArgument) {
			t.Errorf("CheckFields(%q) error %v does not wrap codes.ErrInvalidArgument", c.in, err)
		}
	}
	if got := SortFields([]string{"b", "a", "b"}); strings.Join(got, ",") != "a,b" {
		t.Errorf("SortFields = %v", got)
	}
}

func TestCatalogInput(t *testing.T) {
	ok := CatalogInput{Provider: "dept-tax", ID: "tax-record", Fields: []string{"a", "b"}}
	cases := []struct {
		name string
		mut  func(*CatalogInput)
		want error
	}{
		{"ok", func(*CatalogInput) {}, nil},
		{"no provider", func(c *CatalogInput) { c.Provider = "" }, codes.ErrInvalidArgument},
		{"bad id", func(c *CatalogInput) { c.ID = "-x" }, codes.ErrInvalidArgument},
		{"no fields", func(c *CatalogInput) { c.Fields = nil }, codes.ErrInvalidArgument},
		{"long name", func(c *CatalogInput) { c.Name = strings.Repeat("n", MaxTextLen+1) }, codes.ErrInvalidArgument},
	}
	for _, c := range cases {
		in := ok
		c.mut(&in)
		item, err := NewCatalogItem(in, t0, "tx")
		checkErr(t, c.name, err, c.want)
		if err == nil && (item.CreatedAt != "2026-11-28T12:00:00Z" || item.TxID != "tx") {
			t.Errorf("%s: item %+v", c.name, item)
		}
	}
}

func TestNewGrant(t *testing.T) {
	f := newFixture(t)
	now := t0.Add(-30 * time.Minute)
	cases := []struct {
		name string
		req  func() GrantRequest
		item func(CatalogItem) CatalogItem
		want error
	}{
		{"ok", func() GrantRequest { return f.grantReq(t, nil) }, nil, nil},
		{"field not in item", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.Fields = []string{"income", "medical"} })
		}, nil, codes.ErrInvalidArgument},
		{"unsorted fields", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.Fields = []string{"name", "income"} })
		}, nil, codes.ErrInvalidArgument},
		{"item of another provider", func() GrantRequest { return f.grantReq(t, nil) },
			func(c CatalogItem) CatalogItem { c.Provider = "dept-police"; return c }, codes.ErrInvalidArgument},
		{"self grant", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.Consumer = r.Provider })
		}, nil, codes.ErrInvalidArgument},
		{"empty window", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.ValidUntil = r.ValidFrom })
		}, nil, codes.ErrInvalidArgument},
		{"already over", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.ValidUntil = wire.FormatTime(now.Add(-time.Second)) })
		}, nil, codes.ErrInvalidArgument},
		{"bad time", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.ValidFrom = "yesterday" })
		}, nil, codes.ErrInvalidArgument},
		{"offset time", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) {
				r.ValidFrom = now.Add(-time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
			})
		}, nil, codes.ErrInvalidArgument},
		{"from year 1", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.ValidFrom = "0001-01-01T00:00:00Z" })
		}, nil, codes.ErrInvalidArgument},
		{"until 9999", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.ValidUntil = "9999-12-31T23:59:59Z" })
		}, nil, codes.ErrInvalidArgument},
		{"until 100 years and a day", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.ValidUntil = wire.FormatTime(now.AddDate(100, 0, 1)) })
		}, nil, codes.ErrInvalidArgument},
		{"until 99 years", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.ValidUntil = wire.FormatTime(now.AddDate(99, 0, 0)) })
		}, nil, nil},
		{"no purpose", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.Purpose = "" })
		}, nil, codes.ErrInvalidArgument},
		{"no legal basis", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) { r.LegalBasis = "" })
		}, nil, codes.ErrInvalidArgument},
		{"no signature", func() GrantRequest {
			r := f.grantReq(t, nil)
			r.Signature = ""
			return r
		}, nil, codes.ErrInvalidArgument},
		{"signature over other fields", func() GrantRequest {
			r := f.grantReq(t, nil)
			r.Fields = []string{"address", "income", "name"}
			return r
		}, nil, codes.ErrBadSignature},
		{"signed by the consumer's key", func() GrantRequest {
			return f.grantReq(t, func(r *GrantRequest) {
				r.KeyID = f.cons.id
				r.Signature = sign(t, f.cons, canon.KindGrant, *r)
			})
		}, nil, ErrKeyInvalid},
	}
	for _, c := range cases {
		item := f.item
		if c.item != nil {
			item = c.item(item)
		}
		g, err := NewGrant(c.req(), item, now, "tx-g", f.ring)
		checkErr(t, c.name, err, c.want)
		if err == nil && (g.Status != GrantActive || g.TxID != "tx-g" || g.CreatedAt != wire.FormatTime(now)) {
			t.Errorf("%s: grant %+v", c.name, g)
		}
	}
}

func TestGrantValidityAndRevoke(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t)
	revAt := t0.Add(time.Hour)
	rev := func(mut func(*Revocation), by *testKey) Revocation {
		r := Revocation{RevocationRequest: RevocationRequest{GrantID: "g-1", Reason: "purpose fulfilled", KeyID: by.id, PrevTxID: "tx-grant"}}
		if mut != nil {
			mut(&r)
		}
		if r.Signature == "" {
			r.Signature = sign(t, by, canon.KindGrantRevoke, r)
		}
		return r
	}
	revoked, err := g.Revoke(rev(nil, f.prov), revAt, "tx-rev", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	if revoked.Status != GrantRevoked || revoked.TxID != "tx-rev" || revoked.Revocation.At != wire.FormatTime(revAt) {
		t.Fatalf("revoked grant %+v", revoked)
	}
	if g.Status != GrantActive {
		t.Fatal("Revoke changed its receiver")
	}

	refusals := []struct {
		name string
		g    Grant
		r    Revocation
		want error
	}{
		{"twice", revoked, rev(func(r *Revocation) { r.PrevTxID = "tx-rev" }, f.prov), ErrAlreadyRevoked},
		{"stale prevTxId", g, rev(func(r *Revocation) { r.PrevTxID = "tx-old" }, f.prov), ErrStaleTx},
		{"other grant", g, rev(func(r *Revocation) { r.GrantID = "g-2" }, f.prov), codes.ErrInvalidArgument},
		{"no reason", g, rev(func(r *Revocation) { r.Reason = "" }, f.prov), codes.ErrInvalidArgument},
		{"consumer's key", g, rev(nil, f.cons), ErrKeyInvalid},
		{"bad signature", g, func() Revocation { r := rev(nil, f.prov); r.Reason = "other"; return r }(), codes.ErrBadSignature},
	}
	for _, c := range refusals {
		_, err := c.g.Revoke(c.r, revAt, "tx", f.ring)
		checkErr(t, c.name, err, c.want)
	}

	validity := []struct {
		name string
		g    Grant
		at   time.Time
		want error
	}{
		{"inside", g, t0, nil},
		{"at validFrom", g, t0.Add(-time.Hour), nil},
		{"before validFrom", g, t0.Add(-time.Hour - time.Nanosecond), ErrGrantNotYet},
		{"at validUntil", g, t0.Add(24 * time.Hour), ErrGrantExpired},
		{"revoked grant, before revocation", revoked, revAt.Add(-time.Millisecond), nil},
		{"revoked grant, at revocation", revoked, revAt, ErrGrantRevoked},
		{"revoked grant, after", revoked, revAt.Add(time.Minute), ErrGrantRevoked},
	}
	for _, c := range validity {
		err := c.g.ValidAt(c.at)
		checkErr(t, c.name, err, c.want)
		if c.want != nil && !errors.Is(err, codes.ErrForbidden) {
			t.Errorf("%s: %v is not codes.ErrForbidden", c.name, err)
		}
	}
	for _, c := range []struct {
		g    Grant
		at   time.Time
		want string
	}{{g, t0, GrantActive}, {g, t0.Add(-2 * time.Hour), GrantPending}, {g, t0.Add(25 * time.Hour), GrantExpired}, {revoked, t0, GrantRevoked}} {
		if got := c.g.EffectiveStatus(c.at); got != c.want {
			t.Errorf("EffectiveStatus(%s) = %s, want %s", wire.FormatTime(c.at), got, c.want)
		}
	}
}

func TestNewExchange(t *testing.T) {
	f := newFixture(t)
	g := f.grant(t)
	revoked := g
	revoked.Status = GrantRevoked
	revoked.Revocation = &Revocation{Recorded: Recorded{At: wire.FormatTime(t0.Add(-time.Minute))}}
	cases := []struct {
		name string
		req  SendRequest
		g    Grant
		at   time.Time
		want error
	}{
		{"ok", f.sendReq(t, nil), g, t0, nil},
		{"all granted fields", f.sendReq(t, func(r *SendRequest) { r.Fields = []string{"income", "name"} }), g, t0, nil},
		{"field outside grant", f.sendReq(t, func(r *SendRequest) { r.Fields = []string{"income", "taxId"} }), g, t0, ErrOutOfScope},
		{"expired grant", f.sendReq(t, nil), g, t0.Add(25 * time.Hour), ErrGrantExpired},
		{"grant not yet valid", f.sendReq(t, nil), g, t0.Add(-2 * time.Hour), ErrGrantNotYet},
		{"revoked grant", f.sendReq(t, nil), revoked, t0, ErrGrantRevoked},
		{"wrong consumer", f.sendReq(t, func(r *SendRequest) { r.Consumer = "dept-police" }), g, t0, ErrWrongConsumer},
		{"wrong provider", f.sendReq(t, func(r *SendRequest) {
			r.Provider = "dept-police"
			r.KeyID = f.third.id
			r.Signature = sign(t, f.third, canon.KindExchange, *r)
		}), g, t0, ErrWrongProvider},
		{"signature over a different payload hash", func() SendRequest {
			r := f.sendReq(t, nil)
			r.PayloadHash = hashB
			return r
		}(), g, t0, codes.ErrBadSignature},
		{"signed with the consumer's key", f.sendReq(t, func(r *SendRequest) {
			r.KeyID = f.cons.id
			r.Signature = sign(t, f.cons, canon.KindExchange, *r)
		}), g, t0, ErrKeyInvalid},
		{"other grant id", f.sendReq(t, func(r *SendRequest) { r.GrantID = "g-2" }), g, t0, codes.ErrInvalidArgument},
		{"bad hash", f.sendReq(t, func(r *SendRequest) { r.PayloadHash = strings.ToUpper(hashA) }), g, t0, codes.ErrInvalidArgument},
		{"no fields", f.sendReq(t, func(r *SendRequest) { r.Fields = nil }), g, t0, codes.ErrInvalidArgument},
	}
	for _, c := range cases {
		e, err := NewExchange(c.req, c.g, c.at, "tx-send", f.ring)
		checkErr(t, c.name, err, c.want)
		if err == nil && (e.Status != StatusSent || e.SentAt != wire.FormatTime(c.at) || e.Item != "tax-record" || e.Ack != nil) {
			t.Errorf("%s: exchange %+v", c.name, e)
		}
	}
}

func TestAnswer(t *testing.T) {
	f := newFixture(t)
	g, e := f.exchange(t)
	at := t0.Add(time.Minute)
	acked, err := e.Answer(f.ack(t, f.cons, nil), g, at, "tx-ack", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	if acked.Status != StatusAcknowledged || acked.Ack.At != wire.FormatTime(at) || acked.TxID != "tx-ack" || acked.SentTxID != "tx-send" {
		t.Fatalf("acked %+v", acked)
	}
	cases := []struct {
		name   string
		e      Exchange
		a      Ack
		want   error
		status string
	}{
		{"reject with reason", e, f.ack(t, f.cons, func(a *Ack) { a.Decision = DecisionReject; a.Reason = "fields missing" }), nil, StatusRejected},
		{"reject without reason", e, f.ack(t, f.cons, func(a *Ack) { a.Decision = DecisionReject }), codes.ErrInvalidArgument, ""},
		{"unknown decision", e, f.ack(t, f.cons, func(a *Ack) { a.Decision = "maybe" }), codes.ErrInvalidArgument, ""},
		{"ack by a third department", e, f.ack(t, f.third, nil), ErrWrongConsumer, ""},
		{"third department claiming to be the consumer", e, f.ack(t, f.third, func(a *Ack) { a.Consumer = "dept-social" }), ErrKeyInvalid, ""},
		{"double ack", acked, f.ack(t, f.cons, nil), ErrAlreadyAnswered, ""},
		{"reject after ack", acked, f.ack(t, f.cons, func(a *Ack) { a.Decision = DecisionReject; a.Reason = "x" }), ErrAlreadyAnswered, ""},
		{"ack of another payload", e, f.ack(t, f.cons, func(a *Ack) { a.PayloadHash = hashB }), codes.ErrInvalidArgument, ""},
		{"signature over a different payload hash", e, func() Ack {
			a := f.ack(t, f.cons, func(a *Ack) { a.PayloadHash = hashB })
			a.PayloadHash = hashA
			return a
		}(), codes.ErrBadSignature, ""},
		{"other exchange", e, f.ack(t, f.cons, func(a *Ack) { a.ExchangeID = "x-2" }), codes.ErrInvalidArgument, ""},
	}
	for _, c := range cases {
		got, err := c.e.Answer(c.a, g, at, "tx-ans", f.ring)
		checkErr(t, c.name, err, c.want)
		if err == nil && got.Status != c.status {
			t.Errorf("%s: status %s, want %s", c.name, got.Status, c.status)
		}
	}
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	g, e := f.exchange(t)
	ackAt := t0.Add(time.Minute)
	acked, err := e.Answer(f.ack(t, f.cons, nil), g, ackAt, "tx-ack", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	rejected, err := e.Answer(f.ack(t, f.cons, func(a *Ack) { a.Decision = DecisionReject; a.Reason = "corrupt" }), g, ackAt, "tx-rej", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	// The grant revoked after the exchange: the exchange stays valid.
	revokedLater, err := g.Revoke(Revocation{RevocationRequest: RevocationRequest{GrantID: "g-1", Reason: "done", KeyID: f.prov.id, PrevTxID: "tx-grant",
		Signature: sign(t, f.prov, canon.KindGrantRevoke, RevocationRequest{GrantID: "g-1", Reason: "done", KeyID: f.prov.id, PrevTxID: "tx-grant"})}},
		t0.Add(time.Hour), "tx-rev", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	// A grant revoked before the send time (a stored record that should never exist).
	revokedBefore := revokedLater
	revokedBefore.Revocation = &Revocation{Recorded: Recorded{At: wire.FormatTime(t0.Add(-time.Minute))}}

	tamperedFields := acked
	tamperedFields.Fields = []string{"income", "taxId"}
	tamperedAck := acked
	a2 := *acked.Ack
	a2.Reason = "edited later"
	tamperedAck.Ack = &a2
	rotated := keyring{}
	for id, k := range f.ring {
		c := *k
		if k.dept == "dept-tax" {
			c.until = t0.Add(-time.Second) // the key had ended before the send
		}
		rotated[id] = &c
	}

	ptr := func(x Exchange) *Exchange { return &x }
	gp := func(x Grant) *Grant { return &x }
	cases := []struct {
		name    string
		q       Query
		e       *Exchange
		g       *Grant
		v       Verifier
		verdict string
		failAt  int
	}{
		{"valid by id", Query{ID: "x-1"}, ptr(acked), gp(g), f.ring, wire.VerdictValid, 0},
		{"valid by hash", Query{PayloadHash: hashA}, ptr(acked), gp(g), f.ring, wire.VerdictValid, 0},
		{"valid by both", Query{ID: "x-1", PayloadHash: hashA}, ptr(acked), gp(g), f.ring, wire.VerdictValid, 0},
		{"grant revoked after sending", Query{ID: "x-1"}, ptr(acked), gp(revokedLater), f.ring, wire.VerdictValid, 0},
		{"empty query", Query{}, nil, nil, f.ring, wire.VerdictBadFormat, StepFormat},
		{"bad hash", Query{PayloadHash: "abc"}, nil, nil, f.ring, wire.VerdictBadFormat, StepFormat},
		{"not found", Query{ID: "x-9"}, nil, nil, f.ring, wire.VerdictNotFound, StepLookup},
		{"hash mismatch", Query{ID: "x-1", PayloadHash: hashB}, ptr(acked), gp(g), f.ring, wire.VerdictHashMismatch, StepLookup},
		{"grant missing", Query{ID: "x-1"}, ptr(acked), nil, f.ring, wire.VerdictNotFound, StepLookup},
		{"not acknowledged", Query{ID: "x-1"}, ptr(e), gp(g), f.ring, VerdictNotAcknowledged, StepAcknowledgement},
		{"rejected", Query{ID: "x-1"}, ptr(rejected), gp(g), f.ring, VerdictRejected, StepAcknowledgement},
		{"stored fields tampered", Query{ID: "x-1"}, ptr(tamperedFields), gp(g), f.ring, wire.VerdictBadSignature, StepExchangeSignature},
		{"stored ack tampered", Query{ID: "x-1"}, ptr(tamperedAck), gp(g), f.ring, wire.VerdictBadSignature, StepAcknowledgement},
		{"grant revoked before sending", Query{ID: "x-1"}, ptr(acked), gp(revokedBefore), f.ring, VerdictGrantInvalid, StepGrantValidity},
		{"provider key not valid at send time", Query{ID: "x-1"}, ptr(acked), gp(g), rotated, wire.VerdictKeyInvalid, StepExchangeSignature},
	}
	for _, c := range cases {
		r := Verify(c.q, c.e, c.g, t0.Add(2*time.Hour), c.v)
		if r.Verdict != c.verdict {
			t.Errorf("%s: verdict %s, want %s; steps %+v", c.name, r.Verdict, c.verdict, r.Steps)
			continue
		}
		if len(r.Steps) != StepAcknowledgement {
			t.Errorf("%s: %d steps", c.name, len(r.Steps))
		}
		for i, s := range r.Steps {
			if s.Step != i+1 || s.Name == "" {
				t.Errorf("%s: step %d = %+v", c.name, i+1, s)
			}
			if s.Status == wire.StepFail && c.failAt != 0 && s.Step < c.failAt {
				t.Errorf("%s: step %d failed before step %d: %+v", c.name, s.Step, c.failAt, s)
			}
		}
		if c.failAt != 0 && r.Steps[c.failAt-1].Status != wire.StepFail {
			t.Errorf("%s: step %d = %+v, want fail", c.name, c.failAt, r.Steps[c.failAt-1])
		}
	}
}

// TestStoredJSON pins the stored record shape and proves the stored record
// still carries every signed field (a verifier can recheck it from the JSON alone).
func TestStoredJSON(t *testing.T) {
	f := newFixture(t)
	g, e := f.exchange(t)
	acked, err := e.Answer(f.ack(t, f.cons, nil), g, t0.Add(time.Minute), "tx-ack", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind canon.Kind
		v    any
		sig  string
		k    *testKey
	}{{canon.KindGrant, g, g.Signature, f.prov}, {canon.KindExchange, acked, acked.Signature, f.prov}, {canon.KindExchangeAck, acked.Ack, acked.Ack.Signature, f.cons}} {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if err := canon.Verify(&c.k.priv.PublicKey, c.kind, m, c.sig); err != nil {
			t.Errorf("%s: stored JSON does not verify: %v\n%s", c.kind, err, b)
		}
	}
	b, _ := json.Marshal(acked)
	for _, k := range []string{`"grantId":"g-1"`, `"status":"acknowledged"`, `"sentAt":"2026-11-28T12:00:00Z"`, `"ack":{"exchangeId":"x-1"`, `"item":"tax-record"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("stored exchange lacks %s: %s", k, b)
		}
	}
}

// Every Validate reports all bad fields at once, each named (wire.FieldErrors).
func TestValidateListsEveryField(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"grant", GrantRequest{ID: "g/1", Provider: "p", Consumer: "p", Item: "i", Fields: []string{"b", "a"},
			ValidFrom: "2026-01-02T00:00:00Z", ValidUntil: "2026-01-01T00:00:00Z", KeyID: strings.Repeat("a", 64), Signature: "s"}.Validate(),
			"id,consumer,fields,purpose,legalBasis,validUntil"},
		{"send", SendRequest{}.Validate(), "id,grantId,provider,consumer,fields,payloadHash,keyId,signature"},
		{"ack", AckRequest{ExchangeID: "x", Consumer: "c", PayloadHash: strings.Repeat("a", 64), Decision: DecisionReject,
			KeyID: strings.Repeat("a", 64), Signature: "s"}.Validate(), "reason"},
		{"revocation", RevocationRequest{GrantID: "g"}.Validate(), "reason,keyId,prevTxId,signature"},
		{"catalogue", CatalogInput{Provider: "p"}.Validate(), "id,fields"},
		{"query", Query{}.Validate(), "id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, got := testkit.FieldErrors(t, c.err); got != c.want {
				t.Errorf("fields %s, want %s (%v)", got, c.want, c.err)
			}
		})
	}
}
