package registry

import (
	"encoding/json"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/registry"
)

// putDepartment writes a version of d, naming who made it (it sets d.ActorID, so
// what the caller returns and emits is what was written).
func putDepartment(ctx state.Context, d *registry.Department) error {
	k, err := state.Key(ctx, objDepartment, d.ID)
	if err != nil {
		return err
	}
	if d.ActorID, err = state.OperatorID(ctx); err != nil {
		return err
	}
	return state.PutJSON(ctx, k, d)
}

// checkKeyFree fails with CONFLICT when keyID is registered to any department.
func checkKeyFree(ctx state.Context, keyID string) error {
	k, err := state.Key(ctx, objKey, keyID)
	if err != nil {
		return err
	}
	var owner KeyOwner
	found, err := state.GetJSON(ctx, k, &owner)
	if err != nil {
		return err
	}
	if found {
		return codes.New(codes.Conflict, "key %s is already registered to department %s", keyID, owner.DepartmentID)
	}
	return nil
}

func putKeyOwner(ctx state.Context, keyID, deptID string) error {
	k, err := state.Key(ctx, objKey, keyID)
	if err != nil {
		return err
	}
	return state.PutJSON(ctx, k, KeyOwner{DepartmentID: deptID})
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return codes.New(codes.Internal, "decoding stored %T: %v", v, err)
	}
	return nil
}
