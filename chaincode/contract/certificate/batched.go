package certificate

import (
	"github.com/certledger/certledger/chaincode/contract/batch"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domainbatch "github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	domainregistry "github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Batched identifies a certificate of an anchored Merkle batch to a status
// change: its batch record and inclusion proof.
type Batched struct {
	Record domainbatch.Record `json:"record"`
	Proof  domainbatch.Proof  `json:"proof"`
}

// statusInput is a status request, with the leaf of a batched certificate.
type statusInput struct {
	certificate.StatusRequest
	Batched *Batched `json:"batched,omitempty"`
}

// supersedeInput is a replacing record, with the leaf of the replaced one when
// it is batched.
type supersedeInput struct {
	certificate.Record
	Batched *Batched `json:"batched,omitempty"`
}

// getOrBatched returns certificate id from the world state; when it is not
// there and b proves it is a leaf of an anchored batch, it returns the batched
// certificate as of its anchoring (status valid, batchId set, issuedAt and txId
// the batch's), which the caller's write then puts on the ledger by id. A
// batched certificate is written on chain only when its status first changes:
// anchoring a million writes one header. From then on it is a certificate like
// any other (its id, its txId, its history).
//
// The proof is checked against the root stored by batch:Anchor, so the record
// is exactly what the department signed over; a wrong record, index, size or
// path is BAD_SIGNATURE; an unknown batch NOT_FOUND.
//
// fresh reports a batched certificate not yet on the ledger: the caller, once
// every check passed, writes it with putFresh (record and hash index).
func getOrBatched(ctx state.Context, id string, b *Batched) (cert certificate.Certificate, fresh bool, err error) {
	if err := certificate.CheckID("id", id); err != nil {
		return cert, false, err
	}
	cert, found, err := lookup(ctx, id)
	if err != nil {
		return cert, false, err
	}
	if found {
		if b != nil && cert.BatchID != b.Proof.BatchID {
			// The id names another certificate on the ledger (a single issue, or a
			// record of another batch): a duplicate id the anchoring could not see.
			return cert, false, codes.New(codes.Conflict, "certificate %s on the ledger is not the record of batch %s (it was written by tx %s); the batched record with this id is a duplicate", id, b.Proof.BatchID, cert.TxID)
		}
		return cert, false, nil
	}
	if b == nil {
		return cert, false, codes.New(codes.NotFound, "certificate %s (a batched certificate needs its batch record and proof)", id)
	}
	if b.Record.ID != id {
		return cert, false, codes.New(codes.InvalidArgument, "the batch record is certificate %s, not %s", b.Record.ID, id)
	}
	a, err := batch.Get(ctx, b.Proof.BatchID)
	if err != nil {
		return cert, false, err
	}
	anchoredAt, err := wire.ParseTime(a.AnchoredAt)
	if err != nil {
		return cert, false, codes.New(codes.Internal, "batch %s: stored anchoredAt %q: %v", a.ID, a.AnchoredAt, err)
	}
	if err := b.Record.ValidateAt(a.Issuer, a.KeyID, anchoredAt); err != nil {
		return cert, false, err
	}
	if err := b.Proof.Verify(b.Record, a.Header); err != nil {
		return cert, false, codes.New(codes.BadSignature, "certificate %s is not in batch %s: %v", id, a.ID, err)
	}
	cert = certificate.Certificate{
		Record: b.Record.Certificate(), Status: certificate.StatusValid, BatchID: a.ID,
		IssuedAt: a.AnchoredAt, UpdatedAt: a.AnchoredAt, TxID: a.TxID,
	}
	return cert, true, nil
}

// putWith writes cert, and its hash index when it is a batched certificate
// written for the first time.
func putWith(ctx state.Context, cert certificate.Certificate, fresh bool) error {
	if err := put(ctx, cert); err != nil {
		return err
	}
	if fresh {
		return state.AddIndex(ctx, objByHash, cert.DocHash, cert.ID)
	}
	return nil
}

// batchCheck returns the step-5 check of a batched certificate: the SM2
// signature of its anchored batch header with the issuer key.
func batchCheck(ctx state.Context, batchID string) (func(k *domainregistry.Key) error, error) {
	a, err := batch.Get(ctx, batchID)
	if err != nil {
		return nil, err
	}
	return func(k *domainregistry.Key) error {
		return domainregistry.VerifyRecord(*k, canon.KindBatchHeader, a.Header, a.Signature)
	}, nil
}
