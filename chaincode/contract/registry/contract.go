// Package registry is the "registry" contract: the governance organisation
// registers departments, their Fabric MSP and their SM2 keys; keys are added,
// rotated and revoked. It also exports the lookups other contracts use
// (GetDepartment, DepartmentByMSP, RequireSubmitterOf, KeyAt, VerifySignature).
// The rules live in chaincode/domain/registry.
package registry

import (
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/registry"
)

// Name is the contract name ("registry:Function").
const Name = "registry"

// Event names.
const (
	EventInitialized          = "RegistryInitialized"
	EventDepartmentRegistered = "DepartmentRegistered"
	EventKeyAdded             = "KeyAdded"
	EventKeyRotated           = "KeyRotated"
	EventKeyRevoked           = "KeyRevoked"
)

// Contract is the registry contract. Every transaction takes string arguments
// and returns JSON.
type Contract struct {
	contractapi.Contract
}

// New returns the registry contract.
func New() *Contract {
	return &Contract{Contract: state.Contract(Name, "certledger department registry")}
}

// GetEvaluateTransactions marks the read-only functions for the metadata.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"GetDepartment", "ListDepartments", "GetKey", "GetGovernance"}
}

// Init fixes the governance MSP once; the submitter must belong to it.
// Later calls fail with CONFLICT. Event RegistryInitialized {"mspId"}.
func (c *Contract) Init(ctx contractapi.TransactionContextInterface, governanceMspID string) (string, error) {
	if _, err := state.BeginWrite(ctx); err != nil {
		return "", err
	}
	if err := registry.CheckMSPID("governanceMspId", governanceMspID); err != nil {
		return "", err
	}
	msp, err := state.SubmitterMSP(ctx)
	if err != nil {
		return "", err
	}
	if msp != governanceMspID {
		return "", codes.New(codes.Forbidden, "the registry must be initialised by the governance organisation %s itself; submitter is %s", governanceMspID, msp)
	}
	key, err := state.Key(ctx, objGovernance)
	if err != nil {
		return "", err
	}
	var g Governance
	found, err := state.GetJSON(ctx, key, &g)
	if err != nil {
		return "", err
	}
	if found {
		return "", codes.New(codes.Conflict, "registry is already initialised with governance MSP %s", g.MSPID)
	}
	g = Governance{MSPID: governanceMspID}
	if err := state.PutJSON(ctx, key, g); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventInitialized, g)
}

// RegisterDepartment registers a department (governance only). Input: the JSON
// {"id","name","code","mspId","parent","categories":[..],"publicKeys":[PEM..]}
// (code: the unified social credit code, optional, unique).
// Event DepartmentRegistered with the Department.
func (c *Contract) RegisterDepartment(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	if err := RequireGovernance(ctx); err != nil {
		return "", err
	}
	var r registry.Registration
	if err := state.Decode("department", input, &r); err != nil {
		return "", err
	}
	d, err := registry.NewDepartment(r, at, state.TxID(ctx))
	if err != nil {
		return "", err
	}
	if _, err := state.NewKey(ctx, codes.New(codes.Conflict, "department %s is already registered", d.ID), objDepartment, d.ID); err != nil {
		return "", err
	}
	if d.Parent != "" {
		if _, err := GetDepartment(ctx, d.Parent); err != nil {
			return "", err
		}
	}
	for _, k := range d.Keys {
		if err := checkKeyFree(ctx, k.KeyID); err != nil {
			return "", err
		}
	}
	if d.Code != "" {
		if err := claimCode(ctx, d.Code, d.ID); err != nil {
			return "", err
		}
	}
	if err := putDepartment(ctx, &d); err != nil {
		return "", err
	}
	if err := state.AddIndex(ctx, objByMSP, d.MSPID, d.ID); err != nil {
		return "", err
	}
	for _, k := range d.Keys {
		if err := putKeyOwner(ctx, k.KeyID, d.ID); err != nil {
			return "", err
		}
	}
	return state.Respond(ctx, EventDepartmentRegistered, d)
}

// AddKey adds an SM2 public key (PKIX PEM) to a department, valid from the
// transaction time (governance only). Event KeyAdded with the Department.
func (c *Contract) AddKey(ctx contractapi.TransactionContextInterface, deptID, publicKeyPEM string) (string, error) {
	return installKey(ctx, deptID, publicKeyPEM, EventKeyAdded, func(d *registry.Department, k registry.Key, at time.Time, txID string) error {
		return d.AddKey(k, at, txID)
	})
}

// RotateKey replaces key oldKeyID of a department by a new key (governance
// only): the old key's rotatedAt and the new key's validFrom are the
// transaction time, so what the old key signed before stays valid.
// Event KeyRotated with the Department.
func (c *Contract) RotateKey(ctx contractapi.TransactionContextInterface, deptID, oldKeyID, newPublicKeyPEM string) (string, error) {
	return installKey(ctx, deptID, newPublicKeyPEM, EventKeyRotated, func(d *registry.Department, k registry.Key, at time.Time, txID string) error {
		return d.RotateKey(oldKeyID, k, at, txID)
	})
}

// installKey gives department deptID a new key (governance only): change adds it to
// the department, which is written with the key's owner entry; event announces it.
func installKey(ctx state.Context, deptID, publicKeyPEM, event string, change func(d *registry.Department, k registry.Key, at time.Time, txID string) error) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	if err := RequireGovernance(ctx); err != nil {
		return "", err
	}
	d, err := GetDepartment(ctx, deptID)
	if err != nil {
		return "", err
	}
	k, err := registry.NewKey(publicKeyPEM, at)
	if err != nil {
		return "", err
	}
	if err := checkKeyFree(ctx, k.KeyID); err != nil {
		return "", err
	}
	if err := change(&d, k, at, state.TxID(ctx)); err != nil {
		return "", err
	}
	if err := putDepartment(ctx, &d); err != nil {
		return "", err
	}
	if err := putKeyOwner(ctx, k.KeyID, d.ID); err != nil {
		return "", err
	}
	return state.Respond(ctx, event, d)
}

// RevokeKey revokes a key of a department (governance or the department's own
// MSP). effectiveAt "" means the transaction time; only reason "compromised" may
// date back. Event KeyRevoked with the Department.
func (c *Contract) RevokeKey(ctx contractapi.TransactionContextInterface, deptID, keyID, reason, effectiveAt string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	d, err := GetDepartment(ctx, deptID)
	if err != nil {
		return "", err
	}
	msp, err := state.SubmitterMSP(ctx)
	if err != nil {
		return "", err
	}
	if msp != d.MSPID {
		if err := RequireGovernance(ctx); err != nil {
			return "", codes.New(codes.Forbidden, "only the governance organisation or department %s itself may revoke its keys; submitter is %s", d.ID, msp)
		}
	}
	effective := at
	if effectiveAt != "" {
		if effective, err = state.ParseTime("effectiveAt", effectiveAt); err != nil {
			return "", err
		}
	}
	if err := d.RevokeKey(keyID, reason, effective, at, state.TxID(ctx)); err != nil {
		return "", err
	}
	if err := putDepartment(ctx, &d); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventKeyRevoked, d)
}

// GetDepartment returns the Department JSON (NOT_FOUND when unknown).
func (c *Contract) GetDepartment(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return state.Reply(GetDepartment(ctx, id))
}

// ListDepartments returns every Department, ordered by id.
func (c *Contract) ListDepartments(ctx contractapi.TransactionContextInterface) (string, error) {
	entries, err := state.Scan(ctx, objDepartment)
	if err != nil {
		return "", err
	}
	out := make([]registry.Department, 0, len(entries))
	for _, e := range entries {
		var d registry.Department
		if err := jsonUnmarshal(e.Value, &d); err != nil {
			return "", err
		}
		out = append(out, d)
	}
	return state.JSON(out)
}

// GetKey returns {"departmentId", ...Key} for a key id (NOT_FOUND when unknown).
func (c *Contract) GetKey(ctx contractapi.TransactionContextInterface, keyID string) (string, error) {
	dept, key, err := LookupKey(ctx, keyID)
	if err != nil {
		return "", err
	}
	return state.JSON(KeyRecord{DepartmentID: dept, Key: key})
}

// GetGovernance returns {"mspId"} (NOT_FOUND before Init).
func (c *Contract) GetGovernance(ctx contractapi.TransactionContextInterface) (string, error) {
	msp, err := GovernanceMSP(ctx)
	if err != nil {
		return "", err
	}
	return state.JSON(Governance{MSPID: msp})
}
