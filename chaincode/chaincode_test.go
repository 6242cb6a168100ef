package chaincode_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
)

// TestNewIssueVerify runs the whole chaincode (all contracts) through the
// in-memory ledger: set up the registry, issue a certificate, verify it.
func TestNewIssueVerify(t *testing.T) {
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	l := ledgertest.New(t, cc)
	l.InitRegistry()
	s := ledgertest.NewSigner(t)
	l.RegisterDepartment("market", "MarketMSP", s)

	rec := map[string]string{
		"id": "c-1", "docHash": gm.SM3Hex([]byte("licence")), "type": "business-licence", "issuer": "market",
		"holderCommitment": gm.SM3Hex([]byte("holder")), "validFrom": "2026-01-01T00:00:00Z", "validUntil": "",
		"keyId": s.KeyID, "supersedes": "",
	}
	rec["signature"] = s.Sign(t, canon.KindCertificate, rec)
	b, _ := json.Marshal(rec)
	r := l.MustSubmit(ledgertest.Tx{MSP: "MarketMSP"}, "certificate:Issue", string(b))
	if r.Event == nil || r.Event.Name != "CertificateIssued" {
		t.Fatalf("event = %+v", r.Event)
	}
	v := l.MustEvaluate(ledgertest.Tx{}, "certificate:Verify", `{"docHash":"`+rec["docHash"]+`"}`)
	var res struct{ Verdict string }
	if err := json.Unmarshal(v.Payload, &res); err != nil || res.Verdict != "VALID" {
		t.Fatalf("verify: %s", v.Payload)
	}
	// The system contract serves the metadata, which names both contracts.
	m := l.MustEvaluate(ledgertest.Tx{}, "org.hyperledger.fabric:GetMetadata")
	for _, name := range []string{`"registry"`, `"certificate"`} {
		if !strings.Contains(string(m.Payload), name) {
			t.Errorf("metadata lacks contract %s", name)
		}
	}
}
