package devnet

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/network/devnet/internal/blockstore"
	"github.com/certledger/certledger/network/devnet/internal/msp"
)

// proposal is an unpacked signed proposal.
type proposal struct {
	signed     *peer.SignedProposal
	prop       *peer.Proposal
	hdr        *common.Header
	chdr       *common.ChannelHeader
	shdr       *common.SignatureHeader
	cpp        *peer.ChaincodeProposalPayload
	spec       *peer.ChaincodeInvocationSpec
	chaincode  string
	creator    *msp.Identity
	cppNoTrans []byte // the proposal payload without transient data, as it goes in the transaction
	extCC      string // the chaincode named in the header extension ("" if none)
}

// unpackProposal parses a signed proposal (no checks beyond structure).
func unpackProposal(sp *peer.SignedProposal) (*proposal, error) {
	if len(sp.GetProposalBytes()) == 0 {
		return nil, errors.New("the proposed transaction must contain a signed proposal")
	}
	p := &proposal{signed: sp, prop: &peer.Proposal{}, hdr: &common.Header{}, chdr: &common.ChannelHeader{},
		shdr: &common.SignatureHeader{}, cpp: &peer.ChaincodeProposalPayload{}, spec: &peer.ChaincodeInvocationSpec{}}
	if err := proto.Unmarshal(sp.ProposalBytes, p.prop); err != nil {
		return nil, fmt.Errorf("error unmarshalling Proposal: %w", err)
	}
	if err := proto.Unmarshal(p.prop.Header, p.hdr); err != nil {
		return nil, fmt.Errorf("error unmarshalling Header: %w", err)
	}
	if err := proto.Unmarshal(p.hdr.ChannelHeader, p.chdr); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChannelHeader: %w", err)
	}
	if err := proto.Unmarshal(p.hdr.SignatureHeader, p.shdr); err != nil {
		return nil, fmt.Errorf("error unmarshalling SignatureHeader: %w", err)
	}
	if err := proto.Unmarshal(p.prop.Payload, p.cpp); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeProposalPayload: %w", err)
	}
	if err := proto.Unmarshal(p.cpp.Input, p.spec); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeInvocationSpec: %w", err)
	}
	var ext peer.ChaincodeHeaderExtension
	if err := proto.Unmarshal(p.chdr.Extension, &ext); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeHeaderExtension: %w", err)
	}
	p.chaincode = p.spec.GetChaincodeSpec().GetChaincodeId().GetName()
	if p.chaincode == "" {
		return nil, errors.New("chaincode name is missing from the proposal")
	}
	p.extCC = ext.GetChaincodeId().GetName()
	if p.extCC != "" && p.extCC != p.chaincode {
		return nil, fmt.Errorf("chaincode %q in the header does not match %q in the payload", p.extCC, p.chaincode)
	}
	var err error
	p.cppNoTrans, err = proto.Marshal(&peer.ChaincodeProposalPayload{Input: p.cpp.Input})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// computeTxID is Fabric's transaction id: hex(SHA-256(nonce ‖ creator)).
func computeTxID(nonce, creator []byte) string {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	return hex.EncodeToString(h.Sum(nil))
}

// proposalHash is the hash endorsements commit to: SHA-256 of channel header,
// signature header and the proposal payload without transient data.
func proposalHash(chdr, shdr, cppNoTransient []byte) []byte {
	h := sha256.New()
	h.Write(chdr)
	h.Write(shdr)
	h.Write(cppNoTransient)
	return h.Sum(nil)
}

// checkProposal applies the peer's checks (Fabric's endorser preProcess): header
// type, creator from a known CA, its signature, the tx id, no duplicate.
func (n *Node) checkProposal(p *proposal) error {
	ch := p.chdr.ChannelId
	if common.HeaderType(p.chdr.Type) != common.HeaderType_ENDORSER_TRANSACTION {
		return fmt.Errorf("invalid header type %s", common.HeaderType(p.chdr.Type))
	}
	if len(p.shdr.Nonce) == 0 {
		return errors.New("invalid signature header: nonce is empty")
	}
	if len(p.shdr.Creator) == 0 {
		return errors.New("invalid signature header: creator is empty")
	}
	id, err := n.mgr.Deserialize(p.shdr.Creator)
	if err != nil {
		if errors.Is(err, msp.ErrMalformed) {
			return fmt.Errorf("access denied: channel [%s] creator org unknown, creator is malformed", ch)
		}
		return fmt.Errorf("access denied: channel [%s] creator org [%s]: %w", ch, msp.MSPIDOf(p.shdr.Creator), err)
	}
	if err := id.Verify(p.signed.ProposalBytes, p.signed.Signature); err != nil {
		return fmt.Errorf("access denied: channel [%s] creator org [%s]: the creator's signature over the proposal is not valid: %w", ch, id.MSPID, err)
	}
	p.creator = id
	if want := computeTxID(p.shdr.Nonce, p.shdr.Creator); want != p.chdr.TxId {
		return fmt.Errorf("invalid txid. got [%s], expected [%s]", p.chdr.TxId, want)
	}
	if _, _, err := n.store.TxStatus(p.chdr.TxId); err == nil {
		return fmt.Errorf("duplicate transaction found [%s]. Creator [%x]", p.chdr.TxId, p.shdr.Creator)
	} else if !errors.Is(err, blockstore.ErrNotFound) {
		return err
	}
	return nil
}
