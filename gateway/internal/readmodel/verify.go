package readmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// ErrBatchedPending is returned by Verify for a certificate known only from a
// batch file: the verification pipeline does not yet check a batch header's
// signature (step 5 over the root) and an inclusion proof (step 4) for it, so
// the caller asks the ledger rather than get a wrong BAD_SIGNATURE here.
var ErrBatchedPending = errors.New("verification of batched certificates from the read model is not available yet")

// ErrLagging is returned by Verify when the model is too far behind the ledger
// (or does not know the ledger's head): the caller asks the ledger.
var ErrLagging = errors.New("read model is behind the ledger")

// Answer is a verification answer and the height it reflects.
type Answer struct {
	certificate.Result
	// Height is the number of blocks the answer reflects (at least).
	Height uint64 `json:"height"`
	// Source says who answered: "readModel" or "ledger".
	Source string `json:"source"`
}

// Sources of an answer.
const (
	SourceReadModel = "readModel"
	SourceLedger    = "ledger"
)

// Verify runs the verification pipeline (certificate.Evaluate, as the
// chaincode's certificate:Verify does) for q at time now over the store. It
// returns ErrLagging when the model may not answer (Status().Serving is false).
func (m *Model) Verify(q certificate.Query, now time.Time) (*Answer, error) {
	st := m.Status()
	if !st.Serving {
		return nil, fmt.Errorf("%w: height %d, ledger %d, lag %s, head known %t", ErrLagging, st.Height, st.LedgerHeight, st.Lag, st.HeadKnown)
	}
	res, err := m.evaluate(q, now)
	if err != nil {
		return nil, err
	}
	return &Answer{Result: res, Height: st.Height, Source: SourceReadModel}, nil
}

// evaluate is certificate:Verify over the store, without the lag check.
func (m *Model) evaluate(q certificate.Query, now time.Time) (certificate.Result, error) {
	in := certificate.Input{Now: now, Query: q}
	if pre := certificate.Evaluate(in); pre.Verdict == wire.VerdictBadFormat {
		return pre, nil
	}
	var candidates []certificate.Certificate
	if q.ID != "" {
		c, found, err := m.Certificate(q.ID)
		if err != nil {
			return certificate.Result{}, err
		}
		if found {
			candidates = append(candidates, c)
			in.Matches = []string{c.ID}
		}
	} else {
		ids, err := m.IDsByHash(q.DocHash)
		if err != nil {
			return certificate.Result{}, err
		}
		for _, id := range ids {
			c, found, err := m.Certificate(id)
			if err != nil {
				return certificate.Result{}, err
			}
			if !found {
				continue // an index entry ahead of its record cannot happen within a block; skip it
			}
			candidates = append(candidates, c)
			in.Matches = append(in.Matches, c.ID)
		}
	}
	if len(candidates) == 0 {
		return certificate.Evaluate(in), nil
	}
	for i := range candidates {
		if candidates[i].BatchID != "" && candidates[i].Signature == "" {
			if v, ok, _ := m.certValueOf(candidates[i].ID); ok {
				if v.Kind == certBatched {
					return certificate.Result{}, fmt.Errorf("%w (certificate %s, batch %s)", ErrBatchedPending, candidates[i].ID, candidates[i].BatchID)
				}
			}
		}
	}
	dir := m.depts.Load()
	results := make([]certificate.Result, 0, len(candidates))
	for i := range candidates {
		one := in
		one.Certificate = &candidates[i]
		if owner, key, ok := dir.lookupKey(candidates[i].KeyID); ok {
			one.IssuerKey, one.KeyOwner = &key, owner
		}
		if issuer, ok := dir.depts[candidates[i].Issuer]; ok {
			one.IssuerName, one.IssuerCode = issuer.Name, issuer.Code
		}
		if candidates[i].BatchID != "" && candidates[i].Signature == "" {
			check, err := m.batchCheck(candidates[i].BatchID)
			if err != nil {
				return certificate.Result{}, err
			}
			one.BatchCheck = check
		}
		info, err := m.typeInfo(candidates[i])
		if err != nil {
			return certificate.Result{}, err
		}
		one.CertType = info
		results = append(results, certificate.Evaluate(one))
	}
	return certificate.Summarize(results), nil
}

// typeInfo is what a verifier is shown of a v2 certificate's type, from the
// catalogue as the certtype contract wrote it (nil for a v1 record or a type
// not in the catalogue), as the chaincode's certificate:Verify gives it.
func (m *Model) typeInfo(c certificate.Certificate) (*certtype.Info, error) {
	if c.RecordVersion != certificate.RecordV2 {
		return nil, nil
	}
	raw, found, err := get(m.db, key(kindCertType, c.Type))
	if err != nil || !found {
		return nil, err
	}
	var t certtype.Type
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("%w: certificate type %s: %w", ErrCorrupt, c.Type, err)
	}
	info := t.Info()
	return &info, nil
}

// Certificate returns certificate id as the ledger holds it (a batched one not
// yet on the ledger by itself: as of its batch's anchoring).
func (m *Model) Certificate(id string) (certificate.Certificate, bool, error) {
	if c, ok := m.certs.get(id); ok {
		return c, true, nil
	}
	gen := m.certs.generation()
	c, found, err := m.readCertificate(id)
	if err == nil && found {
		m.certs.put(gen, c)
	}
	return c, found, err
}

// certValueOf returns the stored value of certificate id: its on-chain record,
// else its record in the earliest anchored batch that holds it.
func (m *Model) certValueOf(id string) (certValue, bool, error) {
	raw, found, err := get(m.db, key(kindCert, id))
	if err != nil {
		return certValue{}, false, err
	}
	if !found {
		lo := key(kindBatched, id, "")
		it, err := m.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
		if err != nil {
			return certValue{}, false, err
		}
		if it.First() {
			raw, found = append([]byte(nil), it.Value()...), true
		}
		if err := it.Close(); err != nil || !found {
			return certValue{}, false, err
		}
	}
	v, err := decodeCert(raw)
	if err != nil {
		return v, false, fmt.Errorf("certificate %s: %w", id, err)
	}
	return v, true, nil
}

func (m *Model) readCertificate(id string) (certificate.Certificate, bool, error) {
	var c certificate.Certificate
	v, found, err := m.certValueOf(id)
	if err != nil || !found {
		return c, false, err
	}
	if v.Kind == certBatched {
		return m.batchedCertificate(id, v)
	}
	if err := json.Unmarshal(v.JSON, &c); err != nil {
		return c, false, fmt.Errorf("%w: certificate %s: %w", ErrCorrupt, id, err)
	}
	return c, true, nil
}

// IDsByHash returns the ids of the certificates with document hash docHash,
// ordered by id (certificate:FindByHash's order).
func (m *Model) IDsByHash(docHash string) ([]string, error) {
	lo := key(kindHash, docHash, "")
	it, err := m.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, err
	}
	var ids []string
	for ok := it.First(); ok; ok = it.Next() {
		ids = append(ids, string(it.Key()[len(lo):]))
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// Anchor is where a certificate was put on the ledger, with the evidence of
// that transaction (for receipts): the proposal response payload the
// endorsements sign, and each endorser's serialized identity and signature.
type Anchor struct {
	TxID             string        `json:"txId"`
	BlockNumber      uint64        `json:"blockNumber"`
	TxIndex          uint64        `json:"txIndex"`
	ProposalResponse []byte        `json:"proposalResponse"`
	Endorsements     []Endorsement `json:"endorsements"`
	// LastBlock is the block of the certificate's latest on-chain write.
	LastBlock uint64 `json:"lastBlock"`
}

// AnchorOf returns the anchoring transaction of certificate id (its issue,
// grouped issue or batch anchoring) with its endorsements.
func (m *Model) AnchorOf(id string) (*Anchor, bool, error) {
	v, found, err := m.certValueOf(id)
	if err != nil || !found {
		return nil, false, err
	}
	a := &Anchor{TxID: v.AnchorTx, BlockNumber: v.AnchorBlock, LastBlock: v.Block}
	txRaw, found, err := get(m.db, key(kindTx, v.AnchorTx))
	if err != nil || !found {
		return a, true, err
	}
	tv, err := decodeTxValue(txRaw)
	if err != nil {
		return nil, false, err
	}
	a.TxIndex, a.ProposalResponse = tv.Index, tv.ProposalResponse
	for i, h := range tv.Endorsers {
		id, ok, err := get(m.db, key(kindEndorser, string(h)))
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return nil, false, fmt.Errorf("%w: endorser %x of tx %s", ErrCorrupt, h, v.AnchorTx)
		}
		a.Endorsements = append(a.Endorsements, Endorsement{Endorser: id, Signature: tv.Signatures[i]})
	}
	return a, true, nil
}

// VerifyJSON is Verify's answer as JSON (httpapi.VerifyModel).
func (m *Model) VerifyJSON(q certificate.Query, now time.Time) ([]byte, error) {
	a, err := m.Verify(q, now)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encoding verify answer: %w", err)
	}
	return append(b, '\n'), nil
}

// LedgerHeight is the ledger's last known height (httpapi.VerifyModel).
func (m *Model) LedgerHeight() uint64 { return m.Status().LedgerHeight }

// batchCheck is step 5's check of a batched certificate on the ledger (it has
// no signature of its own): the SM2 signature of its anchored batch header,
// from the header the model stored, as chaincode certificate:Verify checks it.
// A header the model cannot read sends the query to the ledger.
func (m *Model) batchCheck(batchID string) (func(k *registry.Key) error, error) {
	raw, found, err := get(m.db, key(kindBatch, batchID))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: batch %s of an on-chain certificate is not in the model", ErrCorrupt, batchID)
	}
	bv, err := decodeBatch(raw)
	if err != nil {
		return nil, err
	}
	var a batch.Anchored
	if err := json.Unmarshal(bv.JSON, &a); err != nil {
		return nil, fmt.Errorf("%w: batch %s: %w", ErrCorrupt, batchID, err)
	}
	return func(k *registry.Key) error {
		return registry.VerifyRecord(*k, canon.KindBatchHeader, a.Header, a.Signature)
	}, nil
}
