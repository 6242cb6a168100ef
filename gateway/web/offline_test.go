package web

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
	"github.com/certledger/certledger/internal/trust"
)

// The vectors offline_runner.js checks static/offline.js (and the vendored
// sm-crypto-v2 under it) against; every expected answer comes from the Go code.
type offlineVectors struct {
	SM3 []struct {
		DataHex string `json:"dataHex"`
	} `json:"sm3"`
	Sig      []sigVector     `json:"sig"`
	Keys     []keyVector     `json:"keys"`
	Payloads []payloadVector `json:"payloads"`
	CanonBad []string        `json:"canonBad"`
	Bundles  []bundleVector  `json:"bundles"`
	KeyValid []keyValidCase  `json:"keyValid"`
	Bench    struct {
		PEM    string `json:"pem"`
		MsgHex string `json:"msgHex"`
		Sig    string `json:"sig"`
		N      int    `json:"n"`
	} `json:"bench"`

	sm3Want []string
}

type sigVector struct {
	Name   string `json:"name"`
	PEM    string `json:"pem"`
	MsgHex string `json:"msgHex"`
	Sig    string `json:"sig"`
	want   bool
}

type keyVector struct {
	Name  string `json:"name"`
	PEM   string `json:"pem"`
	ok    bool
	keyID string
}

type payloadVector struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"`
	Record string   `json:"record"`
	Fields []string `json:"fields"`
	// Optional are the kind's optional signed fields (canon.OptionalFields).
	Optional []string `json:"optional,omitempty"`
	want     string
}

type bundleVector struct {
	Name string `json:"name"`
	Data string `json:"data"`
	Pin  string `json:"pin"`
	code string // "" = valid
}

type keyValidCase struct {
	Bundle int    `json:"bundle"`
	Dept   string `json:"dept"`
	KeyID  string `json:"keyId"`
	At     string `json:"at"`
	want   trust.KeyAnswer
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func pubPEM(t testing.TB, k *sm2.PrivateKey) string {
	p, err := gm.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

func testCA(t testing.TB) string {
	der, _, err := testkit.SelfSigned(&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(5, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	if err != nil {
		t.Fatal(err)
	}
	return string(testkit.CertPEM(der))
}

func buildVectors(t *testing.T) *offlineVectors {
	v := &offlineVectors{}
	// SM3: the GB/T 32905 answers and sizes around block boundaries.
	for _, d := range [][]byte{[]byte("abc"), bytes.Repeat([]byte("abcd"), 16), nil, bytes.Repeat([]byte{0xa5}, 55),
		bytes.Repeat([]byte{1}, 56), bytes.Repeat([]byte{2}, 64), bytes.Repeat([]byte{3}, 65), bytes.Repeat([]byte("证照"), 700)} {
		v.SM3 = append(v.SM3, struct {
			DataHex string `json:"dataHex"`
		}{hex.EncodeToString(d)})
		v.sm3Want = append(v.sm3Want, gm.SM3Hex(d))
	}

	// SM2: the GM/T 0003 annex example (default user ID) ...
	annexPub := &ecdsa.PublicKey{Curve: sm2.P256(),
		X: hexInt(t, "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"),
		Y: hexInt(t, "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")}
	annexPEM, err := gm.MarshalPublicKeyPEM(annexPub)
	if err != nil {
		t.Fatal(err)
	}
	annexSig := gm.MarshalSignature(hexInt(t, "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"),
		hexInt(t, "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"))
	addSig := func(name, pemText string, msg, sig []byte) {
		pub, err := gm.ParsePublicKeyPEM([]byte(pemText))
		want := err == nil && gm.Verify(pub, msg, sig) == nil
		v.Sig = append(v.Sig, sigVector{Name: name, PEM: pemText, MsgHex: hex.EncodeToString(msg), Sig: b64(sig), want: want})
	}
	addSig("GM/T 0003 annex", string(annexPEM), []byte("message digest"), annexSig)
	addSig("GM/T 0003 annex, message altered", string(annexPEM), []byte("message digesT"), annexSig)

	// ... signatures made by gm.Sign over messages of many lengths and over the
	// canonical payloads of internal/canon's vectors ...
	k, _ := gm.GenerateKey()
	other, _ := gm.GenerateKey()
	kPEM, otherPEM := pubPEM(t, k), pubPEM(t, other)
	for _, n := range []int{0, 1, 31, 32, 63, 64, 65, 1000} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		sig, _ := gm.Sign(k, msg)
		addSig(fmt.Sprintf("gm.Sign, %d bytes", n), kPEM, msg, sig)
		addSig(fmt.Sprintf("gm.Sign, %d bytes, other key", n), otherPEM, msg, sig)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "internal", "canon", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cv []struct {
		Name    string          `json:"name"`
		Kind    canon.Kind      `json:"kind"`
		Record  json.RawMessage `json:"record"`
		Payload string          `json:"payload"`
	}
	if err := json.Unmarshal(raw, &cv); err != nil {
		t.Fatal(err)
	}
	for _, c := range cv {
		v.Payloads = append(v.Payloads, payloadVector{Name: c.Name, Kind: string(c.Kind), Record: string(c.Record),
			Fields: canon.SignedFields[c.Kind], Optional: canon.OptionalFields[c.Kind], want: c.Payload})
		sig, _ := gm.Sign(k, []byte(c.Payload))
		addSig("canon payload: "+c.Name, kPEM, []byte(c.Payload), sig)
		edited := []byte(c.Payload)
		edited[len(edited)-2] ^= 1
		addSig("canon payload edited: "+c.Name, kPEM, edited, sig)
	}
	// Lone surrogates: U+FFFD on both sides.
	lone := `{"id":"b\ud800x\udc00\udc00\ud800","issuer":"\ud83d\ude00","root":"r","count":1,"keyId":"k"}`
	lp, err := canon.Payload(canon.KindBatch, json.RawMessage(lone))
	if err != nil {
		t.Fatal(err)
	}
	v.Payloads = append(v.Payloads, payloadVector{Name: "lone surrogates", Kind: "batch", Record: lone, Fields: canon.SignedFields[canon.KindBatch], want: string(lp)})
	// A missing signed field is an error in JS as in Go.
	v.Payloads = append(v.Payloads, payloadVector{Name: "missing field", Kind: "batch", Record: `{"id":"b"}`,
		Fields: canon.SignedFields[canon.KindBatch], want: "ERROR"})

	// ... and the DER forms gm.ParseSignature refuses, which the library alone accepts.
	msg := []byte("payload")
	sig, _ := gm.Sign(k, msg)
	r, s, err := gm.ParseSignature(sig)
	if err != nil {
		t.Fatal(err)
	}
	n := sm2.P256().Params().N
	bad := map[string][]byte{
		"valid":            sig,
		"trailing byte":    append(append([]byte{}, sig...), 0),
		"r = 0":            gm.MarshalSignature(big.NewInt(0), s),
		"s = n":            gm.MarshalSignature(r, n),
		"s + n":            gm.MarshalSignature(r, new(big.Int).Add(s, n)),
		"r + n":            gm.MarshalSignature(new(big.Int).Add(r, n), s),
		"empty":            {},
		"raw r||s":         append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...),
		"long-form length": append([]byte{0x30, 0x81, sig[1]}, sig[2:]...),
		"non-minimal r":    nonMinimal(sig),
		"negative r":       negative(r, s),
	}
	for name, b := range bad {
		addSig("DER: "+name, kPEM, msg, b)
	}
	v.Sig = append(v.Sig, sigVector{Name: "DER: not base64", PEM: kPEM, MsgHex: hex.EncodeToString(msg), Sig: b64(sig)[:10] + "!" + b64(sig)[11:]})

	// Public keys: the normal form, a P-256 key, an off-curve point, junk.
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p256DER, _ := x509.MarshalPKIXPublicKey(&p256.PublicKey)
	kDER, _ := pem.Decode([]byte(kPEM))
	offCurve := append([]byte{}, kDER.Bytes...)
	offCurve[len(offCurve)-1] ^= 1
	for _, c := range []struct {
		name string
		pem  string
	}{
		{"normal", kPEM},
		{"P-256", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: p256DER}))},
		{"off curve", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: offCurve}))},
		{"private key block", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kDER.Bytes}))},
		{"two blocks", kPEM + kPEM},
	} {
		pub, err := gm.ParsePublicKeyPEM([]byte(c.pem))
		kv := keyVector{Name: c.name, PEM: c.pem, ok: err == nil}
		if err == nil {
			kv.keyID = gm.KeyID(pub)
		}
		v.Keys = append(v.Keys, kv)
	}

	v.CanonBad = []string{`{"a":1,"a":2}`, `{"a":1.5}`, `{"a":1e2}`, `{"a":9007199254740992}`, `{"a":1} {}`, `{"a":01}`, `[1,]`}
	for _, c := range v.CanonBad {
		if _, err := canon.Canonicalize([]byte(c)); err == nil {
			t.Fatalf("canon accepts %s; the vector is wrong", c)
		}
	}

	// Trust bundles: 100 departments, then edits of it.
	gov, _ := gm.GenerateKey()
	pin := trust.Fingerprint(&gov.PublicKey)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var depts []registry.Department
	var lastKey string
	for i := range 100 {
		dk, _ := gm.GenerateKey()
		rk, err := registry.NewKey(pubPEM(t, dk), t0)
		if err != nil {
			t.Fatal(err)
		}
		depts = append(depts, registry.Department{ID: fmt.Sprintf("dept-%03d", i), Name: fmt.Sprintf("第%d局 <&>", i), MSPID: "DeptBMSP",
			Categories: []string{"housing"}, Status: registry.StatusActive, Keys: []registry.Key{rk}})
		lastKey = rk.KeyID
	}
	ka, _ := registry.NewKey(kPEM, t0.Add(500*time.Microsecond+1)) // sub-millisecond: compared to the nanosecond
	ka.RevokedAt, ka.RevokeReason = wire.FormatTime(t0.AddDate(0, 1, 0)), registry.ReasonCompromised
	ko, _ := registry.NewKey(otherPEM, t0)
	ko.RotatedAt = wire.FormatTime(t0.AddDate(0, 0, 10))
	depts = append(depts, registry.Department{ID: "dept-a", Name: "市场监督管理局", MSPID: "DeptAMSP", Categories: []string{}, Status: "active",
		Keys: []registry.Key{ka, ko}})
	ca := testCA(t)
	src := trust.Source{Channel: "certledger", Chaincode: "certledger", Height: 77, BlockTime: t0.AddDate(0, 2, 0), Departments: depts,
		Orgs:   []trust.Org{{MSPID: "DeptAMSP", RootCerts: []string{ca}}, {MSPID: "DeptBMSP", RootCerts: []string{ca}}, {MSPID: "GovMSP", RootCerts: []string{ca}}},
		Policy: trust.Policy{Rule: "MAJORITY", N: 2, MSPs: []string{"GovMSP", "DeptAMSP", "DeptBMSP"}}}
	signed, err := trust.Sign(trust.Build(src, t0.AddDate(0, 2, 1)), gov)
	if err != nil {
		t.Fatal(err)
	}
	file, _ := signed.Marshal()
	forged, _ := trust.Sign(trust.Build(src, t0), other)
	forgedFile, _ := forged.Marshal()
	edit := func(old, new string) string {
		if !bytes.Contains(file, []byte(old)) {
			t.Fatalf("bundle lacks %q", old)
		}
		return string(bytes.Replace(file, []byte(old), []byte(new), 1))
	}
	addBundle := func(name, data, pin, code string) {
		_, err := trust.Verify([]byte(data), pin)
		switch {
		case code == "" && err != nil:
			t.Fatalf("bundle vector %s: Go refuses it: %v", name, err)
		case code != "" && err == nil:
			t.Fatalf("bundle vector %s: Go accepts it", name)
		}
		v.Bundles = append(v.Bundles, bundleVector{Name: name, Data: data, Pin: pin, code: code})
	}
	addBundle("100 departments", string(file), pin, "")
	addBundle("grouped upper-case pin", string(file), strings.ToUpper(trust.GroupPin(pin)), "")
	addBundle("compact", string(mustCompactJSON(t, file)), pin, "")
	addBundle("wrong pin", string(file), trust.Fingerprint(&other.PublicKey), "UNTRUSTED")
	addBundle("signed by a non-governance key", string(forgedFile), pin, "UNTRUSTED")
	addBundle("pinned key id, other key", strings.Replace(string(forgedFile), forged.Bundle.Governance.KeyID, pin, 1), pin, "UNTRUSTED")
	addBundle("height edited", edit(`"height": 77`, `"height": 78`), pin, "BAD_SIGNATURE")
	addBundle("revocation removed", edit(`"revokedAt": "2026-12-01T00:00:00Z"`, `"revokedAt": ""`), pin, "BAD_SIGNATURE")
	addBundle("name edited", edit("市场监督管理局", "市场监督管理总局"), pin, "BAD_SIGNATURE")
	addBundle("duplicate key", edit(`"height": 77,`, `"height": 77, "height": 77,`), pin, "BAD_FORMAT")
	addBundle("height as 7.7e1", edit(`"height": 77`, `"height": 7.7e1`), pin, "BAD_FORMAT")
	addBundle("extra envelope field", edit(`"signature":`, `"x": 1, "signature":`), pin, "BAD_FORMAT")
	addBundle("bad pin", string(file), "abc", "BAD_PIN")

	for _, c := range []struct {
		dept, key string
		at        time.Time
	}{
		{"dept-a", ka.KeyID, t0.AddDate(0, 0, 5)},
		{"dept-a", ka.KeyID, t0},                                 // before validFrom by 500µs+1ns
		{"dept-a", ka.KeyID, t0.Add(500 * time.Microsecond)},     // still 1ns early
		{"dept-a", ka.KeyID, t0.Add(500*time.Microsecond + 1)},   // exactly validFrom
		{"dept-a", ka.KeyID, t0.AddDate(0, 1, 0).Add(-1)},        // 1ns before the compromise
		{"dept-a", ka.KeyID, t0.AddDate(0, 1, 0)},                // at the compromise
		{"dept-a", ko.KeyID, t0.AddDate(0, 0, 9)},                // before rotation
		{"dept-a", ko.KeyID, t0.AddDate(0, 0, 10)},               // rotated
		{"dept-099", lastKey, t0.AddDate(1, 0, 0)},               // after the bundle
		{"dept-000", lastKey, t0.AddDate(0, 0, 1)},               // another department's key
		{"dept-zzz", lastKey, t0.AddDate(0, 0, 1)},               // unknown department
		{"dept-a", strings.Repeat("0", 64), t0.AddDate(0, 0, 1)}, // unknown key
	} {
		v.KeyValid = append(v.KeyValid, keyValidCase{Bundle: 0, Dept: c.dept, KeyID: c.key, At: wire.FormatTime(c.at),
			want: signed.Bundle.KeyValidAt(c.dept, c.key, c.at)})
	}

	v.Bench.PEM, v.Bench.N = kPEM, 200
	bp, _ := canon.Payload(canon.KindBatch, map[string]any{"id": "b-1", "issuer": "dept-a", "root": strings.Repeat("ab", 32), "count": 1000000, "keyId": ka.KeyID})
	bs, _ := gm.Sign(k, bp)
	v.Bench.MsgHex, v.Bench.Sig = hex.EncodeToString(bp), b64(bs)
	return v
}

func hexInt(t testing.TB, s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex %s", s)
	}
	return n
}

// nonMinimal re-encodes r with a superfluous leading zero byte.
func nonMinimal(sig []byte) []byte {
	rl := int(sig[3])
	r := sig[4 : 4+rl]
	rest := sig[4+rl:]
	body := append([]byte{0x02, byte(rl + 1), 0x00}, r...)
	body = append(body, rest...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// negative writes r without the 0x00 that keeps a high-bit INTEGER positive.
func negative(r, s *big.Int) []byte {
	rb := r.Bytes()
	rb[0] |= 0x80
	sb := s.Bytes()
	if sb[0]&0x80 != 0 {
		sb = append([]byte{0}, sb...)
	}
	body := append([]byte{0x02, byte(len(rb))}, rb...)
	body = append(body, 0x02, byte(len(sb)))
	body = append(body, sb...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

func mustCompactJSON(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestOfflineJS runs static/offline.js with the vendored sm-crypto-v2 under Node
// against answers computed here by internal/gm, internal/canon and internal/trust:
// SM3 digests, SM2 verification with the default user ID (the GM/T 0003 annex
// example, gm.Sign signatures, canonical payloads), every DER form gm refuses,
// public keys, canonical JSON refusals, trust bundles (valid, edited, forged, wrong
// pin) and key-validity answers to the nanosecond. It logs the JS verify timings.
func TestOfflineJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIP: node not found in PATH; the in-browser SM2/SM3 (static/offline.js, static/vendor/sm-crypto-v2.js) is not checked. Install Node.js 20 (Debian package nodejs) to run this test.")
	}
	v := buildVectors(t)
	vf := filepath.Join(t.TempDir(), "vectors.json")
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vf, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, filepath.Join("testdata", "offline_runner.js"), mustAbs(t, filepath.Join("static", "offline.js")), vf).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("node offline_runner.js: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got struct {
		SM3 []string `json:"sm3"`
		Sig []struct {
			OK   bool   `json:"ok"`
			Code string `json:"code"`
		} `json:"sig"`
		Keys []struct {
			OK    bool   `json:"ok"`
			KeyID string `json:"keyId"`
		} `json:"keys"`
		Payloads []string `json:"payloads"`
		CanonBad []string `json:"canonBad"`
		Bundles  []struct {
			OK          bool   `json:"ok"`
			Code        string `json:"code"`
			Fingerprint string `json:"fingerprint"`
		} `json:"bundles"`
		KeyValid []struct {
			Valid       bool   `json:"valid"`
			Code        string `json:"code"`
			AfterBundle bool   `json:"afterBundle"`
			AsOfHeight  uint64 `json:"asOfHeight"`
		} `json:"keyValid"`
		Timing struct {
			SM2VerifyMs    float64 `json:"sm2VerifyMs"`
			BundleVerifyMs float64 `json:"bundleVerifyMs"`
			BundleBytes    int     `json:"bundleBytes"`
			Node           string  `json:"node"`
		} `json:"timing"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("runner output: %v\n%s", err, out)
	}
	for i, want := range v.sm3Want {
		if got.SM3[i] != want {
			t.Errorf("sm3 %d: js %s, go %s", i, got.SM3[i], want)
		}
	}
	for i, c := range v.Sig {
		if got.Sig[i].OK != c.want {
			t.Errorf("sig %q: js ok=%v (%s), go ok=%v", c.Name, got.Sig[i].OK, got.Sig[i].Code, c.want)
		}
	}
	for i, c := range v.Keys {
		if got.Keys[i].OK != c.ok || got.Keys[i].KeyID != c.keyID {
			t.Errorf("key %q: js %+v, go ok=%v id=%s", c.Name, got.Keys[i], c.ok, c.keyID)
		}
	}
	for i, c := range v.Payloads {
		if c.want == "ERROR" {
			if !strings.HasPrefix(got.Payloads[i], "ERROR") {
				t.Errorf("payload %q: js accepted it: %q", c.Name, got.Payloads[i])
			}
			continue
		}
		if got.Payloads[i] != c.want {
			t.Errorf("payload %q:\njs %q\ngo %q", c.Name, got.Payloads[i], c.want)
		}
	}
	for i, c := range v.CanonBad {
		if got.CanonBad[i] != "BAD_FORMAT" {
			t.Errorf("canonical JSON %s: js %s, go refuses it", c, got.CanonBad[i])
		}
	}
	for i, c := range v.Bundles {
		g := got.Bundles[i]
		if g.OK != (c.code == "") || g.Code != c.code {
			t.Errorf("bundle %q: js ok=%v code=%q, want code %q", c.Name, g.OK, g.Code, c.code)
		}
	}
	for i, c := range v.KeyValid {
		g := got.KeyValid[i]
		if g.Valid != c.want.Valid || g.Code != c.want.Code || g.AfterBundle != c.want.AfterBundle || g.AsOfHeight != c.want.AsOfHeight {
			t.Errorf("keyValidAt(%s, %.8s…, %s): js %+v, go valid=%v code=%s after=%v", c.Dept, c.KeyID, c.At, g, c.want.Valid, c.want.Code, c.want.AfterBundle)
		}
	}
	t.Logf("node %s: SM2 verify (strict DER + key parse + SM3(Z‖M)) %.2f ms; trust bundle of 101 departments (%d bytes) verified in %.1f ms",
		got.Timing.Node, got.Timing.SM2VerifyMs, got.Timing.BundleBytes, got.Timing.BundleVerifyMs)
}
