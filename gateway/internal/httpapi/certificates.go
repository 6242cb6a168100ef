package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
)

func (s *Server) registerCertificates(r *Router) {
	r.Add(Route{Pattern: "POST /api/v1/certificates", Roles: writerRoles, Handler: s.issueCertificate})
	r.Add(Route{Pattern: "GET /api/v1/certificates", Public: true, Handler: s.findCertificates})
	r.Add(Route{Pattern: "GET /api/v1/certificates/{id}", Public: true, Handler: s.getCertificate})
	r.Add(Route{Pattern: "GET /api/v1/certificates/{id}/history", Handler: s.certificateHistory})
	for _, a := range []struct{ action, fn string }{
		{"revoke", "certificate:Revoke"}, {"suspend", "certificate:Suspend"}, {"reinstate", "certificate:Reinstate"},
	} {
		r.Add(Route{Pattern: "POST /api/v1/certificates/{id}/" + a.action, Roles: writerRoles, Handler: s.changeStatus(a.action, a.fn)})
	}
	r.Add(Route{Pattern: "POST /api/v1/certificates/{id}/supersede", Roles: writerRoles, Handler: s.supersedeCertificate})
}

// CertificateRecord is a certificate as its issuer signed it (certificate:Issue input).
type CertificateRecord = certificate.Record

// CertificateFields are a certificate record's signed fields.
type CertificateFields = certificate.Fields

// validateCertificate checks a certificate record with the domain's rules
// (certificate.Record.Validate: every field, holderCommitment and validFrom
// required as the chaincode requires them) and the signature's encoding.
// The validity window's bound ahead (wire.MaxYearsAhead) is checked against the
// gateway's clock; the chaincode checks it again at the transaction time.
func validateCertificate(c *CertificateRecord) error {
	var ch checks
	ch.signature("signature", c.Signature)
	return invalid(c.ValidateAt(time.Now()), &ch)
}

// StatusRequest is a signed revoke / suspend / reinstate request.
type StatusRequest = certificate.StatusRequest

func (s *Server) issueCertificate(w http.ResponseWriter, r *http.Request) error {
	var c CertificateRecord
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	if err := validateCertificate(&c); err != nil {
		return err
	}
	if c.Supersedes != "" {
		return badRequest("supersedes: must be empty here; use POST /api/v1/certificates/%s/supersede", c.Supersedes)
	}
	return s.writeCertificate(w, r, "certificate:Issue", c)
}

func (s *Server) supersedeCertificate(w http.ResponseWriter, r *http.Request) error {
	var c CertificateRecord
	oldID, err := pathIDAndBody(r, &c)
	if err != nil {
		return err
	}
	if err := validateCertificate(&c); err != nil {
		return err
	}
	if c.Supersedes != oldID {
		return badRequest("supersedes: must equal the certificate in the path (%s)", oldID)
	}
	p := info(r).principal
	old, err := s.fetchCertificate(r, p.Org, oldID)
	if err != nil {
		return err
	}
	if old.Issuer != p.Department {
		audit(r, "certificate/"+oldID)
		return forbidden("certificate %s was issued by %s, not %s", oldID, old.Issuer, p.Department)
	}
	return s.writeCertificate(w, r, "certificate:Supersede", c)
}

// writeCertificate submits a new certificate record. It is idempotent on the id:
// when the ledger says the id exists and the stored record is the one sent (same
// signed fields and signature), the original is returned with 200.
func (s *Server) writeCertificate(w http.ResponseWriter, r *http.Request, fn string, c CertificateRecord) error {
	return s.writeCertificateArg(w, r, fn, c, "")
}

// writeCertificateArg is writeCertificate with the transaction's argument given
// (a supersede of a batched certificate sends the record with the old one's
// leaf); "" sends the record itself, through the coalescer for an issue.
func (s *Server) writeCertificateArg(w http.ResponseWriter, r *http.Request, fn string, c CertificateRecord, arg string) error {
	p := info(r).principal
	audit(r, "certificate/"+c.ID)
	if c.Issuer != p.Department {
		return forbidden("issuer %s is not your department (%s)", c.Issuer, p.Department)
	}
	var res *ledgerclient.Result
	var err error
	if arg == "" {
		res, err = s.submitCertificate(r.Context(), p.Org, fn, c) // coalesce.go
	} else {
		res, err = s.submit(r.Context(), p.Org, fn, arg)
	}
	// A retried supersede fails on the old certificate (already superseded) before
	// the new id is checked, hence ILLEGAL_TRANSITION too.
	return s.answerWrite(w, r, res, err, http.StatusCreated, p.Org, "certificate:Get", c.ID, func(raw []byte) (string, bool) {
		var stored certificate.Certificate
		if json.Unmarshal(raw, &stored) != nil || stored.Record != c {
			return "", false // a different certificate holds the id: the original error
		}
		// The stored txId is the record's latest write (a later revoke, say); the
		// retry answers with the transaction that created it, the oldest version.
		return s.firstTxID(r, p.Org, c.ID, stored.TxID), true
	}, codes.Conflict, codes.IllegalTransition)
}

// firstTxID returns the transaction that first wrote certificate id (the oldest
// entry of its history), or fallback when the history cannot be read.
func (s *Server) firstTxID(r *http.Request, org, id, fallback string) string {
	raw, err := s.ledger.Evaluate(r.Context(), org, "certificate:History", id)
	if err != nil {
		return fallback
	}
	var hist []struct {
		TxID string `json:"txId"`
	}
	if json.Unmarshal(raw, &hist) != nil || len(hist) == 0 || hist[len(hist)-1].TxID == "" {
		return fallback
	}
	return hist[len(hist)-1].TxID // newest first: the last entry is the creation
}

func (s *Server) fetchCertificate(r *http.Request, org, id string) (*certificate.Certificate, error) {
	raw, err := s.ledger.Evaluate(r.Context(), org, "certificate:Get", id)
	if err != nil {
		return nil, err
	}
	var c certificate.Certificate
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decoding certificate %s from ledger: %w", id, err)
	}
	return &c, nil
}

// checkStatus checks a status change sent to certificate id's action endpoint
// (c holds what the caller checked already): the body names id and action, is
// signed, and meets StatusRequest.Validate, which requires a reason for every
// status change, reinstate too.
func checkStatus(in *StatusRequest, id, action string, c *checks) error {
	c.samePath("certificateId", in.CertificateID, id, "certificate")
	if in.Action != action {
		c.add("action", "must be %q on this endpoint", action)
	}
	c.signature("signature", in.Signature)
	return invalid(in.Validate(), c)
}

// submitStatus submits status change req (body: its JSON argument of fn) and
// answers it, or a retry of a change that committed (replayStatusChange).
func (s *Server) submitStatus(w http.ResponseWriter, r *http.Request, org, fn, body string, req StatusRequest, batchID string) error {
	res, err := s.submit(r.Context(), org, fn, body)
	auditTx(r, res)
	if err == nil {
		return writeResult(w, http.StatusOK, res)
	}
	return s.replayStatusChange(w, r, err, org, req, batchID)
}

func (s *Server) changeStatus(action, fn string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in StatusRequest
		id, err := pathIDAndBody(r, &in)
		if err != nil {
			return err
		}
		if err := checkStatus(&in, id, action, &checks{}); err != nil {
			return err
		}
		p := info(r).principal
		audit(r, "certificate/"+id)
		cert, err := s.fetchCertificate(r, p.Org, id)
		if err != nil {
			return err
		}
		if cert.Issuer != p.Department {
			return forbidden("certificate %s was issued by %s, not %s", id, cert.Issuer, p.Department)
		}
		return s.submitStatus(w, r, p.Org, fn, mustJSON(in), in, "")
	}
}

// statusAfter is the status each action leads to.
var statusAfter = map[string]string{
	certificate.ActionRevoke:    certificate.StatusRevoked,
	certificate.ActionSuspend:   certificate.StatusSuspended,
	certificate.ActionReinstate: certificate.StatusValid,
}

// replayStatusChange makes a signed status change safe to retry. The request
// signs prevTxId, the certificate's last write, so once it committed the ledger
// refuses a retry as stale (CONFLICT). Only one write can ever follow a given
// transaction; when the version that followed in.PrevTxID has the status and
// reason this request asks for, it is this request's commit (or one identical to
// it), and the retry is answered with it: 200 and Idempotent-Replay, as a retried
// issue is. Anything else keeps the original error. For a certificate of batch
// batchID ("" for none) the first version on the ledger followed the batch's
// anchoring: a retried first status change names that transaction.
func (s *Server) replayStatusChange(w http.ResponseWriter, r *http.Request, err error, org string, in StatusRequest, batchID string) error {
	if code, _, _ := errmap.ChaincodeCode(err); code != codes.Conflict {
		return err
	}
	raw, herr := s.ledger.Evaluate(r.Context(), org, "certificate:History", in.CertificateID)
	if herr != nil {
		return err
	}
	var hist []struct {
		TxID   string          `json:"txId"`
		Record json.RawMessage `json:"record"`
	}
	if json.Unmarshal(raw, &hist) != nil {
		return err
	}
	// Newest first: the version after PrevTxID's is the entry before it; the
	// oldest version of a batched certificate followed its batch's anchoring.
	for i := 0; i < len(hist); i++ {
		prev := ""
		if i+1 < len(hist) {
			prev = hist[i+1].TxID
		} else if batchID != "" {
			prev = s.anchoringTx(r, org, batchID)
		}
		if prev == "" || prev != in.PrevTxID {
			continue
		}
		next := hist[i]
		var c certificate.Certificate
		if json.Unmarshal(next.Record, &c) != nil || c.Status != statusAfter[in.Action] || c.StatusReason != in.Reason ||
			(i+1 == len(hist) && c.BatchID != batchID) {
			return err
		}
		block, _ := s.ledger.TxBlock(r.Context(), org, next.TxID)
		res := &ledgerclient.Result{Payload: next.Record, TxID: next.TxID, BlockNumber: block}
		auditTx(r, res)
		w.Header().Set("Idempotent-Replay", "true")
		return writeResult(w, http.StatusOK, res)
	}
	return err
}

func (s *Server) getCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	audit(r, "certificate/"+id)
	return s.evaluateWrite(w, r, s.org(r), "certificate:Get", id)
}

func (s *Server) findCertificates(w http.ResponseWriter, r *http.Request) error {
	h := r.URL.Query().Get("hash")
	var c checks
	c.hash("hash", h, true)
	if err := c.err(); err != nil {
		return err
	}
	audit(r, "hash/"+h)
	return s.evaluateWrite(w, r, s.org(r), "certificate:FindByHash", h)
}

func (s *Server) certificateHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	audit(r, "certificate/"+id)
	return s.evaluateWrite(w, r, s.org(r), "certificate:History", id)
}

// anchoringTx is the transaction that anchored batch id ("" when it cannot be read).
func (s *Server) anchoringTx(r *http.Request, org, id string) string {
	raw, err := s.ledger.Evaluate(r.Context(), org, "batch:Get", id)
	if err != nil {
		return ""
	}
	var a struct {
		TxID string `json:"txId"`
	}
	if json.Unmarshal(raw, &a) != nil {
		return ""
	}
	return a.TxID
}
