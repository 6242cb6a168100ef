package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/receipt"
)

// ReceiptEvidence is what GET /api/v1/certificates/{id}/receipt answers: the
// certificate as first written and the evidence of the transaction that wrote
// it — the parts of a v2 receipt the ledger knows.
type ReceiptEvidence struct {
	ID          string                   `json:"id"`
	Certificate *certificate.Certificate `json:"certificate"`
	receipt.TxEvidence
}

// certificateReceipt reads the transaction that created certificate id from
// its block (qscc GetBlockByTxID) and the record it wrote from the anchor's
// own write set, so what it answers is exactly what the endorsers signed.
func (s *Server) certificateReceipt(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	audit(r, "certificate/"+id)
	if done, err := s.batchedReceipt(w, r, id); done {
		return err
	}
	br, err := s.blockReader()
	if err != nil {
		return err
	}
	txID, err := s.creationTx(r, id)
	if err != nil {
		return err
	}
	tx, ev, err := s.txEvidence(r, br, txID)
	if err != nil {
		return err
	}
	written, ok := tx.Write(receipt.CertificateKey(id))
	if !ok {
		return errmap.New(http.StatusNotFound, codes.NotFound, "certificate "+id+" was not written by a transaction of its own (batched certificates have batch receipts)")
	}
	var cert certificate.Certificate
	if err := json.Unmarshal(written, &cert); err != nil {
		return errmap.New(http.StatusBadGateway, codes.Internal, "transaction "+txID+" wrote no certificate: "+err.Error())
	}
	return writePublicJSON(w, ReceiptEvidence{ID: id, Certificate: &cert, TxEvidence: ev})
}

// BatchReceipts is what a VerifyModel may also do: build the v2 receipt of a
// certificate of a Merkle batch from its store (readmodel.Model.BatchReceipt),
// without the bundle fingerprint and the verify link. found is false for a
// certificate of no batch the model knows.
type BatchReceipts interface {
	BatchReceipt(id string) (rc *receipt.Receipt, found bool, err error)
}

// batchedReceipt answers GET /api/v1/certificates/{id}/receipt for a
// certificate of a Merkle batch from the read model: the whole v2 receipt
// (leaf, inclusion proof, anchored header, the anchoring transaction's
// anchor), which `certledger cert verify --receipt` checks offline. done is
// false when the model cannot answer (no model, not a batched certificate,
// or an error, logged): the ledger is asked.
func (s *Server) batchedReceipt(w http.ResponseWriter, r *http.Request, id string) (done bool, err error) {
	m, ok := s.opts.VerifyModel.(BatchReceipts)
	if !ok {
		return false, nil
	}
	rc, found, err := m.BatchReceipt(id)
	if err != nil {
		s.log.Warn("read model: no batch receipt, asking the ledger", "certificate", id, "error", err)
		return false, nil
	}
	if !found {
		return false, nil
	}
	pin := ""
	if s.opts.Trust != nil {
		pin = s.opts.Trust.Pin()
	}
	if pin == "" {
		return true, errmap.New(http.StatusNotImplemented, codes.Internal,
			"this gateway pins no governance key (trust.pin): a v2 receipt names it; `certledger batch receipt --file F --id "+id+"` builds one with CERTLEDGER_TRUST_PIN")
	}
	rc.BundleFingerprint = pin
	if base, err := url.Parse(strings.TrimRight(s.opts.PublicURL, "/")); err == nil && base.Scheme != "" && base.Host != "" {
		base.Path += "/verify"
		base.RawQuery = url.Values{"id": {rc.Batch.Record.ID}, "hash": {rc.Batch.Record.DocHash}}.Encode()
		rc.VerifyURL = base.String()
	}
	out, err := rc.Marshal()
	if err != nil {
		return true, err
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	setJSONHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out) // the client went away: nothing to do
	return true, nil
}

// batchReceipt reads the transaction that anchored batch id from its block and
// answers the header its endorsed write set holds.
func (s *Server) batchReceipt(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	audit(r, "batch/"+id)
	br, err := s.blockReader()
	if err != nil {
		return err
	}
	a, err := s.anchored(r, id)
	if err != nil {
		return err
	}
	tx, ev, err := s.txEvidence(r, br, a.TxID)
	if err != nil {
		return err
	}
	raw, ok := tx.Write(receipt.BatchKey(id))
	if !ok {
		return errmap.New(http.StatusBadGateway, codes.Internal, "transaction "+a.TxID+" did not anchor batch "+id)
	}
	var written batch.Anchored
	if err := json.Unmarshal(raw, &written); err != nil {
		return errmap.New(http.StatusBadGateway, codes.Internal, "transaction "+a.TxID+" wrote no batch header: "+err.Error())
	}
	return writePublicJSON(w, receipt.BatchEvidence{ID: id, Batch: &written, TxEvidence: ev})
}

// blockReader is the ledger as a reader of blocks, which receipts need.
func (s *Server) blockReader() (ledgerclient.BlockReader, error) {
	br, ok := s.opts.Ledger.(ledgerclient.BlockReader)
	if !ok {
		return nil, errmap.New(http.StatusNotImplemented, codes.Internal, "this gateway's ledger cannot read blocks (receipts need the transaction's endorsements)")
	}
	return br, nil
}

// creationTx is the id of the transaction that created certificate id: the
// last entry of its history (newest first).
func (s *Server) creationTx(r *http.Request, id string) (string, error) {
	raw, err := s.ledger.Evaluate(r.Context(), s.org(r), "certificate:History", id)
	if err != nil {
		return "", err
	}
	var hist []struct {
		TxID string `json:"txId"`
	}
	if err := json.Unmarshal(raw, &hist); err != nil || len(hist) == 0 || hist[len(hist)-1].TxID == "" {
		return "", errmap.New(http.StatusBadGateway, codes.Internal, "the ledger returned no history for certificate "+id)
	}
	return hist[len(hist)-1].TxID, nil
}

// txEvidence reads transaction txID from its block: the decoded transaction
// (for its write set) and its evidence.
func (s *Server) txEvidence(r *http.Request, br ledgerclient.BlockReader, txID string) (*receipt.Tx, receipt.TxEvidence, error) {
	block, err := br.TxBlockBytes(r.Context(), s.org(r), txID)
	if err != nil {
		return nil, receipt.TxEvidence{}, err
	}
	a, num, code, err := receipt.FromBlock(block, txID)
	if err != nil {
		return nil, receipt.TxEvidence{}, errmap.New(http.StatusBadGateway, codes.Internal, "the block of transaction "+txID+" does not hold it: "+err.Error())
	}
	tx, err := a.Decode()
	if err != nil {
		return nil, receipt.TxEvidence{}, errmap.New(http.StatusBadGateway, codes.Internal, "transaction "+txID+": "+err.Error())
	}
	ev := receipt.TxEvidence{Channel: tx.Channel, TxID: txID, BlockNumber: num, ValidationCode: code.String(), Anchor: a}
	if s.opts.Trust != nil {
		ev.BundleFingerprint = s.opts.Trust.Pin()
	}
	return tx, ev, nil
}
