// Package qr makes the verify link of a certificate and its QR code. The link carries
// only the certificate id and the document hash: no personal data.
package qr

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Size is the side of the PNG in pixels.
const Size = 320

// Level is the error-correction level used for every code.
const Level = qrcode.Medium

// VerifyURL returns <base>/verify?id=ID&hash=HASH.
func VerifyURL(base, id, docHash string) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("bad verify base URL %q", base)
	}
	u.Path += "/verify"
	u.RawQuery = url.Values{"id": {id}, "hash": {docHash}}.Encode()
	u.Fragment = ""
	return u.String(), nil
}

// PNG encodes content as a QR code PNG.
func PNG(content string) ([]byte, error) {
	return qrcode.Encode(content, Level, Size)
}

// WritePNG writes the QR code of content to path.
func WritePNG(path, content string) error {
	b, err := PNG(content)
	if err != nil {
		return fmt.Errorf("encoding QR code: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}
