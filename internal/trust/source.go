package trust

import (
	"encoding/json"
	"fmt"

	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// ChannelInfo is what the gateway says about its channel (GET /api/v1/ledger/channel):
// the height and the time of the newest block, the organisations' CAs and the
// endorsement policy, from the channel's latest configuration block.
type ChannelInfo struct {
	Channel     string `json:"channel"`
	Chaincode   string `json:"chaincode"`
	Height      uint64 `json:"height"`
	BlockTime   string `json:"blockTime"`
	ConfigBlock uint64 `json:"configBlock"`
	Orgs        []Org  `json:"orgs"`
	Policy      Policy `json:"endorsementPolicy"`
}

// RegistryDepartment is a department as the registry returns it (GET
// /api/v1/departments; its unified social credit code is registry.Department's),
// with the English name a registry may carry.
type RegistryDepartment struct {
	registry.Department
	NameEn string `json:"nameEn,omitempty"`
}

// DecodeDepartments decodes the registry's department list.
func DecodeDepartments(raw []byte) ([]RegistryDepartment, error) {
	var ds []RegistryDepartment
	if err := json.Unmarshal(raw, &ds); err != nil {
		return nil, fmt.Errorf("decoding departments: %w", err)
	}
	return ds, nil
}

// SourceFrom assembles a bundle source from the channel description and the
// registry, read in that order (so the bundle's height is a lower bound).
func SourceFrom(ci *ChannelInfo, depts []RegistryDepartment, governance string, gateways []GatewayKey) Source {
	src := Source{
		Channel: ci.Channel, Chaincode: ci.Chaincode, Height: ci.Height,
		NamesEn:              map[string]string{},
		GovernanceDepartment: governance, Orgs: ci.Orgs, Policy: ci.Policy, Gateways: gateways,
	}
	src.BlockTime, _ = wire.ParseTime(ci.BlockTime)
	for _, d := range depts {
		src.Departments = append(src.Departments, d.Department)
		if d.NameEn != "" {
			src.NamesEn[d.ID] = d.NameEn
		}
	}
	return src
}
