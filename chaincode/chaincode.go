// Package chaincode assembles the certledger chaincode: every contract in one
// contractapi.ContractChaincode, served by cmd/certledger-chaincode (CCaaS) and
// run in-process by the devnet.
package chaincode

import (
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/batch"
	"github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/chaincode/contract/certtype"
	"github.com/certledger/certledger/chaincode/contract/exchange"
	"github.com/certledger/certledger/chaincode/contract/lineage"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/contract/workorder"
)

// New returns the certledger chaincode with all its contracts: registry,
// certificate, batch, certtype, exchange, workorder and lineage. Functions are
// called as "contract:Function"; calls without a contract name go to the
// registry. Arguments and results go through Serializer.
func New() (*contractapi.ContractChaincode, error) {
	contracts := []contractapi.ContractInterface{
		registry.New(),
		certificate.New(),
		batch.New(),
		certtype.New(),
		exchange.New(),
		workorder.New(),
		lineage.New(),
	}
	cc, err := contractapi.NewChaincode(contracts...)
	if err != nil {
		return nil, fmt.Errorf("assembling chaincode: %w", err)
	}
	cc.DefaultContract = registry.Name
	cc.TransactionSerializer = &Serializer{}
	return cc, nil
}
