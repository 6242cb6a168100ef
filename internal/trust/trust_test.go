package trust_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/trust"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func caPEM(t testing.TB, cn string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: []string{cn}},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func mustKey(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func regKey(t testing.TB, k *sm2.PrivateKey, from time.Time) registry.Key {
	t.Helper()
	p, err := gm.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := registry.NewKey(string(p), from)
	if err != nil {
		t.Fatal(err)
	}
	return rk
}

type fixture struct {
	gov      *sm2.PrivateKey
	deptKeys map[string]*sm2.PrivateKey
	src      trust.Source
}

// newFixture builds a registry of n departments (dept-000 ...) each with one key
// valid from t0, plus dept-a with a rotated key, a compromised key and a current key.
func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	f := &fixture{gov: mustKey(t), deptKeys: map[string]*sm2.PrivateKey{}}
	orgs := []trust.Org{
		{MSPID: "GovMSP", RootCerts: []string{caPEM(t, "gov")}},
		{MSPID: "DeptAMSP", RootCerts: []string{caPEM(t, "dept-a")}},
		{MSPID: "DeptBMSP", RootCerts: []string{caPEM(t, "dept-b")}},
	}
	var depts []registry.Department
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("dept-%03d", i)
		k := mustKey(t)
		f.deptKeys[id] = k
		depts = append(depts, registry.Department{
			ID: id, Name: fmt.Sprintf("某某市第%d局", i), MSPID: "DeptBMSP",
			Categories: []string{"housing", "property"}, Status: registry.StatusActive,
			Keys: []registry.Key{regKey(t, k, t0)},
		})
	}
	old, comp, cur := mustKey(t), mustKey(t), mustKey(t)
	f.deptKeys["a-old"], f.deptKeys["a-comp"], f.deptKeys["a-cur"] = old, comp, cur
	ko := regKey(t, old, t0)
	ko.RotatedAt = wire.FormatTime(t0.AddDate(0, 1, 0))
	kc := regKey(t, comp, t0.AddDate(0, 1, 0))
	kc.RevokedAt, kc.RevokeReason = wire.FormatTime(t0.AddDate(0, 1, 10)), registry.ReasonCompromised
	kn := regKey(t, cur, t0.AddDate(0, 1, 15))
	depts = append(depts, registry.Department{
		ID: "dept-a", Name: "市场监督管理局", MSPID: "DeptAMSP", Categories: []string{"business-licence"},
		Code: "11430000006122244L", Status: registry.StatusActive, Keys: []registry.Key{ko, kc, kn},
	})
	f.src = trust.Source{
		Channel: "certledger", Chaincode: "certledger", Height: 42, BlockTime: t0.AddDate(0, 2, 0),
		Departments: depts, NamesEn: map[string]string{"dept-a": "Market Regulation Bureau"},
		GovernanceDepartment: "gov",
		Orgs:                 orgs,
		Policy:               trust.Policy{Rule: "MAJORITY", N: 2, MSPs: []string{"GovMSP", "DeptAMSP", "DeptBMSP"}},
	}
	return f
}

func (f *fixture) signed(t testing.TB) (*trust.Signed, []byte) {
	t.Helper()
	s, err := trust.Sign(trust.Build(f.src, t0.AddDate(0, 2, 1)), f.gov)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return s, out
}

func TestSignVerifyRoundTrip(t *testing.T) {
	f := newFixture(t, 3)
	s, file := f.signed(t)
	pin := trust.Fingerprint(&f.gov.PublicKey)
	if s.Bundle.Fingerprint() != pin {
		t.Fatalf("fingerprint %s, want %s", s.Bundle.Fingerprint(), pin)
	}
	got, err := trust.Verify(file, pin)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Bundle.Departments) != 4 || got.Bundle.Departments[0].ID != "dept-000" || got.Bundle.Departments[3].ID != "dept-a" {
		t.Fatalf("departments not sorted as expected: %+v", got.Bundle.Departments)
	}
	if d, _ := got.Bundle.Department("dept-a"); d.NameEn != "Market Regulation Bureau" || d.Code != "11430000006122244L" {
		t.Fatalf("dept-a names: %+v", d)
	}
	// Pins are accepted grouped and in upper case.
	if _, err := trust.Verify(file, strings.ToUpper(trust.GroupPin(pin))); err != nil {
		t.Fatalf("grouped pin: %v", err)
	}
	// The payload is the prefix and canonical JSON.
	p, err := trust.Payload(&got.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(p, []byte("certledger/v1/trust-bundle\n{\"blockTime\":")) {
		t.Fatalf("payload starts %q", p[:60])
	}
}

func TestVerifyRefuses(t *testing.T) {
	f := newFixture(t, 2)
	_, file := f.signed(t)
	pin := trust.Fingerprint(&f.gov.PublicKey)

	other := mustKey(t)
	forged, err := trust.Sign(trust.Build(f.src, t0), other)
	if err != nil {
		t.Fatal(err)
	}
	forgedFile, _ := forged.Marshal()

	// The attacker keeps the pinned key id but puts their own key and signature.
	swapped := bytes.Replace(forgedFile, []byte(forged.Bundle.Governance.KeyID), []byte(pin), 1)

	edit := func(old, new string) []byte {
		if !bytes.Contains(file, []byte(old)) {
			t.Fatalf("fixture lacks %q", old)
		}
		return bytes.Replace(file, []byte(old), []byte(new), 1)
	}
	var generic map[string]any
	if err := json.Unmarshal(file, &generic); err != nil {
		t.Fatal(err)
	}
	generic["bundle"].(map[string]any)["extra"] = "x"
	unknownField, _ := json.Marshal(generic)

	cases := []struct {
		name string
		data []byte
		pin  string
		want error
	}{
		{"signed by a non-governance key", forgedFile, pin, trust.ErrUntrusted},
		{"pinned key id with another key", swapped, pin, trust.ErrMalformed},
		{"wrong pin", file, trust.Fingerprint(&other.PublicKey), trust.ErrUntrusted},
		{"bad pin", file, "abc", trust.ErrBadPin},
		{"height edited", edit(`"height": 42`, `"height": 43`), pin, trust.ErrBadSignature},
		{"name edited", edit("市场监督管理局", "市场监督管理总局"), pin, trust.ErrBadSignature},
		{"revocation removed", edit(`"revokeReason": "compromised"`, `"revokeReason": "retired"`), pin, trust.ErrBadSignature},
		{"policy weakened", edit(`"n": 2`, `"n": 1`), pin, trust.ErrBadSignature},
		{"signature edited", edit(`"signature": "M`, `"signature": "N`), pin, trust.ErrBadSignature},
		{"unknown field", unknownField, pin, trust.ErrMalformed},
		{"duplicate key", edit(`"height": 42,`, `"height": 42, "height": 42,`), pin, trust.ErrMalformed},
		{"null list", edit(`"gateways": []`, `"gateways": null`), pin, trust.ErrMalformed},
		{"fractional height", edit(`"height": 42`, `"height": 42.5`), pin, trust.ErrMalformed},
		{"trailing data", append(append([]byte{}, file...), []byte("{}")...), pin, trust.ErrMalformed},
		{"not JSON", []byte("PEM?"), pin, trust.ErrMalformed},
		{"empty object", []byte("{}"), pin, trust.ErrMalformed},
		{"future format", edit(`"format": "certledger/v1/trust-bundle"`, `"format": "certledger/v9/trust-bundle"`), pin, trust.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := trust.Verify(c.data, c.pin)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestSignRefusesInvalidBundle(t *testing.T) {
	f := newFixture(t, 1)
	good := trust.Build(f.src, t0)
	cases := map[string]func(b *trust.Bundle){
		"no channel":           func(b *trust.Bundle) { b.Channel = "" },
		"zero height":          func(b *trust.Bundle) { b.Height = 0 },
		"no orgs":              func(b *trust.Bundle) { b.Orgs = []trust.Org{} },
		"policy n too big":     func(b *trust.Bundle) { b.Policy.N = 4 },
		"policy unknown msp":   func(b *trust.Bundle) { b.Policy.MSPs = []string{"GovMSP", "EvilMSP"} },
		"root not a CA":        func(b *trust.Bundle) { b.Orgs[0].RootCerts = []string{"junk"} },
		"key id mismatch":      func(b *trust.Bundle) { b.Departments[0].Keys[0].KeyID = strings.Repeat("0", 64) },
		"code check character": func(b *trust.Bundle) { b.Departments[len(b.Departments)-1].Code = "11430000006122244M" },
		"key in two depts": func(b *trust.Bundle) {
			b.Departments[0].Keys = append(b.Departments[0].Keys, b.Departments[1].Keys[0])
		},
		"duplicate dept":        func(b *trust.Bundle) { b.Departments[1].ID = b.Departments[0].ID },
		"revocation w/o reason": func(b *trust.Bundle) { b.Departments[0].Keys[0].RevokedAt = wire.FormatTime(t0) },
		"bad time":              func(b *trust.Bundle) { b.BlockTime = "yesterday" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			b := good
			b.Departments = cloneDepts(good.Departments)
			b.Orgs = append([]trust.Org(nil), good.Orgs...)
			b.Policy.MSPs = append([]string(nil), good.Policy.MSPs...)
			mutate(&b)
			if _, err := trust.Sign(b, f.gov); !errors.Is(err, trust.ErrMalformed) {
				t.Fatalf("Sign: %v, want ErrMalformed", err)
			}
		})
	}
}

func cloneDepts(in []trust.Department) []trust.Department {
	out := make([]trust.Department, len(in))
	for i, d := range in {
		d.Keys = append([]registry.Key(nil), d.Keys...)
		out[i] = d
	}
	return out
}

func TestKeyValidAt(t *testing.T) {
	f := newFixture(t, 2)
	s, _ := f.signed(t)
	b := &s.Bundle
	id := func(name string) string { return gm.KeyID(&f.deptKeys[name].PublicKey) }
	cases := []struct {
		name        string
		dept, key   string
		at          time.Time
		valid       bool
		code        string
		afterBundle bool
	}{
		{"current key now", "dept-a", id("a-cur"), t0.AddDate(0, 1, 20), true, trust.KeyValid, false},
		{"before validFrom", "dept-a", id("a-cur"), t0.AddDate(0, 1, 14), false, registry.KeyNotYetValid, false},
		{"rotated key before rotation", "dept-a", id("a-old"), t0.AddDate(0, 0, 10), true, trust.KeyValid, false},
		{"rotated key after rotation", "dept-a", id("a-old"), t0.AddDate(0, 1, 1), false, registry.KeyRotated, false},
		{"compromised key before compromise", "dept-a", id("a-comp"), t0.AddDate(0, 1, 5), true, trust.KeyValid, false},
		{"compromised key after compromise", "dept-a", id("a-comp"), t0.AddDate(0, 1, 11), false, registry.KeyRevoked, false},
		{"key of another department", "dept-000", id("a-cur"), t0.AddDate(0, 1, 20), false, trust.UnknownKey, false},
		{"unknown department", "dept-zzz", id("a-cur"), t0.AddDate(0, 1, 20), false, trust.UnknownDepartment, false},
		{"unknown key", "dept-a", strings.Repeat("1", 64), t0.AddDate(0, 1, 20), false, trust.UnknownKey, false},
		{"after the bundle", "dept-a", id("a-cur"), t0.AddDate(1, 0, 0), true, trust.KeyValid, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := b.KeyValidAt(c.dept, c.key, c.at)
			if a.Valid != c.valid || a.Code != c.code || a.AfterBundle != c.afterBundle {
				t.Fatalf("got valid=%v code=%s after=%v (%s)", a.Valid, a.Code, a.AfterBundle, a.Detail)
			}
			if a.AsOfHeight != 42 || !strings.Contains(a.Detail, "height 42") {
				t.Fatalf("answer does not name the bundle height: %+v", a)
			}
		})
	}
}

// A bundle exported before a key's compromise was registered still says the key
// is valid — and says the answer is only as of its height.
func TestBundleOlderThanRevocation(t *testing.T) {
	f := newFixture(t, 1)
	k := f.deptKeys["dept-000"]
	old, _ := f.signed(t)

	f.src.Departments[0].Keys[0].RevokedAt = wire.FormatTime(t0.AddDate(0, 1, 0))
	f.src.Departments[0].Keys[0].RevokeReason = registry.ReasonCompromised
	f.src.Height, f.src.BlockTime = 50, t0.AddDate(0, 3, 0)
	fresh, _ := f.signed(t)

	at := t0.AddDate(0, 2, 15) // after the old bundle's block time
	a := old.Bundle.KeyValidAt("dept-000", gm.KeyID(&k.PublicKey), at)
	if !a.Valid || !a.AfterBundle || !strings.Contains(a.Detail, "not known") {
		t.Fatalf("old bundle: %+v", a)
	}
	b := fresh.Bundle.KeyValidAt("dept-000", gm.KeyID(&k.PublicKey), at)
	if b.Valid || b.Code != registry.KeyRevoked || b.AsOfHeight != 50 {
		t.Fatalf("fresh bundle: %+v", b)
	}
}

func TestPolicySatisfied(t *testing.T) {
	p := trust.Policy{Rule: "MAJORITY", N: 2, MSPs: []string{"GovMSP", "DeptAMSP", "DeptBMSP"}}
	cases := []struct {
		endorsers []string
		want      bool
	}{
		{[]string{"GovMSP", "DeptAMSP"}, true},
		{[]string{"DeptAMSP", "DeptAMSP"}, false},
		{[]string{"DeptAMSP", "EvilMSP"}, false},
		{[]string{"GovMSP", "DeptAMSP", "DeptBMSP"}, true},
		{nil, false},
	}
	for _, c := range cases {
		if got := p.Satisfied(c.endorsers); got != c.want {
			t.Errorf("Satisfied(%v) = %v, want %v", c.endorsers, got, c.want)
		}
	}
}

func TestGatewayKeyValidAt(t *testing.T) {
	f := newFixture(t, 1)
	gk := mustKey(t)
	g, err := trust.NewGatewayKey("gw-1", &gk.PublicKey, t0, t0.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	f.src.Gateways = []trust.GatewayKey{g}
	s, file := f.signed(t)
	if _, err := trust.Verify(file, s.Bundle.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Bundle.GatewayKeyValidAt(g.KeyID, t0.AddDate(0, 6, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Bundle.GatewayKeyValidAt(g.KeyID, t0.AddDate(2, 0, 0)); err == nil {
		t.Fatal("expired gateway key accepted")
	}
	if _, err := s.Bundle.GatewayKeyValidAt(strings.Repeat("2", 64), t0); err == nil {
		t.Fatal("unknown gateway key accepted")
	}
}

// TestBundleSize prints the size of a bundle of 100 departments (one key each,
// plus dept-a's three) and three organisations: go test -run BundleSize -v ./internal/trust
func TestBundleSize(t *testing.T) {
	f := newFixture(t, 100)
	_, file := f.signed(t)
	var compact bytes.Buffer
	if err := json.Compact(&compact, file); err != nil {
		t.Fatal(err)
	}
	t.Logf("trust bundle, 101 departments (103 keys), 3 organisations: %d bytes indented, %d bytes compact", len(file), compact.Len())
	if _, err := trust.Verify(file, trust.Fingerprint(&f.gov.PublicKey)); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkVerify100(b *testing.B) {
	f := newFixture(b, 100)
	_, file := f.signed(b)
	pin := trust.Fingerprint(&f.gov.PublicKey)
	b.SetBytes(int64(len(file)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := trust.Verify(file, pin); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(file)), "bundle-bytes")
}

func TestDiff(t *testing.T) {
	f := newFixture(t, 2)
	s, _ := f.signed(t)
	if d := trust.Diff(&s.Bundle, f.src); len(d) != 0 {
		t.Fatalf("unchanged registry: %v", d)
	}
	f.src.Height = 99 // a later height alone changes nothing
	if d := trust.Diff(&s.Bundle, f.src); len(d) != 0 {
		t.Fatalf("later height: %v", d)
	}
	f.src.Departments[0].Keys[0].RevokedAt = wire.FormatTime(t0.AddDate(0, 3, 0))
	f.src.Departments[0].Keys[0].RevokeReason = "retired"
	f.src.Departments[1].Categories = []string{"housing"}
	f.src.Departments = append(f.src.Departments[:2], registry.Department{ID: "dept-new", Name: "新局", MSPID: "DeptBMSP", Status: "active"})
	f.src.Policy.N = 3
	want := []string{
		"department dept-000: keys", "department dept-001: details", "department dept-new: registered since",
		"department dept-a: no longer in the registry", "endorsementPolicy",
	}
	if d := trust.Diff(&s.Bundle, f.src); !slices.Equal(d, want) {
		t.Fatalf("Diff = %q\nwant   %q", d, want)
	}
}
