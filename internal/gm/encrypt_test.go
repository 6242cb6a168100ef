package gm

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 8998 appendix A.1: SM4-GCM.
func TestSM4GCMVector(t *testing.T) {
	key := unhex(t, "0123456789ABCDEFFEDCBA9876543210")
	nonce := unhex(t, "00001234567800000000ABCD")
	aad := unhex(t, "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
	pt := unhex(t, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
	want := unhex(t, "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"+
		"83DE3541E4C2B58177E065A9BF7B62EC")
	ct, err := SealSM4GCMNonce(key, nonce, pt, aad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ct, want) {
		t.Fatalf("SM4-GCM = %x\nwant      %x", ct, want)
	}
	got, err := OpenSM4GCM(key, nonce, ct, aad)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("open: %v", err)
	}
}

func TestSM4GCMRefusals(t *testing.T) {
	key, _ := NewSM4Key()
	nonce, ct, err := SealSM4GCM(key, []byte("payload"), []byte("header"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSM4Key()
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	cases := []struct {
		name           string
		key, nonce, ct []byte
		aad            string
		want           error
	}{
		{"wrong key", other, nonce, ct, "header", ErrDecrypt},
		{"other aad", key, nonce, ct, "header!", ErrDecrypt},
		{"flipped ciphertext", key, nonce, flip(ct, 0), "header", ErrDecrypt},
		{"flipped tag", key, nonce, flip(ct, len(ct)-1), "header", ErrDecrypt},
		{"flipped nonce", key, flip(nonce, 3), ct, "header", ErrDecrypt},
		{"short nonce", key, nonce[:8], ct, "header", ErrBadCiphertext},
		{"shorter than a tag", key, nonce, ct[:5], "header", ErrBadCiphertext},
		{"short key", key[:8], nonce, ct, "header", ErrBadKey},
	}
	for _, c := range cases {
		if _, err := OpenSM4GCM(c.key, c.nonce, c.ct, []byte(c.aad)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// A ciphertext made by OpenSSL 3 (testdata) decrypts here.
func TestSM2DecryptOpenSSLVector(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "sm2-encrypt-openssl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		PrivateKeyPEM string `json:"privateKeyPem"`
		Plaintext     string `json:"plaintext"`
		CiphertextHex string `json:"ciphertextHex"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKeyPEM([]byte(v.PrivateKeyPEM), nil)
	if err != nil {
		t.Fatal(err)
	}
	ct := unhex(t, v.CiphertextHex)
	pt, err := DecryptSM2(k, ct)
	if err != nil || string(pt) != v.Plaintext {
		t.Fatalf("DecryptSM2 = %q, %v", pt, err)
	}
	// Any changed byte: refused, never a wrong plaintext.
	for i := range ct {
		c := bytes.Clone(ct)
		c[i] ^= 0x01
		if pt, err := DecryptSM2(k, c); err == nil {
			t.Fatalf("byte %d flipped: decrypted to %q", i, pt)
		}
	}
	other, _ := GenerateKey()
	if _, err := DecryptSM2(other, ct); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other key: %v", err)
	}
	// Trailing data and the plain (non-ASN.1) form are refused.
	if _, err := DecryptSM2(k, append(bytes.Clone(ct), 0)); !errors.Is(err, ErrBadCiphertext) {
		t.Fatalf("trailing byte: %v", err)
	}
	if _, err := DecryptSM2(k, append([]byte{0x04}, ct[2:]...)); !errors.Is(err, ErrBadCiphertext) {
		t.Fatalf("non-ASN.1 form: %v", err)
	}
}

func TestSM2EncryptRoundTrip(t *testing.T) {
	k, _ := GenerateKey()
	for _, n := range []int{1, 16, 32, 1000} {
		msg := bytes.Repeat([]byte{0xA5}, n)
		ct, err := EncryptSM2(&k.PublicKey, msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckSM2Ciphertext(ct); err != nil {
			t.Fatalf("own ciphertext refused: %v", err)
		}
		pt, err := DecryptSM2(k, ct)
		if err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("round trip %d bytes: %v", n, err)
		}
	}
	if _, err := EncryptSM2(&k.PublicKey, nil); err == nil {
		t.Fatal("empty message encrypted")
	}
}

// OpenSSL 3 decrypts what we encrypt to its key, and we decrypt what it encrypts
// to ours: `openssl pkeyutl -encrypt/-decrypt` with SM2 keys, both ways.
func TestSM2EncryptOpenSSLInterop(t *testing.T) {
	ossl := openssl(t)
	dir := t.TempDir()
	path := func(n string) string { return filepath.Join(dir, n) }
	write := func(n string, b []byte) {
		if err := os.WriteFile(path(n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sm4Key, _ := NewSM4Key()

	// Our key pair (PKCS#8 / PKIX PEM), OpenSSL encrypts to it, we decrypt.
	k, _ := GenerateKey()
	privPEM, _ := MarshalPrivateKeyPEM(k, nil)
	pubPEM, _ := MarshalPublicKeyPEM(&k.PublicKey)
	write("our-key.pem", privPEM)
	write("our-pub.pem", pubPEM)
	write("msg", sm4Key)
	run(t, ossl, "pkeyutl", "-encrypt", "-pubin", "-inkey", path("our-pub.pem"), "-in", path("msg"), "-out", path("ossl.ct"))
	oct, _ := os.ReadFile(path("ossl.ct"))
	if pt, err := DecryptSM2(k, oct); err != nil || !bytes.Equal(pt, sm4Key) {
		t.Fatalf("OpenSSL ciphertext: %v", err)
	}

	// We encrypt to our public key; OpenSSL decrypts with the private key file.
	ct, err := EncryptSM2(&k.PublicKey, sm4Key)
	if err != nil {
		t.Fatal(err)
	}
	write("our.ct", ct)
	run(t, ossl, "pkeyutl", "-decrypt", "-inkey", path("our-key.pem"), "-in", path("our.ct"), "-out", path("ossl.pt"))
	if got, _ := os.ReadFile(path("ossl.pt")); !bytes.Equal(got, sm4Key) {
		t.Fatalf("OpenSSL decrypted %x, want %x", got, sm4Key)
	}

	// A key pair made by OpenSSL: we encrypt to its public key, OpenSSL decrypts.
	run(t, ossl, "genpkey", "-algorithm", "SM2", "-out", path("ossl-key.pem"))
	run(t, ossl, "pkey", "-in", path("ossl-key.pem"), "-pubout", "-out", path("ossl-pub.pem"))
	opub, _ := os.ReadFile(path("ossl-pub.pem"))
	pub, err := ParsePublicKeyPEM(opub)
	if err != nil {
		t.Fatal(err)
	}
	ct2, err := EncryptSM2(pub, sm4Key)
	if err != nil {
		t.Fatal(err)
	}
	write("to-ossl.ct", ct2)
	run(t, ossl, "pkeyutl", "-decrypt", "-inkey", path("ossl-key.pem"), "-in", path("to-ossl.ct"), "-out", path("from-ossl.pt"))
	if got, _ := os.ReadFile(path("from-ossl.pt")); !bytes.Equal(got, sm4Key) {
		t.Fatalf("OpenSSL (own key) decrypted %x", got)
	}
}

func FuzzCheckSM2Ciphertext(f *testing.F) {
	raw, _ := os.ReadFile(filepath.Join("testdata", "sm2-encrypt-openssl.json"))
	var v struct {
		CiphertextHex string `json:"ciphertextHex"`
	}
	_ = json.Unmarshal(raw, &v)
	ct, _ := hex.DecodeString(v.CiphertextHex)
	f.Add(ct)
	f.Add([]byte{0x30, 0x00})
	k, _ := GenerateKey()
	f.Fuzz(func(t *testing.T, b []byte) {
		if CheckSM2Ciphertext(b) == nil {
			// Accepted encodings decrypt or fail cleanly, never panic.
			_, _ = DecryptSM2(k, b)
		}
	})
}
