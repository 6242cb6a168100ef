package trust

import (
	"cmp"
	"crypto/ecdsa"
	"fmt"
	"slices"
	"time"

	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// Source is what a bundle is built from: the registry as read from the ledger, the
// channel's organisations and policy, and the gateways' report keys.
type Source struct {
	Channel   string
	Chaincode string
	Height    uint64
	BlockTime time.Time
	// Departments as the registry returns them (with their unified social credit
	// codes, registry.Department.Code), and their optional English names (keyed by
	// department id; may be nil).
	Departments []registry.Department
	NamesEn     map[string]string
	// GovernanceDepartment is the registry id of the governance office ("" if none).
	GovernanceDepartment string
	Orgs                 []Org
	Policy               Policy
	Gateways             []GatewayKey
}

// Build assembles an unsigned bundle from src at time now (the bundle's issuedAt):
// departments, organisations and gateways sorted by id, every list non-nil. The
// governance key is filled in by Sign.
func Build(src Source, now time.Time) Bundle {
	b := Bundle{
		Format:      Format,
		Channel:     src.Channel,
		Chaincode:   src.Chaincode,
		Height:      src.Height,
		BlockTime:   wire.FormatTime(src.BlockTime),
		IssuedAt:    wire.FormatTime(now),
		Governance:  Governance{Department: src.GovernanceDepartment},
		Departments: make([]Department, 0, len(src.Departments)),
		Orgs:        make([]Org, 0, len(src.Orgs)),
		Policy:      Policy{Rule: src.Policy.Rule, N: src.Policy.N, MSPs: slices.Clone(src.Policy.MSPs)},
		Gateways:    make([]GatewayKey, 0, len(src.Gateways)),
	}
	for _, d := range src.Departments {
		keys := slices.Clone(d.Keys)
		if keys == nil {
			keys = []registry.Key{}
		}
		cats := slices.Clone(d.Categories)
		if cats == nil {
			cats = []string{}
		}
		b.Departments = append(b.Departments, Department{
			ID: d.ID, Name: d.Name, NameEn: src.NamesEn[d.ID], Code: d.Code,
			MSPID: d.MSPID, Parent: d.Parent, Categories: cats, Status: d.Status, Keys: keys,
		})
	}
	slices.SortFunc(b.Departments, func(x, y Department) int { return cmp.Compare(x.ID, y.ID) })
	for _, o := range src.Orgs {
		o.RootCerts = slices.Clone(o.RootCerts)
		o.IntermediateCerts = slices.Clone(o.IntermediateCerts)
		if o.IntermediateCerts == nil {
			o.IntermediateCerts = []string{}
		}
		b.Orgs = append(b.Orgs, o)
	}
	slices.SortFunc(b.Orgs, func(x, y Org) int { return cmp.Compare(x.MSPID, y.MSPID) })
	b.Gateways = append(b.Gateways, src.Gateways...)
	slices.SortFunc(b.Gateways, func(x, y GatewayKey) int { return cmp.Compare(x.ID, y.ID) })
	return b
}

// NewGatewayKey describes a gateway's report key valid from from (until "" = open).
func NewGatewayKey(id string, pub *ecdsa.PublicKey, from time.Time, until time.Time) (GatewayKey, error) {
	p, err := gm.MarshalPublicKeyPEM(pub)
	if err != nil {
		return GatewayKey{}, fmt.Errorf("gateway %s: %w", id, err)
	}
	g := GatewayKey{ID: id, KeyID: gm.KeyID(pub), PublicKey: string(p), ValidFrom: wire.FormatTime(from)}
	if !until.IsZero() {
		g.ValidUntil = wire.FormatTime(until)
	}
	return g, nil
}
