package gm

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	tjsm2 "github.com/tjfoc/gmsm/sm2"
)

func TestSM3Vectors(t *testing.T) {
	// GM/T 0004-2012 appendix A.
	cases := map[string]string{
		"abc":                      "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		strings.Repeat("abcd", 16): "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
	}
	for in, want := range cases {
		if got := SM3Hex([]byte(in)); got != want {
			t.Errorf("SM3Hex(%q) = %s, want %s", in, got, want)
		}
		got, n, err := SM3Reader(strings.NewReader(in))
		if err != nil || got != want || n != int64(len(in)) {
			t.Errorf("SM3Reader(%q) = %s, %d, %v", in, got, n, err)
		}
	}
}

func TestSM3FileMatchesMemory(t *testing.T) {
	data := bytes.Repeat([]byte("certledger-"), 100_003)
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, n, err := SM3File(p)
	if err != nil || n != int64(len(data)) || got != SM3Hex(data) {
		t.Fatalf("SM3File = %s, %d, %v", got, n, err)
	}
	if _, _, err := SM3File(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file hashed")
	}
}

func TestCheckHash(t *testing.T) {
	good := SM3Hex([]byte("x"))
	if err := CheckHash(good); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", good[:63], strings.ToUpper(good), good + "0", "g" + good[1:]} {
		if err := CheckHash(bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("CheckHash(%q) = %v", bad, err)
		}
	}
}

func TestCommitment(t *testing.T) {
	salt := []byte("0123456789abcdef")
	if Commitment(salt, "110101199003077777") != SM3Hex([]byte("0123456789abcdef110101199003077777")) {
		t.Fatal("commitment is not SM3(salt||id)")
	}
	s1, _ := NewSalt()
	s2, _ := NewSalt()
	if len(s1) != SaltSize || bytes.Equal(s1, s2) {
		t.Fatal("salts are not random 16 bytes")
	}
}

func hexInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(strings.ReplaceAll(s, " ", ""), 16)
	if !ok {
		panic(s)
	}
	return n
}

// TestGMT0003AnnexExample verifies the signature example of GM/T 0003.5-2012
// annex A (also GB/T 32918.2): message "message digest", the default user ID.
func TestGMT0003AnnexExample(t *testing.T) {
	pub := &ecdsa.PublicKey{
		Curve: sm2.P256(),
		X:     hexInt("09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020"),
		Y:     hexInt("CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13"),
	}
	r := hexInt("F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3")
	s := hexInt("B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA")
	sig := MarshalSignature(r, s)
	if err := Verify(pub, []byte("message digest"), sig); err != nil {
		t.Fatalf("annex example does not verify: %v", err)
	}
	// e = SM3(Z || M) from the annex.
	e, err := sm2.CalculateSM2Hash(pub, []byte("message digest"), []byte(DefaultUID))
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(e) != strings.ToLower("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640") {
		t.Fatalf("e = %x", e)
	}
	if err := Verify(pub, []byte("message digesT"), sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("altered message verified: %v", err)
	}
	// The private key of the annex gives the same public key.
	d := hexInt("3945208F 7B2144B1 3F36E38A C6D39F95 88939369 2860B51A 42FB81EF 4DF7C5B8")
	k, err := sm2.NewPrivateKeyFromInt(d)
	if err != nil {
		t.Fatal(err)
	}
	if k.X.Cmp(pub.X) != 0 || k.Y.Cmp(pub.Y) != 0 {
		t.Fatal("annex key pair mismatch")
	}
}

func TestStrictSignatureParsing(t *testing.T) {
	k, _ := GenerateKey()
	msg := []byte("payload")
	sig, r, s := signParsed(t, k, msg)
	n := sm2.P256().Params().N
	bad := map[string][]byte{
		"trailing byte": append(append([]byte{}, sig...), 0),
		"r = 0":         MarshalSignature(big.NewInt(0), s),
		"s = n":         MarshalSignature(r, n),
		"r = n + r":     MarshalSignature(new(big.Int).Add(n, r), s),
		"empty":         {},
		"raw r||s":      append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...),
	}
	// BER long-form length instead of DER short form.
	long := append([]byte{0x30, 0x81, sig[1]}, sig[2:]...)
	bad["long-form length"] = long
	for name, b := range bad {
		if err := Verify(&k.PublicKey, msg, b); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", name, err)
		}
	}
	// s and n-s: only the signed one verifies (no malleability accepted silently).
	if err := Verify(&k.PublicKey, msg, sig); err != nil {
		t.Fatal(err)
	}
}

func TestOffCurveKeyRefused(t *testing.T) {
	k, _ := GenerateKey()
	pub := k.PublicKey
	pub.Y = new(big.Int).Add(pub.Y, big.NewInt(1))
	sig, _ := Sign(k, []byte("m"))
	if err := Verify(&pub, []byte("m"), sig); !errors.Is(err, ErrBadKey) {
		t.Fatalf("off-curve key: %v", err)
	}
	if KeyID(&pub) != "" {
		t.Fatal("off-curve key has an ID")
	}
}

func TestKeyPEMRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range [][]byte{nil, []byte("s3cret")} {
		p, err := MarshalPrivateKeyPEM(k, pw)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := ParsePrivateKeyPEM(p, pw)
		if err != nil {
			t.Fatal(err)
		}
		if !k.Equal(k2) {
			t.Fatal("private key round trip")
		}
		if pw != nil {
			if _, err := ParsePrivateKeyPEM(p, []byte("wrong")); !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("wrong password: %v", err)
			}
			if _, err := ParsePrivateKeyPEM(p, nil); !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("no password: %v", err)
			}
		}
	}
	pubPEM, err := MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if KeyID(pub) != KeyID(&k.PublicKey) || len(KeyID(pub)) != 64 {
		t.Fatal("key id")
	}
	for _, bad := range [][]byte{nil, []byte("not pem"), append(pubPEM, []byte("junk")...)} {
		if _, err := ParsePublicKeyPEM(bad); err == nil {
			t.Errorf("bad public PEM %q accepted", bad)
		}
	}
	if _, err := ParsePrivateKeyPEM(pubPEM, nil); !errors.Is(err, ErrBadPEM) {
		t.Fatalf("public PEM as private: %v", err)
	}
}

func TestForeignCurveRefused(t *testing.T) {
	// An ECDSA P-256 public key must not pass as SM2.
	pemP256 := []byte(`-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9
q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==
-----END PUBLIC KEY-----
`)
	if _, err := ParsePublicKeyPEM(pemP256); !errors.Is(err, ErrBadKey) {
		t.Fatalf("P-256 key accepted as SM2: %v", err)
	}
}

// TestTjfocInterop crosses 300 random key pairs and signatures both ways with
// github.com/tjfoc/gmsm, a library common in government deployments.
func TestTjfocInterop(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 30
	}
	for i := 0; i < n; i++ {
		msg := []byte(strings.Repeat("m", i) + "certledger")
		// ours → tjfoc
		k, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		sig, err := Sign(k, msg)
		if err != nil {
			t.Fatal(err)
		}
		tpub := &tjsm2.PublicKey{Curve: tjsm2.P256Sm2(), X: k.X, Y: k.Y}
		if !tpub.Verify(msg, sig) {
			t.Fatalf("pair %d: tjfoc rejects our signature", i)
		}
		// tjfoc → ours
		tk, err := tjsm2.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		tsig, err := tk.Sign(nil, msg, nil)
		if err != nil {
			t.Fatal(err)
		}
		pub := &ecdsa.PublicKey{Curve: sm2.P256(), X: tk.X, Y: tk.Y}
		if err := Verify(pub, msg, tsig); err != nil {
			t.Fatalf("pair %d: tjfoc signature rejected: %v", i, err)
		}
		if err := Verify(pub, append(msg, '!'), tsig); err == nil {
			t.Fatalf("pair %d: tjfoc signature verified over another message", i)
		}
	}
}

func openssl(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed: OpenSSL 3 interop not checked (apt-get install openssl)")
	}
	out, _ := exec.Command(p, "version").Output()
	if !strings.HasPrefix(string(out), "OpenSSL 3") {
		t.Skipf("need OpenSSL 3 for SM2 distid support, have %s", out)
	}
	return p
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func TestOpenSSLInterop(t *testing.T) {
	ossl := openssl(t)
	dir := t.TempDir()
	path := func(n string) string { return filepath.Join(dir, n) }
	msg := []byte("certledger/v1/certificate\n{\"id\":\"c-1\"}")
	if err := os.WriteFile(path("msg"), msg, 0o600); err != nil {
		t.Fatal(err)
	}

	// Our key and signature, verified by OpenSSL.
	k, _ := GenerateKey()
	privPEM, _ := MarshalPrivateKeyPEM(k, nil)
	pubPEM, _ := MarshalPublicKeyPEM(&k.PublicKey)
	sig, _ := Sign(k, msg)
	if err := os.WriteFile(path("pub.pem"), pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path("key.pem"), privPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path("sig"), sig, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ossl, "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin", "-inkey", path("pub.pem"),
		"-in", path("msg"), "-sigfile", path("sig"), "-pkeyopt", "distid:"+DefaultUID)

	// OpenSSL signs with our private key file; we verify.
	run(t, ossl, "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", path("key.pem"),
		"-in", path("msg"), "-out", path("osig"), "-pkeyopt", "distid:"+DefaultUID)
	osig, _ := os.ReadFile(path("osig"))
	if err := Verify(&k.PublicKey, msg, osig); err != nil {
		t.Fatalf("OpenSSL signature with our key rejected: %v", err)
	}

	// An OpenSSL-generated key: we read its PEMs and verify its signature.
	run(t, ossl, "genpkey", "-algorithm", "SM2", "-out", path("okey.pem"))
	run(t, ossl, "pkey", "-in", path("okey.pem"), "-pubout", "-out", path("opub.pem"))
	run(t, ossl, "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", path("okey.pem"),
		"-in", path("msg"), "-out", path("osig2"), "-pkeyopt", "distid:"+DefaultUID)
	opubPEM, _ := os.ReadFile(path("opub.pem"))
	opub, err := ParsePublicKeyPEM(opubPEM)
	if err != nil {
		t.Fatalf("OpenSSL public key: %v", err)
	}
	osig2, _ := os.ReadFile(path("osig2"))
	if err := Verify(opub, msg, osig2); err != nil {
		t.Fatalf("OpenSSL signature rejected: %v", err)
	}
	okeyPEM, _ := os.ReadFile(path("okey.pem"))
	ok, err := ParsePrivateKeyPEM(okeyPEM, nil)
	if err != nil {
		t.Fatalf("OpenSSL private key: %v", err)
	}
	if KeyID(&ok.PublicKey) != KeyID(opub) {
		t.Fatal("OpenSSL key pair mismatch")
	}

	// Our password-encrypted key is readable by OpenSSL with the password.
	encPEM, _ := MarshalPrivateKeyPEM(k, []byte("pw-123"))
	if err := os.WriteFile(path("enc.pem"), encPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ossl, "pkey", "-in", path("enc.pem"), "-passin", "pass:pw-123", "-noout")

	// OpenSSL's empty-ID signature must NOT verify under the default ID.
	run(t, ossl, "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", path("key.pem"),
		"-in", path("msg"), "-out", path("noid"))
	noid, _ := os.ReadFile(path("noid"))
	if err := Verify(&k.PublicKey, msg, noid); err == nil {
		t.Fatal("signature made without the default user ID verified")
	}
}

func FuzzParsePublicKeyPEM(f *testing.F) {
	k, _ := GenerateKey()
	p, _ := MarshalPublicKeyPEM(&k.PublicKey)
	f.Add(p)
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, err := ParsePublicKeyPEM(b)
		if err == nil && !pub.IsOnCurve(pub.X, pub.Y) {
			t.Fatal("accepted an off-curve key")
		}
	})
}

func FuzzParsePrivateKeyPEM(f *testing.F) {
	k, _ := GenerateKey()
	p, _ := MarshalPrivateKeyPEM(k, nil)
	f.Add(p, []byte(""))
	f.Fuzz(func(t *testing.T, b, pw []byte) {
		_, _ = ParsePrivateKeyPEM(b, pw)
	})
}

func FuzzParseSignature(f *testing.F) {
	k, _ := GenerateKey()
	sig, _ := Sign(k, []byte("m"))
	f.Add(sig)
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, s, err := ParseSignature(b)
		if err != nil {
			return
		}
		if !bytes.Equal(MarshalSignature(r, s), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
		_ = Verify(&k.PublicKey, []byte("m"), b)
	})
}

type errReader struct{ n int }

func (e *errReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	k := min(len(p), e.n)
	e.n -= k
	return k, nil
}

func TestSM3ReaderErrorAndChunks(t *testing.T) {
	if _, _, err := SM3Reader(&errReader{n: 3 << 20}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("read error lost: %v", err)
	}
	for _, size := range []int{0, 1, 1<<20 - 1, 1 << 20, 1<<20 + 1, 5<<20 + 7} {
		data := bytes.Repeat([]byte{0xa5}, size)
		got, n, err := SM3Reader(bytes.NewReader(data))
		if err != nil || n != int64(size) || got != SM3Hex(data) {
			t.Fatalf("size %d: %s %d %v", size, got, n, err)
		}
	}
}

// signParsed signs msg with k and returns the signature with its r and s.
func signParsed(t *testing.T, k *sm2.PrivateKey, msg []byte) (sig []byte, r, s *big.Int) {
	t.Helper()
	sig, err := Sign(k, msg)
	if err != nil {
		t.Fatal(err)
	}
	if r, s, err = ParseSignature(sig); err != nil {
		t.Fatal(err)
	}
	return sig, r, s
}
