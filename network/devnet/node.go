// Package devnet is certledger's embedded ledger: one process that speaks the Fabric
// Gateway gRPC protocol (gateway.Gateway and peer.Deliver) to the official
// fabric-gateway client, runs the chaincode in-process through the shim's own
// handler, and keeps Fabric's ledger semantics (signed proposals checked against
// the organisations' CAs, read/write sets, endorsement policy and MVCC validation at
// commit, a hash-chained common.Block ledger, per-key history, chaincode events,
// commit status) on disk in one bbolt file. See README.md.
package devnet

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/certledger/certledger/internal/chanpolicy"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/certledger/certledger/network/devnet/internal/blockstore"
	"github.com/certledger/certledger/network/devnet/internal/ccpeer"
	"github.com/certledger/certledger/network/devnet/internal/msp"
)

// ErrNoChaincode is returned by Open without WithChaincode.
var ErrNoChaincode = errors.New("devnet: no chaincode given (use WithChaincode)")

// Option configures Open.
type Option func(*options)

type options struct {
	cc          shim.Chaincode
	log         *slog.Logger
	execTimeout time.Duration
	skipInit    bool
}

// WithChaincode sets the chaincode to run (required).
func WithChaincode(cc shim.Chaincode) Option { return func(o *options) { o.cc = cc } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithExecuteTimeout bounds one chaincode execution (default 30 s, as Fabric's peer).
func WithExecuteTimeout(d time.Duration) Option { return func(o *options) { o.execTimeout = d } }

// WithoutInitTx skips the configured initArgs transaction on a new blockstore.
func WithoutInitTx() Option { return func(o *options) { o.skipInit = true } }

// Node is an open devnet.
type Node struct {
	dir         string
	cfg         Config
	def         *channelDef
	log         *slog.Logger
	store       *blockstore.Store
	mgr         *msp.Manager
	val         *validator
	peers       map[string]*msp.Signer // MSP ID → peer signing identity
	orderer     *msp.Signer
	rt          *ccpeer.Runtime
	ord         *sequencer
	built       *builtCache
	execTimeout time.Duration
	tlsConf     *tls.Config

	mu      sync.Mutex
	servers []*grpc.Server
	closed  bool
}

// Open opens the devnet in dir (created by Init), starts the chaincode and the
// block cutter, and — on a new ledger — commits the initArgs transaction.
func Open(dir string, opts ...Option) (*Node, error) {
	o := options{execTimeout: 30 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	if o.cc == nil {
		return nil, ErrNoChaincode
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if !exists(configPath(dir)) || !exists(ledgerPath(dir)) {
		return nil, fmt.Errorf("%s is not an initialised devnet folder (run certledger-devnet init): %w", dir, os.ErrNotExist)
	}
	cfg, err := LoadConfig(configPath(dir))
	if err != nil {
		return nil, err
	}
	store, err := blockstore.Open(ledgerPath(dir), blockstore.Options{})
	if err != nil {
		return nil, err
	}
	n := &Node{dir: dir, cfg: cfg, log: o.log, store: store, peers: map[string]*msp.Signer{}, built: &builtCache{}, execTimeout: o.execTimeout}
	fail := func(err error) (*Node, error) {
		if n.rt != nil {
			n.rt.Close()
		}
		_ = store.Close() // already returning the error
		return nil, err
	}
	if store.Height() == 0 {
		return fail(fmt.Errorf("devnet in %s has no genesis block (run init)", dir))
	}
	genesis, err := store.Block(0)
	if err != nil {
		return fail(err)
	}
	def, orgs, err := readGenesis(genesis)
	if err != nil {
		return fail(fmt.Errorf("reading genesis block: %w", err))
	}
	n.def = def
	n.mgr = msp.NewManager(orgs)
	policy, err := chanpolicy.Parse(def.EndorsementPolicy, mspIDs(def.Orgs))
	if err != nil {
		return fail(err)
	}
	n.val = &validator{def: def, mgr: n.mgr, policy: policy, built: n.built}
	var certs []tls.Certificate
	for _, org := range def.Orgs {
		l := msp.OrgLayout{Dir: orgDir(dir, org.Name)}
		s, err := msp.LoadSigner(org.MSPID, l.PeerDir())
		if err != nil {
			return fail(fmt.Errorf("loading peer identity of %s: %w", org.Name, err))
		}
		n.peers[org.MSPID] = s
		if org.Governance {
			if n.orderer, err = msp.LoadSigner(org.MSPID, l.OrdererDir()); err != nil {
				return fail(fmt.Errorf("loading orderer identity: %w", err))
			}
		}
		c, err := tls.LoadX509KeyPair(msp.TLSCert(l.PeerDir()), msp.TLSKey(l.PeerDir()))
		if err != nil {
			return fail(fmt.Errorf("loading TLS certificate of %s: %w", org.Name, err))
		}
		if org.Governance {
			certs = append([]tls.Certificate{c}, certs...)
		} else {
			certs = append(certs, c)
		}
	}
	if cfg.TLSEnabled() {
		// One listener, one virtual peer per organisation: the TLS server name
		// (peer0.<org>.certledger.local) selects the organisation's certificate.
		n.tlsConf = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: certs}
	}
	n.rt, err = ccpeer.Start(context.Background(), def.Chaincode, o.cc, o.log)
	if err != nil {
		return fail(err)
	}
	n.ord = newOrderer(store, o.log, cfg.Block.MaxTxCount, cfg.Block.Timeout, func(b *common.Block) error {
		return signBlock(b, n.orderer)
	})
	if store.Height() == 1 && len(cfg.InitArgs) > 0 && !o.skipInit {
		if err := n.runInitTx(cfg.InitArgs); err != nil {
			n.ord.close()
			return fail(fmt.Errorf("initial transaction %v: %w", cfg.InitArgs, err))
		}
	}
	o.log.Info("devnet open", "dir", dir, "height", store.Height(), "channel", def.Channel, "chaincode", def.Chaincode)
	return n, nil
}

func mspIDs(orgs []OrgConfig) []string {
	out := make([]string, len(orgs))
	for i, o := range orgs {
		out[i] = o.MSPID
	}
	return out
}

// Dir is the devnet folder.
func (n *Node) Dir() string { return n.dir }

// Config is the effective configuration.
func (n *Node) Config() Config { return n.cfg }

// Height is the number of blocks on the blockstore.
func (n *Node) Height() uint64 { return n.store.Height() }

// ProfilePath is the connection profile of an organisation's admin.
func (n *Node) ProfilePath(org string) string { return ProfilePath(n.dir, org) }

// UserProfilePath is the connection profile of an organisation's user.
func (n *Node) UserProfilePath(org string) string { return UserProfilePath(n.dir, org) }

// WriteProfiles rewrites the connection profiles to name endpoint (host:port).
func (n *Node) WriteProfiles(endpoint string) error {
	return writeProfiles(n.dir, n.cfg, endpoint)
}

// Serve answers gRPC (Gateway and Deliver) on lis until Close. It first rewrites the
// connection profiles so that they name lis's address.
func (n *Node) Serve(lis net.Listener) error {
	if err := n.WriteProfiles(lis.Addr().String()); err != nil {
		return err
	}
	sopts := []grpc.ServerOption{
		// Enough long-lived workers for the calls in flight under load (bench: 64
		// submitters + 32 verifiers): a call on a worker reuses its grown stack,
		// while a call beyond the pool gets a fresh goroutine whose stack is
		// copied several times on the way into ECDSA, protobuf and the chaincode.
		grpc.NumStreamWorkers(uint32(max(64, 4*runtime.GOMAXPROCS(0)))),
		grpc.MaxRecvMsgSize(100 << 20),
		grpc.MaxSendMsgSize(100 << 20),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	}
	if n.tlsConf != nil {
		sopts = append(sopts, grpc.Creds(credentials.NewTLS(n.tlsConf)))
	}
	srv := grpc.NewServer(sopts...)
	gateway.RegisterGatewayServer(srv, &gatewayServer{n: n})
	peer.RegisterDeliverServer(srv, &deliverServer{n: n})
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return errStopped
	}
	n.servers = append(n.servers, srv)
	n.mu.Unlock()
	n.log.Info("serving", "addr", lis.Addr().String(), "tls", n.tlsConf != nil)
	err := srv.Serve(lis)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// ServeLoopback listens on a free loopback port, rewrites the connection
// profiles to name it and serves it (Serve) in a new goroutine: when it
// returns, clients may connect. The channel receives Serve's result once Close
// has stopped it. It is how tests and embedding programs start a node.
func (n *Node) ServeLoopback() (served <-chan error, err error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if err := n.WriteProfiles(lis.Addr().String()); err != nil {
		_ = lis.Close()
		return nil, err
	}
	ch := make(chan error, 1)
	go func() { ch <- n.Serve(lis) }()
	return ch, nil
}

// Close stops serving, commits the transactions already submitted, stops the
// chaincode and closes the blockstore.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	servers := n.servers
	n.mu.Unlock()
	// Stop accepting transactions and commit the queued ones first: that ends the
	// event streams and answers pending commit-status calls, so that the graceful
	// stop only waits for short unary calls.
	n.ord.close()
	for _, s := range servers {
		done := make(chan struct{})
		go func() { s.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			s.Stop()
		}
	}
	n.rt.Close()
	return n.store.Close()
}

// runInitTx submits args as the governance organisation's admin and waits for VALID.
func (n *Node) runInitTx(args []string) error {
	gov := n.cfg.governance()
	admin, err := msp.LoadSigner(gov.MSPID, msp.OrgLayout{Dir: orgDir(n.dir, gov.Name)}.UserDir(msp.AdminName))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, err := n.invoke(ctx, admin, args)
	if err != nil {
		return err
	}
	if code != peer.TxValidationCode_VALID {
		return fmt.Errorf("committed as %s", code)
	}
	n.log.Info("initial transaction committed", "args", args)
	return nil
}

// invoke runs a transaction as signer through the same path as a gateway client:
// a signed proposal, endorsement, a signed envelope, ordering and commit.
func (n *Node) invoke(ctx context.Context, signer *msp.Signer, args []string) (peer.TxValidationCode, error) {
	sp, err := newSignedProposal(signer, n.def.Channel, n.def.Chaincode, args)
	if err != nil {
		return 0, err
	}
	p, err := unpackProposal(sp)
	if err != nil {
		return 0, err
	}
	if err := n.checkProposal(p); err != nil {
		return 0, err
	}
	res, err := n.simulate(ctx, p)
	if err != nil {
		return 0, err
	}
	if failed(res.Response) {
		return 0, fmt.Errorf("chaincode response %d, %s", res.Response.Status, res.Response.Message)
	}
	env, err := n.endorse(p, res, n.val.policy.Plan(signer.MSPID))
	if err != nil {
		return 0, err
	}
	if env.Signature, err = signer.Sign(env.Payload); err != nil {
		return 0, err
	}
	raw, err := proto.Marshal(env)
	if err != nil {
		return 0, err
	}
	tx, rej := n.val.checkEnvelope(raw)
	if rej != nil {
		return 0, rej
	}
	if err := n.ord.submit(ctx, pendingTx{env: raw, tx: tx}); err != nil {
		return 0, err
	}
	st, err := n.ord.wait(ctx, tx.TxID)
	return st.code, err
}

// newSignedProposal builds a proposal as the fabric-gateway client does.
func newSignedProposal(signer *msp.Signer, channel, chaincode string, args []string) (*peer.SignedProposal, error) {
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	creator := signer.Serialized()
	ext, err := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: chaincode}})
	if err != nil {
		return nil, err
	}
	chdr, err := proto.Marshal(&common.ChannelHeader{
		Type: int32(common.HeaderType_ENDORSER_TRANSACTION), Timestamp: timestamppb.Now(),
		ChannelId: channel, TxId: computeTxID(nonce, creator), Extension: ext,
	})
	if err != nil {
		return nil, err
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	hdr, err := proto.Marshal(&common.Header{ChannelHeader: chdr, SignatureHeader: shdr})
	if err != nil {
		return nil, err
	}
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	spec, err := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		ChaincodeId: &peer.ChaincodeID{Name: chaincode}, Input: &peer.ChaincodeInput{Args: bargs},
	}})
	if err != nil {
		return nil, err
	}
	cpp, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: spec})
	if err != nil {
		return nil, err
	}
	pb, err := proto.Marshal(&peer.Proposal{Header: hdr, Payload: cpp})
	if err != nil {
		return nil, err
	}
	sig, err := signer.Sign(pb)
	if err != nil {
		return nil, err
	}
	return &peer.SignedProposal{ProposalBytes: pb, Signature: sig}, nil
}

// exists reports whether a path exists.
func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Block returns block n of the blockstore.
func (n *Node) Block(num uint64) (*common.Block, error) { return n.store.Block(num) }
