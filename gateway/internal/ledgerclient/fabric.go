package ledgerclient

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/profile"
)

// Timeouts bound every phase of a Fabric call.
type Timeouts = profile.Timeouts

// DefaultTimeouts are the gateway's, used for any zero field. CommitStatus bounds
// the whole wait for a commit, resubmissions included (past it the outcome is
// reported unknown, errmap.CommitUnknownError); each submission waits CommitWait
// before the same signed envelope is sent again.
var DefaultTimeouts = Timeouts{Evaluate: 5 * time.Second, Endorse: 15 * time.Second, Submit: 5 * time.Second, CommitStatus: 10 * time.Second, CommitWait: 2 * time.Second}

// Org names a connection profile and the callers' own identities in it.
type Org struct {
	Name    string
	Profile *profile.Profile
	// Identities are further client identities of the organisation (one per
	// person calling the gateway, docs/people.md); a call made with a context
	// from WithIdentity signs as one of them.
	Identities []Identity
}

// Identity is one caller's Fabric client identity, issued by the organisation's
// CA: a PEM X.509 certificate and its PEM private key.
type Identity struct {
	// Name selects it (WithIdentity); unique within the organisation.
	Name     string
	CertPath string
	KeyPath  string
}

// Fabric implements Ledger with one long-lived gRPC connection per peer and, over
// it, one client.Gateway per identity (the profile's and each Identity). Safe for
// concurrent use.
type Fabric struct {
	timeouts Timeouts
	orgs     map[string]*orgConn
	recent   *txCache
}

type orgConn struct {
	profile *profile.Profile
	conns   []*grpc.ClientConn
	gws     []*client.Gateway // the profile's identity: gws[0] is the main peer, then the fallbacks
	ids     map[string][]*client.Gateway
	addrs   []string
	// operators are the operator ids (wire.OperatorID of the certificate) of the
	// profile's identity ("") and of each Identity by name.
	operators map[string]string
}

type identityKey struct{}

// WithIdentity returns a context whose ledger calls sign as the identity called
// name (an Identity given to Connect) of the organisation they name. Calls
// without it, or naming an identity the organisation lacks, sign as the
// organisation profile's identity.
func WithIdentity(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, identityKey{}, name)
}

// IdentityOf returns the identity name WithIdentity put in ctx ("" for none),
// for Ledger implementations other than Fabric (test ledgers).
func IdentityOf(ctx context.Context) string {
	name, _ := ctx.Value(identityKey{}).(string)
	return name
}

// identity returns the name of the identity ctx selects in oc ("" for the
// profile's).
func (oc *orgConn) identity(ctx context.Context) string {
	if name, _ := ctx.Value(identityKey{}).(string); name != "" {
		if _, ok := oc.ids[name]; ok {
			return name
		}
	}
	return ""
}

// gateways returns the gateways (one per peer, in oc.conns order) of the
// identity ctx selects.
func (oc *orgConn) gateways(ctx context.Context) []*client.Gateway {
	if name := oc.identity(ctx); name != "" {
		return oc.ids[name]
	}
	return oc.gws
}

// OperatorReader is implemented by ledgers that know whom their calls sign as
// (Fabric does; test fakes may not).
type OperatorReader interface {
	// Operator returns the MSP ID and the operator id (wire.OperatorID) of the
	// identity that a call to org with ctx signs as: what the chaincode records.
	Operator(ctx context.Context, org string) (mspID, operator string, err error)
}

var _ OperatorReader = (*Fabric)(nil)

// Operator implements OperatorReader.
func (f *Fabric) Operator(ctx context.Context, org string) (string, string, error) {
	oc, err := f.org(org)
	if err != nil {
		return "", "", err
	}
	return oc.profile.MSPID, oc.operators[oc.identity(ctx)], nil
}

// Connect builds the connections (gRPC dials lazily: an unreachable peer shows up
// on the first call, not here). It fails on unreadable credentials.
func Connect(orgs []Org, t Timeouts) (*Fabric, error) {
	if t.Evaluate <= 0 {
		t.Evaluate = DefaultTimeouts.Evaluate
	}
	if t.Endorse <= 0 {
		t.Endorse = DefaultTimeouts.Endorse
	}
	if t.Submit <= 0 {
		t.Submit = DefaultTimeouts.Submit
	}
	if t.CommitStatus <= 0 {
		t.CommitStatus = DefaultTimeouts.CommitStatus
	}
	if t.CommitWait <= 0 {
		t.CommitWait = min(DefaultTimeouts.CommitWait, t.CommitStatus)
	}
	if len(orgs) == 0 {
		return nil, ErrNoOrgs
	}
	f := &Fabric{timeouts: t, orgs: map[string]*orgConn{}, recent: newTxCache(4096)}
	for _, o := range orgs {
		oc, err := connectOrg(o.Profile, o.Identities, t)
		if err != nil {
			_ = f.Close() // already returning the connect error
			return nil, fmt.Errorf("organisation %s: %w", o.Name, err)
		}
		f.orgs[o.Name] = oc
	}
	return f, nil
}

// connectOrg connects to the organisation's main peer and each fallback the one
// way every client connects (profile.ConnectPeer), with the gateway's timeouts,
// then connects each identity over the same connections (fabric-gateway takes
// any number of client.Connect over one gRPC connection).
func connectOrg(p *profile.Profile, ids []Identity, t Timeouts) (*orgConn, error) {
	oc := &orgConn{profile: p, ids: map[string][]*client.Gateway{}, operators: map[string]string{}}
	_, _, cert, err := profile.LoadIdentity(p.MSPID, p.CertPath, p.KeyPath)
	if err != nil {
		return nil, err
	}
	oc.operators[""] = wire.OperatorID(cert.Subject)
	opts := t.Options()
	for _, peer := range append([]profile.Peer{p.Peer}, p.Fallbacks...) {
		gw, conn, err := p.ConnectPeer(peer, opts...)
		if err != nil {
			oc.close()
			return nil, fmt.Errorf("peer %s: %w", peer.Endpoint, err)
		}
		oc.conns = append(oc.conns, conn)
		oc.gws = append(oc.gws, gw)
		oc.addrs = append(oc.addrs, peer.Endpoint)
	}
	for _, ident := range ids {
		if _, dup := oc.ids[ident.Name]; dup || ident.Name == "" {
			oc.close()
			return nil, fmt.Errorf("identity %q: %w", ident.Name, ErrIdentityName)
		}
		id, sign, cert, err := profile.LoadIdentity(p.MSPID, ident.CertPath, ident.KeyPath)
		if err != nil {
			oc.close()
			return nil, fmt.Errorf("identity %s: %w", ident.Name, err)
		}
		oc.operators[ident.Name] = wire.OperatorID(cert.Subject)
		gws := make([]*client.Gateway, 0, len(oc.conns))
		for _, conn := range oc.conns {
			gw, err := client.Connect(id, append([]client.ConnectOption{client.WithSign(sign), client.WithHash(hash.SHA256),
				client.WithClientConnection(conn)}, opts...)...)
			if err != nil {
				oc.ids[ident.Name] = gws
				oc.close()
				return nil, fmt.Errorf("identity %s: %w", ident.Name, err)
			}
			gws = append(gws, gw)
		}
		oc.ids[ident.Name] = gws
	}
	return oc, nil
}

func (oc *orgConn) close() {
	for _, gws := range oc.ids {
		for _, gw := range gws {
			_ = gw.Close()
		}
	}
	for _, gw := range oc.gws {
		_ = gw.Close()
	}
	for _, c := range oc.conns {
		_ = c.Close()
	}
}

// Close closes every gateway and connection.
func (f *Fabric) Close() error {
	for _, oc := range f.orgs {
		oc.close()
	}
	return nil
}

func (f *Fabric) org(name string) (*orgConn, error) {
	oc, ok := f.orgs[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownOrg, name)
	}
	return oc, nil
}

// Gateway returns the fabric-gateway client of an organisation's main peer (for
// benchmarks and tools that want the raw client).
func (f *Fabric) Gateway(org string) (*client.Gateway, *profile.Profile, error) {
	oc, err := f.org(org)
	if err != nil {
		return nil, nil, err
	}
	return oc.gws[0], oc.profile, nil
}

// order returns the indexes of an organisation's peers to try: the main peer
// first, then the fallbacks, except that peers whose connection is failing
// (gRPC TRANSIENT_FAILURE) go last, so a dead peer costs no time per call.
func (oc *orgConn) order() []int {
	idx := make([]int, 0, len(oc.conns))
	var failing []int
	for i, c := range oc.conns {
		if c.GetState() == connectivity.TransientFailure {
			failing = append(failing, i)
			continue
		}
		idx = append(idx, i)
	}
	return append(idx, failing...)
}

// Evaluate tries the main peer, then each fallback while the failure says the peer
// or its chaincode could not be reached.
func (f *Fabric) Evaluate(ctx context.Context, org, fn string, args ...string) ([]byte, error) {
	oc, err := f.org(org)
	if err != nil {
		return nil, err
	}
	gws := oc.gateways(ctx)
	var lastErr error
	for _, i := range oc.order() {
		res, err := f.evaluateOn(ctx, gws[i], oc.profile, fn, args)
		if err == nil || !failover(err) || ctx.Err() != nil {
			return res, err
		}
		lastErr = fmt.Errorf("peer %s: %w", oc.addrs[i], err)
	}
	return nil, lastErr
}

func (f *Fabric) evaluateOn(ctx context.Context, gw *client.Gateway, p *profile.Profile, fn string, args []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeouts.Evaluate)
	defer cancel()
	contract := gw.GetNetwork(p.Channel).GetContract(p.Chaincode)
	return contract.EvaluateWithContext(ctx, fn, client.WithArguments(args...))
}

// peerDown reports a failure to reach a peer (as opposed to an answer from it).
func peerDown(err error) bool {
	if _, _, coded := errmap.ChaincodeCode(err); coded {
		return false
	}
	st, ok := status.FromError(err)
	return ok && (st.Code() == grpccodes.Unavailable || st.Code() == grpccodes.DeadlineExceeded)
}

// failover reports a failure that another peer's Gateway may not have: the peer
// is unreachable, or its chaincode could not be reached or launched.
func failover(err error) bool {
	return peerDown(err) || errmap.ChaincodeUnavailable(err)
}

// Ready checks that every organisation reaches the ledger (through its own peer
// or a fallback): a registry query answered, an error code from the chaincode
// included, counts. It names the organisations that do not.
func (f *Fabric) Ready(ctx context.Context) error {
	type answer struct {
		org string
		err error
	}
	ch := make(chan answer, len(f.orgs))
	for name := range f.orgs {
		go func() {
			_, err := f.Evaluate(ctx, name, "registry:GetGovernance")
			if err != nil {
				if _, _, coded := errmap.ChaincodeCode(err); coded {
					err = nil
				}
			}
			ch <- answer{name, err}
		}()
	}
	var errs []error
	for range f.orgs {
		if a := <-ch; a.err != nil {
			errs = append(errs, fmt.Errorf("organisation %s: %w", a.org, a.err))
		}
	}
	return errors.Join(errs...)
}

// Submit endorses, submits and waits for the commit, each phase under its own
// timeout. Endorsement fails over to the organisation's fallback peers (another
// organisation's Gateway endorses for this identity) when its own peer or its
// chaincode is unreachable. Once the transaction is signed for ordering, waiting
// for its status no longer depends on the caller (a dropped HTTP client must not
// hide the outcome): each submission waits CommitWait, then the same signed
// envelope is sent again, through the next reachable peer, until CommitStatus has
// passed. A failure before anything could have reached an orderer is returned as
// is ("never submitted"); afterwards it is an *errmap.CommitUnknownError.
func (f *Fabric) Submit(ctx context.Context, org, fn string, args ...string) (*Result, error) {
	oc, err := f.org(org)
	if err != nil {
		return nil, err
	}
	gws := oc.gateways(ctx)
	tx, at, err := f.endorse(ctx, oc, gws, fn, args)
	if err != nil {
		return nil, err
	}
	return f.commit(ctx, org, oc, gws, at, tx)
}

// endorse gets the proposal endorsed through the first peer that can; it returns
// the endorsed transaction and the index of that peer.
func (f *Fabric) endorse(ctx context.Context, oc *orgConn, gws []*client.Gateway, fn string, args []string) (*client.Transaction, int, error) {
	var lastErr error
	for _, i := range oc.order() {
		contract := gws[i].GetNetwork(oc.profile.Channel).GetContract(oc.profile.Chaincode)
		proposal, err := contract.NewProposal(fn, client.WithArguments(args...))
		if err != nil {
			return nil, 0, err
		}
		ectx, cancel := context.WithTimeout(ctx, f.timeouts.Endorse)
		tx, err := proposal.EndorseWithContext(ectx)
		cancel()
		if err == nil {
			return tx, i, nil
		}
		if !failover(err) || ctx.Err() != nil {
			return nil, 0, err
		}
		lastErr = fmt.Errorf("peer %s: %w", oc.addrs[i], err)
	}
	return nil, 0, lastErr
}

// commit submits tx through peer at (then the others) and waits for its status.
func (f *Fabric) commit(ctx context.Context, org string, oc *orgConn, gws []*client.Gateway, at int, tx *client.Transaction) (*Result, error) {
	ctx = context.WithoutCancel(ctx)
	deadline := time.Now().Add(f.timeouts.CommitStatus)
	var (
		envelope []byte // the signed transaction, once signed
		sent     bool   // some submission may have reached an orderer
		lastErr  error
	)
	peers := append([]int{at}, without(oc.order(), at)...)
	for round := 0; time.Now().Before(deadline); round++ {
		i := peers[round%len(peers)]
		t := tx
		if envelope != nil && i != at {
			var err error
			if t, err = gws[i].NewTransaction(envelope); err != nil {
				return nil, err
			}
		}
		sctx, cancel := context.WithTimeout(ctx, f.timeouts.Submit)
		commit, err := t.SubmitWithContext(sctx)
		cancel()
		if envelope == nil {
			// Submit signs the envelope before sending it; later rounds resend
			// exactly these bytes (same transaction id, same signature).
			b, berr := tx.Bytes()
			if berr != nil {
				return nil, berr
			}
			envelope = b
		}
		if err != nil {
			lastErr = fmt.Errorf("submitting %s through %s: %w", tx.TransactionID(), oc.addrs[i], err)
			if maybeSent(err) {
				sent = true
			}
			if f.pause(deadline, round) {
				continue
			}
			break
		}
		sent = true
		wait := min(f.timeouts.CommitWait, time.Until(deadline))
		cctx, cancel := context.WithTimeout(ctx, wait)
		st, err := commit.StatusWithContext(cctx)
		cancel()
		if err != nil {
			lastErr = fmt.Errorf("commit status of %s through %s: %w", tx.TransactionID(), oc.addrs[i], err)
			f.pause(deadline, round)
			continue
		}
		switch {
		case st.Successful:
		case st.Code == peer.TxValidationCode_DUPLICATE_TXID && round > 0:
			// Our resubmission found the first one committed: success for the caller.
			if n, ok := f.TxBlock(ctx, org, st.TransactionID); ok {
				st.BlockNumber = n
			}
		default:
			return nil, fmt.Errorf("transaction %s failed to commit with status %s: %w",
				st.TransactionID, st.Code, &client.CommitError{TransactionID: st.TransactionID, Code: st.Code})
		}
		f.recent.put(st.TransactionID, st.BlockNumber)
		return &Result{Payload: tx.Result(), TxID: st.TransactionID, BlockNumber: st.BlockNumber}, nil
	}
	if !sent {
		return nil, lastErr
	}
	return nil, &errmap.CommitUnknownError{TxID: tx.TransactionID(), Err: lastErr}
}

// pause waits a little between failed submission rounds; it reports false when
// the deadline leaves no time for another round.
func (f *Fabric) pause(deadline time.Time, round int) bool {
	d := min(time.Duration(round+1)*100*time.Millisecond, 500*time.Millisecond)
	if time.Until(deadline) <= d {
		return false
	}
	time.Sleep(d)
	return true
}

// maybeSent reports whether a failed Submit call may have handed the envelope to
// an orderer: anything but a refusal to connect or an orderer's refusal.
func maybeSent(err error) bool {
	st, ok := status.FromError(err)
	if !ok {
		return true
	}
	switch st.Code() {
	case grpccodes.Unavailable, grpccodes.Aborted, grpccodes.FailedPrecondition, grpccodes.ResourceExhausted,
		grpccodes.InvalidArgument, grpccodes.PermissionDenied, grpccodes.Unauthenticated:
		return false
	}
	return true
}

func without(idx []int, x int) []int {
	out := make([]int, 0, len(idx))
	for _, i := range idx {
		if i != x {
			out = append(out, i)
		}
	}
	return out
}

// Events streams the chaincode's events as seen by the organisation's main peer.
func (f *Fabric) Events(ctx context.Context, org string, start int64) (<-chan Event, error) {
	oc, err := f.org(org)
	if err != nil {
		return nil, err
	}
	var opts []client.ChaincodeEventsOption
	if start >= 0 {
		opts = append(opts, client.WithStartBlock(uint64(start)))
	}
	in, err := oc.gws[0].GetNetwork(oc.profile.Channel).ChaincodeEvents(ctx, oc.profile.Chaincode, opts...)
	if err != nil {
		return nil, err
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		for ev := range in {
			select {
			case out <- Event{BlockNumber: ev.BlockNumber, TxID: ev.TransactionID, Name: ev.EventName, Payload: ev.Payload}:
			case <-ctx.Done():
				// Drain so the client's reader goroutine can finish when the stream ends.
				for range in {
				}
				return
			}
		}
	}()
	return out, nil
}

// TxBlock looks in the transactions this gateway committed recently, then asks the
// peer's query system chaincode (qscc GetBlockByTxID), which a Fabric peer has and
// a ledger without it simply refuses.
func (f *Fabric) TxBlock(ctx context.Context, org, txID string) (uint64, bool) {
	if n, ok := f.recent.get(txID); ok {
		return n, true
	}
	raw, err := f.TxBlockBytes(ctx, org, txID)
	if err != nil {
		return 0, false
	}
	var b common.Block
	if err := proto.Unmarshal(raw, &b); err != nil || b.GetHeader() == nil {
		return 0, false
	}
	n := b.GetHeader().GetNumber()
	f.recent.put(txID, n)
	return n, true
}

// TxBlockBytes returns the block (common.Block bytes) holding transaction
// txID, from the peer's query system chaincode (qscc GetBlockByTxID).
func (f *Fabric) TxBlockBytes(ctx context.Context, org, txID string) ([]byte, error) {
	oc, err := f.org(org)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeouts.Evaluate)
	defer cancel()
	return oc.gws[0].GetNetwork(oc.profile.Channel).GetContract("qscc").
		EvaluateWithContext(ctx, "GetBlockByTxID", client.WithArguments(oc.profile.Channel, txID))
}

// Channel returns the channel an organisation's profile names.
func (f *Fabric) Channel(org string) (string, error) {
	oc, err := f.org(org)
	if err != nil {
		return "", err
	}
	return oc.profile.Channel, nil
}

var _ BlockReader = (*Fabric)(nil)

// txCache remembers the block of the last n transactions committed here.
type txCache struct {
	mu    sync.Mutex
	m     map[string]uint64
	order []string
	next  int
}

func newTxCache(n int) *txCache {
	return &txCache{m: make(map[string]uint64, n), order: make([]string, n)}
}

func (c *txCache) put(tx string, block uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[tx]; ok {
		return
	}
	if old := c.order[c.next]; old != "" {
		delete(c.m, old)
	}
	c.order[c.next] = tx
	c.m[tx] = block
	c.next = (c.next + 1) % len(c.order)
}

func (c *txCache) get(tx string) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.m[tx]
	return n, ok
}

var _ Ledger = (*Fabric)(nil)

// ErrNoOrgs is returned by Connect when it is given no organisation.
var ErrNoOrgs = errors.New("no organisation configured")

// ErrIdentityName is returned (wrapped) by Connect for an identity without a
// name or with a name another identity of the organisation has.
var ErrIdentityName = errors.New("identity name is empty or not unique")
