package stack_test

import (
	"testing"

	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/gateway/internal/stack"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
)

func pemOf(t *testing.T, d *stack.Dept) string {
	t.Helper()
	b, err := gm.MarshalPublicKeyPEM(&d.Key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func signWith(d *stack.Dept, rec httpapi.CertificateRecord) (string, error) {
	rec.Signature = ""
	return canon.Sign(d.Key, canon.KindCertificate, rec)
}
