// Package ccledger runs the real certledger chaincode — every contract, as
// chaincode.New assembles them for cmd/certledger-chaincode — on the in-memory
// ledger of chaincode/ledgertest, behind the gateway's ledgerclient.Ledger. Every
// transaction is simulated twice and compared (ledgertest's determinism check), a
// successful submit commits in its own block, and its chaincode event is replayed
// and streamed by Events as a Fabric peer would.
//
// Failures look as they do through the fabric-gateway client: a refused evaluate is a
// gRPC Unknown status "evaluate call to endorser returned error: chaincode response
// 500, CODE: ...", a refused submit an Aborted status whose ErrorDetail carries the
// peer's message. So the gateway's error mapping is exercised as in production.
//
// It is test support: only tests import it (production gateway code must never link
// the chaincode).
//
//	l := ccledger.New(t)                        // registry initialised, "gov" = GovMSP
//	a := l.Department(t, ccledger.Dept{ID: "dept-a", Org: "a"})
//	res, err := l.Submit(ctx, "a", "certificate:Issue", string(recordJSON))
package ccledger

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/testkit"
	"github.com/certledger/certledger/internal/trust"
)

// Org and MSP of the governance organisation, which initialises the registry.
const (
	GovOrg = "gov"
	GovMSP = ledgertest.GovMSP
)

// Ledger is the real chaincode on an in-memory channel. Safe for concurrent use:
// calls are serialised, like a one-peer channel that orders one transaction per block.
type Ledger struct {
	t     testing.TB
	chain *ledgertest.Ledger

	mu      sync.Mutex
	orgs    map[string]string // org name -> MSP ID
	clock   func() time.Time
	offset  time.Duration
	block   uint64
	txBlock map[string]uint64
	events  []ledgerclient.Event
	changed chan struct{} // closed and replaced when an event is committed
	// blockTime is the timestamp of the newest block; cas the root CA per MSP.
	blockTime time.Time
	cas       map[string]string
}

var (
	_ ledgerclient.Ledger            = (*Ledger)(nil)
	_ ledgerclient.ChannelInfoReader = (*Ledger)(nil)
)

// Option configures New.
type Option func(*Ledger)

// WithClock sets the clock of the endorsers and of transaction timestamps (default:
// the wall clock). Advance moves it forward.
func WithClock(now func() time.Time) Option { return func(l *Ledger) { l.clock = now } }

// At freezes the clock at t (Advance still moves it).
func At(t time.Time) Option { return WithClock(func() time.Time { return t }) }

// New starts an empty channel running the certledger chaincode, with organisation
// GovOrg (GovMSP) and the registry initialised with GovMSP as governance (block 1).
func New(t testing.TB, opts ...Option) *Ledger {
	t.Helper()
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	l := &Ledger{
		t: t, chain: ledgertest.New(t, cc),
		orgs:    map[string]string{GovOrg: GovMSP},
		clock:   time.Now,
		txBlock: map[string]uint64{},
		changed: make(chan struct{}),
		cas:     map[string]string{},
	}
	for _, o := range opts {
		o(l)
	}
	l.MustSubmit(GovOrg, "registry:Init", GovMSP)
	return l
}

// Chain is the underlying ledgertest ledger (committed state, history, keys).
// Transactions sent to it directly bypass block numbering and Events.
func (l *Ledger) Chain() *ledgertest.Ledger { return l.chain }

// AddOrg lets org submit as mspID (a connection profile of the gateway).
func (l *Ledger) AddOrg(org, mspID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.orgs[org] = mspID
}

// MSP returns the MSP ID of org ("" when unknown).
func (l *Ledger) MSP(org string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.orgs[org]
}

// Now is the ledger's clock: the timestamp the next transaction gets.
func (l *Ledger) Now() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.now()
}

func (l *Ledger) now() time.Time { return l.clock().UTC().Add(l.offset) }

// Advance moves the ledger's clock forward by d (deadlines, expiry, sweeps).
func (l *Ledger) Advance(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.offset += d
}

// begin locks the ledger, resolves org and sets the endorsers' clock.
func (l *Ledger) begin(ctx context.Context, org string) (ledgertest.Tx, error) {
	if err := ctx.Err(); err != nil {
		return ledgertest.Tx{}, err
	}
	l.mu.Lock()
	msp, ok := l.orgs[org]
	if !ok {
		l.mu.Unlock()
		return ledgertest.Tx{}, fmt.Errorf("%w %q", ledgerclient.ErrUnknownOrg, org)
	}
	l.chain.SetNow(l.now())
	return ledgertest.Tx{MSP: msp, CommonName: commonName(ctx, org)}, nil
}

// commonName is the CN of the identity a call signs with: a caller's own identity
// is named by its operator id here (ledgerclient.WithIdentity), any other call
// signs as "gateway.<org>", the organisation's shared identity.
func commonName(ctx context.Context, org string) string {
	if id := ledgerclient.IdentityOf(ctx); id != "" {
		return id
	}
	return "gateway." + org
}

// Operator implements ledgerclient.OperatorReader: what the chaincode records
// for a call to org with ctx.
func (l *Ledger) Operator(ctx context.Context, org string) (string, string, error) {
	l.mu.Lock()
	msp, ok := l.orgs[org]
	l.mu.Unlock()
	if !ok {
		return "", "", fmt.Errorf("%w %q", ledgerclient.ErrUnknownOrg, org)
	}
	return msp, commonName(ctx, org), nil
}

// Evaluate runs a query; nothing is written.
func (l *Ledger) Evaluate(ctx context.Context, org, fn string, args ...string) ([]byte, error) {
	tx, err := l.begin(ctx, org)
	if err != nil {
		return nil, err
	}
	defer l.mu.Unlock()
	r := l.chain.Evaluate(tx, fn, args...)
	if !r.OK() {
		return nil, status.Error(grpccodes.Unknown, "evaluate call to endorser returned error: chaincode response 500, "+r.Message)
	}
	return r.Payload, nil
}

// Submit endorses and commits a transaction in a new block. A refusal writes nothing.
func (l *Ledger) Submit(ctx context.Context, org, fn string, args ...string) (*ledgerclient.Result, error) {
	tx, err := l.begin(ctx, org)
	if err != nil {
		return nil, err
	}
	defer l.mu.Unlock()
	r := l.chain.Submit(tx, fn, args...)
	if !r.OK() {
		st := status.New(grpccodes.Aborted, "failed to endorse transaction, see attached details for more info")
		if d, derr := st.WithDetails(&gateway.ErrorDetail{Address: "peer0." + org + ":7051", MspId: tx.MSP,
			Message: "chaincode response 500, " + r.Message}); derr == nil {
			st = d
		}
		return nil, fmt.Errorf("endorse error: %w", st.Err())
	}
	l.block++
	l.blockTime = l.now()
	l.txBlock[r.TxID] = l.block
	if r.Event != nil {
		l.events = append(l.events, ledgerclient.Event{BlockNumber: l.block, TxID: r.TxID, Name: r.Event.Name,
			Payload: append([]byte(nil), r.Event.Payload...)})
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return &ledgerclient.Result{Payload: r.Payload, TxID: r.TxID, BlockNumber: l.block}, nil
}

// Events replays committed events from block start (start < 0: only new ones), then
// streams new ones until ctx ends.
func (l *Ledger) Events(ctx context.Context, org string, start int64) (<-chan ledgerclient.Event, error) {
	l.mu.Lock()
	if _, ok := l.orgs[org]; !ok {
		l.mu.Unlock()
		return nil, fmt.Errorf("%w %q", ledgerclient.ErrUnknownOrg, org)
	}
	next := len(l.events)
	if start >= 0 {
		next = 0
		for next < len(l.events) && int64(l.events[next].BlockNumber) < start {
			next++
		}
	}
	l.mu.Unlock()
	out := make(chan ledgerclient.Event)
	go func() {
		defer close(out)
		for {
			l.mu.Lock()
			pending := append([]ledgerclient.Event(nil), l.events[next:]...)
			next = len(l.events)
			changed := l.changed
			l.mu.Unlock()
			for _, e := range pending {
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// TxBlock returns the block of a committed transaction.
func (l *Ledger) TxBlock(_ context.Context, _, txID string) (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok := l.txBlock[txID]
	return n, ok
}

// Block is the number of the last block (the number of committed transactions).
func (l *Ledger) Block() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.block
}

// MustSubmit is Submit that fails the test unless the transaction commits.
func (l *Ledger) MustSubmit(org, fn string, args ...string) *ledgerclient.Result {
	l.t.Helper()
	res, err := l.Submit(context.Background(), org, fn, args...)
	if err != nil {
		l.t.Fatalf("%s as %s: %v", fn, org, err)
	}
	return res
}

// MustEvaluate evaluates fn as org and decodes the JSON answer into v (v nil: ignored).
func (l *Ledger) MustEvaluate(v any, org, fn string, args ...string) {
	l.t.Helper()
	raw, err := l.Evaluate(context.Background(), org, fn, args...)
	if err != nil {
		l.t.Fatalf("%s as %s: %v", fn, org, err)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			l.t.Fatalf("%s: decoding %s: %v", fn, raw, err)
		}
	}
}

// Count is the number of committed world-state records of objectType (composite keys
// objectType\x00...; "certificate", "registry.department", ...).
func (l *Ledger) Count(objectType string) int {
	n := 0
	for _, k := range l.chain.Keys() {
		if strings.HasPrefix(k, "\x00"+objectType+"\x00") {
			n++
		}
	}
	return n
}

// ChannelInfo describes the in-memory channel as a Fabric channel's configuration
// would: its height, the time of its newest block, one root CA per organisation's MSP
// (made for this ledger; the in-memory identities are not chained to it) and a
// MAJORITY endorsement policy over those MSPs.
func (l *Ledger) ChannelInfo(ctx context.Context, org string) (*ledgerclient.ChannelInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.orgs[org]; !ok {
		return nil, fmt.Errorf("%w %q", ledgerclient.ErrUnknownOrg, org)
	}
	byMSP := map[string]string{} // MSP -> its first org name
	for name, msp := range l.orgs {
		if prev, ok := byMSP[msp]; !ok || name < prev {
			byMSP[msp] = name
		}
	}
	msps := make([]string, 0, len(byMSP))
	for msp := range byMSP {
		msps = append(msps, msp)
	}
	sort.Strings(msps)
	ci := &ledgerclient.ChannelInfo{Channel: "certledger", Chaincode: "certledger", Height: l.block + 1,
		BlockTime: l.blockTime.UTC().Format(time.RFC3339), Orgs: []trust.Org{},
		Policy: trust.Policy{Rule: "MAJORITY", N: len(msps)/2 + 1, MSPs: msps}}
	for _, msp := range msps {
		ca, err := l.rootCA(byMSP[msp], msp)
		if err != nil {
			return nil, err
		}
		ci.Orgs = append(ci.Orgs, trust.Org{MSPID: msp, RootCerts: []string{ca}, IntermediateCerts: []string{}})
	}
	return ci, nil
}

// rootCA returns the PEM root certificate of msp, made once (CN "ca.<org>").
func (l *Ledger) rootCA(org, msp string) (string, error) {
	if ca, ok := l.cas[msp]; ok {
		return ca, nil
	}
	der, _, err := testkit.SelfSigned(&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca." + org, Organization: []string{msp}},
		NotBefore: ledgertest.DefaultNow.AddDate(-1, 0, 0), NotAfter: ledgertest.DefaultNow.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	if err != nil {
		return "", err
	}
	ca := string(testkit.CertPEM(der))
	l.cas[msp] = ca
	return ca, nil
}
