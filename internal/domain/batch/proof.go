package batch

import (
	"encoding/hex"
	"fmt"

	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/merkle"
)

// Proof is the inclusion proof of one record in an anchored batch, as receipts
// and status changes carry it: the batch id, the leaf index, the tree size
// (the header's count) and the audit path, leaf side first, as hex SM3 hashes
// (RFC 6962 PATH; RFC 9162 section 2.1.3.2 verifies it).
type Proof struct {
	BatchID string   `json:"batchId"`
	Index   int      `json:"index"`
	Size    int      `json:"size"`
	Path    []string `json:"path"`
}

// Validate checks the proof's format.
func (p Proof) Validate() error {
	var fe wire.FieldErrors
	if !wire.ValidID(p.BatchID) {
		fe.Add("batchId", "%q is not a batch id", p.BatchID)
	}
	if p.Size < 1 || p.Size > MaxRecords {
		fe.Add("size", "%d must be between 1 and %d", p.Size, MaxRecords)
	}
	if p.Index < 0 || p.Index >= p.Size {
		fe.Add("index", "%d is not a leaf of a tree of %d", p.Index, p.Size)
	}
	if len(p.Path) > 64 {
		fe.Add("path", "has %d hashes, more than any tree has", len(p.Path))
	}
	for i, h := range p.Path {
		if !wire.ValidHash(h) {
			fe.Add(fmt.Sprintf("path[%d]", i), "must be 64 lowercase hex characters")
		}
	}
	return fe.Err()
}

// ProofOf returns the proof of leaf index in tree t of batch batchID.
func ProofOf(batchID string, t *merkle.Tree, index int) Proof {
	path := t.AppendProof(nil, index)
	p := Proof{BatchID: batchID, Index: index, Size: t.Size(), Path: make([]string, len(path))}
	for i := range path {
		p.Path[i] = hex.EncodeToString(path[i][:])
	}
	return p
}

// Verify checks that r is leaf p.Index of batch h: the proof is for h (id and
// size), r belongs to h (issuer, key, record kind) and its leaf leads to h's root.
func (p Proof) Verify(r Record, h Header) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if p.BatchID != h.ID {
		return fmt.Errorf("%w: the proof is for batch %s, the header is %s", merkle.ErrBadProof, p.BatchID, h.ID)
	}
	if p.Size != h.Count {
		return fmt.Errorf("%w: the proof is for a tree of %d leaves, batch %s has %d", merkle.ErrBadProof, p.Size, h.ID, h.Count)
	}
	if r.Issuer != h.Issuer || r.KeyID != h.KeyID {
		return fmt.Errorf("%w: record %s names issuer %s key %s, batch %s is %s key %s", merkle.ErrBadProof, r.ID, r.Issuer, r.KeyID, h.ID, h.Issuer, h.KeyID)
	}
	if r.Kind() != h.RecordKind {
		return fmt.Errorf("%w: record %s is a %s record, batch %s holds %s records", merkle.ErrBadProof, r.ID, r.Kind(), h.ID, h.RecordKind)
	}
	inc, err := p.Inclusion(h)
	if err != nil {
		return err
	}
	leaf, err := Leaf(&r)
	if err != nil {
		return err
	}
	return merkle.VerifyInclusion(leaf, inc.Index, inc.Size, inc.Proof, inc.Root)
}

// Inclusion converts p to the form certificate.Evaluate checks (step 4).
func (p Proof) Inclusion(h Header) (*certificate.Inclusion, error) {
	root, err := hex.DecodeString(h.Root)
	if err != nil || len(root) != merkle.Size {
		return nil, fmt.Errorf("%w: header root is not an SM3 hash", merkle.ErrBadProof)
	}
	inc := &certificate.Inclusion{Index: p.Index, Size: p.Size, Root: root, Proof: make([][]byte, len(p.Path))}
	for i, s := range p.Path {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != merkle.Size {
			return nil, fmt.Errorf("%w: path[%d] is not an SM3 hash", merkle.ErrBadProof, i)
		}
		inc.Proof[i] = b
	}
	return inc, nil
}

// Receipt is what a holder of a batched certificate keeps: the record, its
// proof, and the signed header with its ledger coordinates. With the issuer's
// key it verifies offline (step 4 with the proof, step 5 over the header).
type Receipt struct {
	Record Record   `json:"record"`
	Proof  Proof    `json:"proof"`
	Header Anchored `json:"batch"`
}
