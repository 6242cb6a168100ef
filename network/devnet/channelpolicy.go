package devnet

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// EndorsementPolicyOf returns the endorsement policy a devnet channel's
// configuration fixes, parsed as the devnet enforces it. ok is false when cg is
// not the configuration of a devnet channel (a Fabric channel states its policy
// in Application/Policies/Endorsement instead).
func EndorsementPolicyOf(cg *common.ConfigGroup) (p *Policy, ok bool, err error) {
	v := cg.GetValues()[devnetValueKey]
	if v == nil {
		return nil, false, nil
	}
	var def channelDef
	if err := json.Unmarshal(v.GetValue(), &def); err != nil {
		return nil, true, fmt.Errorf("devnet channel definition: %w", err)
	}
	p, err = ParsePolicy(def.EndorsementPolicy, mspIDs(def.Orgs))
	return p, true, err
}
