// Package batch is the "batch" contract: a department anchors a Merkle batch of
// up to millions of certificates with one signed header (internal/domain/batch).
// The chaincode never sees the records: it checks the header (format, the
// submitter's MSP, the signature by a key of the department valid at the
// transaction time, the anchoring window, the types the department may issue,
// the department's chain of batches) and stores it. The batch file lives off
// chain, in the gateways' batch store, accepted only if it rebuilds the root.
package batch

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/certtype"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	domainregistry "github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Name is the contract name ("batch:Function").
const Name = "batch"

// EventAnchored is the event of Anchor, with the batch.Anchored record.
const EventAnchored = "BatchAnchored"

// World-state object types (composite keys).
const (
	objBatch = "batch"      // [id] -> batch.Anchored
	objHead  = "batch.head" // [department] -> Head
	objByDep = "batch.dept" // [department, anchoredAt, id] -> index
)

// Head is a department's last anchored batch.
type Head struct {
	Department string `json:"department"`
	BatchID    string `json:"batchId"`
	Count      int    `json:"count"`
}

// Contract is the batch contract.
type Contract struct {
	contractapi.Contract
}

// New returns the batch contract.
func New() *Contract {
	return &Contract{Contract: state.Contract(Name, "certledger Merkle batches")}
}

// GetEvaluateTransactions marks the read-only functions for the metadata.
func (c *Contract) GetEvaluateTransactions() []string { return []string{"Get", "Head"} }

// Anchor anchors a signed batch header (batch.Header JSON). Refusals write
// nothing: INVALID_ARGUMENT for a malformed header or a transaction time outside
// its window; NOT_FOUND for an unknown department; FORBIDDEN when the submitter
// is not in the department's MSP, the key is not the department's or not valid
// at the transaction time (rotated, revoked), or a type is not one the
// department may issue (a v2 batch: each type in the catalogue and granted to
// the department; a v1 batch: refused once the catalogue is in force, else its
// registered categories); BAD_SIGNATURE; CONFLICT when
// the batch id is already anchored or previous is not the department's last
// batch. Event BatchAnchored with the stored batch.Anchored.
func (c *Contract) Anchor(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	var h batch.Header
	if err := state.Decode("batch header", input, &h); err != nil {
		return "", err
	}
	if err := h.Validate(); err != nil {
		return "", err
	}
	k, err := state.NewKey(ctx, codes.New(codes.Conflict, "batch %s is already anchored", h.ID), objBatch, h.ID)
	if err != nil {
		return "", err
	}
	dept, err := registry.RequireSubmitterOf(ctx, h.Issuer)
	if err != nil {
		return "", err
	}
	if !h.InWindow(at) {
		return "", codes.New(codes.InvalidArgument, "transaction time %s is outside the header's window %s .. %s", wire.FormatTime(at), h.WindowFrom, h.WindowUntil)
	}
	if err := mayIssue(ctx, dept, h); err != nil {
		return "", err
	}
	head, err := getHead(ctx, h.Issuer)
	if err != nil {
		return "", err
	}
	if h.Previous != head.BatchID {
		if head.BatchID == "" {
			return "", codes.New(codes.Conflict, "previous %s: department %s has no anchored batch yet (previous must be empty)", h.Previous, h.Issuer)
		}
		return "", codes.New(codes.Conflict, "previous %q is not department %s's last batch %s", h.Previous, h.Issuer, head.BatchID)
	}
	key, ok := dept.Key(h.KeyID)
	if !ok {
		return "", codes.New(codes.Forbidden, "key %s is not a key of department %s", h.KeyID, dept.ID)
	}
	if err := key.ValidAt(at); err != nil {
		return "", err
	}
	if err := domainregistry.VerifyRecord(key, canon.KindBatchHeader, h, h.Signature); err != nil {
		return "", err
	}
	a := batch.Anchored{Header: h, AnchoredAt: wire.FormatTime(at), TxID: state.TxID(ctx)}
	if err := state.PutJSON(ctx, k, a); err != nil {
		return "", err
	}
	hk, err := state.Key(ctx, objHead, h.Issuer)
	if err != nil {
		return "", err
	}
	if err := state.PutJSON(ctx, hk, Head{Department: h.Issuer, BatchID: h.ID, Count: head.Count + 1}); err != nil {
		return "", err
	}
	if err := state.AddIndex(ctx, objByDep, h.Issuer, a.AnchoredAt, h.ID); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventAnchored, a)
}

// Get returns the anchored batch (batch.Anchored JSON; NOT_FOUND when unknown).
func (c *Contract) Get(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	a, err := Get(ctx, id)
	if err != nil {
		return "", err
	}
	return state.JSON(a)
}

// Head returns department's last anchored batch {"department","batchId","count"}
// (batchId "" and count 0 before its first).
func (c *Contract) Head(ctx contractapi.TransactionContextInterface, department string) (string, error) {
	if !wire.ValidDeptID(department) {
		return "", codes.New(codes.InvalidArgument, "department %q is not a department id", department)
	}
	h, err := getHead(ctx, department)
	if err != nil {
		return "", err
	}
	return state.JSON(h)
}

// Get reads an anchored batch (NOT_FOUND when unknown). The certificate
// contract uses it to check a batched certificate's inclusion proof.
func Get(ctx state.Context, id string) (batch.Anchored, error) {
	var a batch.Anchored
	if !wire.ValidID(id) {
		return a, codes.New(codes.InvalidArgument, "batch id %q is not a record id", id)
	}
	k, err := state.Key(ctx, objBatch, id)
	if err != nil {
		return a, err
	}
	found, err := state.GetJSON(ctx, k, &a)
	if err != nil {
		return a, err
	}
	if !found {
		return a, codes.New(codes.NotFound, "batch %s", id)
	}
	return a, nil
}

func getHead(ctx state.Context, dept string) (Head, error) {
	h := Head{Department: dept}
	k, err := state.Key(ctx, objHead, dept)
	if err != nil {
		return h, err
	}
	if _, err := state.GetJSON(ctx, k, &h); err != nil {
		return h, err
	}
	return h, nil
}

// mayIssue fails with FORBIDDEN unless the department may issue every type
// of the batch, by the rule single and grouped issue apply to a record of the
// batch's kind:
//   - a v2 batch: each type is in the type catalogue and names the department
//     among its issuers (certificate.AuthorizeType, the per-type part of the
//     certificate.Authorize a single v2 issue makes);
//   - a v1 batch: refused once the catalogue is in force on the ledger (as a
//     single v1 issue is); before, the department's registered categories
//     (certificate.CheckMayIssue).
func mayIssue(ctx state.Context, dept domainregistry.Department, h batch.Header) error {
	if h.RecordKind == batch.RecordKindV2 {
		for _, code := range h.Types {
			t, err := certtype.Lookup(ctx, code)
			if err != nil {
				return err
			}
			if err := certificate.AuthorizeType(code, t, dept); err != nil {
				return err
			}
		}
		return nil
	}
	inForce, err := certtype.InForce(ctx)
	if err != nil {
		return err
	}
	if inForce {
		return codes.Wrap(codes.ErrForbidden, "the certificate type catalogue is in force on this ledger: a batch of v1 records (%s, free-form types) cannot be anchored; build a v2 batch (recordKind %s, catalogue type codes)", batch.RecordKindV1, batch.RecordKindV2)
	}
	for _, t := range h.Types {
		if err := certificate.CheckMayIssue(dept, t); err != nil {
			return err
		}
	}
	return nil
}
