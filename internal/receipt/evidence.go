package receipt

import "github.com/certledger/certledger/internal/domain/batch"

// TxEvidence is what a gateway tells of the transaction that wrote a record
// (the wire form shared by the gateway and the CLI): the coordinates of that
// transaction, its validation code in its block, and its anchor (header,
// proposal payload, proposal response and endorsements, as the block holds
// them). BundleFingerprint is the governance key the gateway's trust bundle is
// pinned to ("" when it serves none). Its JSON fields follow the record's.
type TxEvidence struct {
	Channel           string  `json:"channel"`
	TxID              string  `json:"txId"`
	BlockNumber       uint64  `json:"blockNumber"`
	ValidationCode    string  `json:"validationCode"`
	Anchor            *Anchor `json:"anchor"`
	BundleFingerprint string  `json:"bundleFingerprint"`
}

// BatchEvidence is what GET /api/v1/batches/{id}/receipt answers: the batch
// header as its anchoring transaction wrote it and that transaction's evidence
// — what every v2 receipt of a certificate of the batch shares.
type BatchEvidence struct {
	ID    string          `json:"id"`
	Batch *batch.Anchored `json:"batch"`
	TxEvidence
}
