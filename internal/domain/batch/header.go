package batch

import (
	"slices"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// MaxWindow is the longest anchoring window a header may give.
const MaxWindow = 7 * 24 * time.Hour

// MaxTypes bounds the certificate types one batch may hold.
const MaxTypes = 32

// Header describes a batch and is what the issuing department signs (canon kind
// "batch-header"; every field but Signature is signed):
//   - id: the batch id (a record id);
//   - issuer, keyId: the department and the SM2 key that signed; every record
//     names both;
//   - root: the Merkle root (hex) over the leaves recordKind + "\n" + line;
//   - count: the number of leaves (lines);
//   - fileHash: SM3 (hex) of the batch file's bytes;
//   - previous: the id of the department's previous anchored batch ("" for its
//     first), so a department's batches form a chain nobody can reorder or fork;
//   - windowFrom, windowUntil: the time window in which the header may be
//     anchored (the anchoring transaction's time must fall inside it, so a
//     signed header cannot be anchored long after it was made);
//   - recordKind: the record format of the lines, RecordKindV1 or RecordKindV2
//     (one batch holds one kind; a v2 batch's types are catalogue type codes);
//   - types: the certificate types the batch holds, sorted, distinct — what the
//     chaincode checks against what the department may issue, since it never sees
//     the records.
type Header struct {
	ID          string   `json:"id"`
	Issuer      string   `json:"issuer"`
	KeyID       string   `json:"keyId"`
	Root        string   `json:"root"`
	Count       int      `json:"count"`
	FileHash    string   `json:"fileHash"`
	Previous    string   `json:"previous"`
	WindowFrom  string   `json:"windowFrom"`
	WindowUntil string   `json:"windowUntil"`
	RecordKind  string   `json:"recordKind"`
	Types       []string `json:"types"`
	Signature   string   `json:"signature"`
}

// Payload returns the bytes the department signs.
func (h Header) Payload() ([]byte, error) { return canon.Payload(canon.KindBatchHeader, h) }

// Validate checks every field's format (not the signature, not the chain).
func (h Header) Validate() error {
	var fe wire.FieldErrors
	if !wire.ValidID(h.ID) {
		fe.Add("id", "%q must be 1-128 characters of [A-Za-z0-9._:-] starting with a letter or digit", h.ID)
	}
	if !wire.ValidDeptID(h.Issuer) {
		fe.Add("issuer", "%q is not a department id", h.Issuer)
	}
	if !wire.ValidHash(h.KeyID) {
		fe.Add("keyId", "must be 64 lowercase hex characters (SM3 of the public key)")
	}
	if !wire.ValidHash(h.Root) {
		fe.Add("root", "must be 64 lowercase hex characters (SM3 Merkle root)")
	}
	if h.Count < 1 || h.Count > MaxRecords {
		fe.Add("count", "%d must be between 1 and %d", h.Count, MaxRecords)
	}
	if !wire.ValidHash(h.FileHash) {
		fe.Add("fileHash", "must be 64 lowercase hex characters (SM3 of the batch file)")
	}
	if h.Previous != "" && !wire.ValidID(h.Previous) {
		fe.Add("previous", "%q is not a batch id", h.Previous)
	}
	if h.Previous == h.ID && h.ID != "" {
		fe.Add("previous", "a batch cannot follow itself")
	}
	from, errF := wire.ParseTime(h.WindowFrom)
	if errF != nil {
		fe.Add("windowFrom", "%v", errF)
	}
	until, errU := wire.ParseTime(h.WindowUntil)
	if errU != nil {
		fe.Add("windowUntil", "%v", errU)
	}
	if errF == nil && errU == nil && (!until.After(from) || until.Sub(from) > MaxWindow) {
		fe.Add("windowUntil", "must be after windowFrom and at most %s later", MaxWindow)
	}
	if h.RecordKind != RecordKindV1 && h.RecordKind != RecordKindV2 {
		fe.Add("recordKind", "%q is not a known record format (%s or %s)", h.RecordKind, RecordKindV1, RecordKindV2)
	}
	switch {
	case len(h.Types) == 0 || len(h.Types) > MaxTypes:
		fe.Add("types", "must list 1 to %d certificate types", MaxTypes)
	case !slices.IsSorted(h.Types) || len(slices.Compact(slices.Clone(h.Types))) != len(h.Types):
		fe.Add("types", "must be sorted and distinct")
	case h.RecordKind == RecordKindV2:
		for _, t := range h.Types {
			if err := identifier.CheckTypeCode(t); err != nil {
				fe.Add("types", "%q: a v2 batch holds catalogue type codes: %s", t, codes.Message(err))
			}
		}
	default:
		for _, t := range h.Types {
			if registry.CheckText("type", t, 64) != nil {
				fe.Add("types", "%q must be 1-64 printable characters", t)
			}
		}
	}
	if h.Signature == "" || len(h.Signature) > 256 {
		fe.Add("signature", "must be a base64 SM2 signature")
	}
	return fe.Err()
}

// InWindow reports whether t falls inside the header's anchoring window.
func (h Header) InWindow(t time.Time) bool {
	from, err1 := wire.ParseTime(h.WindowFrom)
	until, err2 := wire.ParseTime(h.WindowUntil)
	return err1 == nil && err2 == nil && !t.Before(from) && !t.After(until)
}

// Anchored is a header as the ledger stores it: the signed header plus where
// and when it was anchored.
type Anchored struct {
	Header
	AnchoredAt string `json:"anchoredAt"`
	TxID       string `json:"txId"`
}
