package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Anchor is the evidence that a Fabric transaction wrote a record: the
// transaction's header and proposal payload (which fix its channel, id, time
// and chaincode), the proposal response payload (the simulation result and
// write set) and the endorsements over it. All byte fields are the exact
// protobuf bytes of the transaction (base64 in JSON), because signatures
// cover them byte for byte.
type Anchor struct {
	// Header is the transaction's common.Header: channel header and signature
	// header, as in the proposal the endorsers simulated.
	Header []byte `json:"header"`
	// ProposalPayload is the peer.ChaincodeProposalPayload without transient data
	// (what the transaction carries; ProposalHash covers it).
	ProposalPayload []byte `json:"proposalPayload"`
	// ProposalResponse is the peer.ProposalResponsePayload every endorser signed.
	ProposalResponse []byte `json:"proposalResponse"`
	// Endorsements: each endorser's msp.SerializedIdentity and its ECDSA
	// signature over ProposalResponse ‖ Endorser.
	Endorsements []Endorsement `json:"endorsements"`
}

// Endorsement is one peer's endorsement of the proposal response.
type Endorsement struct {
	Endorser  []byte `json:"endorser"`
	Signature []byte `json:"signature"`
}

// Tx is what an Anchor says once decoded and its internal hashes checked.
type Tx struct {
	Channel   string
	TxID      string
	Timestamp time.Time
	Chaincode string // the chaincode the proposal invoked (channel header extension)
	// Namespace is the chaincode that produced the response (ChaincodeAction).
	Namespace string
	// Writes are the keys the transaction writes in Namespace's own write set.
	Writes []Write
	// Status is the chaincode response status (200 for success).
	Status int32
}

// Write is one key of the write set.
type Write struct {
	Key      string
	Value    []byte
	IsDelete bool
}

// Write returns the value written under key, if the write set holds it.
func (t *Tx) Write(key string) ([]byte, bool) {
	for _, w := range t.Writes {
		if w.Key == key && !w.IsDelete {
			return w.Value, true
		}
	}
	return nil, false
}

// ErrAnchor is wrapped by every decoding or consistency error of an Anchor.
var ErrAnchor = errors.New("bad anchor")

func anchorErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrAnchor, fmt.Sprintf(format, a...))
}

// Decode parses the anchor and checks what binds its parts together without
// any key: the header is an endorser transaction whose id is
// hex(SHA-256(nonce ‖ creator)) (Fabric's rule), the proposal response's
// ProposalHash is SHA-256(channel header ‖ signature header ‖ proposal
// payload), and the response carries one chaincode action with a KV write set.
// It checks no signature (see CheckEndorsements).
func (a *Anchor) Decode() (*Tx, error) {
	var hdr common.Header
	if err := unmarshalExact(a.Header, &hdr); err != nil {
		return nil, anchorErr("header: %v", err)
	}
	var ch common.ChannelHeader
	if err := unmarshalExact(hdr.ChannelHeader, &ch); err != nil {
		return nil, anchorErr("channel header: %v", err)
	}
	if common.HeaderType(ch.Type) != common.HeaderType_ENDORSER_TRANSACTION {
		return nil, anchorErr("header type %d is not an endorser transaction", ch.Type)
	}
	var sh common.SignatureHeader
	if err := unmarshalExact(hdr.SignatureHeader, &sh); err != nil {
		return nil, anchorErr("signature header: %v", err)
	}
	sum := sha256.Sum256(append(append([]byte{}, sh.Nonce...), sh.Creator...))
	if hex.EncodeToString(sum[:]) != ch.TxId || len(sh.Nonce) == 0 {
		return nil, anchorErr("transaction id %q is not SHA-256(nonce ‖ creator)", ch.TxId)
	}
	var ext peer.ChaincodeHeaderExtension
	if err := unmarshalExact(ch.Extension, &ext); err != nil {
		return nil, anchorErr("channel header extension: %v", err)
	}
	if ch.Timestamp == nil || ch.Timestamp.CheckValid() != nil {
		return nil, anchorErr("the channel header has no valid timestamp")
	}
	var cpp peer.ChaincodeProposalPayload
	if err := unmarshalExact(a.ProposalPayload, &cpp); err != nil {
		return nil, anchorErr("proposal payload: %v", err)
	}
	if len(cpp.TransientMap) != 0 {
		return nil, anchorErr("the proposal payload carries transient data")
	}
	var prp peer.ProposalResponsePayload
	if err := unmarshalExact(a.ProposalResponse, &prp); err != nil {
		return nil, anchorErr("proposal response: %v", err)
	}
	h := sha256.New()
	h.Write(hdr.ChannelHeader)
	h.Write(hdr.SignatureHeader)
	h.Write(a.ProposalPayload)
	if !bytes.Equal(h.Sum(nil), prp.ProposalHash) {
		return nil, anchorErr("the proposal response is not for this transaction (proposal hash differs)")
	}
	var act peer.ChaincodeAction
	if err := unmarshalExact(prp.Extension, &act); err != nil {
		return nil, anchorErr("chaincode action: %v", err)
	}
	tx := &Tx{Channel: ch.ChannelId, TxID: ch.TxId, Timestamp: ch.Timestamp.AsTime().UTC(),
		Chaincode: ext.GetChaincodeId().GetName(), Namespace: act.GetChaincodeId().GetName(), Status: act.GetResponse().GetStatus()}
	var rws rwset.TxReadWriteSet
	if err := unmarshalExact(act.Results, &rws); err != nil {
		return nil, anchorErr("read-write set: %v", err)
	}
	if rws.DataModel != rwset.TxReadWriteSet_KV {
		return nil, anchorErr("read-write set is not a KV set")
	}
	for _, ns := range rws.NsRwset {
		if ns.Namespace != tx.Namespace {
			continue
		}
		var kv kvrwset.KVRWSet
		if err := unmarshalExact(ns.Rwset, &kv); err != nil {
			return nil, anchorErr("write set of %s: %v", ns.Namespace, err)
		}
		for _, w := range kv.Writes {
			tx.Writes = append(tx.Writes, Write{Key: w.Key, Value: w.Value, IsDelete: w.IsDelete})
		}
	}
	return tx, nil
}

// unmarshalExact decodes b into m; bytes that are not a valid encoding of m
// (truncated, wrong wire types, invalid UTF-8 in strings) are refused. An
// empty b is an empty message.
func unmarshalExact(b []byte, m proto.Message) error {
	return proto.Unmarshal(b, m)
}

// Endorser is a decoded msp.SerializedIdentity.
type Endorser struct {
	MSPID   string
	CertPEM []byte
}

// DecodeEndorser decodes an endorsement's serialized identity.
func DecodeEndorser(b []byte) (Endorser, error) {
	var id msp.SerializedIdentity
	if err := proto.Unmarshal(b, &id); err != nil {
		return Endorser{}, anchorErr("endorser identity: %v", err)
	}
	return Endorser{MSPID: id.Mspid, CertPEM: id.IdBytes}, nil
}

// FromEnvelope builds the Anchor of a transaction from its common.Envelope
// bytes (what the gateway submits, or what a block holds). The envelope's
// first action must be a chaincode action.
func FromEnvelope(env []byte) (*Anchor, error) {
	var e common.Envelope
	if err := proto.Unmarshal(env, &e); err != nil {
		return nil, anchorErr("envelope: %v", err)
	}
	var pl common.Payload
	if err := proto.Unmarshal(e.Payload, &pl); err != nil {
		return nil, anchorErr("payload: %v", err)
	}
	if pl.Header == nil {
		return nil, anchorErr("payload has no header")
	}
	hdr, err := proto.MarshalOptions{Deterministic: true}.Marshal(pl.Header)
	if err != nil {
		return nil, anchorErr("header: %v", err)
	}
	var t peer.Transaction
	if err := proto.Unmarshal(pl.Data, &t); err != nil {
		return nil, anchorErr("transaction: %v", err)
	}
	if len(t.Actions) != 1 {
		return nil, anchorErr("the transaction has %d actions, want 1", len(t.Actions))
	}
	var cap peer.ChaincodeActionPayload
	if err := proto.Unmarshal(t.Actions[0].Payload, &cap); err != nil {
		return nil, anchorErr("chaincode action payload: %v", err)
	}
	ea := cap.GetAction()
	a := &Anchor{Header: hdr, ProposalPayload: cap.ChaincodeProposalPayload, ProposalResponse: ea.GetProposalResponsePayload()}
	for _, en := range ea.GetEndorsements() {
		a.Endorsements = append(a.Endorsements, Endorsement{Endorser: en.Endorser, Signature: en.Signature})
	}
	if len(a.ProposalResponse) == 0 {
		return nil, anchorErr("the transaction has no proposal response")
	}
	return a, nil
}

// FromBlock finds transaction txID in a common.Block (what qscc GetBlockByTxID
// returns) and returns its Anchor, the block number and the transaction's
// validation code from the block's TRANSACTIONS_FILTER.
func FromBlock(block []byte, txID string) (*Anchor, uint64, peer.TxValidationCode, error) {
	var b common.Block
	if err := proto.Unmarshal(block, &b); err != nil {
		return nil, 0, 0, anchorErr("block: %v", err)
	}
	var filter []byte
	if md := b.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		filter = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	for i, raw := range b.GetData().GetData() {
		var e common.Envelope
		if proto.Unmarshal(raw, &e) != nil {
			continue
		}
		var pl common.Payload
		if proto.Unmarshal(e.Payload, &pl) != nil {
			continue
		}
		var ch common.ChannelHeader
		if proto.Unmarshal(pl.GetHeader().GetChannelHeader(), &ch) != nil || ch.TxId != txID {
			continue
		}
		a, err := FromEnvelope(raw)
		if err != nil {
			return nil, 0, 0, err
		}
		code := peer.TxValidationCode_NOT_VALIDATED
		if i < len(filter) {
			code = peer.TxValidationCode(filter[i])
		}
		return a, b.GetHeader().GetNumber(), code, nil
	}
	return nil, 0, 0, anchorErr("transaction %s is not in block %d", txID, b.GetHeader().GetNumber())
}
