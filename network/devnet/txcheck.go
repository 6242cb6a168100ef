package devnet

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"github.com/certledger/certledger/internal/chanpolicy"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/network/devnet/internal/blockstore"
	"github.com/certledger/certledger/network/devnet/internal/msp"
)

// rejection is a refusal by the ordering service: the envelope never reaches a block.
type rejection struct {
	status common.Status
	info   string
}

func (r *rejection) Error() string {
	return fmt.Sprintf("received unsuccessful response from orderer: status=%s, info=%s", r.status, r.info)
}

// validator holds what checking a transaction needs; the node and `verify` share it.
type validator struct {
	def    *channelDef
	mgr    *msp.Manager
	policy *chanpolicy.Policy
	built  *builtCache // payloads this node assembled (nil: check everything, as `verify` does)
}

// checkEnvelope applies every check that does not depend on state, in the order of
// Fabric's orderer (the rejection) and committer (the code of the returned Tx; VALID
// means the MVCC check at commit decides).
func (v *validator) checkEnvelope(raw []byte) (*blockstore.Tx, *rejection) {
	env := &common.Envelope{}
	if proto.Unmarshal(raw, env) != nil {
		env = nil
	}
	return v.checkParsedEnvelope(env)
}

// checkParsedEnvelope is checkEnvelope for an envelope already parsed (nil: it did
// not parse), so that Submit does not parse again the envelope it received.
func (v *validator) checkParsedEnvelope(env *common.Envelope) (*blockstore.Tx, *rejection) {
	tx := &blockstore.Tx{Code: peer.TxValidationCode_VALID}
	bad := func(code peer.TxValidationCode) (*blockstore.Tx, *rejection) {
		tx.Code = code
		tx.RWSets = nil
		return tx, nil
	}
	reject := func(code peer.TxValidationCode, st common.Status, format string, a ...any) (*blockstore.Tx, *rejection) {
		tx.Code = code
		return tx, &rejection{status: st, info: fmt.Sprintf(format, a...)}
	}
	if len(env.GetPayload()) == 0 {
		return reject(peer.TxValidationCode_NIL_ENVELOPE, common.Status_BAD_REQUEST, "bad envelope")
	}
	// The creator signs SHA-256(payload); the same digest keys the built cache.
	digest := sha256.Sum256(env.Payload)
	if b := v.built.take(digest); b != nil {
		return v.checkBuilt(tx, b, env, digest[:])
	}
	pl := &common.Payload{}
	if err := proto.Unmarshal(env.Payload, pl); err != nil {
		return reject(peer.TxValidationCode_BAD_PAYLOAD, common.Status_BAD_REQUEST, "bad payload: %v", err)
	}
	if pl.Header == nil {
		return reject(peer.TxValidationCode_BAD_COMMON_HEADER, common.Status_BAD_REQUEST, "missing header")
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(pl.Header.ChannelHeader, chdr); err != nil {
		return reject(peer.TxValidationCode_BAD_CHANNEL_HEADER, common.Status_BAD_REQUEST, "bad channel header: %v", err)
	}
	tx.TxID, tx.Timestamp = chdr.TxId, chdr.Timestamp
	if chdr.ChannelId != v.def.Channel {
		return reject(peer.TxValidationCode_TARGET_CHAIN_NOT_FOUND, common.Status_NOT_FOUND, "channel %s not found", chdr.ChannelId)
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(pl.Header.SignatureHeader, shdr); err != nil {
		return reject(peer.TxValidationCode_BAD_COMMON_HEADER, common.Status_BAD_REQUEST, "bad signature header: %v", err)
	}
	creator, err := v.mgr.Deserialize(shdr.Creator)
	if err != nil {
		return reject(peer.TxValidationCode_BAD_CREATOR_SIGNATURE, common.Status_FORBIDDEN, "implicit policy evaluation failed - the creator is not a member of the channel: %v", err)
	}
	if err := creator.VerifyDigest(digest[:], env.Signature); err != nil {
		return reject(peer.TxValidationCode_BAD_CREATOR_SIGNATURE, common.Status_FORBIDDEN, "the creator's signature over the envelope is not valid: %v", err)
	}

	if code := v.checkEndorserTx(tx, pl, chdr, shdr); code != peer.TxValidationCode_VALID {
		return bad(code)
	}
	return tx, nil
}

// checkEndorserTx checks an endorser transaction past its envelope signature: the
// header, the one action, the proposal hash, the read/write sets (kept in tx) and
// the endorsement policy. It returns the validation code Fabric's committer would.
func (v *validator) checkEndorserTx(tx *blockstore.Tx, pl *common.Payload, chdr *common.ChannelHeader, shdr *common.SignatureHeader) peer.TxValidationCode {
	if common.HeaderType(chdr.Type) != common.HeaderType_ENDORSER_TRANSACTION {
		return peer.TxValidationCode_UNKNOWN_TX_TYPE
	}
	if len(shdr.Nonce) == 0 {
		return peer.TxValidationCode_BAD_COMMON_HEADER
	}
	if computeTxID(shdr.Nonce, shdr.Creator) != chdr.TxId {
		return peer.TxValidationCode_BAD_PROPOSAL_TXID
	}
	var hext peer.ChaincodeHeaderExtension
	if err := proto.Unmarshal(chdr.Extension, &hext); err != nil {
		return peer.TxValidationCode_BAD_HEADER_EXTENSION
	}
	if hext.GetChaincodeId().GetName() != v.def.Chaincode {
		return peer.TxValidationCode_INVALID_CHAINCODE
	}
	ptx := &peer.Transaction{}
	if err := proto.Unmarshal(pl.Data, ptx); err != nil {
		return peer.TxValidationCode_BAD_PAYLOAD
	}
	if len(ptx.Actions) != 1 {
		return peer.TxValidationCode_INVALID_ENDORSER_TRANSACTION
	}
	act := ptx.Actions[0]
	ashdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(act.Header, ashdr); err != nil || !bytes.Equal(ashdr.Creator, shdr.Creator) {
		return peer.TxValidationCode_INVALID_ENDORSER_TRANSACTION
	}
	cap := &peer.ChaincodeActionPayload{}
	if err := proto.Unmarshal(act.Payload, cap); err != nil {
		return peer.TxValidationCode_BAD_PAYLOAD
	}
	if cap.Action == nil {
		return peer.TxValidationCode_INVALID_ENDORSER_TRANSACTION
	}
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(cap.Action.ProposalResponsePayload, prp); err != nil {
		return peer.TxValidationCode_BAD_RESPONSE_PAYLOAD
	}
	if !bytes.Equal(proposalHash(pl.Header.ChannelHeader, act.Header, cap.ChaincodeProposalPayload), prp.ProposalHash) {
		return peer.TxValidationCode_INVALID_ENDORSER_TRANSACTION
	}
	cca := &peer.ChaincodeAction{}
	if err := proto.Unmarshal(prp.Extension, cca); err != nil {
		return peer.TxValidationCode_BAD_RESPONSE_PAYLOAD
	}
	if cca.GetChaincodeId().GetName() != v.def.Chaincode {
		return peer.TxValidationCode_INVALID_CHAINCODE
	}
	tx.Event = decodeEvent(cca.Events)
	trw := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(cca.Results, trw); err != nil {
		return peer.TxValidationCode_BAD_RWSET
	}
	for _, ns := range trw.NsRwset {
		if ns.Namespace != v.def.Chaincode {
			return peer.TxValidationCode_ILLEGAL_WRITESET
		}
		if len(ns.CollectionHashedRwset) > 0 {
			return peer.TxValidationCode_BAD_RWSET
		}
		kv := &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(ns.Rwset, kv); err != nil {
			return peer.TxValidationCode_BAD_RWSET
		}
		tx.RWSets = append(tx.RWSets, blockstore.NsRWSet{Namespace: ns.Namespace, RW: kv})
	}
	if !v.endorsed(cap.Action) {
		return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE
	}
	return peer.TxValidationCode_VALID
}

// endorsed evaluates the endorsement policy: valid signatures by peers of enough
// organisations over the proposal response payload.
func (v *validator) endorsed(a *peer.ChaincodeEndorsedAction) bool {
	msps := map[string]bool{}
	for _, e := range a.Endorsements {
		id, err := v.mgr.Deserialize(e.Endorser)
		if err != nil || id.Role != msp.RolePeer || msps[id.MSPID] {
			continue
		}
		msg := append(append(make([]byte, 0, len(a.ProposalResponsePayload)+len(e.Endorser)), a.ProposalResponsePayload...), e.Endorser...)
		if id.Verify(msg, e.Signature) != nil {
			continue
		}
		msps[id.MSPID] = true
	}
	return v.policy.Satisfied(msps)
}

// checkBuilt is checkEnvelope for a payload that this node assembled (see
// builtTx): the creator is validated and its signature over the envelope verified
// exactly as in the full path, with the same rejections; the payload's own checks
// are known; the endorsers (this node's peers, signatures made here) must still be
// valid peers of enough distinct organisations for the policy.
func (v *validator) checkBuilt(tx *blockstore.Tx, b *builtTx, env *common.Envelope, digest []byte) (*blockstore.Tx, *rejection) {
	tx.TxID, tx.Timestamp = b.txID, b.ts
	creator, err := v.mgr.Deserialize(b.creator)
	if err != nil {
		tx.Code = peer.TxValidationCode_BAD_CREATOR_SIGNATURE
		return tx, &rejection{status: common.Status_FORBIDDEN, info: fmt.Sprintf("implicit policy evaluation failed - the creator is not a member of the channel: %v", err)}
	}
	if err := creator.VerifyDigest(digest, env.Signature); err != nil {
		tx.Code = peer.TxValidationCode_BAD_CREATOR_SIGNATURE
		return tx, &rejection{status: common.Status_FORBIDDEN, info: fmt.Sprintf("the creator's signature over the envelope is not valid: %v", err)}
	}
	if b.code != peer.TxValidationCode_VALID {
		tx.Code = b.code
		return tx, nil
	}
	tx.RWSets, tx.Event = b.rwsets, b.event
	msps := map[string]bool{}
	for _, e := range b.endorsers {
		id, err := v.mgr.Deserialize(e)
		if err != nil || id.Role != msp.RolePeer {
			continue
		}
		msps[id.MSPID] = true
	}
	if !v.policy.Satisfied(msps) {
		tx.Code = peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE
		tx.RWSets = nil
	}
	return tx, nil
}
