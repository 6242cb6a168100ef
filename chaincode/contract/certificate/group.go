package certificate

import (
	"crypto/ecdsa"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/certtype"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	domaincerttype "github.com/certledger/certledger/internal/domain/certtype"
	domainregistry "github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// EventGroupIssued is the event of a grouped issue: Fabric keeps one chaincode
// event per transaction, so a group sends one event listing every certificate
// it wrote (GroupEvent).
const EventGroupIssued = "CertificatesIssued"

// Outcomes of one record of a grouped issue.
const (
	OutcomeIssued  = "issued"  // written by this transaction
	OutcomeReplay  = "replay"  // the same signed record is already on the ledger: nothing written
	OutcomeRefused = "refused" // checked as a single issue and refused: nothing written
)

// MaxGroupEnv names the environment variable that sets the largest group
// (records per certificate:IssueGroup transaction). Unset means DefaultMaxGroup.
const MaxGroupEnv = "CERTLEDGER_MAX_GROUP"

// DefaultMaxGroup keeps a full group's transaction near 0.86 MB, under half of
// the PreferredMaxBytes (2 MB) of network/fabric's orderer and a tenth of its
// AbsoluteMaxBytes (10 MB). Measured per record: 0.51 kB of input, 0.87 kB
// written (record + hash index), 0.13 kB of event (GroupIssued), 0.13 kB of
// answer. docs/batches.md shows the arithmetic.
const DefaultMaxGroup = 500

// MaxGroup returns the configured largest group. Like the clock-skew setting it
// decides only whether to endorse; a malformed value refuses every group.
func MaxGroup() (int, error) {
	v := os.Getenv(MaxGroupEnv)
	if v == "" {
		return DefaultMaxGroup, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 10000 {
		return 0, codes.New(codes.Internal, "%s=%q is not a group size between 1 and 10000", MaxGroupEnv, v)
	}
	return n, nil
}

// Group is the input of IssueGroup.
type Group struct {
	Records []certificate.Record `json:"records"`
}

// GroupResult is the answer for one record of a group, in input order.
type GroupResult struct {
	ID      string `json:"id"`
	Outcome string `json:"outcome"`
	Code    string `json:"code,omitempty"`    // the refusal's code (as a single issue would give)
	Message string `json:"message,omitempty"` // the refusal's message
	TxID    string `json:"txId,omitempty"`    // the transaction that wrote the record (this one, or the original for a replay)
}

// GroupAnswer is IssueGroup's result.
type GroupAnswer struct {
	TxID     string        `json:"txId"`
	IssuedAt string        `json:"issuedAt"` // the issuedAt of every certificate issued here
	Issued   int           `json:"issued"`
	Replay   int           `json:"replay"`
	Refused  int           `json:"refused"`
	Results  []GroupResult `json:"results"`
}

// GroupEvent is the payload of CertificatesIssued: the certificates this
// transaction wrote, in input order, each named by what a listener matches on —
// id, document hash, issuer. Every other field is the signed record, the same
// for all of them (status valid, issuedAt = updatedAt = the group's issuedAt,
// txId) or in the transaction's writes: the full certificates are
// certificate:Get (or the block's write set, which the gateway's read model
// indexes). Listing them in full would repeat every record a second time in the
// transaction (about 30% of its bytes).
type GroupEvent struct {
	TxID         string        `json:"txId"`
	IssuedAt     string        `json:"issuedAt"`
	Certificates []GroupIssued `json:"certificates"`
}

// GroupIssued is one certificate of a GroupEvent.
type GroupIssued struct {
	ID      string `json:"id"`
	DocHash string `json:"docHash"`
	Issuer  string `json:"issuer"`
}

// IssueGroup issues up to MaxGroup individually signed records {"records":[...]}
// in one transaction. Each record is checked exactly as certificate:Issue checks
// it (format, new id, submitter in the issuer's MSP, signature by a key of the
// issuer valid at the transaction time); a record whose id is already on the
// ledger with the same signed record is a replay (its original txId answered,
// nothing written), one that fails is refused with its code and writes nothing,
// the others are written. An id twice in one group: the second is refused.
// Event CertificatesIssued (GroupEvent: the id, document hash and issuer of each
// certificate issued) when at least one record was issued.
//
// The checks that read the ledger run record by record; the SM2 signatures of
// the records that passed them are then verified together on every core (pure
// functions of the record and the department read: every endorser reaches the
// same verdicts), and the records are written in input order.
func (c *Contract) IssueGroup(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	max, err := MaxGroup()
	if err != nil {
		return "", err
	}
	var g Group
	if err := state.Decode("group", input, &g); err != nil {
		return "", err
	}
	if len(g.Records) == 0 || len(g.Records) > max {
		return "", codes.New(codes.InvalidArgument, "a group holds 1 to %d records, not %d", max, len(g.Records))
	}
	run := newGroupRun(ctx, at, g.Records)
	if err := run.check(); err != nil {
		return "", err
	}
	run.verifyAll()
	// The writes go to the peer in one message per 1,000 on Fabric v3.1 and
	// later (StartWriteBatch does nothing on a peer that does not offer it).
	ctx.GetStub().StartWriteBatch()
	if err := run.write(); err != nil {
		return "", err
	}
	if err := ctx.GetStub().FinishWriteBatch(); err != nil {
		return "", codes.New(codes.Internal, "writing state: %v", err)
	}
	if run.ans.Issued > 0 {
		if err := state.Emit(ctx, EventGroupIssued, run.ev); err != nil {
			return "", err
		}
	}
	return state.JSON(run.ans)
}

// groupRun is one IssueGroup transaction.
type groupRun struct {
	ctx      state.Context
	at       time.Time
	txID     string
	records  []certificate.Record
	pending  []*pendingIssue // checked but for the signature (check)
	deferred []bool          // an id seen earlier in the group: decided when written
	sigErr   []error         // the signature verdicts of pending (verifyAll)
	depts    map[string]deptResult
	operator struct {
		id   string
		err  error
		read bool
	}
	catalogue struct {
		inForce, read bool
		err           error
	}
	types map[string]*domaincerttype.Type
	prior map[string][]byte // the state at each record's certificate key (prefetch)
	ans   GroupAnswer
	ev    GroupEvent
}

type deptResult struct {
	d   domainregistry.Department
	err error
}

func newGroupRun(ctx state.Context, at time.Time, recs []certificate.Record) *groupRun {
	txID := state.TxID(ctx)
	return &groupRun{ctx: ctx, at: at, txID: txID, records: recs, pending: make([]*pendingIssue, len(recs)),
		deferred: make([]bool, len(recs)), sigErr: make([]error, len(recs)), depts: map[string]deptResult{}, types: map[string]*domaincerttype.Type{}, prior: map[string][]byte{},
		ans: GroupAnswer{TxID: txID, IssuedAt: wire.FormatTime(at), Results: make([]GroupResult, len(recs))},
		ev:  GroupEvent{TxID: txID, IssuedAt: wire.FormatTime(at), Certificates: make([]GroupIssued, 0, len(recs))}}
}

// submitterOf reads each issuer once per transaction.
func (g *groupRun) submitterOf(ctx state.Context, id string) (domainregistry.Department, error) {
	if r, ok := g.depts[id]; ok {
		return r.d, r.err
	}
	d, err := registry.RequireSubmitterOf(ctx, id)
	if err != nil && codes.Code(err) == codes.Internal {
		return d, err
	}
	g.depts[id] = deptResult{d, err}
	return d, err
}

// operatorID reads the creator's operator id once per transaction.
func (g *groupRun) operatorID(ctx state.Context) (string, error) {
	if !g.operator.read {
		g.operator.id, g.operator.err = state.OperatorID(ctx)
		g.operator.read = true
	}
	return g.operator.id, g.operator.err
}

// inForce reads whether the type catalogue is in force once per transaction
// (on Fabric every read is a round trip to the peer).
func (g *groupRun) inForce(ctx state.Context) (bool, error) {
	if !g.catalogue.read {
		g.catalogue.inForce, g.catalogue.err = certtype.InForce(ctx)
		g.catalogue.read = true
	}
	return g.catalogue.inForce, g.catalogue.err
}

// lookupType reads each catalogue type once per transaction; a failed read is
// not kept (it fails the transaction).
func (g *groupRun) lookupType(ctx state.Context, code string) (*domaincerttype.Type, error) {
	if t, ok := g.types[code]; ok {
		return t, nil
	}
	t, err := certtype.Lookup(ctx, code)
	if err == nil {
		g.types[code] = t
	}
	return t, err
}

// prefetch reads the certificate keys of all records in one GetMultipleStates:
// on Fabric v3.1 and later one shim message per 1,000 keys instead of one per
// record (the read set is the same: a version for every key read).
func (g *groupRun) prefetch() error {
	keys := make([]string, 0, len(g.records))
	for _, r := range g.records {
		k, err := state.Key(g.ctx, objCertificate, r.ID)
		if _, twice := g.prior[k]; err != nil || twice {
			continue // a bad id is refused by its checks; an id twice is read once
		}
		g.prior[k] = nil
		keys = append(keys, k)
	}
	bs, err := state.GetMany(g.ctx, keys)
	if err != nil {
		return err
	}
	for i, k := range keys {
		g.prior[k] = bs[i]
	}
	return nil
}

// certificate answers from the prefetch; a key it did not read is read now.
func (g *groupRun) certificate(ctx state.Context, k string) ([]byte, error) {
	if b, ok := g.prior[k]; ok {
		return b, nil
	}
	return state.Get(ctx, k)
}

// reads are the transaction's cached ledger reads.
func (g *groupRun) reads() ledgerReads {
	return ledgerReads{certificate: g.certificate, submitterOf: g.submitterOf, operator: g.operatorID, inForce: g.inForce, lookupType: g.lookupType}
}

// check runs the ledger checks of each record (prepareIssue) in input order.
// A record whose id appeared earlier in the group is deferred to write, which
// decides it as the sequential loop would (refused when the earlier one was
// written). Only a ledger failure is returned.
func (g *groupRun) check() error {
	if err := g.prefetch(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, r := range g.records {
		res := &g.ans.Results[i]
		res.ID = r.ID
		if r.Supersedes != "" {
			refuse(res, codes.New(codes.InvalidArgument, "supersedes is set: use certificate:Supersede"))
			continue
		}
		if seen[r.ID] {
			g.deferred[i] = true
			continue
		}
		seen[r.ID] = true
		p, err := prepareIssue(g.ctx, r, g.at, g.reads())
		if err != nil {
			if ferr := g.failed(i, err); ferr != nil {
				return ferr
			}
			continue
		}
		g.pending[i] = &p
	}
	return nil
}

// failed records the refusal (or replay) of record i; a ledger failure is
// returned: the whole transaction fails, nothing is written.
func (g *groupRun) failed(i int, err error) error {
	res, r := &g.ans.Results[i], g.records[i]
	switch codes.Code(err) {
	case codes.Internal:
		return err
	case codes.Conflict:
		if old, found, lerr := lookup(g.ctx, r.ID); lerr == nil && found && reflect.DeepEqual(old.Record, r) {
			// A later status change moves txId; the issuing transaction is in the history.
			res.Outcome, res.TxID = OutcomeReplay, old.TxID
			return nil
		}
	}
	refuse(res, err)
	return nil
}

// verifyAll verifies the signatures of the pending records on every core.
func (g *groupRun) verifyAll() {
	var idx []int
	for i, p := range g.pending {
		if p != nil {
			idx = append(idx, i)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), (len(idx)+15)/16)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			verify := groupVerifier(g.at) // its key cache is the worker's own
			for {
				n := int(next.Add(1)) - 1
				if n >= len(idx) {
					return
				}
				i := idx[n]
				g.sigErr[i] = verify(g.pending[i].dept, g.pending[i].cert)
			}
		}()
	}
	wg.Wait()
}

// write writes the records that passed, in input order, and counts the outcomes.
func (g *groupRun) write() error {
	written := map[string]bool{} // Fabric reads do not see this transaction's writes
	verify := groupVerifier(g.at)
	for i, r := range g.records {
		res := &g.ans.Results[i]
		var err error
		switch {
		case g.deferred[i] && written[r.ID]:
			err = codes.New(codes.Conflict, "certificate %s appears twice in the group", r.ID)
			refuse(res, err)
		case g.deferred[i]:
			var p pendingIssue
			if p, err = prepareIssue(g.ctx, r, g.at, g.reads()); err == nil {
				err = verify(p.dept, p.cert)
			}
			if err == nil {
				err = g.issued(i, p, written)
			}
		case g.pending[i] != nil && g.sigErr[i] != nil:
			err = g.sigErr[i]
		case g.pending[i] != nil:
			err = g.issued(i, *g.pending[i], written)
		}
		if err != nil && res.Outcome == "" {
			if ferr := g.failed(i, err); ferr != nil {
				return ferr
			}
		}
	}
	for _, r := range g.ans.Results {
		switch r.Outcome {
		case OutcomeIssued:
			g.ans.Issued++
		case OutcomeReplay:
			g.ans.Replay++
		default:
			g.ans.Refused++
		}
	}
	return nil
}

// issued writes record i and adds it to the answer and the event.
func (g *groupRun) issued(i int, p pendingIssue, written map[string]bool) error {
	if _, err := writeIssue(g.ctx, p); err != nil {
		return err
	}
	written[p.cert.ID] = true
	g.ans.Results[i].Outcome, g.ans.Results[i].TxID = OutcomeIssued, g.txID
	g.ev.Certificates = append(g.ev.Certificates, GroupIssued{ID: p.cert.ID, DocHash: p.cert.DocHash, Issuer: p.cert.Issuer})
	return nil
}

// GroupLimit returns the largest group this endorser accepts: {"maxGroup":N}.
func (c *Contract) GroupLimit(ctx contractapi.TransactionContextInterface) (string, error) {
	max, err := MaxGroup()
	if err != nil {
		return "", err
	}
	return state.JSON(map[string]int{"maxGroup": max})
}

func refuse(res *GroupResult, err error) {
	code, msg, ok := codes.Parse(err.Error())
	if !ok {
		code, msg = codes.Internal, err.Error()
	}
	res.Outcome, res.Code, res.Message = OutcomeRefused, code, msg
}

// groupVerifier checks record signatures as verifyBy does — the key must be
// the department's and valid at the transaction time, the SM2 signature over
// the canonical payload must verify — with each public key parsed once per
// transaction and the v1 payload built without reflection
// (batch.CertificatePayload, equal to canon.Payload: tests compare them).
func groupVerifier(at time.Time) func(domainregistry.Department, certificate.Certificate) error {
	pubs := map[string]*ecdsa.PublicKey{}
	return func(dept domainregistry.Department, c certificate.Certificate) error {
		key, ok := dept.Key(c.KeyID)
		if !ok {
			return codes.New(codes.Forbidden, "key %s is not a key of department %s", c.KeyID, dept.ID)
		}
		if err := key.ValidAt(at); err != nil {
			return err
		}
		pub, ok := pubs[key.KeyID]
		if !ok {
			var err error
			if pub, err = key.Public(); err != nil {
				return err
			}
			pubs[key.KeyID] = pub
		}
		payload, err := batch.CertificatePayload(c.Record)
		if err != nil {
			return codes.New(codes.InvalidArgument, "certificate record: %v", err)
		}
		if err := gm.VerifyBase64(pub, payload, c.Signature); err != nil {
			return codes.New(codes.BadSignature, "certificate signature does not verify with key %s: %v", key.KeyID, err)
		}
		return nil
	}
}
