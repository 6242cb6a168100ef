package fakegw

import (
	"crypto/ecdsa"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/internal/canon"
)

// verifyRecord checks a certificate record's signature over the payload of its
// version (certledger/v1/certificate or certledger/v2/certificate).
func verifyRecord(pub *ecdsa.PublicKey, rec client.CertificateRecord) error {
	kind, signed := rec.Signed()
	return canon.Verify(pub, kind, signed, rec.Signature)
}
