package ledgerclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/internal/testkit"
	"github.com/certledger/certledger/network/devnet"
	"github.com/certledger/certledger/network/devnet/devnettest"
)

// kv is the smallest writing contract: Put stores a value, Get reads it.
type kv struct{ contractapi.Contract }

func (kv) GetName() string { return "kv" }

func (kv) Put(ctx contractapi.TransactionContextInterface, key, value string) (string, error) {
	return value, ctx.GetStub().PutState(key, []byte(value))
}

func (kv) Get(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	b, err := ctx.GetStub().GetState(key)
	return string(b), err
}

// faultProxy stands between the ledger client and the devnet as a plaintext
// Fabric Gateway service that can lose submissions, hide commit statuses and fail
// endorsements, the way a failing orderer or peer does.
type faultProxy struct {
	gateway.UnimplementedGatewayServer
	up gateway.GatewayClient

	dropSubmits atomic.Int32 // answer this many Submits OK without forwarding them
	failSubmits atomic.Bool  // refuse every Submit with Unavailable
	hideStatus  atomic.Int32 // let this many CommitStatus calls hang until their deadline
	endorseErr  atomic.Pointer[error]

	mu      sync.Mutex
	submits map[string]int // per transaction id, forwarded or not
}

func (p *faultProxy) Evaluate(ctx context.Context, r *gateway.EvaluateRequest) (*gateway.EvaluateResponse, error) {
	if e := p.endorseErr.Load(); e != nil {
		return nil, *e
	}
	return p.up.Evaluate(ctx, r)
}

func (p *faultProxy) Endorse(ctx context.Context, r *gateway.EndorseRequest) (*gateway.EndorseResponse, error) {
	if e := p.endorseErr.Load(); e != nil {
		return nil, *e
	}
	return p.up.Endorse(ctx, r)
}

func (p *faultProxy) Submit(ctx context.Context, r *gateway.SubmitRequest) (*gateway.SubmitResponse, error) {
	p.mu.Lock()
	p.submits[r.GetTransactionId()]++
	p.mu.Unlock()
	if p.failSubmits.Load() {
		return nil, status.Error(grpccodes.Unavailable, "no orderer reachable")
	}
	if p.dropSubmits.Add(-1) >= 0 {
		return &gateway.SubmitResponse{}, nil // accepted, then lost
	}
	return p.up.Submit(ctx, r)
}

func (p *faultProxy) CommitStatus(ctx context.Context, r *gateway.SignedCommitStatusRequest) (*gateway.CommitStatusResponse, error) {
	if p.hideStatus.Add(-1) >= 0 {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return p.up.CommitStatus(ctx, r)
}

func (p *faultProxy) submitted(txID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.submits[txID]
}

// faultNet is a devnet (registry + kv) with a fault proxy in front of it.
type faultNet struct {
	dir   string
	proxy *faultProxy
	// direct is dept-a's devnet profile; viaProxy its copy whose main peer is the
	// proxy and whose fallback is the devnet itself.
	direct, viaProxy *profile.Profile
}

func startFaultNet(t *testing.T) *faultNet {
	t.Helper()
	if testing.Short() {
		t.Skip("starts an in-process devnet (skipped with -short)")
	}
	dir := t.TempDir()
	if err := devnet.Init(dir, devnet.Config{}); err != nil {
		t.Fatal(err)
	}
	cc, err := contractapi.NewChaincode(registry.New(), &kv{})
	if err != nil {
		t.Fatal(err)
	}
	devnettest.Serve(t, dir, devnet.WithChaincode(cc))
	direct, err := profile.Load(devnet.ProfilePath(dir, "dept-a"))
	if err != nil {
		t.Fatal(err)
	}
	upConn, err := direct.DialPeer(direct.Peer)
	if err != nil {
		t.Fatal(err)
	}
	fp := &faultProxy{up: gateway.NewGatewayClient(upConn), submits: map[string]int{}}
	plis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	gateway.RegisterGatewayServer(gs, fp)
	go func() { _ = gs.Serve(plis) }()
	t.Cleanup(func() {
		gs.Stop()
		_ = upConn.Close()
	})
	via := *direct
	via.Peer = profile.Peer{Endpoint: plis.Addr().String()} // plaintext
	via.Fallbacks = []profile.Peer{direct.Peer}
	return &faultNet{dir: dir, proxy: fp, direct: direct, viaProxy: &via}
}

// connect returns a client of dept-a through p with timeouts t, once the ledger answers.
func (n *faultNet) connect(t *testing.T, p *profile.Profile, tm Timeouts) *Fabric {
	t.Helper()
	f, err := Connect([]Org{{Name: "dept-a", Profile: p}}, tm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := f.Evaluate(ctx, "dept-a", "registry:GetGovernance")
		cancel()
		if err == nil {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledger not ready: %v", err)
		}
	}
}

func (n *faultNet) get(t *testing.T, f *Fabric, key string) string {
	t.Helper()
	b, err := f.Evaluate(context.Background(), "dept-a", "kv:Get", key)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// submitThroughProxy starts the fault net with the proxy as dept-a's only peer (no
// fallback), connects with commitWait and commitStatus, lets fault arm the proxy,
// and submits kv:Put key value.
func submitThroughProxy(t *testing.T, commitWait, commitStatus time.Duration, fault func(*faultProxy), key, value string) (*faultNet, *Fabric, *Result, error) {
	t.Helper()
	n := startFaultNet(t)
	n.viaProxy.Fallbacks = nil
	f := n.connect(t, n.viaProxy, Timeouts{CommitWait: commitWait, CommitStatus: commitStatus})
	fault(n.proxy)
	res, err := f.Submit(context.Background(), "dept-a", "kv:Put", key, value)
	return n, f, res, err
}

// A transaction accepted for ordering and then lost (an orderer that dies with it)
// is sent again, same envelope, after CommitWait; the caller gets the commit.
func TestSubmitResendsLostTransaction(t *testing.T) {
	n, f, res, err := submitThroughProxy(t, 300*time.Millisecond, 5*time.Second, func(p *faultProxy) { p.dropSubmits.Store(1) }, "k1", "v1")
	if err != nil {
		t.Fatalf("Submit after a lost submission: %v", err)
	}
	if got := n.proxy.submitted(res.TxID); got != 2 {
		t.Errorf("transaction %s submitted %d times, want 2 (lost, then resent)", res.TxID, got)
	}
	if got := n.get(t, f, "k1"); got != "v1" {
		t.Errorf("k1 = %q", got)
	}
}

// A commit status that cannot be learnt in time (every submission lost) is
// "unknown, retry the same request": 504 COMMIT_UNKNOWN, not 503 nor a plain timeout.
func TestSubmitCommitUnknown(t *testing.T) {
	n, f, _, err := submitThroughProxy(t, 200*time.Millisecond, time.Second, func(p *faultProxy) { p.dropSubmits.Store(1 << 20) }, "k2", "v2")
	var cu *errmap.CommitUnknownError
	if !errors.As(err, &cu) || cu.TxID == "" {
		t.Fatalf("err = %v, want a CommitUnknownError", err)
	}
	if p := errmap.Map(err); p.Status != http.StatusGatewayTimeout || p.Code != errmap.CommitUnknown || p.RetryAfter == 0 ||
		!strings.Contains(p.Message, cu.TxID) || !strings.Contains(p.Message, "same request") {
		t.Errorf("Map = %+v", p)
	}
	if n.proxy.submitted(cu.TxID) < 2 {
		t.Errorf("the lost transaction was never resent")
	}
	if got := n.get(t, f, "k2"); got != "" {
		t.Errorf("k2 = %q, want nothing written", got)
	}
}

// A submission refused before reaching an orderer is "never submitted": it maps to
// 503 UNAVAILABLE (nothing written), not COMMIT_UNKNOWN.
func TestSubmitNeverSubmitted(t *testing.T) {
	_, _, _, err := submitThroughProxy(t, 200*time.Millisecond, time.Second, func(p *faultProxy) { p.failSubmits.Store(true) }, "k3", "v3")
	var cu *errmap.CommitUnknownError
	if err == nil || errors.As(err, &cu) {
		t.Fatalf("err = %v, want a plain unavailable error", err)
	}
	if p := errmap.Map(err); p.Status != http.StatusServiceUnavailable || p.Code != errmap.Unavailable {
		t.Errorf("Map = %+v", p)
	}
}

// A transaction that did commit while its status was not seen is resent; the
// duplicate is not an error for the caller and the write happened once.
func TestSubmitDuplicateIsSuccess(t *testing.T) {
	n, _, res, err := submitThroughProxy(t, 300*time.Millisecond, 5*time.Second, func(p *faultProxy) { p.hideStatus.Store(1) }, "k4", "v4")
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if got := n.proxy.submitted(res.TxID); got != 2 {
		t.Errorf("submitted %d times, want 2", got)
	}
	if res.BlockNumber == 0 || string(res.Payload) != "v4" {
		t.Errorf("result %+v", res)
	}
}

// When the organisation's own peer, or its chaincode, cannot endorse, the next
// peer of the profile (another organisation's Gateway) does, for reads and writes.
func TestEndorseFailsOver(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
	}{
		{"peer down", status.Error(grpccodes.Unavailable, "connection refused")},
		{"chaincode down", status.Error(grpccodes.Aborted, "failed to endorse transaction: could not launch chaincode certledger_1.0:ab: connection to certledger_1.0:ab failed: error cannot create connection for certledger_1.0:ab")},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := startFaultNet(t)
			f := n.connect(t, n.viaProxy, Timeouts{})
			e := c.err
			n.proxy.endorseErr.Store(&e)
			res, err := f.Submit(context.Background(), "dept-a", "kv:Put", "k5", "v5")
			if err != nil {
				t.Fatalf("Submit with the main peer failing: %v", err)
			}
			if n.proxy.submitted(res.TxID) != 0 {
				t.Errorf("submitted through the failing peer")
			}
			if got := n.get(t, f, "k5"); got != "v5" {
				t.Errorf("k5 = %q", got)
			}
		})
	}
}

// Ready checks every organisation, not only one: a department whose peers are all
// unreachable makes the gateway unready, and is named.
func TestReadyChecksEveryOrganisation(t *testing.T) {
	n := startFaultNet(t)
	gov, err := profile.Load(devnet.ProfilePath(n.dir, "gov"))
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := testkit.DeadAddr(t)
	deptB := *n.direct
	deptB.Peer = profile.Peer{Endpoint: deadAddr}
	f, err := Connect([]Org{{Name: "gov", Profile: gov}, {Name: "dept-a", Profile: n.direct}, {Name: "dept-b", Profile: &deptB}}, Timeouts{Evaluate: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	n.connect(t, n.direct, Timeouts{}) // the ledger is up
	err = f.Ready(context.Background())
	if err == nil || !strings.Contains(err.Error(), "dept-b") || strings.Contains(err.Error(), "organisation gov") {
		t.Fatalf("Ready = %v, want dept-b named", err)
	}
	deptB.Fallbacks = []profile.Peer{n.direct.Peer} // dept-b reaches the ledger through another peer
	f2, err := Connect([]Org{{Name: "gov", Profile: gov}, {Name: "dept-b", Profile: &deptB}}, Timeouts{Evaluate: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f2.Close() }()
	if err := f2.Ready(context.Background()); err != nil {
		t.Fatalf("Ready with a fallback: %v", err)
	}
}
