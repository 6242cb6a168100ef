package readmodel

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// ErrBlock is returned (wrapped) for a block that cannot be decoded.
var ErrBlock = errors.New("undecodable block")

// Tx is one valid endorser transaction of a block, reduced to what the read
// model keeps: its writes to the chaincode's namespace and its endorsements.
type Tx struct {
	ID    string
	Index int // position in the block
	// Writes are the transaction's writes to the chaincode's namespace, in the
	// order of the write set (Fabric sorts them by key).
	Writes []Write
	// ProposalResponse is the ChaincodeEndorsedAction's proposal response
	// payload: the bytes every endorsement signs (with the endorser appended).
	ProposalResponse []byte
	// Endorsements are the endorsers' serialized identities and signatures.
	Endorsements []Endorsement
	// ProposalPayload is the transaction's ChaincodeProposalPayload and header
	// its common.Header: with the above, a receipt's anchor (receipt.Anchor).
	ProposalPayload []byte
	header          *common.Header
}

// Write is one key written by a transaction.
type Write struct {
	Key      string
	Value    []byte
	IsDelete bool
}

// Endorsement is one endorser's identity (a serialized msp.SerializedIdentity)
// and signature over ProposalResponse ‖ Endorser.
type Endorsement struct {
	Endorser  []byte `json:"endorser"`
	Signature []byte `json:"signature"`
}

// decodeBlock returns the valid endorser transactions of blk (by the block's
// TRANSACTIONS_FILTER) that wrote to namespace ns. Configuration transactions,
// invalid transactions and transactions of other chaincodes are skipped; a
// block whose filter is missing or shorter than its data is an error (a peer
// always sets it on delivered blocks).
func decodeBlock(blk *common.Block, ns string) ([]Tx, error) {
	data := blk.GetData().GetData()
	md := blk.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		return nil, fmt.Errorf("%w %d: no transactions filter", ErrBlock, blk.GetHeader().GetNumber())
	}
	filter := md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	if len(filter) < len(data) {
		return nil, fmt.Errorf("%w %d: filter of %d entries for %d transactions", ErrBlock, blk.GetHeader().GetNumber(), len(filter), len(data))
	}
	var out []Tx
	for i, raw := range data {
		if peer.TxValidationCode(filter[i]) != peer.TxValidationCode_VALID {
			continue
		}
		tx, ok, err := decodeTx(raw, ns)
		if err != nil {
			return nil, fmt.Errorf("%w %d tx %d: %w", ErrBlock, blk.GetHeader().GetNumber(), i, err)
		}
		if ok {
			tx.Index = i
			out = append(out, tx)
		}
	}
	return out, nil
}

// decodeTx decodes one envelope; ok is false for anything but an endorser
// transaction writing to ns.
func decodeTx(raw []byte, ns string) (tx Tx, ok bool, err error) {
	var env common.Envelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return tx, false, fmt.Errorf("envelope: %w", err)
	}
	var pl common.Payload
	if err := proto.Unmarshal(env.Payload, &pl); err != nil {
		return tx, false, fmt.Errorf("payload: %w", err)
	}
	var chdr common.ChannelHeader
	if err := proto.Unmarshal(pl.GetHeader().GetChannelHeader(), &chdr); err != nil {
		return tx, false, fmt.Errorf("channel header: %w", err)
	}
	if common.HeaderType(chdr.Type) != common.HeaderType_ENDORSER_TRANSACTION {
		return tx, false, nil
	}
	tx.ID = chdr.TxId
	var t peer.Transaction
	if err := proto.Unmarshal(pl.Data, &t); err != nil {
		return tx, false, fmt.Errorf("transaction: %w", err)
	}
	for _, action := range t.Actions {
		var cap peer.ChaincodeActionPayload
		if err := proto.Unmarshal(action.Payload, &cap); err != nil {
			return tx, false, fmt.Errorf("chaincode action payload: %w", err)
		}
		ea := cap.GetAction()
		var prp peer.ProposalResponsePayload
		if err := proto.Unmarshal(ea.GetProposalResponsePayload(), &prp); err != nil {
			return tx, false, fmt.Errorf("proposal response payload: %w", err)
		}
		var ca peer.ChaincodeAction
		if err := proto.Unmarshal(prp.Extension, &ca); err != nil {
			return tx, false, fmt.Errorf("chaincode action: %w", err)
		}
		var rws rwset.TxReadWriteSet
		if err := proto.Unmarshal(ca.Results, &rws); err != nil {
			return tx, false, fmt.Errorf("read-write set: %w", err)
		}
		wrote := false
		for _, nsrw := range rws.NsRwset {
			if nsrw.Namespace != ns {
				continue
			}
			var kv kvrwset.KVRWSet
			if err := proto.Unmarshal(nsrw.Rwset, &kv); err != nil {
				return tx, false, fmt.Errorf("namespace %s write set: %w", ns, err)
			}
			for _, w := range kv.Writes {
				tx.Writes = append(tx.Writes, Write{Key: w.Key, Value: w.Value, IsDelete: w.IsDelete})
				wrote = true
			}
		}
		if wrote && tx.ProposalResponse == nil {
			tx.ProposalResponse = ea.GetProposalResponsePayload()
			tx.ProposalPayload, tx.header = cap.ChaincodeProposalPayload, pl.Header
			for _, e := range ea.GetEndorsements() {
				tx.Endorsements = append(tx.Endorsements, Endorsement{Endorser: e.Endorser, Signature: e.Signature})
			}
		}
	}
	return tx, len(tx.Writes) > 0, nil
}

// splitKey splits a composite key "\x00type\x00attr\x00...\x00" (Fabric's
// CreateCompositeKey) into its object type and attributes; ok is false for a
// simple key.
func splitKey(k string) (objType string, attrs []string, ok bool) {
	if len(k) < 2 || k[0] != 0 || k[len(k)-1] != 0 {
		return "", nil, false
	}
	start := 1
	var parts []string
	for i := 1; i < len(k); i++ {
		if k[i] == 0 {
			parts = append(parts, k[start:i])
			start = i + 1
		}
	}
	if len(parts) == 0 {
		return "", nil, false
	}
	return parts[0], parts[1:], true
}
