// Package certificate is the "certificate" contract: departments issue,
// suspend, reinstate, revoke and supersede SM2-signed e-certificates; anyone
// reads them, finds them by document hash, reads their history and runs the
// verification pipeline. The rules live in chaincode/domain/certificate.
package certificate

import (
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/certtype"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	domaincerttype "github.com/certledger/certledger/internal/domain/certtype"
	domainregistry "github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Name is the contract name ("certificate:Function").
const Name = "certificate"

// Event names.
const (
	EventIssued     = "CertificateIssued"
	EventRevoked    = "CertificateRevoked"
	EventSuspended  = "CertificateSuspended"
	EventReinstated = "CertificateReinstated"
	EventSuperseded = "CertificateSuperseded"
)

// World-state object types (composite keys).
const (
	objCertificate = "certificate"      // [id] -> Certificate
	objByHash      = "certificate.hash" // [docHash, id] -> index
)

// Contract is the certificate contract. Every transaction takes string
// arguments and returns JSON.
type Contract struct {
	contractapi.Contract
}

// New returns the certificate contract.
func New() *Contract {
	return &Contract{Contract: state.Contract(Name, "certledger e-certificates")}
}

// GetEvaluateTransactions marks the read-only functions for the metadata.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"Get", "FindByHash", "History", "Verify", "GroupLimit"}
}

// Issue anchors a signed certificate record: v2 (recordVersion 2, GB/T 36903
// metadata, a GB/T 36904 identifier as id; see internal/domain/certificate) or v1
// {"id","docHash","type","issuer","holderCommitment","validFrom","validUntil","keyId","supersedes":"","signature"}.
// The submitter must belong to the issuer's MSP; a v2 record's type must be in the
// catalogue and the issuer allowed to issue it, its issuerCode and issuerName the
// registry's (FORBIDDEN otherwise, nothing written); a v1 record is refused once the
// catalogue is in force; the signature must verify with a key of the issuer valid
// at the transaction time; the id must be new.
// Event CertificateIssued with the Certificate.
func (c *Contract) Issue(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	r, at, err := state.BeginDecode[certificate.Record](ctx, "certificate", input)
	if err != nil {
		return "", err
	}
	if r.Supersedes != "" {
		return "", codes.New(codes.InvalidArgument, "supersedes is set: use certificate:Supersede")
	}
	b, err := issue(ctx, r, at)
	if err != nil {
		return "", err
	}
	return respond(ctx, EventIssued, b)
}

// Supersede anchors a new signed certificate whose supersedes names an existing
// certificate of the same issuer; the old one becomes superseded (supersededBy =
// new id). Event CertificateSuperseded with the new Certificate.
func (c *Contract) Supersede(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	in, at, err := state.BeginDecode[supersedeInput](ctx, "certificate", input)
	if err != nil {
		return "", err
	}
	r := in.Record
	if r.Supersedes == "" {
		return "", codes.New(codes.InvalidArgument, "supersedes must name the certificate being replaced")
	}
	if err := r.Validate(); err != nil {
		return "", err
	}
	old, fresh, err := getOrBatched(ctx, r.Supersedes, in.Batched)
	if err != nil {
		return "", err
	}
	if old.Issuer != r.Issuer {
		return "", codes.New(codes.Forbidden, "certificate %s was issued by %s; %s cannot supersede it", old.ID, old.Issuer, r.Issuer)
	}
	if err := old.Supersede(r.ID, at, state.TxID(ctx)); err != nil {
		return "", err
	}
	if old.ActorID, err = state.OperatorID(ctx); err != nil {
		return "", err
	}
	b, err := issue(ctx, r, at)
	if err != nil {
		return "", err
	}
	if err := putWith(ctx, old, fresh); err != nil {
		return "", err
	}
	return respond(ctx, EventSuperseded, b)
}

// Revoke revokes a certificate (from valid or suspended). Input: a signed status
// request {"certificateId","action":"revoke","reason","keyId","prevTxId","signature"}.
// For a batched certificate not yet on the ledger by itself, the request adds
// "batched":{"record","proof"} (its batch record and inclusion proof) and
// prevTxId is the batch's anchoring txId (see getOrBatched); the same holds for
// Suspend, Reinstate and Supersede. Event CertificateRevoked.
func (c *Contract) Revoke(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return changeStatus(ctx, input, certificate.ActionRevoke, EventRevoked)
}

// Suspend suspends a valid certificate (signed status request, action "suspend").
// Event CertificateSuspended.
func (c *Contract) Suspend(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return changeStatus(ctx, input, certificate.ActionSuspend, EventSuspended)
}

// Reinstate makes a suspended certificate valid again (signed status request,
// action "reinstate"). Event CertificateReinstated.
func (c *Contract) Reinstate(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return changeStatus(ctx, input, certificate.ActionReinstate, EventReinstated)
}

// Get returns the Certificate JSON (NOT_FOUND when unknown).
func (c *Contract) Get(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return state.Reply(get(ctx, id))
}

// FindByHash returns every Certificate with that document hash, ordered by id
// ([] when none).
func (c *Contract) FindByHash(ctx contractapi.TransactionContextInterface, docHash string) (string, error) {
	if err := certificate.CheckHash("docHash", docHash); err != nil {
		return "", err
	}
	return state.Reply(findByHash(ctx, docHash))
}

// History returns every version of a certificate, newest first:
// [{"txId","timestamp","isDelete","record"}] (NOT_FOUND when it never existed).
func (c *Contract) History(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	if err := certificate.CheckID("id", id); err != nil {
		return "", err
	}
	return state.HistoryOf(ctx, "certificate "+id, objCertificate, id)
}

// Verify runs the verification pipeline for {"id"} or {"docHash"} (or both) at
// the transaction time and returns the VerifyResult. A malformed input is a
// BAD_FORMAT verdict, not an error.
func (c *Contract) Verify(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	now, err := state.TxTime(ctx)
	if err != nil {
		return "", err
	}
	in := certificate.Input{Now: now}
	if err := state.Decode("verify query", input, &in.Query); err != nil {
		in.FormatError = err.Error()
		return state.JSON(certificate.Evaluate(in))
	}
	if pre := certificate.Evaluate(in); pre.Verdict == wire.VerdictBadFormat {
		return state.JSON(pre)
	}
	q := in.Query
	var candidates []certificate.Certificate
	if q.ID != "" {
		cert, found, err := lookup(ctx, q.ID)
		if err != nil {
			return "", err
		}
		if found {
			candidates = append(candidates, cert)
			in.Matches = []string{cert.ID}
		}
	} else {
		candidates, err = findByHash(ctx, q.DocHash)
		if err != nil {
			return "", err
		}
		for _, cert := range candidates {
			in.Matches = append(in.Matches, cert.ID)
		}
	}
	if len(candidates) == 0 {
		return state.JSON(certificate.Evaluate(in))
	}
	results := make([]certificate.Result, 0, len(candidates))
	for i := range candidates {
		one := in
		one.Certificate = &candidates[i]
		owner, key, err := registry.LookupKey(ctx, candidates[i].KeyID)
		switch {
		case err == nil:
			one.IssuerKey, one.KeyOwner = &key, owner
		case codes.Code(err) != codes.NotFound:
			return "", err
		}
		issuer, err := registry.GetDepartment(ctx, candidates[i].Issuer)
		switch {
		case err == nil:
			one.IssuerName, one.IssuerCode = issuer.Name, issuer.Code
		case codes.Code(err) != codes.NotFound:
			return "", err
		}
		if candidates[i].BatchID != "" {
			// A batched certificate on the ledger by id: its leaf was proved against
			// the anchored root when it was written; step 5 checks the header.
			if one.BatchCheck, err = batchCheck(ctx, candidates[i].BatchID); err != nil {
				return "", err
			}
		}
		if one.CertType, err = typeInfo(ctx, candidates[i]); err != nil {
			return "", err
		}
		results = append(results, certificate.Evaluate(one))
	}
	return state.JSON(certificate.Summarize(results))
}

// issue checks and writes a new certificate (record and hash index) and returns its
// JSON, which is what is stored, returned and sent as the event.
// The issuer department is read once: RequireSubmitterOf's result serves the
// signature check too (registry.VerifySignature would read it again).
func issue(ctx state.Context, r certificate.Record, at time.Time) ([]byte, error) {
	// The record and its hash index go to the peer in one message where the
	// peer takes write batches (Fabric v3.1 and later; a no-op on v2.5).
	ctx.GetStub().StartWriteBatch()
	b, err := issueWith(ctx, r, at, directReads, func(dept domainregistry.Department, cert certificate.Certificate) error {
		kind, signed := cert.Signed()
		return verifyBy(dept, cert.KeyID, at, kind, signed, cert.Signature)
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.GetStub().FinishWriteBatch(); err != nil {
		return nil, codes.New(codes.Internal, "writing state: %v", err)
	}
	return b, nil
}

// issueWith is issue with the ledger reads and the signature check given (a
// grouped issue reads each issuer, the creator and the catalogue once and
// parses each key once).
func issueWith(ctx state.Context, r certificate.Record, at time.Time, reads ledgerReads,
	verify func(domainregistry.Department, certificate.Certificate) error) ([]byte, error) {
	p, err := prepareIssue(ctx, r, at, reads)
	if err != nil {
		return nil, err
	}
	if err := verify(p.dept, p.cert); err != nil {
		return nil, err
	}
	return writeIssue(ctx, p)
}

// pendingIssue is a certificate that passed every check of an issue but its
// signature's: the grouped issue verifies the signatures of a group together.
type pendingIssue struct {
	cert certificate.Certificate
	key  string
	dept domainregistry.Department
}

// ledgerReads are the reads of an issue: the state at the certificate's key (a
// group reads the keys of all its records in one GetMultipleStates), the issuer
// department (with the submitter's MSP checked), the submitter's operator id,
// whether the type catalogue is in force and a catalogue type. A single issue
// reads them directly (directReads); a group once per transaction.
type ledgerReads struct {
	certificate func(state.Context, string) ([]byte, error) // the state at a certificate key, nil when absent
	submitterOf func(state.Context, string) (domainregistry.Department, error)
	operator    func(state.Context) (string, error)
	inForce     func(state.Context) (bool, error)
	lookupType  func(state.Context, string) (*domaincerttype.Type, error)
}

var directReads = ledgerReads{certificate: state.Get, submitterOf: registry.RequireSubmitterOf, operator: state.OperatorID, inForce: certtype.InForce, lookupType: certtype.Lookup}

// prepareIssue runs the checks of an issue that read the ledger, in order: the
// record's format, a new id, the submitter in the issuer's MSP, the type one the
// issuer may issue, the submitter's operator id.
func prepareIssue(ctx state.Context, r certificate.Record, at time.Time, reads ledgerReads) (pendingIssue, error) {
	cert, err := certificate.New(r, at, state.TxID(ctx))
	if err != nil {
		return pendingIssue{}, err
	}
	k, err := state.Key(ctx, objCertificate, cert.ID)
	if err != nil {
		return pendingIssue{}, err
	}
	if prior, err := reads.certificate(ctx, k); err != nil {
		return pendingIssue{}, err
	} else if prior != nil {
		return pendingIssue{}, codes.New(codes.Conflict, "certificate %s already exists", cert.ID)
	}
	dept, err := reads.submitterOf(ctx, cert.Issuer)
	if err != nil {
		return pendingIssue{}, err
	}
	if err := authorizeType(ctx, cert.Record, dept, reads); err != nil {
		return pendingIssue{}, err
	}
	if cert.ActorID, err = reads.operator(ctx); err != nil {
		return pendingIssue{}, err
	}
	return pendingIssue{cert: cert, key: k, dept: dept}, nil
}

// writeIssue writes a checked certificate and its hash index; it returns the
// certificate's JSON.
func writeIssue(ctx state.Context, p pendingIssue) ([]byte, error) {
	b, err := state.Marshal(p.cert)
	if err != nil {
		return nil, err
	}
	if err := ctx.GetStub().PutState(p.key, b); err != nil {
		return nil, codes.New(codes.Internal, "writing state: %v", err)
	}
	return b, state.AddIndex(ctx, objByHash, p.cert.DocHash, p.cert.ID)
}

// verifyBy checks that sigB64 is an SM2 signature over record (kind) by key keyID
// of dept, valid at t. It is registry.VerifySignature for a department already
// read, with the same errors: FORBIDDEN when the key is not the department's or
// not valid at t, BAD_SIGNATURE, INVALID_ARGUMENT for a record lacking a signed field.
func verifyBy(dept domainregistry.Department, keyID string, t time.Time, kind canon.Kind, record any, sigB64 string) error {
	key, ok := dept.Key(keyID)
	if !ok {
		return codes.New(codes.Forbidden, "key %s is not a key of department %s", keyID, dept.ID)
	}
	if err := key.ValidAt(t); err != nil {
		return err
	}
	return domainregistry.VerifyRecord(key, kind, record, sigB64)
}

// respond ends a write: event name with payload b (the written record's JSON),
// and b as the result (state.Respond for JSON already encoded).
func respond(ctx state.Context, name string, b []byte) (string, error) {
	if err := ctx.GetStub().SetEvent(name, b); err != nil {
		return "", codes.New(codes.Internal, "setting event %s: %v", name, err)
	}
	return string(b), nil
}

// changeStatus runs a signed revoke/suspend/reinstate request.
func changeStatus(ctx state.Context, input, action, event string) (string, error) {
	in, at, err := state.BeginDecode[statusInput](ctx, "status request", input)
	if err != nil {
		return "", err
	}
	req := in.StatusRequest
	if err := req.Validate(); err != nil {
		return "", err
	}
	if req.Action != action {
		return "", codes.New(codes.InvalidArgument, "action %q sent to %s", req.Action, action)
	}
	cert, fresh, err := getOrBatched(ctx, req.CertificateID, in.Batched)
	if err != nil {
		return "", err
	}
	dept, err := registry.RequireSubmitterOf(ctx, cert.Issuer)
	if err != nil {
		return "", err
	}
	actor, err := state.CheckOperator(ctx, req.Operator)
	if err != nil {
		return "", err
	}
	if err := cert.Apply(req, at, state.TxID(ctx)); err != nil {
		return "", err
	}
	cert.ActorID = actor
	if err := verifyBy(dept, req.KeyID, at, canon.KindCertificateStatus, req, req.Signature); err != nil {
		return "", err
	}
	if err := putWith(ctx, cert, fresh); err != nil {
		return "", err
	}
	return state.Respond(ctx, event, cert)
}

func lookup(ctx state.Context, id string) (certificate.Certificate, bool, error) {
	var cert certificate.Certificate
	k, err := state.Key(ctx, objCertificate, id)
	if err != nil {
		return cert, false, err
	}
	found, err := state.GetJSON(ctx, k, &cert)
	return cert, found, err
}

func get(ctx state.Context, id string) (certificate.Certificate, error) {
	if err := certificate.CheckID("id", id); err != nil {
		return certificate.Certificate{}, err
	}
	cert, found, err := lookup(ctx, id)
	if err != nil {
		return cert, err
	}
	if !found {
		return cert, codes.New(codes.NotFound, "certificate %s", id)
	}
	return cert, nil
}

func put(ctx state.Context, cert certificate.Certificate) error {
	k, err := state.Key(ctx, objCertificate, cert.ID)
	if err != nil {
		return err
	}
	return state.PutJSON(ctx, k, cert)
}

func findByHash(ctx state.Context, docHash string) ([]certificate.Certificate, error) {
	entries, err := state.Scan(ctx, objByHash, docHash)
	if err != nil {
		return nil, err
	}
	out := make([]certificate.Certificate, 0, len(entries))
	for _, e := range entries {
		if len(e.Attrs) != 2 {
			continue
		}
		cert, err := get(ctx, e.Attrs[1])
		if err != nil {
			return nil, err
		}
		out = append(out, cert)
	}
	return out, nil
}
