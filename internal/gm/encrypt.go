package gm

import (
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm4"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// SM2 public-key encryption (GM/T 0003.4) and SM4-GCM (GM/T 0002 with the GCM
// mode of GB/T 36624 / RFC 8998): the two halves of an envelope. A fresh SM4 key
// encrypts the data; the SM4 key is encrypted to the recipient's SM2 public key.
//
// SM2 ciphertexts are the ASN.1 DER form of GM/T 0009 (SEQUENCE { x INTEGER,
// y INTEGER, hash OCTET STRING (C3, 32 bytes), ciphertext OCTET STRING (C2) }),
// the C1C3C2 order, which is what OpenSSL 3 `pkeyutl -encrypt` writes and
// `-decrypt` reads for SM2 keys. Decryption accepts only that form, strictly.

// Sizes of the SM4-GCM parts.
const (
	SM4KeySize   = 16
	GCMNonceSize = 12
	GCMTagSize   = 16
)

// Errors returned (wrapped) by the encryption helpers.
var (
	// ErrDecrypt: a ciphertext that does not decrypt (wrong key, tampered bytes,
	// wrong associated data). Deliberately vague.
	ErrDecrypt = errors.New("decryption failed")
	// ErrBadCiphertext: a ciphertext that is not in the expected encoding.
	ErrBadCiphertext = errors.New("bad ciphertext encoding")
)

// EncryptSM2 encrypts msg to pub (SM2, GM/T 0003.4) and returns the ASN.1 DER
// ciphertext in C1C3C2 order.
func EncryptSM2(pub *ecdsa.PublicKey, msg []byte) ([]byte, error) {
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	if len(msg) == 0 {
		return nil, fmt.Errorf("%w: nothing to encrypt", ErrBadCiphertext)
	}
	ct, err := sm2.Encrypt(rand.Reader, pub, msg, sm2.ASN1EncrypterOpts)
	if err != nil {
		return nil, fmt.Errorf("SM2 encryption: %w", err)
	}
	return ct, nil
}

// DecryptSM2 decrypts an ASN.1 DER C1C3C2 SM2 ciphertext with k. The encoding is
// checked strictly first (one DER SEQUENCE, minimal integers, a 32-byte C3,
// nothing after it, C1 on the curve); any failure to decrypt is ErrDecrypt.
func DecryptSM2(k *sm2.PrivateKey, ct []byte) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: nil key", ErrBadKey)
	}
	if err := CheckSM2Ciphertext(ct); err != nil {
		return nil, err
	}
	pt, err := k.Decrypt(nil, ct, sm2.ASN1DecrypterOpts)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// CheckSM2Ciphertext checks the encoding of an ASN.1 C1C3C2 SM2 ciphertext
// without decrypting it.
func CheckSM2Ciphertext(ct []byte) error {
	in := cryptobyte.String(ct)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return fmt.Errorf("%w: SM2 ciphertext is not a single DER SEQUENCE", ErrBadCiphertext)
	}
	x, y := new(big.Int), new(big.Int)
	var c3, c2 cryptobyte.String
	if !seq.ReadASN1Integer(x) || !seq.ReadASN1Integer(y) ||
		!seq.ReadASN1(&c3, cbasn1.OCTET_STRING) || !seq.ReadASN1(&c2, cbasn1.OCTET_STRING) || !seq.Empty() {
		return fmt.Errorf("%w: SM2 ciphertext is not SEQUENCE { x, y, hash, ciphertext }", ErrBadCiphertext)
	}
	if len(c3) != 32 || len(c2) == 0 {
		return fmt.Errorf("%w: SM2 ciphertext hash must be 32 bytes and the data non-empty", ErrBadCiphertext)
	}
	if x.Sign() < 0 || y.Sign() < 0 || !sm2.P256().IsOnCurve(x, y) {
		return fmt.Errorf("%w: SM2 ciphertext point C1 is not on the curve", ErrBadCiphertext)
	}
	// Re-encode to refuse non-minimal encodings.
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(c *cryptobyte.Builder) {
		c.AddASN1BigInt(x)
		c.AddASN1BigInt(y)
		c.AddASN1OctetString(c3)
		c.AddASN1OctetString(c2)
	})
	canon, err := b.Bytes()
	if err != nil || string(canon) != string(ct) {
		return fmt.Errorf("%w: SM2 ciphertext is not canonical DER", ErrBadCiphertext)
	}
	return nil
}

// NewSM4Key returns a fresh random SM4 key.
func NewSM4Key() ([]byte, error) {
	k := make([]byte, SM4KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}

func sm4GCM(key []byte) (cipher.AEAD, error) {
	if len(key) != SM4KeySize {
		return nil, fmt.Errorf("%w: SM4 key must be %d bytes, got %d", ErrBadKey, SM4KeySize, len(key))
	}
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	return cipher.NewGCM(block)
}

// SealSM4GCM encrypts and authenticates plaintext and aad with key under a fresh
// random 12-byte nonce; it returns the nonce and the ciphertext with its 16-byte
// tag appended.
func SealSM4GCM(key, plaintext, aad []byte) (nonce, ct []byte, err error) {
	aead, err := sm4GCM(key)
	if err != nil {
		return nil, nil, err
	}
	nonce = make([]byte, GCMNonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	return nonce, aead.Seal(nil, nonce, plaintext, aad), nil
}

// SealSM4GCMNonce is SealSM4GCM with a given nonce: for test vectors only (a
// nonce must never be reused with the same key).
func SealSM4GCMNonce(key, nonce, plaintext, aad []byte) ([]byte, error) {
	aead, err := sm4GCM(key)
	if err != nil {
		return nil, err
	}
	if len(nonce) != GCMNonceSize {
		return nil, fmt.Errorf("%w: GCM nonce must be %d bytes", ErrBadCiphertext, GCMNonceSize)
	}
	return aead.Seal(nil, nonce, plaintext, aad), nil
}

// OpenSM4GCM decrypts and checks ct (ciphertext ‖ tag) with key, nonce and aad.
// A wrong key, nonce, aad or any changed byte is ErrDecrypt.
func OpenSM4GCM(key, nonce, ct, aad []byte) ([]byte, error) {
	aead, err := sm4GCM(key)
	if err != nil {
		return nil, err
	}
	if len(nonce) != GCMNonceSize {
		return nil, fmt.Errorf("%w: GCM nonce must be %d bytes", ErrBadCiphertext, GCMNonceSize)
	}
	if len(ct) < GCMTagSize {
		return nil, fmt.Errorf("%w: SM4-GCM ciphertext shorter than its tag", ErrBadCiphertext)
	}
	pt, err := aead.Open(nil, nonce, ct, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
