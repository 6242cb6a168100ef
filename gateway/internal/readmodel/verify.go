package readmodel

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/merkle"
)

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
	var candidates []entry
	if q.ID != "" {
		e, found, err := m.lookup(q.ID)
		if err != nil {
			return certificate.Result{}, err
		}
		if found {
			candidates = append(candidates, e)
			in.Matches = []string{e.cert.ID}
		}
	} else {
		ids, err := m.IDsByHash(q.DocHash)
		if err != nil {
			return certificate.Result{}, err
		}
		for _, id := range ids {
			e, found, err := m.lookup(id)
			if err != nil {
				return certificate.Result{}, err
			}
			if !found {
				continue // an index entry ahead of its record cannot happen within a block; skip it
			}
			candidates = append(candidates, e)
			in.Matches = append(in.Matches, e.cert.ID)
		}
	}
	if len(candidates) == 0 {
		return certificate.Evaluate(in), nil
	}
	dir := m.depts.Load()
	results := make([]certificate.Result, 0, len(candidates))
	for i := range candidates {
		c := &candidates[i].cert
		one := in
		one.Certificate = c
		if owner, key, ok := dir.lookupKey(c.KeyID); ok {
			one.IssuerKey, one.KeyOwner = &key, owner
		}
		if issuer, ok := dir.depts[c.Issuer]; ok {
			one.IssuerName, one.IssuerCode = issuer.Name, issuer.Code
		}
		if c.BatchID != "" && c.Signature == "" {
			// Step 5 by the batch header's signature, step 4 by the proof the
			// model computed from the batch's tree (none while its file is
			// not indexed: NO_PROOF, as on the ledger).
			bi, err := m.batchInfo(c.BatchID)
			if err != nil {
				return certificate.Result{}, err
			}
			one.BatchCheck = bi.check
			one.Inclusion = candidates[i].inc
		}
		info, err := m.typeInfo(*c)
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
	e, found, err := m.lookup(id)
	return e.cert, found, err
}

// lookup returns certificate id with its inclusion proof when it is batched
// (cached until a block rewrites it).
func (m *Model) lookup(id string) (entry, bool, error) {
	if e, ok := m.certs.get(id); ok {
		return e, true, nil
	}
	gen := m.certs.generation()
	e, found, err := m.readEntry(id)
	if err == nil && found {
		m.certs.put(gen, e)
	}
	return e, found, err
}

// certValueOf returns the stored value of certificate id: its on-chain record,
// else its record in the earliest anchored batch that holds it.
func (m *Model) certValueOf(id string) (certValue, bool, error) {
	raw, found, err := get(m.db, key(kindCert, id))
	if err != nil {
		return certValue{}, false, err
	}
	if !found {
		return m.batchedValue(id, "")
	}
	v, err := decodeCert(raw)
	if err != nil {
		return v, false, fmt.Errorf("certificate %s: %w", id, err)
	}
	return v, true, nil
}

// batchedValue returns certificate id's record in batch batchID ("": the
// earliest anchored batch that holds it).
func (m *Model) batchedValue(id, batchID string) (certValue, bool, error) {
	lo := key(kindBatched, id, "")
	it, err := m.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return certValue{}, false, err
	}
	var v certValue
	found := false
	// A prefix seek: lo is the prefix of every locator of id (comparer.go).
	for ok := it.SeekPrefixGE(lo); ok && !found; ok = it.Next() {
		if v, err = decodeCert(it.Value()); err != nil {
			_ = it.Close()
			return v, false, fmt.Errorf("certificate %s: %w", id, err)
		}
		found = batchID == "" || v.BatchID == batchID
	}
	if err := it.Close(); err != nil {
		return v, false, err
	}
	return v, found, nil
}

func (m *Model) readEntry(id string) (entry, bool, error) {
	v, found, err := m.certValueOf(id)
	if err != nil || !found {
		return entry{}, false, err
	}
	if v.Kind == certBatched {
		return m.batchedEntry(id, v)
	}
	var e entry
	if err := json.Unmarshal(v.JSON, &e.cert); err != nil {
		return e, false, fmt.Errorf("%w: certificate %s: %w", ErrCorrupt, id, err)
	}
	if c := &e.cert; c.BatchID != "" && c.Signature == "" {
		// On the ledger since its first status change: its proof is the one
		// of its leaf in its batch, when the batch's file is indexed.
		bv, ok, err := m.batchedValue(id, c.BatchID)
		if err != nil {
			return e, false, err
		}
		if ok {
			_, path, bi, err := m.batchedRecord(id, bv)
			if err != nil {
				return e, false, err
			}
			e.inc = bi.inclusion(bv.Leaf, path)
		}
	}
	return e, true, nil
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

// AppendVerifyJSON appends Verify's answer as JSON, with a newline, to dst
// (httpapi.VerifyModel: the handler passes a pooled buffer).
func (m *Model) AppendVerifyJSON(dst []byte, q certificate.Query, now time.Time) ([]byte, error) {
	a, err := m.Verify(q, now)
	if err != nil {
		return nil, err
	}
	// An Encoder writes json.Marshal's bytes and the newline after dst's.
	buf := bytes.NewBuffer(dst)
	if err := json.NewEncoder(buf).Encode(a); err != nil {
		return nil, fmt.Errorf("encoding verify answer: %w", err)
	}
	return buf.Bytes(), nil
}

// LedgerHeight is the ledger's last known height (httpapi.VerifyModel).
func (m *Model) LedgerHeight() uint64 { return m.Status().LedgerHeight }

// batchInfo is what verify and receipts use of an anchored batch: its header
// as anchored, its block and root, and the outcome of its signature check by
// each key asked (step 5 of every certificate of the batch checks the same
// signature: it is verified once per key).
type batchInfo struct {
	batch.Anchored
	Block uint64
	root  []byte
	sigs  sync.Map // public key PEM -> error (nil: verified)
}

// batchInfo returns batch id's info (cached: an anchored header never changes).
func (m *Model) batchInfo(id string) (*batchInfo, error) {
	if v, ok := m.batches.Load(id); ok {
		return v.(*batchInfo), nil
	}
	raw, found, err := get(m.db, key(kindBatch, id))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: batch %s of a certificate is not in the model", ErrCorrupt, id)
	}
	bv, err := decodeBatch(raw)
	if err != nil {
		return nil, err
	}
	bi := &batchInfo{Block: bv.Block}
	if err := json.Unmarshal(bv.JSON, &bi.Anchored); err != nil {
		return nil, fmt.Errorf("%w: batch %s: %w", ErrCorrupt, id, err)
	}
	if bi.root, err = hex.DecodeString(bi.Root); err != nil || len(bi.root) != merkle.Size {
		return nil, fmt.Errorf("%w: batch %s: root %q", ErrCorrupt, id, bi.Root)
	}
	v, _ := m.batches.LoadOrStore(id, bi)
	return v.(*batchInfo), nil
}

// check is step 5's check of a certificate of the batch (it has no signature
// of its own): the SM2 signature of the anchored header by key k, as chaincode
// certificate:Verify checks it.
func (bi *batchInfo) check(k *registry.Key) error {
	if v, ok := bi.sigs.Load(k.PublicKey); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	err := registry.VerifyRecord(*k, canon.KindBatchHeader, bi.Header, bi.Signature)
	bi.sigs.Store(k.PublicKey, err) // nil: verified
	return err
}

// inclusion is step 4's proof of leaf with path (levels 0 up).
func (bi *batchInfo) inclusion(leaf uint64, path []merkle.Hash) *certificate.Inclusion {
	inc := &certificate.Inclusion{Index: int(leaf), Size: bi.Count, Root: bi.root, Proof: make([][]byte, len(path))}
	for i := range path {
		inc.Proof[i] = path[i][:]
	}
	return inc
}
