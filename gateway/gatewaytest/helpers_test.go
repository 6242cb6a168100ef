package gatewaytest_test

import (
	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/loadtest/record"
)

func signWith(d *record.Dept, rec httpapi.CertificateRecord) (string, error) {
	rec.Signature = ""
	return canon.Sign(d.Key, canon.KindCertificate, rec)
}
