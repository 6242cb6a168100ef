package ledgertest

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

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

// Market, Police and Citizen are the transaction identities of the two
// departments TwoDepartments registers and of an organisation with none.
var (
	Market  = Tx{MSP: "MarketMSP"}
	Police  = Tx{MSP: "PoliceMSP"}
	Citizen = Tx{MSP: "CitizenMSP"}
)

// TwoDepartments starts a ledger running contracts (the registry among them),
// initialises the registry and registers department "market" (MarketMSP) and
// department "police" (PoliceMSP), named "Department <id>", each with a new
// signer; the fields of market and police add to or override those of their
// registrations (name, code, categories...).
func TwoDepartments(t testing.TB, market, police map[string]any, contracts ...contractapi.ContractInterface) (l *Ledger, marketKey, policeKey Signer) {
	t.Helper()
	cc, err := contractapi.NewChaincode(contracts...)
	if err != nil {
		t.Fatal(err)
	}
	l, marketKey, policeKey = New(t, cc), NewSigner(t), NewSigner(t)
	l.InitRegistry()
	for _, d := range []struct {
		id, msp string
		fields  map[string]any
		key     Signer
	}{{"market", Market.MSP, market, marketKey}, {"police", Police.MSP, police, policeKey}} {
		in := map[string]any{"id": d.id, "name": "Department " + d.id, "mspId": d.msp}
		maps.Copy(in, d.fields)
		l.RegisterDepartmentWith(in, d.key)
	}
	return l, marketKey, policeKey
}
