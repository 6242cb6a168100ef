package httpapi

import (
	"net/http"
	"time"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
)

// BatchedLeaf is a batched certificate's record and inclusion proof, which a
// status change carries until the certificate is on the ledger by itself.
type BatchedLeaf struct {
	Record batch.Record `json:"record"`
	Proof  batch.Proof  `json:"proof"`
}

// BatchedStatusRequest is the body of a status change of a batched certificate:
// the signed request (prevTxId = the batch's anchoring txId the first time)
// plus its leaf.
type BatchedStatusRequest struct {
	certificate.StatusRequest
	Batched BatchedLeaf `json:"batched"`
}

// BatchedSupersede is the body of a supersede of a batched certificate: the
// new signed record plus the old one's leaf.
type BatchedSupersede struct {
	certificate.Record
	Batched BatchedLeaf `json:"batched"`
}

// checkLeaf checks the batch and certificate ids of the path and the leaf's
// format (batch.Proof.Validate, batch.Record.Validate) into c; it returns the
// certificate id of the path.
func checkLeaf(r *http.Request, leaf BatchedLeaf, c *checks) string {
	bid, cid := r.PathValue("id"), r.PathValue("cert")
	c.id("id", bid, true)
	c.id("cert", cid, true)
	c.samePath("batched.proof.batchId", leaf.Proof.BatchID, bid, "batch")
	c.samePath("batched.record.id", leaf.Record.ID, cid, "certificate")
	c.fe = append(c.fe, under("batched.proof", leaf.Proof.Validate())...)
	// The batch's issuer and key are the ledger's to check against the leaf.
	c.fe = append(c.fe, under("batched.record", leaf.Record.Validate(leaf.Record.Issuer, leaf.Record.KeyID))...)
	return cid
}

// changeBatchedStatus revokes, suspends or reinstates a certificate of a batch
// (docs/batches.md): the chaincode checks the leaf against the anchored root
// and writes the certificate by id on its first status change. A retry of a
// change that committed answers it (replayStatusChange, the batch's anchoring
// being the version the first change followed).
func (s *Server) changeBatchedStatus(action, fn string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in BatchedStatusRequest
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		var c checks
		id := checkLeaf(r, in.Batched, &c)
		if err := checkStatus(&in.StatusRequest, id, action, &c); err != nil {
			return err
		}
		audit(r, "certificate/"+id)
		if err := authorizeIssuer(r, "certificate "+id, in.Batched.Record.Issuer); err != nil {
			return err
		}
		org := info(r).principal.Org
		return s.submitStatus(w, r, org, fn, mustJSON(in), in.StatusRequest, in.Batched.Proof.BatchID)
	}
}

// supersedeBatched replaces a batched certificate with a new signed record.
func (s *Server) supersedeBatched(w http.ResponseWriter, r *http.Request) error {
	var in BatchedSupersede
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var c checks
	oldID := checkLeaf(r, in.Batched, &c)
	c.samePath("supersedes", in.Supersedes, oldID, "certificate")
	c.signature("signature", in.Signature)
	if err := invalid(in.ValidateAt(time.Now()), &c); err != nil {
		return err
	}
	if err := authorizeIssuer(r, "certificate "+oldID, in.Batched.Record.Issuer); err != nil {
		audit(r, "certificate/"+oldID)
		return err
	}
	return s.writeCertificateArg(w, r, "certificate:Supersede", in.Record, mustJSON(in))
}
