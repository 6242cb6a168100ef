package gm

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/pkcs"
	"github.com/emmansun/gmsm/pkcs8"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// DefaultUID is the signer ID of GM/T 0009 that every certledger signature uses.
const DefaultUID = "1234567812345678"

// Errors returned (wrapped) by this package.
var (
	ErrBadSignature  = errors.New("bad SM2 signature")
	ErrBadKey        = errors.New("bad SM2 key")
	ErrBadPEM        = errors.New("bad PEM")
	ErrWrongPassword = errors.New("wrong password or corrupted encrypted key")
)

// PEM block types.
const (
	pemPrivate          = "PRIVATE KEY"
	pemEncryptedPrivate = "ENCRYPTED PRIVATE KEY"
	pemPublic           = "PUBLIC KEY"
)

// KDFIterations is the PBKDF2-HMAC-SHA256 iteration count for password-encrypted keys.
var KDFIterations = 100_000

var curveN = sm2.P256().Params().N

// GenerateKey returns a new SM2 private key.
func GenerateKey() (*sm2.PrivateKey, error) {
	return sm2.GenerateKey(rand.Reader)
}

// MarshalPrivateKeyPEM encodes k as PKCS#8 PEM. With a non-empty password the key is
// encrypted (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC), which OpenSSL 3 reads too.
func MarshalPrivateKeyPEM(k *sm2.PrivateKey, password []byte) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: nil key", ErrBadKey)
	}
	if len(password) == 0 {
		der, err := smx509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der}), nil
	}
	enc := pkcs.NewPBESEncrypter(pkcs.AES256CBC, pkcs.NewPBKDF2Opts(pkcs.SHA256, 16, KDFIterations))
	der, err := pkcs8.MarshalPrivateKey(k, password, enc)
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemEncryptedPrivate, Bytes: der}), nil
}

// ParsePrivateKeyPEM decodes a PKCS#8 PEM SM2 private key, decrypting it with
// password when it is an ENCRYPTED PRIVATE KEY.
func ParsePrivateKeyPEM(pemBytes, password []byte) (*sm2.PrivateKey, error) {
	block, rest := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrBadPEM)
	}
	if len(trimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: data after the PEM block", ErrBadPEM)
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case pemPrivate:
		key, err = smx509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadPEM, err)
		}
	case pemEncryptedPrivate:
		if len(password) == 0 {
			return nil, fmt.Errorf("%w: the key is encrypted and no password was given", ErrWrongPassword)
		}
		key, _, err = pkcs8.ParsePrivateKey(block.Bytes, password)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrWrongPassword, err)
		}
	default:
		return nil, fmt.Errorf("%w: block type %q is not a PKCS#8 private key", ErrBadPEM, block.Type)
	}
	k, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: not an SM2 key (%T)", ErrBadKey, key)
	}
	return k, nil
}

// MarshalPublicKeyPEM encodes pub as PKIX PEM.
func MarshalPublicKeyPEM(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := marshalPublicDER(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der}), nil
}

func marshalPublicDER(pub *ecdsa.PublicKey) ([]byte, error) {
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	return der, nil
}

// ParsePublicKeyPEM decodes a PKIX PEM SM2 public key and checks it is on the curve.
func ParsePublicKeyPEM(pemBytes []byte) (*ecdsa.PublicKey, error) {
	block, rest := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrBadPEM)
	}
	if len(trimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: data after the PEM block", ErrBadPEM)
	}
	if block.Type != pemPublic {
		return nil, fmt.Errorf("%w: block type %q is not %q", ErrBadPEM, block.Type, pemPublic)
	}
	return ParsePublicKeyDER(block.Bytes)
}

// ParsePublicKeyDER decodes a DER PKIX SM2 public key and checks it is on the curve.
func ParsePublicKeyDER(der []byte) (*ecdsa.PublicKey, error) {
	key, err := smx509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	pub, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: not an elliptic-curve key (%T)", ErrBadKey, key)
	}
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

func checkPublic(pub *ecdsa.PublicKey) error {
	if pub == nil || pub.X == nil || pub.Y == nil {
		return fmt.Errorf("%w: nil key", ErrBadKey)
	}
	if pub.Curve != sm2.P256() {
		return fmt.Errorf("%w: not on the SM2 curve", ErrBadKey)
	}
	if !pub.IsOnCurve(pub.X, pub.Y) {
		return fmt.Errorf("%w: point is not on the SM2 curve", ErrBadKey)
	}
	return nil
}

// KeyID returns the SM3 hex of pub's DER PKIX encoding, or "" for an invalid key.
func KeyID(pub *ecdsa.PublicKey) string {
	der, err := marshalPublicDER(pub)
	if err != nil {
		return ""
	}
	d := sm3.Sum(der)
	return hex.EncodeToString(d[:])
}

// Sign signs msg with k: SM2 over SM3(Z‖msg), Z from DefaultUID; DER encoded.
func Sign(k *sm2.PrivateKey, msg []byte) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: nil key", ErrBadKey)
	}
	return k.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, []byte(DefaultUID)))
}

// SignBase64 is Sign with the signature in standard base64.
func SignBase64(k *sm2.PrivateKey, msg []byte) (string, error) {
	sig, err := Sign(k, msg)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// ParseSignature strictly decodes a DER SM2 signature: one SEQUENCE of two positive
// minimal INTEGERs, nothing after it, each in [1, n-1].
func ParseSignature(der []byte) (r, s *big.Int, err error) {
	var inner cryptobyte.String
	in := cryptobyte.String(der)
	r, s = new(big.Int), new(big.Int)
	if !in.ReadASN1(&inner, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, nil, fmt.Errorf("%w: not a single DER SEQUENCE", ErrBadSignature)
	}
	if !inner.ReadASN1Integer(r) || !inner.ReadASN1Integer(s) || !inner.Empty() {
		return nil, nil, fmt.Errorf("%w: not two DER INTEGERs", ErrBadSignature)
	}
	one := big.NewInt(1)
	if r.Cmp(one) < 0 || r.Cmp(curveN) >= 0 || s.Cmp(one) < 0 || s.Cmp(curveN) >= 0 {
		return nil, nil, fmt.Errorf("%w: r or s out of range", ErrBadSignature)
	}
	// Re-encode to reject non-minimal encodings that cryptobyte may accept.
	if string(MarshalSignature(r, s)) != string(der) {
		return nil, nil, fmt.Errorf("%w: non-canonical DER", ErrBadSignature)
	}
	return r, s, nil
}

// MarshalSignature is the DER encoding of the SM2 signature (r, s): one
// SEQUENCE of two minimal INTEGERs, as ParseSignature reads it. It does not
// check the range of r and s (tests use it to build bad signatures too).
func MarshalSignature(r, s *big.Int) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(c *cryptobyte.Builder) {
		c.AddASN1BigInt(r)
		c.AddASN1BigInt(s)
	})
	der, _ := b.Bytes() // AddASN1BigInt encodes any *big.Int: no error to return
	return der
}

// Verify checks sigDER over msg with pub, strictly: the key on the SM2 curve,
// the signature as ParseSignature reads it, then SM2 verification over
// SM3(Z‖msg) with Z from DefaultUID. It goes through a shared Verifier, which
// precomputes a table for keys used often (see Verifier).
func Verify(pub *ecdsa.PublicKey, msg, sigDER []byte) error {
	return sharedVerifier.Verify(pub, msg, sigDER)
}

// VerifyBase64 is Verify with a standard-base64 signature.
func VerifyBase64(pub *ecdsa.PublicKey, msg []byte, sigB64 string) error {
	sig, err := base64.StdEncoding.Strict().DecodeString(sigB64)
	if err != nil {
		return fmt.Errorf("%w: signature is not valid base64: %w", ErrBadSignature, err)
	}
	return Verify(pub, msg, sig)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
