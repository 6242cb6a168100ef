package ledgertest

import (
	"encoding/json"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
)

// GovMSP is the governance MSP ID InitRegistry uses.
const GovMSP = "GovMSP"

// Gov is the governance organisation's transaction identity.
var Gov = Tx{MSP: GovMSP}

// Signer is a department's SM2 key pair for tests.
type Signer struct {
	Key       *sm2.PrivateKey
	KeyID     string
	PublicPEM string
}

// NewSigner generates an SM2 key pair.
func NewSigner(t testing.TB) Signer {
	t.Helper()
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := gm.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return Signer{Key: k, KeyID: gm.KeyID(&k.PublicKey), PublicPEM: string(pemBytes)}
}

// Sign returns the base64 SM2 signature of record's canonical payload of kind.
func (s Signer) Sign(t testing.TB, kind canon.Kind, record any) string {
	t.Helper()
	sig, err := canon.Sign(s.Key, kind, record)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// InitRegistry initialises the registry contract with GovMSP as governance.
// The chaincode must contain the "registry" contract.
func (l *Ledger) InitRegistry() {
	l.t.Helper()
	l.MustSubmit(Gov, "registry:Init", GovMSP)
}

// RegisterDepartment registers department id with MSP msp (parent "", no
// categories) and the public keys of signers, submitted by GovMSP.
func (l *Ledger) RegisterDepartment(id, msp string, signers ...Signer) {
	l.t.Helper()
	l.RegisterDepartmentWith(map[string]any{"id": id, "name": "Department " + id, "mspId": msp, "parent": "", "categories": []string{}}, signers...)
}

// RegisterDepartmentWith registers a department from fields (id, name, mspId,
// parent, categories) plus the public keys of signers, submitted by GovMSP.
func (l *Ledger) RegisterDepartmentWith(fields map[string]any, signers ...Signer) {
	l.t.Helper()
	keys := []string{}
	for _, s := range signers {
		keys = append(keys, s.PublicPEM)
	}
	in := map[string]any{"parent": "", "categories": []string{}}
	for k, v := range fields {
		in[k] = v
	}
	in["publicKeys"] = keys
	b, err := json.Marshal(in)
	if err != nil {
		l.t.Fatal(err)
	}
	l.MustSubmit(Gov, "registry:RegisterDepartment", string(b))
}
