package devnet

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"

	"github.com/certledger/certledger/network/devnet/internal/blockstore"
)

// qsccName is Fabric's query system chaincode; the devnet answers the one
// function clients use to place a transaction: GetBlockByTxID(channel, txId),
// the block (common.Block bytes) that holds it, as a Fabric peer does.
const qsccName = "qscc"

// evaluateQSCC answers an evaluate of qscc (the proposal is already checked).
func (n *Node) evaluateQSCC(p *proposal) (*peer.Response, error) {
	args := p.spec.GetChaincodeSpec().GetInput().GetArgs()
	if len(args) != 3 || string(args[0]) != "GetBlockByTxID" {
		return nil, rpcError(codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, qscc: the devnet answers only GetBlockByTxID(channel, txId)")
	}
	if string(args[1]) != n.def.Channel {
		return nil, rpcError(codes.Unknown, fmt.Sprintf("evaluate call to endorser returned error: chaincode response 500, channel %s not found", args[1]))
	}
	block, _, err := n.store.TxLocation(string(args[2]))
	if errors.Is(err, blockstore.ErrNotFound) {
		return nil, rpcError(codes.Unknown, fmt.Sprintf("evaluate call to endorser returned error: chaincode response 500, Failed to get block for txID %s, error no such transaction ID [%s] in index", args[2], args[2]))
	}
	if err != nil {
		return nil, rpcError(codes.Unavailable, "reading the block index: "+err.Error())
	}
	raw, err := n.store.BlockBytes(block)
	if err != nil {
		return nil, rpcError(codes.Unavailable, "reading block: "+err.Error())
	}
	return &peer.Response{Status: 200, Payload: raw}, nil
}
