package devnet

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/network/devnet/internal/ccpeer"
)

// chaincodeVersion is the version the devnet reports in chaincode actions.
const chaincodeVersion = "devnet"

// simulate runs the proposal against a snapshot of committed state.
func (n *Node) simulate(ctx context.Context, p *proposal) (*ccpeer.Result, error) {
	snap, err := n.store.Snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	ctx, cancel := context.WithTimeout(ctx, n.execTimeout)
	defer cancel()
	return n.rt.Execute(ctx, &ccpeer.Request{
		ChannelID: p.chdr.ChannelId,
		TxID:      p.chdr.TxId,
		Proposal:  p.signed,
		Input:     p.spec.GetChaincodeSpec().GetInput(),
		Snapshot:  snap,
	})
}

// failed reports whether a chaincode response is an error (status >= 400 or < 200).
func failed(r *peer.Response) bool { return r.GetStatus() < 200 || r.GetStatus() >= 400 }

// endorse builds the proposal response payload, has each chosen organisation's peer
// sign it, and assembles the transaction envelope for the client to sign.
func (n *Node) endorse(p *proposal, res *ccpeer.Result, orgs []string) (*common.Envelope, error) {
	var nsrw []*rwset.NsReadWriteSet
	if !res.RWSet.Empty() {
		b, err := proto.Marshal(res.RWSet.KVRWSet())
		if err != nil {
			return nil, err
		}
		nsrw = []*rwset.NsReadWriteSet{{Namespace: n.def.Chaincode, Rwset: b}}
	}
	results, err := proto.Marshal(&rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: nsrw})
	if err != nil {
		return nil, err
	}
	var events []byte
	if ev := res.Event; ev != nil {
		ev.ChaincodeId, ev.TxId = n.def.Chaincode, p.chdr.TxId
		if events, err = proto.Marshal(ev); err != nil {
			return nil, err
		}
	}
	ext, err := proto.Marshal(&peer.ChaincodeAction{
		Results: results, Events: events, Response: res.Response,
		ChaincodeId: &peer.ChaincodeID{Name: n.def.Chaincode, Version: chaincodeVersion},
	})
	if err != nil {
		return nil, err
	}
	prp, err := proto.Marshal(&peer.ProposalResponsePayload{
		ProposalHash: proposalHash(p.hdr.ChannelHeader, p.hdr.SignatureHeader, p.cppNoTrans),
		Extension:    ext,
	})
	if err != nil {
		return nil, err
	}
	endorsements := make([]*peer.Endorsement, 0, len(orgs))
	for _, o := range orgs {
		s := n.peers[o]
		if s == nil {
			return nil, fmt.Errorf("no peer available for organisation %s", o)
		}
		msg := append(append(make([]byte, 0, len(prp)+len(s.Serialized())), prp...), s.Serialized()...)
		sig, err := s.Sign(msg)
		if err != nil {
			return nil, err
		}
		n.ownSigs.remember(msg, sig)
		endorsements = append(endorsements, &peer.Endorsement{Endorser: s.Serialized(), Signature: sig})
	}
	cap, err := proto.Marshal(&peer.ChaincodeActionPayload{
		ChaincodeProposalPayload: p.cppNoTrans,
		Action:                   &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp, Endorsements: endorsements},
	})
	if err != nil {
		return nil, err
	}
	tx, err := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: p.hdr.SignatureHeader, Payload: cap}}})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&common.Payload{Header: p.hdr, Data: tx})
	if err != nil {
		return nil, err
	}
	return &common.Envelope{Payload: payload}, nil
}

// sigCache remembers the endorsement signatures this node made, so that commit-time
// validation of an unaltered endorsement compares bytes instead of verifying ECDSA
// again. Anything not found here is verified in full.
type sigCache struct {
	m sync.Map
	n atomic.Int64
}

func (c *sigCache) remember(msg, sig []byte) {
	if c.n.Add(1) > 200000 {
		c.m.Clear()
		c.n.Store(0)
	}
	c.m.Store(sha256.Sum256(msg), sig)
}

// known reports whether sig is a signature this node made over msg, and forgets it.
func (c *sigCache) known(msg, sig []byte) bool {
	k := sha256.Sum256(msg)
	v, ok := c.m.LoadAndDelete(k)
	if !ok {
		return false
	}
	c.n.Add(-1)
	return string(v.([]byte)) == string(sig)
}
