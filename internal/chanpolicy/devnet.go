package chanpolicy

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// DevnetValueKey names the channel configuration value in which a devnet
// channel states its definition (channel, chaincode, policy, organisations).
const DevnetValueKey = "DevnetChannel"

// EndorsementPolicyOf returns the endorsement policy a devnet channel's
// configuration fixes, parsed as the devnet enforces it. ok is false when cg is
// not the configuration of a devnet channel (a Fabric channel states its policy
// in Application/Policies/Endorsement instead).
func EndorsementPolicyOf(cg *common.ConfigGroup) (p *Policy, ok bool, err error) {
	v := cg.GetValues()[DevnetValueKey]
	if v == nil {
		return nil, false, nil
	}
	var def struct {
		EndorsementPolicy string `json:"endorsementPolicy"`
		Orgs              []struct {
			MSPID string `json:"mspId"`
		} `json:"orgs"`
	}
	if err := json.Unmarshal(v.GetValue(), &def); err != nil {
		return nil, true, fmt.Errorf("devnet channel definition: %w", err)
	}
	msps := make([]string, len(def.Orgs))
	for i, o := range def.Orgs {
		msps[i] = o.MSPID
	}
	p, err = Parse(def.EndorsementPolicy, msps)
	return p, true, err
}
