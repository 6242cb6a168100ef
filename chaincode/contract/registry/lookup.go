package registry

import (
	"time"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/registry"
)

// World-state object types of the registry (composite keys).
const (
	objGovernance = "registry.governance" // [] -> Governance
	objDepartment = "registry.department" // [id] -> Department
	objByMSP      = "registry.msp"        // [mspId, id] -> index
	objKey        = "registry.key"        // [keyId] -> KeyOwner
)

// Governance is the stored governance record.
type Governance struct {
	MSPID string `json:"mspId"`
}

// KeyOwner is the key index entry (and, with the key, GetKey's result).
type KeyOwner struct {
	DepartmentID string `json:"departmentId"`
}

// KeyRecord is GetKey's result: the owning department and the key.
type KeyRecord = registry.KeyRecord

// GovernanceMSP returns the governance MSP ID fixed by registry:Init
// (NOT_FOUND before Init).
func GovernanceMSP(ctx state.Context) (string, error) {
	k, err := state.Key(ctx, objGovernance)
	if err != nil {
		return "", err
	}
	var g Governance
	found, err := state.GetJSON(ctx, k, &g)
	if err != nil {
		return "", err
	}
	if !found {
		return "", codes.New(codes.NotFound, "registry is not initialised (call registry:Init)")
	}
	return g.MSPID, nil
}

// RequireGovernance fails with FORBIDDEN unless the submitter belongs to the
// governance MSP.
func RequireGovernance(ctx state.Context) error {
	gov, err := GovernanceMSP(ctx)
	if err != nil {
		return err
	}
	msp, err := state.SubmitterMSP(ctx)
	if err != nil {
		return err
	}
	if msp != gov {
		return codes.New(codes.Forbidden, "only the governance organisation (%s) may do this; submitter is %s", gov, msp)
	}
	return nil
}

// GetDepartment returns department id (NOT_FOUND when it is not registered).
func GetDepartment(ctx state.Context, id string) (registry.Department, error) {
	var d registry.Department
	if err := registry.CheckID("department id", id); err != nil {
		return d, err
	}
	k, err := state.Key(ctx, objDepartment, id)
	if err != nil {
		return d, err
	}
	found, err := state.GetJSON(ctx, k, &d)
	if err != nil {
		return d, err
	}
	if !found {
		return d, codes.New(codes.NotFound, "department %s", id)
	}
	return d, nil
}

// DepartmentsByMSP returns the departments registered with MSP ID mspID, ordered
// by id (empty when none). Several departments may share one Fabric organisation.
func DepartmentsByMSP(ctx state.Context, mspID string) ([]registry.Department, error) {
	entries, err := state.Scan(ctx, objByMSP, mspID)
	if err != nil {
		return nil, err
	}
	out := make([]registry.Department, 0, len(entries))
	for _, e := range entries {
		if len(e.Attrs) != 2 {
			continue
		}
		d, err := GetDepartment(ctx, e.Attrs[1])
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// DepartmentByMSP returns the one department whose MSP is mspID: NOT_FOUND when
// none, CONFLICT when several departments share that MSP (then the caller must
// name the department and use RequireSubmitterOf).
func DepartmentByMSP(ctx state.Context, mspID string) (registry.Department, error) {
	ds, err := DepartmentsByMSP(ctx, mspID)
	if err != nil {
		return registry.Department{}, err
	}
	switch len(ds) {
	case 0:
		return registry.Department{}, codes.New(codes.NotFound, "no department is registered with MSP %s", mspID)
	case 1:
		return ds[0], nil
	default:
		return registry.Department{}, codes.New(codes.Conflict, "%d departments share MSP %s; name the department", len(ds), mspID)
	}
}

// SubmitterDepartment returns the one department of the submitter's MSP
// (DepartmentByMSP of SubmitterMSP).
func SubmitterDepartment(ctx state.Context) (registry.Department, error) {
	msp, err := state.SubmitterMSP(ctx)
	if err != nil {
		return registry.Department{}, err
	}
	return DepartmentByMSP(ctx, msp)
}

// RequireSubmitterOf returns department deptID after checking that the submitter
// belongs to its MSP (NOT_FOUND if the department is unknown, FORBIDDEN otherwise).
func RequireSubmitterOf(ctx state.Context, deptID string) (registry.Department, error) {
	d, err := GetDepartment(ctx, deptID)
	if err != nil {
		return d, err
	}
	msp, err := state.SubmitterMSP(ctx)
	if err != nil {
		return d, err
	}
	if msp != d.MSPID {
		return d, codes.New(codes.Forbidden, "submitter MSP %s is not the MSP of department %s (%s)", msp, d.ID, d.MSPID)
	}
	return d, nil
}

// LookupKey finds key keyID in the registry and returns its department id and
// the key (NOT_FOUND when no department has it).
func LookupKey(ctx state.Context, keyID string) (string, registry.Key, error) {
	if len(keyID) != 64 {
		return "", registry.Key{}, codes.New(codes.InvalidArgument, "key id %q must be 64 hex characters", keyID)
	}
	owner, found, err := getOwner(ctx, objKey, keyID)
	if err != nil {
		return "", registry.Key{}, err
	}
	if !found {
		return "", registry.Key{}, codes.New(codes.NotFound, "key %s", keyID)
	}
	d, err := GetDepartment(ctx, owner.DepartmentID)
	if err != nil {
		return "", registry.Key{}, err
	}
	key, ok := d.Key(keyID)
	if !ok {
		return "", registry.Key{}, codes.New(codes.Internal, "key index names department %s, which lacks key %s", d.ID, keyID)
	}
	return d.ID, key, nil
}

// KeyAt returns department deptID and its key keyID after checking the key was
// valid at t: NOT_FOUND for an unknown department, FORBIDDEN when the key is not
// the department's or not valid at t (not yet valid, rotated out or revoked).
func KeyAt(ctx state.Context, deptID, keyID string, t time.Time) (registry.Department, registry.Key, error) {
	d, err := GetDepartment(ctx, deptID)
	if err != nil {
		return d, registry.Key{}, err
	}
	key, ok := d.Key(keyID)
	if !ok {
		return d, key, codes.New(codes.Forbidden, "key %s is not a key of department %s", keyID, deptID)
	}
	if err := key.ValidAt(t); err != nil {
		return d, key, err
	}
	return d, key, nil
}

// VerifySignature checks that sigB64 is an SM2 signature over the canonical
// payload of record (kind) by key keyID of department deptID, valid at t.
// Errors: those of KeyAt, BAD_SIGNATURE when the signature does not verify,
// INVALID_ARGUMENT when the record lacks a signed field.
func VerifySignature(ctx state.Context, deptID, keyID string, t time.Time, kind canon.Kind, record any, sigB64 string) (registry.Key, error) {
	_, key, err := KeyAt(ctx, deptID, keyID, t)
	if err != nil {
		return key, err
	}
	if err := registry.VerifyRecord(key, kind, record, sigB64); err != nil {
		return key, err
	}
	return key, nil
}
