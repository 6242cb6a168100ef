package registry_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/codes"
)

// FuzzRegistryInputs sends arbitrary arguments to every registry transaction on
// the in-memory ledger (each run twice and compared: no nondeterminism). A
// transaction either succeeds or is refused with a stable client code (never
// INTERNAL, never a panic) and then writes nothing and emits no event.
func FuzzRegistryInputs(f *testing.F) {
	cc, err := contractapi.NewChaincode(registry.New())
	if err != nil {
		f.Fatal(err)
	}
	s1, s2 := ledgertest.NewSigner(f), ledgertest.NewSigner(f)
	dept := func(id, msp string, keys ...string) string {
		b, _ := json.Marshal(map[string]any{"id": id, "name": "Dept " + id, "mspId": msp, "parent": "", "categories": []string{"noise"}, "publicKeys": keys})
		return string(b)
	}
	f.Add(uint8(0), dept("d2", "D2MSP", s2.PublicPEM), "", "", "")
	f.Add(uint8(0), strings.Replace(dept("d2", "D2MSP", s2.PublicPEM), `"id"`, `"ID"`, 1), "", "", "")
	f.Add(uint8(0), `{"id":"d2","id":"d3"}`, "", "", "")
	f.Add(uint8(1), "d1", s2.PublicPEM, "", "")
	f.Add(uint8(2), "d1", s1.KeyID, s2.PublicPEM, "")
	f.Add(uint8(3), "d1", s1.KeyID, "compromised", "2026-11-01T00:00:00Z")
	f.Add(uint8(3), "d1", s1.KeyID, "retired", "2026-11-01T08:00:00+08:00")
	f.Add(uint8(3), "d1", s1.KeyID, "compromised", "0001-01-01T00:00:00Z")
	f.Add(uint8(4), "d1", "", "", "")
	f.Add(uint8(5), s1.KeyID, "", "", "")
	f.Add(uint8(6), "OtherMSP", "", "", "")
	f.Fuzz(func(t *testing.T, sel uint8, a, b, c, d string) {
		l := ledgertest.New(t, cc)
		l.InitRegistry()
		l.RegisterDepartmentWith(map[string]any{"id": "d1", "name": "Dept d1", "mspId": "D1MSP", "categories": []string{"noise"}}, s1)
		d1 := ledgertest.Tx{MSP: "D1MSP"}
		var r ledgertest.Result
		switch sel % 7 {
		case 0:
			r = l.Submit(ledgertest.Gov, "registry:RegisterDepartment", a)
		case 1:
			r = l.Submit(ledgertest.Gov, "registry:AddKey", a, b)
		case 2:
			r = l.Submit(ledgertest.Gov, "registry:RotateKey", a, b, c)
		case 3:
			r = l.Submit(d1, "registry:RevokeKey", a, b, c, d)
		case 4:
			r = l.Evaluate(ledgertest.Gov, "registry:GetDepartment", a)
		case 5:
			r = l.Evaluate(d1, "registry:GetKey", a)
		default:
			r = l.Submit(ledgertest.Gov, "registry:Init", a)
		}
		checkOutcome(t, r)
	})
}

// checkOutcome: success, or a refusal with a client code that wrote nothing.
func checkOutcome(t *testing.T, r ledgertest.Result) {
	t.Helper()
	if r.OK() {
		return
	}
	code, _, ok := codes.Parse(r.Message)
	if !ok || code == codes.Internal {
		t.Fatalf("refusal without a client code: %q", r.Message)
	}
	if len(r.Writes) != 0 || r.Event != nil || r.Committed {
		t.Fatalf("refused (%s) but wrote %d keys, event %v", r.Message, len(r.Writes), r.Event)
	}
}
