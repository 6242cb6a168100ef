// Package lineage writes and reads the lineage index: one composite key per
// link and direction, "lineage" [fromKind, fromId, toKind, toId], holding one
// byte. The exchange contract links an exchange to the certificates it carries
// when it records the send; the workorder contract links a ticket to the
// certificates and exchanges it refers to when it records the submission. The
// neighbours of a record are then one partial-key range, never a scan of the
// records (internal/domain/lineage walks them).
package lineage

import (
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	dom "github.com/certledger/certledger/internal/domain/lineage"
)

const objLink = "lineage"

// Put writes link l under both of its ends.
func Put(ctx state.Context, l dom.Link) error {
	if err := state.AddIndex(ctx, objLink, l.From.Kind, l.From.ID, l.To.Kind, l.To.ID); err != nil {
		return err
	}
	return state.AddIndex(ctx, objLink, l.To.Kind, l.To.ID, l.From.Kind, l.From.ID)
}

// Neighbours returns the records linked to r, in key order (kind, then id), at
// most limit of them (and whether more exist).
func Neighbours(ctx state.Context, r dom.Ref, limit int) ([]dom.Ref, bool, error) {
	stub := ctx.GetStub()
	it, err := stub.GetStateByPartialCompositeKey(objLink, []string{r.Kind, r.ID})
	if err != nil {
		return nil, false, codes.New(codes.Internal, "reading lineage of %s: %v", r, err)
	}
	defer func() { _ = it.Close() }() // read-only iterator; nothing to flush
	var out []dom.Ref
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, false, codes.New(codes.Internal, "reading lineage of %s: %v", r, err)
		}
		_, parts, err := stub.SplitCompositeKey(kv.Key)
		if err != nil || len(parts) != 4 {
			return nil, false, codes.New(codes.Internal, "lineage key of %s: %v", r, err)
		}
		if len(out) == limit {
			return out, true, nil
		}
		out = append(out, dom.Ref{Kind: parts[2], ID: parts[3]})
	}
	return out, false, nil
}
