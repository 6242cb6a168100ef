package exchange

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/domain/exchange"
)

// keyPolicy holds the channel's exchange policy (exchange.Policy); absent: the
// zero policy.
const keyPolicy = "exchange/cfg/policy"

// EventPolicySet is emitted with the policy written.
const EventPolicySet = "ExchangePolicySet"

// SetPolicy sets the exchange policy. Input: {"requireEnvelope","requireSealedText"}.
// Governance MSP only. Event ExchangePolicySet with the Policy.
func (c *Contract) SetPolicy(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	if _, err := state.BeginWrite(ctx); err != nil {
		return "", err
	}
	if err := registry.RequireGovernance(ctx); err != nil {
		return "", err
	}
	var p exchange.Policy
	if err := state.Decode("exchange policy", input, &p); err != nil {
		return "", err
	}
	if err := state.PutJSON(ctx, keyPolicy, p); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventPolicySet, p)
}

// GetPolicy returns the exchange policy.
func (c *Contract) GetPolicy(ctx contractapi.TransactionContextInterface) (string, error) {
	p, err := policy(ctx)
	if err != nil {
		return "", err
	}
	return state.JSON(p)
}

func policy(ctx state.Context) (exchange.Policy, error) {
	var p exchange.Policy
	_, err := state.GetJSON(ctx, keyPolicy, &p)
	return p, err
}
