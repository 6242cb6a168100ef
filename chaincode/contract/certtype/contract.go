// Package certtype is the "certtype" contract: the certificate type catalogue
// (证照类型目录). The governance organisation registers types and grants or
// withdraws departments' right to issue them; anyone reads the catalogue. The
// certificate contract consults it (Lookup, InForce) before it issues. The rules
// live in internal/domain/certtype.
package certtype

import (
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Name is the contract name ("certtype:Function").
const Name = "certtype"

// Event names.
const (
	EventRegistered    = "CertTypeRegistered"
	EventIssuerGranted = "CertTypeIssuerGranted"
	EventIssuerRevoked = "CertTypeIssuerRevoked"
)

// World-state object types (composite keys).
const (
	objType    = "certtype.type"    // [code] -> certtype.Type
	objInForce = "certtype.inforce" // [] -> InForceRecord, written with the first type
)

// InForceRecord says since when the catalogue governs issuing on this ledger.
type InForceRecord struct {
	Since string `json:"since"`
	TxID  string `json:"txId"`
}

// Contract is the certtype contract. Every transaction takes string arguments
// and returns JSON.
type Contract struct {
	contractapi.Contract
}

// New returns the certtype contract.
func New() *Contract {
	return &Contract{Contract: state.Contract(Name, "certledger certificate type catalogue")}
}

// GetEvaluateTransactions marks the read-only functions for the metadata.
func (c *Contract) GetEvaluateTransactions() []string { return []string{"Get", "List"} }

// Register adds a certificate type to the catalogue (governance only). Input:
// {"code","name","nameEn","definingBody","holderCodeType","defaultValidity","issuers":[dept..]}.
// The code must be new (CONFLICT) and every issuer a registered department
// (NOT_FOUND). The first type puts the catalogue in force: from then on issue
// refuses v1 records. Event CertTypeRegistered with the Type.
func (c *Contract) Register(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	if err := registry.RequireGovernance(ctx); err != nil {
		return "", err
	}
	var r certtype.Registration
	if err := state.Decode("certificate type", input, &r); err != nil {
		return "", err
	}
	t, err := certtype.New(r, at, state.TxID(ctx))
	if err != nil {
		return "", err
	}
	k, err := state.NewKey(ctx, codes.Wrap(codes.ErrConflict, "certificate type %s is already in the catalogue", t.Code), objType, t.Code)
	if err != nil {
		return "", err
	}
	for _, d := range t.Issuers {
		if _, err := registry.GetDepartment(ctx, d); err != nil {
			return "", err
		}
	}
	if err := state.PutJSON(ctx, k, t); err != nil {
		return "", err
	}
	if err := putInForce(ctx, at); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventRegistered, t)
}

// Grant lets a registered department issue a type (governance only; CONFLICT
// when it already may). Event CertTypeIssuerGranted with the Type.
func (c *Contract) Grant(ctx contractapi.TransactionContextInterface, code, deptID string) (string, error) {
	return change(ctx, code, deptID, EventIssuerGranted, true)
}

// Revoke withdraws a department's right to issue a type (governance only;
// NOT_FOUND when it had none). What it issued before stays as it is.
// Event CertTypeIssuerRevoked with the Type.
func (c *Contract) Revoke(ctx contractapi.TransactionContextInterface, code, deptID string) (string, error) {
	return change(ctx, code, deptID, EventIssuerRevoked, false)
}

// Get returns the Type JSON (NOT_FOUND when it is not in the catalogue).
func (c *Contract) Get(ctx contractapi.TransactionContextInterface, code string) (string, error) {
	return state.Reply(get(ctx, code))
}

// List returns every Type, ordered by code ([] when the catalogue is empty).
func (c *Contract) List(ctx contractapi.TransactionContextInterface) (string, error) {
	entries, err := state.Scan(ctx, objType)
	if err != nil {
		return "", err
	}
	out := make([]certtype.Type, 0, len(entries))
	for _, e := range entries {
		var t certtype.Type
		if err := decodeStored(e.Value, &t); err != nil {
			return "", err
		}
		out = append(out, t)
	}
	return state.JSON(out)
}

// Lookup returns the catalogue's type code, or nil when it is not there.
func Lookup(ctx state.Context, code string) (*certtype.Type, error) {
	if err := identifier.CheckTypeCode(code); err != nil {
		return nil, nil // a code that cannot be in the catalogue is simply not there
	}
	k, err := state.Key(ctx, objType, code)
	if err != nil {
		return nil, err
	}
	var t certtype.Type
	found, err := state.GetJSON(ctx, k, &t)
	if err != nil || !found {
		return nil, err
	}
	return &t, nil
}

// InForce reports whether any type was ever registered: then the catalogue
// governs issuing and v1 records (free-form types) are refused.
func InForce(ctx state.Context) (bool, error) {
	k, err := state.Key(ctx, objInForce)
	if err != nil {
		return false, err
	}
	return state.Exists(ctx, k)
}

func get(ctx state.Context, code string) (certtype.Type, error) {
	if err := identifier.CheckTypeCode(code); err != nil {
		return certtype.Type{}, err
	}
	t, err := Lookup(ctx, code)
	if err != nil {
		return certtype.Type{}, err
	}
	if t == nil {
		return certtype.Type{}, codes.Wrap(codes.ErrNotFound, "certificate type %s", code)
	}
	return *t, nil
}

func change(ctx state.Context, code, deptID, event string, grant bool) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	if err := registry.RequireGovernance(ctx); err != nil {
		return "", err
	}
	t, err := get(ctx, code)
	if err != nil {
		return "", err
	}
	if grant {
		if _, err := registry.GetDepartment(ctx, deptID); err != nil {
			return "", err
		}
		err = t.Grant(deptID, at, state.TxID(ctx))
	} else {
		err = t.Revoke(deptID, at, state.TxID(ctx))
	}
	if err != nil {
		return "", err
	}
	k, err := state.Key(ctx, objType, t.Code)
	if err != nil {
		return "", err
	}
	if err := state.PutJSON(ctx, k, t); err != nil {
		return "", err
	}
	return state.Respond(ctx, event, t)
}

func putInForce(ctx state.Context, at time.Time) error {
	k, err := state.Key(ctx, objInForce)
	if err != nil {
		return err
	}
	found, err := state.Exists(ctx, k)
	if err != nil || found {
		return err
	}
	return state.PutJSON(ctx, k, InForceRecord{Since: wire.FormatTime(at), TxID: state.TxID(ctx)})
}
