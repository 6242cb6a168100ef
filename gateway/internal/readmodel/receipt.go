package readmodel

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/receipt"
)

// ErrNoEvidence is returned (wrapped) by BatchReceipt when the store does not
// hold the anchoring transaction's header and proposal (a batch anchored
// before the model kept them: rebuild the store).
var ErrNoEvidence = errors.New("the anchoring transaction's evidence is not in the read model")

// BatchReceipt returns the v2 receipt (internal/receipt) of certificate id of
// an indexed Merkle batch — its leaf, inclusion proof, the batch header as
// anchored, the anchoring transaction's coordinates and anchor, the issuer key
// as registered — without BundleFingerprint and VerifyURL (the gateway's to
// fill in). found is false for an id the model knows of no batch (a
// certificate issued by a transaction of its own, or unknown); a batched
// certificate written on the ledger by a status change has the receipt of its
// batch. The model's lag does not matter: nothing in a receipt changes.
func (m *Model) BatchReceipt(id string) (*receipt.Receipt, bool, error) {
	v, found, err := m.batchedOf(id)
	if err != nil || !found {
		return nil, false, err
	}
	rec, path, bi, err := m.batchedRecord(id, v)
	if err != nil {
		return nil, false, err
	}
	raw, found, err := get(m.db, key(kindTx, bi.TxID))
	if err != nil {
		return nil, false, err
	}
	if !found {
		return nil, false, fmt.Errorf("%w: transaction %s of batch %s", ErrNoEvidence, bi.TxID, bi.ID)
	}
	tv, err := decodeTxValue(raw)
	if err != nil {
		return nil, false, err
	}
	if len(tv.Header) == 0 || len(tv.ProposalPayload) == 0 {
		return nil, false, fmt.Errorf("%w: transaction %s of batch %s", ErrNoEvidence, bi.TxID, bi.ID)
	}
	an := &receipt.Anchor{Header: tv.Header, ProposalPayload: tv.ProposalPayload, ProposalResponse: tv.ProposalResponse}
	for i, h := range tv.Endorsers {
		e, ok, err := get(m.db, key(kindEndorser, string(h)))
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return nil, false, fmt.Errorf("%w: endorser %x of tx %s", ErrCorrupt, h, bi.TxID)
		}
		an.Endorsements = append(an.Endorsements, receipt.Endorsement{Endorser: e, Signature: tv.Signatures[i]})
	}
	tx, err := an.Decode()
	if err != nil {
		return nil, false, fmt.Errorf("batch %s anchoring %s: %w", bi.ID, bi.TxID, err)
	}
	r := &receipt.Receipt{
		Version:   receipt.Version,
		Batch:     &receipt.Batched{Record: rec, Proof: batch.Proof{BatchID: bi.ID, Index: int(v.Leaf), Size: bi.Count, Path: hexPath(path)}, Header: bi.Anchored},
		IssuedAt:  bi.AnchoredAt,
		IssuerKey: receipt.IssuerKey{DepartmentID: rec.Issuer, KeyID: rec.KeyID},
		Ledger:    receipt.Ledger{TxID: bi.TxID, BlockNumber: bi.Block, Channel: tx.Channel},
		Anchor:    an,
		Holder:    json.RawMessage(`{}`),
	}
	if owner, k, ok := m.depts.Load().lookupKey(rec.KeyID); ok && owner == rec.Issuer {
		r.IssuerKey.PublicKey = k.PublicKey
	} else {
		return nil, false, fmt.Errorf("%w: key %s of batch %s is not %s's in the registry", ErrCorrupt, rec.KeyID, bi.ID, rec.Issuer)
	}
	return r, true, nil
}

// batchedOf returns the batch record of certificate id: the one of its batch
// for a certificate on the ledger by its first status change, the earliest
// batch's for one known only from batch files; found is false otherwise.
func (m *Model) batchedOf(id string) (certValue, bool, error) {
	v, found, err := m.certValueOf(id)
	if err != nil || !found || v.Kind == certBatched {
		return v, found, err
	}
	var c struct {
		BatchID   string `json:"batchId"`
		Signature string `json:"signature"`
	}
	if err := json.Unmarshal(v.JSON, &c); err != nil {
		return v, false, fmt.Errorf("%w: certificate %s: %w", ErrCorrupt, id, err)
	}
	if c.BatchID == "" || c.Signature != "" {
		return certValue{}, false, nil
	}
	return m.batchedValue(id, c.BatchID)
}
