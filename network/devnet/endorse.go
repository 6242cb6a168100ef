package devnet

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/certledger/certledger/network/devnet/internal/blockstore"
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
	rws, sets, err := n.marshalRWSet(res)
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
	prp, err := proposalResponsePayload(proposalHash(p.hdr.ChannelHeader, p.hdr.SignatureHeader, p.cppNoTrans),
		&peer.ChaincodeAction{Events: events, Response: res.Response,
			ChaincodeId: &peer.ChaincodeID{Name: n.def.Chaincode, Version: chaincodeVersion}},
		n.def.Chaincode, rws)
	if err != nil {
		return nil, err
	}
	endorsements := make([]*peer.Endorsement, 0, len(orgs))
	endorsers := make([][]byte, 0, len(orgs))
	// Each peer signs prp ‖ its identity: prp (most of the transaction) is
	// hashed once, each signer's hash goes on from a copy of that state.
	prpHash := sha256.New()
	prpHash.Write(prp)
	for _, o := range orgs {
		s := n.peers[o]
		if s == nil {
			return nil, fmt.Errorf("no peer available for organisation %s", o)
		}
		h, err := prpHash.(hash.Cloner).Clone()
		if err != nil {
			return nil, err
		}
		h.Write(s.Serialized())
		sig, err := s.SignDigest(h.Sum(nil))
		if err != nil {
			return nil, err
		}
		endorsements = append(endorsements, &peer.Endorsement{Endorser: s.Serialized(), Signature: sig})
		endorsers = append(endorsers, s.Serialized())
	}
	payload, err := transactionPayload(p.hdr, p.cppNoTrans, prp, endorsements)
	if err != nil {
		return nil, err
	}
	code := peer.TxValidationCode_VALID
	if p.extCC != n.def.Chaincode {
		code, sets = peer.TxValidationCode_INVALID_CHAINCODE, nil
	}
	n.built.put(sha256.Sum256(payload), &builtTx{
		txID: p.chdr.TxId, ts: p.chdr.Timestamp, creator: p.shdr.Creator,
		code: code, rwsets: sets, endorsers: endorsers, event: decodeEvent(events),
	})
	return &common.Envelope{Payload: payload}, nil
}

// marshalRWSet encodes the simulation's read/write set (nil when empty) and parses
// it back for commit: what commit applies is what checkEnvelope would parse from
// these bytes.
func (n *Node) marshalRWSet(res *ccpeer.Result) ([]byte, []blockstore.NsRWSet, error) {
	if res.RWSet.Empty() {
		return nil, nil, nil
	}
	rws, err := proto.Marshal(res.RWSet.KVRWSet())
	if err != nil {
		return nil, nil, err
	}
	kv := &kvrwset.KVRWSet{}
	if err := proto.Unmarshal(rws, kv); err != nil {
		return nil, nil, err
	}
	return rws, []blockstore.NsRWSet{{Namespace: n.def.Chaincode, RW: kv}}, nil
}

// proposalResponsePayload encodes ProposalResponsePayload{hash, Extension: cca}
// with cca.Results = TxReadWriteSet{KV, [{ns, rws}]} (no namespace when rws is
// nil), byte for byte as proto.Marshal would level by level, but copying rws (the
// written values) once. cca.Results must be empty: it is encoded here.
func proposalResponsePayload(hash []byte, cca *peer.ChaincodeAction, ns string, rws []byte) ([]byte, error) {
	rest, err := proto.Marshal(cca) // events, response, chaincode id: fields 2 to 4
	if err != nil {
		return nil, err
	}
	// TxReadWriteSet: data_model (1) is KV, the zero value, so proto3 leaves it out.
	var results []lenField
	if rws != nil {
		results = []lenField{{num: 2, msg: true, sub: []lenField{{num: 1, raw: []byte(ns)}, {num: 2, raw: rws}}}}
	}
	ext := []lenField{{num: 1, sub: results}, {raw: rest, verbatim: true}}
	return encodeFields(lenField{num: 1, raw: hash}, lenField{num: 2, sub: ext}), nil
}

// transactionPayload encodes common.Payload{Header: hdr, Data: Transaction{Actions:
// [{Header: hdr.SignatureHeader, Payload: ChaincodeActionPayload{cpp, Action:
// ChaincodeEndorsedAction{prp, endorsements}}}]}}, byte for byte as proto.Marshal
// would level by level, but copying cpp and prp (most of the payload) once.
func transactionPayload(hdr *common.Header, cpp, prp []byte, endorsements []*peer.Endorsement) ([]byte, error) {
	hb, err := proto.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	action := []lenField{{num: 1, raw: prp}}
	for _, e := range endorsements {
		eb, err := proto.Marshal(e)
		if err != nil {
			return nil, err
		}
		action = append(action, lenField{num: 2, raw: eb, msg: true})
	}
	cap := []lenField{{num: 1, raw: cpp}, {num: 2, sub: action, msg: true}}
	txAction := []lenField{{num: 1, raw: hdr.GetSignatureHeader()}, {num: 2, sub: cap}}
	tx := []lenField{{num: 1, sub: txAction, msg: true}}
	return encodeFields(lenField{num: 1, raw: hb, msg: hdr != nil}, lenField{num: 2, sub: tx}), nil
}

// builtTx is what checkEnvelope derives from a transaction payload that this node
// assembled in endorse: everything but the creator's signature over the envelope
// and the validity of the identities now, which are checked at Submit anyway.
//
// Every field is a function of the payload bytes, and endorse built those bytes
// from a proposal that passed checkProposal and knownTarget (channel, header type,
// nonce, tx id, creator) and from its own simulation (namespace, read/write set),
// with endorsements signed here. So when a submitted payload is byte for byte one
// of these, the parse-and-check of checkEnvelope would reach the same result; the
// cache only saves re-parsing the payload and re-verifying this node's own
// endorsement signatures. Anything else (another payload, an evicted entry, a
// second submission of the same envelope, `verify`) goes through the full checks.
type builtTx struct {
	txID      string
	ts        *timestamppb.Timestamp
	creator   []byte
	code      peer.TxValidationCode // VALID or INVALID_CHAINCODE (header names another chaincode)
	rwsets    []blockstore.NsRWSet
	endorsers [][]byte // serialized endorser identities, in endorsement order
	event     *peer.ChaincodeEvent
}

// builtCache maps SHA-256(payload) to the builtTx of payloads endorse assembled
// and that were not submitted yet. Bounded: emptied when it reaches builtCacheMax
// entries (a miss only costs the full checks).
type builtCache struct {
	mu sync.Mutex
	m  map[[32]byte]*builtTx
}

const builtCacheMax = 4096

// put remembers b under k, the SHA-256 of its payload.
func (c *builtCache) put(k [32]byte, b *builtTx) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= builtCacheMax {
		c.m = make(map[[32]byte]*builtTx)
	}
	c.m[k] = b
	c.mu.Unlock()
}

// take returns and forgets the builtTx of the payload whose SHA-256 is k, or nil.
func (c *builtCache) take(k [32]byte) *builtTx {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	b := c.m[k]
	delete(c.m, k)
	c.mu.Unlock()
	return b
}
