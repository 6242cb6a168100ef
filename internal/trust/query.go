package trust

import (
	"fmt"
	"time"

	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Answer codes of KeyValidAt besides registry's KeyNotYetValid, KeyRotated,
// KeyRevoked and KeyCorrupt.
const (
	KeyValid          = "KEY_VALID"
	UnknownDepartment = "UNKNOWN_DEPARTMENT"
	UnknownKey        = "UNKNOWN_KEY"
)

// KeyAnswer answers "was key K of department D valid at time T per this bundle".
type KeyAnswer struct {
	Valid bool `json:"valid"`
	// Code is KeyValid, UnknownDepartment, UnknownKey or a registry.Key* code.
	Code   string `json:"code"`
	Detail string `json:"detail"`
	// AsOfHeight and AsOfTime are the bundle's height and block time: the answer
	// knows every registry change committed before them, none after.
	AsOfHeight uint64 `json:"asOfHeight"`
	AsOfTime   string `json:"asOfTime"`
	// AfterBundle is set when T is later than the bundle's block time: a rotation
	// or revocation registered since could change the answer.
	AfterBundle bool          `json:"afterBundle"`
	Department  *Department   `json:"-"`
	Key         *registry.Key `json:"-"`
}

// KeyValidAt says whether key keyID of department deptID was valid at t according
// to b. It never answers Valid for a department or key the bundle does not list.
func (b *Bundle) KeyValidAt(deptID, keyID string, t time.Time) KeyAnswer {
	a := KeyAnswer{AsOfHeight: b.Height, AsOfTime: b.BlockTime}
	if bt, err := wire.ParseTime(b.BlockTime); err == nil && t.After(bt) {
		a.AfterBundle = true
	}
	d, ok := b.Department(deptID)
	if !ok {
		a.Code = UnknownDepartment
		a.Detail = fmt.Sprintf("department %s is not in the trust bundle (height %d)", deptID, b.Height)
		return a
	}
	a.Department = d
	for i := range d.Keys {
		if d.Keys[i].KeyID != keyID {
			continue
		}
		k := &d.Keys[i]
		a.Key = k
		code, detail := k.StateAt(t)
		if code == "" {
			a.Valid, a.Code = true, KeyValid
		} else {
			a.Code = code
		}
		a.Detail = fmt.Sprintf("%s (per the trust bundle at height %d, %s)", detail, b.Height, b.BlockTime)
		if a.AfterBundle && a.Valid {
			a.Detail += "; the time is after the bundle: a revocation registered since is not known to it"
		}
		return a
	}
	a.Code = UnknownKey
	if owner := b.keyOwner(keyID); owner != "" {
		a.Detail = fmt.Sprintf("key %s belongs to department %s, not %s (per the trust bundle at height %d)", keyID, owner, deptID, b.Height)
	} else {
		a.Detail = fmt.Sprintf("key %s is not a key of department %s in the trust bundle (height %d)", keyID, deptID, b.Height)
	}
	return a
}

func (b *Bundle) keyOwner(keyID string) string {
	for _, d := range b.Departments {
		if _, ok := d.key(keyID); ok {
			return d.ID
		}
	}
	return ""
}

func (d *Department) key(keyID string) (*registry.Key, bool) {
	for i := range d.Keys {
		if d.Keys[i].KeyID == keyID {
			return &d.Keys[i], true
		}
	}
	return nil, false
}

// GatewayKeyValidAt returns the gateway key keyID if the bundle lists it as valid at t.
func (b *Bundle) GatewayKeyValidAt(keyID string, t time.Time) (*GatewayKey, error) {
	for i := range b.Gateways {
		g := &b.Gateways[i]
		if g.KeyID != keyID {
			continue
		}
		from, _ := wire.ParseTime(g.ValidFrom)
		if t.Before(from) {
			return nil, fmt.Errorf("gateway key %s (%s) is valid only from %s", keyID, g.ID, g.ValidFrom)
		}
		if g.ValidUntil != "" {
			if until, _ := wire.ParseTime(g.ValidUntil); !t.Before(until) {
				return nil, fmt.Errorf("gateway key %s (%s) expired at %s", keyID, g.ID, g.ValidUntil)
			}
		}
		return g, nil
	}
	return nil, fmt.Errorf("gateway key %s is not in the trust bundle (height %d)", keyID, b.Height)
}
