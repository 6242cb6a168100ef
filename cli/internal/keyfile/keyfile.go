// Package keyfile reads and writes the SM2 key files of the CLI: PKCS#8 PEM private
// keys (optionally password-encrypted) and PKIX PEM public keys, with one clear error
// per failure (missing file, malformed PEM, wrong password).
package keyfile

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/certledger/certledger/internal/gm"
	"github.com/emmansun/gmsm/sm2"
)

// ErrExists is returned when writing would overwrite a file without force.
var ErrExists = errors.New("file exists")

// ReadPassword reads a password file: its first line, without the line ending.
// An empty path returns nil (no password).
func ReadPassword(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading password file: %w", err)
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) == 0 {
		return nil, fmt.Errorf("password file %s is empty", path)
	}
	return b, nil
}

// LoadPrivate reads an SM2 private key; passwordFile names the password of an
// encrypted key ("" for none).
func LoadPrivate(path, passwordFile string) (*sm2.PrivateKey, error) {
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key: %w", err)
	}
	pw, err := ReadPassword(passwordFile)
	if err != nil {
		return nil, err
	}
	if isEncrypted(pemBytes) && pw == nil {
		return nil, fmt.Errorf("key %s is encrypted: give --password-file: %w", path, gm.ErrWrongPassword)
	}
	k, err := gm.ParsePrivateKeyPEM(pemBytes, pw)
	if err != nil {
		if errors.Is(err, gm.ErrWrongPassword) {
			return nil, fmt.Errorf("key %s: wrong password: %w", path, gm.ErrWrongPassword)
		}
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	return k, nil
}

// LoadPublic reads a public key from a PKIX PEM file or, failing that, from a private
// key file (decrypted with passwordFile if it is encrypted). It reports whether the
// file held a private key.
func LoadPublic(path, passwordFile string) (pub *ecdsa.PublicKey, private bool, err error) {
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("reading key: %w", err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, false, fmt.Errorf("key %s: %w: no PEM block found", path, gm.ErrBadPEM)
	}
	if block.Type == "PUBLIC KEY" {
		p, err := gm.ParsePublicKeyPEM(pemBytes)
		if err != nil {
			return nil, false, fmt.Errorf("key %s: %w", path, err)
		}
		return p, false, nil
	}
	k, err := LoadPrivate(path, passwordFile)
	if err != nil {
		return nil, false, err
	}
	return &k.PublicKey, true, nil
}

// PublicPEM returns the PKIX PEM and the key id of pub.
func PublicPEM(pub *ecdsa.PublicKey) (pemText, keyID string, err error) {
	b, err := gm.MarshalPublicKeyPEM(pub)
	if err != nil {
		return "", "", err
	}
	return string(b), gm.KeyID(pub), nil
}

func isEncrypted(pemBytes []byte) bool {
	block, _ := pem.Decode(pemBytes)
	return block != nil && block.Type == "ENCRYPTED PRIVATE KEY"
}

// WriteNew writes data to path with the given mode. Without force it refuses an
// existing file (ErrExists); with force it replaces it.
func WriteNew(path string, data []byte, mode fs.FileMode, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, mode)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w (use --force to overwrite)", path, ErrExists)
		}
		return err
	}
	if err := f.Chmod(mode); err != nil {
		_ = f.Close() // already returning the Chmod error
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close() // already returning the Write error
		return err
	}
	return f.Close()
}
