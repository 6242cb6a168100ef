package certificate_test

import (
	"fmt"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/gm"
)

// Evaluate checks a certificate offline, as the CLI does with a receipt: the
// file's hash, the record and the issuer's key come from the receipt and the
// trust bundle; without the ledger the status step is skipped.
func ExampleEvaluate() {
	issued := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	sk, _ := gm.GenerateKey()
	pemBytes, _ := gm.MarshalPublicKeyPEM(&sk.PublicKey)
	key, _ := registry.NewKey(string(pemBytes), issued.Add(-time.Hour))

	file := []byte("business licence No. 1")
	rec := certificate.Record{Fields: certificate.Fields{
		ID: "c-1", DocHash: gm.SM3Hex(file), Type: "business-licence", Issuer: "market",
		HolderCommitment: gm.Commitment([]byte("0123456789abcdef"), "holder id"),
		ValidFrom:        "2026-01-01T00:00:00Z", KeyID: key.KeyID,
	}}
	rec.Signature, _ = canon.Sign(sk, canon.KindCertificate, rec)
	cert, _ := certificate.New(rec, issued, "tx-1")

	res := certificate.Evaluate(certificate.Input{
		Query:       certificate.Query{ID: cert.ID},
		FileHash:    gm.SM3Hex(file),
		Certificate: &cert,
		IssuerKey:   &key,
		KeyOwner:    "market",
		Offline:     true,
		Now:         issued.Add(24 * time.Hour),
	})
	fmt.Println(res.Verdict)
	for _, s := range res.Steps {
		fmt.Println(s.Step, s.Name, s.Status, s.Code)
	}
	// Output:
	// VALID
	// 1 format pass OK
	// 2 hash pass OK
	// 3 lookup pass OK
	// 4 merkle skipped NOT_BATCHED
	// 5 signature pass OK
	// 6 key pass OK
	// 7 status skipped OFFLINE
	// 8 validity pass OK
}
