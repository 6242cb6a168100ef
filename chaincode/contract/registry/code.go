package registry

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/registry"
)

// EventDepartmentCodeSet announces a department's new unified social credit code.
const EventDepartmentCodeSet = "DepartmentCodeSet"

// objByCode indexes departments by unified social credit code: [code] -> KeyOwner.
const objByCode = "registry.code"

// SetCode gives a registered department its unified social credit code (GB 32100,
// check character verified; governance only). A code held by another department
// is a CONFLICT; a department that had another code gives it up. Departments
// registered before codes existed get theirs this way. Event DepartmentCodeSet
// with the Department.
func (c *Contract) SetCode(ctx contractapi.TransactionContextInterface, deptID, code string) (string, error) {
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
	old := d.Code
	if err := d.SetCode(code, at, state.TxID(ctx)); err != nil {
		return "", err
	}
	if err := claimCode(ctx, d.Code, d.ID); err != nil {
		return "", err
	}
	if old != "" {
		k, err := state.Key(ctx, objByCode, old)
		if err != nil {
			return "", err
		}
		if err := ctx.GetStub().DelState(k); err != nil {
			return "", codes.Wrap(codes.ErrInternal, "deleting code index: %v", err)
		}
	}
	if err := putDepartment(ctx, &d); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventDepartmentCodeSet, d)
}

// claimCode records that department deptID holds code (CONFLICT when another
// department holds it).
func claimCode(ctx state.Context, code, deptID string) error {
	k, err := state.Key(ctx, objByCode, code)
	if err != nil {
		return err
	}
	var owner KeyOwner
	found, err := state.GetJSON(ctx, k, &owner)
	if err != nil {
		return err
	}
	if found && owner.DepartmentID != deptID {
		return codes.Wrap(codes.ErrConflict, "unified social credit code %s is already held by department %s", code, owner.DepartmentID)
	}
	return state.PutJSON(ctx, k, KeyOwner{DepartmentID: deptID})
}

// DepartmentByCode returns the department holding unified social credit code
// code (NOT_FOUND when none).
func DepartmentByCode(ctx state.Context, code string) (registry.Department, error) {
	k, err := state.Key(ctx, objByCode, code)
	if err != nil {
		return registry.Department{}, err
	}
	var owner KeyOwner
	found, err := state.GetJSON(ctx, k, &owner)
	if err != nil {
		return registry.Department{}, err
	}
	if !found {
		return registry.Department{}, codes.Wrap(codes.ErrNotFound, "no department holds unified social credit code %s", code)
	}
	return GetDepartment(ctx, owner.DepartmentID)
}
