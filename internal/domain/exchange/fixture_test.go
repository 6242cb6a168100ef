package exchange

import (
	"fmt"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/emmansun/gmsm/sm2"
)

// t0 is the fixture's "now": grants run from t0-1h to t0+24h.
var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

type testKey struct {
	dept      string
	priv      *sm2.PrivateKey
	id        string
	validFrom time.Time
	until     time.Time // zero: no end
}

// keyring is a Verifier over real SM2 keys and canonical payloads.
type keyring map[string]*testKey

func (k keyring) VerifySigned(kind canon.Kind, dept, keyID string, at time.Time, record any, sig string) error {
	key, ok := k[keyID]
	if !ok || key.dept != dept {
		return fmt.Errorf("%w: key %s is not a key of %s", ErrKeyInvalid, keyID, dept)
	}
	if at.Before(key.validFrom) || (!key.until.IsZero() && !at.Before(key.until)) {
		return fmt.Errorf("%w: key %s not valid at %s", ErrKeyInvalid, keyID, wire.FormatTime(at))
	}
	if err := canon.Verify(&key.priv.PublicKey, kind, record, sig); err != nil {
		return fmt.Errorf("%w: %w", codes.ErrBadSignature, err)
	}
	return nil
}

type fixture struct {
	ring              keyring
	prov, cons, third *testKey
	item              CatalogItem
}

var sharedKeys []*sm2.PrivateKey // generated once: key generation is the slow part

func newFixture(t *testing.T) *fixture {
	t.Helper()
	for len(sharedKeys) < 3 {
		k, err := gm.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		sharedKeys = append(sharedKeys, k)
	}
	f := &fixture{ring: keyring{}}
	mk := func(dept string, k *sm2.PrivateKey) *testKey {
		tk := &testKey{dept: dept, priv: k, id: gm.KeyID(&k.PublicKey), validFrom: t0.Add(-48 * time.Hour)}
		f.ring[tk.id] = tk
		return tk
	}
	f.prov = mk("dept-tax", sharedKeys[0])
	f.cons = mk("dept-social", sharedKeys[1])
	f.third = mk("dept-police", sharedKeys[2])
	item, err := NewCatalogItem(CatalogInput{Provider: "dept-tax", ID: "tax-record", Name: "Tax record",
		Fields: []string{"address", "income", "name", "taxId"}}, t0.Add(-2*time.Hour), "tx-item")
	if err != nil {
		t.Fatal(err)
	}
	f.item = item
	return f
}

func sign(t *testing.T, k *testKey, kind canon.Kind, record any) string {
	t.Helper()
	s, err := canon.Sign(k.priv, kind, record)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) grantReq(t *testing.T, mut func(*GrantRequest)) GrantRequest {
	t.Helper()
	r := GrantRequest{ID: "g-1", Provider: "dept-tax", Consumer: "dept-social", Item: "tax-record",
		Fields: []string{"income", "name"}, Purpose: "subsidy eligibility", LegalBasis: "Reg. 12/2025 art. 4",
		ValidFrom: wire.FormatTime(t0.Add(-time.Hour)), ValidUntil: wire.FormatTime(t0.Add(24 * time.Hour)), KeyID: f.prov.id}
	if mut != nil {
		mut(&r)
	}
	if r.Signature == "" {
		r.Signature = sign(t, f.prov, canon.KindGrant, r)
	}
	return r
}

func (f *fixture) grant(t *testing.T) Grant {
	t.Helper()
	g, err := NewGrant(f.grantReq(t, nil), f.item, t0.Add(-30*time.Minute), "tx-grant", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var hashA = gm.SM3Hex([]byte("payload A"))
var hashB = gm.SM3Hex([]byte("payload B"))

func (f *fixture) sendReq(t *testing.T, mut func(*SendRequest)) SendRequest {
	t.Helper()
	r := SendRequest{ID: "x-1", GrantID: "g-1", Provider: "dept-tax", Consumer: "dept-social",
		Fields: []string{"income"}, PayloadHash: hashA, KeyID: f.prov.id}
	if mut != nil {
		mut(&r)
	}
	if r.Signature == "" {
		r.Signature = sign(t, f.prov, canon.KindExchange, r)
	}
	return r
}

func (f *fixture) exchange(t *testing.T) (Grant, Exchange) {
	t.Helper()
	g := f.grant(t)
	e, err := NewExchange(f.sendReq(t, nil), g, t0, "tx-send", f.ring)
	if err != nil {
		t.Fatal(err)
	}
	return g, e
}

func (f *fixture) ack(t *testing.T, by *testKey, mut func(*Ack)) Ack {
	t.Helper()
	a := Ack{AckRequest: AckRequest{ExchangeID: "x-1", Consumer: by.dept, PayloadHash: hashA, Decision: DecisionAck, KeyID: by.id}}
	if mut != nil {
		mut(&a)
	}
	if a.Signature == "" {
		a.Signature = sign(t, by, canon.KindExchangeAck, a)
	}
	return a
}
