package registry

import (
	"encoding/json"
	"time"

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
	owner, found, err := getOwner(ctx, objKey, keyID)
	if err != nil {
		return err
	}
	if found {
		return codes.New(codes.Conflict, "key %s is already registered to department %s", keyID, owner.DepartmentID)
	}
	return nil
}

// getOwner reads the index entry [obj, id] -> KeyOwner (objKey: key ids,
// objByCode: unified social credit codes); found is false when there is none.
func getOwner(ctx state.Context, obj, id string) (owner KeyOwner, found bool, err error) {
	k, err := state.Key(ctx, obj, id)
	if err != nil {
		return KeyOwner{}, false, err
	}
	found, err = state.GetJSON(ctx, k, &owner)
	return owner, found, err
}

// putOwner writes the index entry [obj, id] -> department deptID.
func putOwner(ctx state.Context, obj, id, deptID string) error {
	k, err := state.Key(ctx, obj, id)
	if err != nil {
		return err
	}
	return state.PutJSON(ctx, k, KeyOwner{DepartmentID: deptID})
}

// beginGoverned starts a write that only governance may make and returns the
// transaction time.
func beginGoverned(ctx state.Context) (time.Time, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if err := RequireGovernance(ctx); err != nil {
		return time.Time{}, err
	}
	return at, nil
}

// governedDepartment starts a governance-only write on department deptID and
// returns it with the transaction time.
func governedDepartment(ctx state.Context, deptID string) (registry.Department, time.Time, error) {
	at, err := beginGoverned(ctx)
	if err != nil {
		return registry.Department{}, time.Time{}, err
	}
	d, err := GetDepartment(ctx, deptID)
	return d, at, err
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return codes.New(codes.Internal, "decoding stored %T: %v", v, err)
	}
	return nil
}
