package registry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func publicPEM(t *testing.T) string {
	t.Helper()
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p, err := gm.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

func TestRegistrationValidate(t *testing.T) {
	key := publicPEM(t)
	good := registry.Registration{ID: "market", Name: "市场监督管理局", MSPID: "MarketMSP", Parent: "gov", Categories: []string{"licence", "complaint"}, PublicKeys: []string{key}}
	for _, tc := range []struct {
		name   string
		change func(*registry.Registration)
		code   string
	}{
		{"good", func(*registry.Registration) {}, ""},
		{"no parent, no keys, no categories", func(r *registry.Registration) { r.Parent, r.PublicKeys, r.Categories = "", nil, nil }, ""},
		{"empty id", func(r *registry.Registration) { r.ID = "" }, codes.InvalidArgument},
		{"id with slash", func(r *registry.Registration) { r.ID = "a/b" }, codes.InvalidArgument},
		{"id with NUL", func(r *registry.Registration) { r.ID = "a\x00b" }, codes.InvalidArgument},
		{"id too long", func(r *registry.Registration) { r.ID = strings.Repeat("a", 65) }, codes.InvalidArgument},
		{"empty name", func(r *registry.Registration) { r.Name = "" }, codes.InvalidArgument},
		{"name with newline", func(r *registry.Registration) { r.Name = "a\nb" }, codes.InvalidArgument},
		{"bad msp", func(r *registry.Registration) { r.MSPID = "Org 1" }, codes.InvalidArgument},
		{"own parent", func(r *registry.Registration) { r.Parent = r.ID }, codes.InvalidArgument},
		{"bad parent", func(r *registry.Registration) { r.Parent = "-x" }, codes.InvalidArgument},
		{"duplicate category", func(r *registry.Registration) { r.Categories = []string{"a", "a"} }, codes.InvalidArgument},
		{"empty category", func(r *registry.Registration) { r.Categories = []string{""} }, codes.InvalidArgument},
		{"bad key", func(r *registry.Registration) {
			r.PublicKeys = []string{"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}
		}, codes.InvalidArgument},
		{"duplicate key", func(r *registry.Registration) { r.PublicKeys = []string{key, key} }, codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good
			r.Categories = append([]string(nil), good.Categories...)
			tc.change(&r)
			d, err := registry.NewDepartment(r, t0, "tx1")
			if got := codes.Code(err); got != tc.code {
				t.Fatalf("NewDepartment = %v, want code %q", err, tc.code)
			}
			if err == nil && (d.Status != registry.StatusActive || d.CreatedAt != "2026-11-28T12:00:00Z" || d.TxID != "tx1" || d.Categories == nil || d.Keys == nil) {
				t.Fatalf("department = %+v", d)
			}
		})
	}
}

func TestNewKeyNormalises(t *testing.T) {
	p := publicPEM(t)
	k, err := registry.NewKey("\r\n"+p+"\n", t0)
	if err != nil {
		t.Fatal(err)
	}
	if k.PublicKey != p || k.ValidFrom != "2026-11-28T12:00:00Z" || len(k.KeyID) != 64 {
		t.Fatalf("key = %+v", k)
	}
	if _, err := k.Public(); err != nil {
		t.Fatal(err)
	}
}

func TestKeyStateAt(t *testing.T) {
	at := func(d time.Duration) string { return wire.FormatTime(t0.Add(d)) }
	for _, tc := range []struct {
		name string
		key  registry.Key
		t    time.Duration
		code string
	}{
		{"at validFrom", registry.Key{ValidFrom: at(0)}, 0, ""},
		{"before validFrom", registry.Key{ValidFrom: at(0)}, -time.Nanosecond, registry.KeyNotYetValid},
		{"long after, never ended", registry.Key{ValidFrom: at(0)}, 1000 * time.Hour, ""},
		{"just before rotation", registry.Key{ValidFrom: at(0), RotatedAt: at(time.Hour)}, time.Hour - time.Nanosecond, ""},
		{"at rotation", registry.Key{ValidFrom: at(0), RotatedAt: at(time.Hour)}, time.Hour, registry.KeyRotated},
		{"before revocation", registry.Key{ValidFrom: at(0), RevokedAt: at(time.Hour)}, time.Minute, ""},
		{"at revocation", registry.Key{ValidFrom: at(0), RevokedAt: at(time.Hour)}, time.Hour, registry.KeyRevoked},
		{"rotated then compromised earlier", registry.Key{ValidFrom: at(0), RotatedAt: at(2 * time.Hour), RevokedAt: at(time.Hour)}, 90 * time.Minute, registry.KeyRevoked},
		{"rotated, before compromise", registry.Key{ValidFrom: at(0), RotatedAt: at(2 * time.Hour), RevokedAt: at(3 * time.Hour)}, time.Hour, ""},
		{"corrupt validFrom", registry.Key{ValidFrom: "yesterday"}, 0, registry.KeyCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _ := tc.key.StateAt(t0.Add(tc.t))
			if code != tc.code {
				t.Fatalf("StateAt = %q, want %q", code, tc.code)
			}
			err := tc.key.ValidAt(t0.Add(tc.t))
			if (err == nil) != (tc.code == "") || (err != nil && codes.Code(err) != codes.Forbidden) {
				t.Fatalf("ValidAt = %v", err)
			}
		})
	}
}

func newDept(t *testing.T, keys ...string) registry.Department {
	t.Helper()
	d, err := registry.NewDepartment(registry.Registration{ID: "d", Name: "D", MSPID: "DMSP", PublicKeys: keys}, t0, "tx0")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAddAndRotate(t *testing.T) {
	p1, p2, p3 := publicPEM(t), publicPEM(t), publicPEM(t)
	d := newDept(t, p1)
	k1 := d.Keys[0].KeyID
	k2, _ := registry.NewKey(p2, t0.Add(time.Hour))
	if err := d.RotateKey(k1, k2, t0.Add(time.Hour), "tx1"); err != nil {
		t.Fatal(err)
	}
	old, _ := d.Key(k1)
	if old.RotatedAt != "2026-11-28T13:00:00Z" || d.TxID != "tx1" || len(d.Keys) != 2 {
		t.Fatalf("after rotation: %+v", d)
	}
	if code, _ := old.StateAt(t0.Add(30 * time.Minute)); code != "" {
		t.Fatalf("old key must stay valid before rotation: %s", code)
	}
	k3, _ := registry.NewKey(p3, t0.Add(2*time.Hour))
	if err := d.RotateKey(k1, k3, t0.Add(2*time.Hour), "tx2"); codes.Code(err) != codes.IllegalTransition {
		t.Fatalf("rotating a rotated key = %v", err)
	}
	if err := d.RotateKey(strings.Repeat("0", 64), k3, t0.Add(2*time.Hour), "tx2"); codes.Code(err) != codes.NotFound {
		t.Fatalf("rotating an unknown key = %v", err)
	}
	if err := d.RotateKey(k2.KeyID, k2, t0.Add(2*time.Hour), "tx2"); codes.Code(err) != codes.Conflict {
		t.Fatalf("rotating to a key already present = %v", err)
	}
	if err := d.AddKey(k2, t0.Add(2*time.Hour), "tx2"); codes.Code(err) != codes.Conflict {
		t.Fatalf("adding a key twice = %v", err)
	}
	if err := d.AddKey(k3, t0.Add(2*time.Hour), "tx3"); err != nil || len(d.Keys) != 3 {
		t.Fatalf("AddKey = %v", err)
	}
}

func TestRevokeKey(t *testing.T) {
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	for _, tc := range []struct {
		name       string
		reason     string
		effective  time.Time
		prior      string // RevokedAt already set
		code       string
		wantRevoke string
	}{
		{"now", "retired", h(1), "", "", "2026-11-28T13:00:00Z"},
		{"scheduled", "retired", h(5), "", "", "2026-11-28T17:00:00Z"},
		{"backdated without compromise", "retired", h(0), "", codes.InvalidArgument, ""},
		{"compromise dates back", registry.ReasonCompromised, h(0), "", "", "2026-11-28T12:00:00Z"},
		{"empty reason", "", h(1), "", codes.InvalidArgument, ""},
		{"already revoked", "retired", h(2), wire.FormatTime(h(1)), codes.Conflict, ""},
		{"compromise earlier than a revocation", registry.ReasonCompromised, h(0), wire.FormatTime(h(1)), "", "2026-11-28T12:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDept(t, publicPEM(t))
			d.Keys[0].RevokedAt = tc.prior
			err := d.RevokeKey(d.Keys[0].KeyID, tc.reason, tc.effective, h(1), "tx1")
			if codes.Code(err) != tc.code {
				t.Fatalf("RevokeKey = %v, want %q", err, tc.code)
			}
			if err == nil && (d.Keys[0].RevokedAt != tc.wantRevoke || d.Keys[0].RevokeReason != tc.reason || d.TxID != "tx1") {
				t.Fatalf("key = %+v", d.Keys[0])
			}
		})
	}
	d := newDept(t)
	if err := d.RevokeKey(strings.Repeat("a", 64), "retired", h(1), h(1), "tx"); codes.Code(err) != codes.NotFound {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestVerifyRecord(t *testing.T) {
	sk, _ := gm.GenerateKey()
	p, _ := gm.MarshalPublicKeyPEM(&sk.PublicKey)
	k, _ := registry.NewKey(string(p), t0)
	rec := map[string]any{"grantId": "g", "reason": "r", "keyId": k.KeyID, "prevTxId": "tx"}
	sig, err := canon.Sign(sk, canon.KindGrantRevoke, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := registry.VerifyRecord(k, canon.KindGrantRevoke, rec, sig); err != nil {
		t.Fatal(err)
	}
	rec["reason"] = "other"
	if err := registry.VerifyRecord(k, canon.KindGrantRevoke, rec, sig); codes.Code(err) != codes.BadSignature {
		t.Fatalf("changed field: %v", err)
	}
	delete(rec, "reason")
	if err := registry.VerifyRecord(k, canon.KindGrantRevoke, rec, sig); codes.Code(err) != codes.InvalidArgument {
		t.Fatalf("missing field: %v", err)
	}
}

// TestPublicMemoised: Key.Public answers a parsed key from its memo only for
// the same id and PEM; a key whose PEM does not match its id is refused every
// time, even after the PEM was parsed for its own id.
func TestPublicMemoised(t *testing.T) {
	k, err := registry.NewKey(publicPEM(t), t0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := k.Public()
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.Public()
	if err != nil || a != b {
		t.Fatalf("second Public: %p %p %v", a, b, err)
	}
	other, err := registry.NewKey(publicPEM(t), t0)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		swapped := registry.Key{KeyID: k.KeyID, PublicKey: other.PublicKey}
		if _, err := swapped.Public(); codes.Code(err) != codes.Internal {
			t.Fatalf("PEM of another key under this id: %v", err)
		}
	}
	if p, err := other.Public(); err != nil || p.Equal(a) {
		t.Fatalf("other key: %v", err)
	}
}
