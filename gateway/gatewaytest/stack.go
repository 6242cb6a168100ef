// Start runs, in one process, what the gateway's end-to-end tests and the load
// tool need: a devnet (network/devnet) running the real chaincode on a loopback
// port, the ledger client over its connection profiles, and the gateway's HTTP API
// on another loopback port, with one bearer token per department role.

package gatewaytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/coalesce"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/gateway/internal/metrics"
	"github.com/certledger/certledger/gateway/internal/readmodel"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/network/devnet"
)

// Token names (keys of Stack.Tokens).
const (
	GovAdmin   = "gov-admin"
	AAdmin     = "dept-a-admin"
	AClerk     = "dept-a-clerk"
	AAuditor   = "dept-a-auditor"
	BClerk     = "dept-b-clerk"
	Governance = "gov"
)

// Options tune Start.
type Options struct {
	// Logger receives the gateway's access log (nil: discarded).
	Logger *slog.Logger
	// RateLimit of public endpoints (zero: unlimited).
	RateLimit config.RateLimit
	// Web, if set, is mounted at / and /verify (web.Handler()).
	Web http.Handler
	// Chaincode the devnet runs (nil: chaincode.New()).
	Chaincode shim.Chaincode
	// Devnet configures the devnet (zero: devnet.Init's defaults).
	Devnet devnet.Config
	// LedgerTimeout, when positive, is the ledger client's evaluate, endorse,
	// submit and commit-status timeout and the devnet's chaincode execute timeout
	// (long transactions such as bench:LoadTickets need minutes).
	LedgerTimeout time.Duration
	// ReadModel, when its Dir is set, gives the gateway a read model that
	// answers verify (Namespace, Logger and Now are filled in when empty); the
	// stack then also serves, at LedgerURL, a second API without it.
	ReadModel readmodel.Options
	// Coalesce, when set, groups concurrent single issues (CoalesceOptions).
	Coalesce *CoalesceOptions
	// ReportKey, if set, signs verification reports (POST /api/v1/verify/report).
	ReportKey *httpapi.ReportKey
	// BatchDir, if set, is the gateway's batch file store (uploads of Merkle batches).
	BatchDir string
}

// CoalesceOptions configure the gateway's coalescing of single issues.
type CoalesceOptions = coalesce.Options

// Stack is a running devnet + gateway.
type Stack struct {
	Dir      string
	Node     *devnet.Node
	Fabric   *ledgerclient.Fabric
	API      *httpapi.Server
	Metrics  *metrics.Metrics
	URL      string            // http://127.0.0.1:port
	Tokens   map[string]string // plaintext bearer tokens by name
	Profiles map[string]string // connection profile path by organisation
	// Model is the read model (Options.ReadModel), nil without one.
	Model *readmodel.Model
	// LedgerURL serves an API that answers verify from the ledger (with a read
	// model only).
	LedgerURL string

	http       *http.Server
	done       chan struct{}
	ledgerAPI  *http.Server
	ledgerDone chan struct{}
	stopModel  func() error
	devDone    <-chan error
	serving    bool
	ledgerAddr string
	closeOnce  sync.Once
	closeErr   error
}

// Start initialises a devnet in dir (organisations gov, dept-a, dept-b), serves it
// and a gateway on loopback ports. Close stops everything.
func Start(dir string, o Options) (_ *Stack, err error) {
	node, err := openDevnet(dir, o)
	if err != nil {
		return nil, err
	}
	s := &Stack{Dir: dir, Node: node, Tokens: map[string]string{}, Profiles: map[string]string{}}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if s.devDone, err = node.ServeLoopback(); err != nil {
		return nil, err
	}
	s.serving = true

	cfg, err := s.connect(o.LedgerTimeout)
	if err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.Metrics = metrics.New()
	apiOpts := httpapi.Options{
		Metrics: s.Metrics, Ledger: s.Fabric, Auth: auth.New(&cfg), DefaultOrg: Governance, GovernanceDepartment: Governance,
		Logger: log, RateLimit: o.RateLimit, MVCCRetries: 3, Heartbeat: time.Second, Web: o.Web,
		Ready: s.Fabric.Ready, Coalesce: o.Coalesce, ReportKey: o.ReportKey, BatchDir: o.BatchDir,
	}
	if o.ReadModel.Dir != "" {
		if err := s.startModel(o.ReadModel, log); err != nil {
			return nil, err
		}
		plainOpts := apiOpts
		plainOpts.Metrics = metrics.New()
		plain, err := httpapi.New(plainOpts)
		if err != nil {
			return nil, err
		}
		if s.LedgerURL, s.ledgerAPI, s.ledgerDone, err = serveHTTP(plain.Handler()); err != nil {
			return nil, err
		}
		apiOpts.VerifyModel = s.Model
	}
	s.API, err = httpapi.New(apiOpts)
	if err != nil {
		return nil, err
	}
	if s.URL, s.http, s.done, err = serveHTTP(s.API.Handler()); err != nil {
		return nil, err
	}
	if err := s.waitReady(30 * time.Second); err != nil {
		return nil, err
	}
	return s, nil
}

// ReadModel and ReadModelOptions name the gateway's read model for tools
// outside the gateway (the load tool).
type (
	ReadModel        = readmodel.Model
	ReadModelOptions = readmodel.Options
	// ReadModelBatchDir is a batch store directory as the read model reads it
	// (ReadModelOptions.Batches).
	ReadModelBatchDir = readmodel.Dir
)

// MinReadModelCache is the smallest read model cache (readModel.cacheSize).
const MinReadModelCache = readmodel.MinCacheSize

// Answer sources of a verify answer.
const (
	SourceReadModel = readmodel.SourceReadModel
	SourceLedger    = readmodel.SourceLedger
)

// startModel opens the read model and follows the devnet as the governance
// organisation.
func (s *Stack) startModel(o readmodel.Options, log *slog.Logger) error {
	if o.Logger == nil {
		o.Logger = log
	}
	var err error
	s.Model, s.stopModel, err = s.StartReadModel(context.Background(), o)
	return err
}

// StartReadModel starts another read model following the devnet (a rebuild,
// a restart); stop waits for its follower and closes its store.
func (s *Stack) StartReadModel(ctx context.Context, o ReadModelOptions) (*ReadModel, func() error, error) {
	gw, p, err := s.Fabric.Gateway(Governance)
	if err != nil {
		return nil, nil, err
	}
	if o.Namespace == "" {
		o.Namespace = p.Chaincode
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	src := readmodel.NetworkSource{
		Network: gw.GetNetwork(p.Channel),
		Head:    func(ctx context.Context) (uint64, error) { return s.Fabric.Height(ctx, Governance) },
	}
	return readmodel.Start(ctx, o, src)
}

// StopModel stops the read model's follower and closes its store (Close does
// it too); verify then answers from the ledger once the model is MaxLag old.
func (s *Stack) StopModel() error {
	if s.stopModel == nil {
		return nil
	}
	stop := s.stopModel
	s.stopModel = nil
	return stop()
}

func serveHTTP(h http.Handler) (string, *http.Server, chan struct{}, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	return "http://" + lis.Addr().String(), srv, done, nil
}

// openDevnet initialises a devnet in dir and opens it with o's chaincode.
func openDevnet(dir string, o Options) (*devnet.Node, error) {
	if err := devnet.Init(dir, o.Devnet); err != nil {
		return nil, fmt.Errorf("devnet init: %w", err)
	}
	cc := o.Chaincode
	if cc == nil {
		c, err := chaincode.New()
		if err != nil {
			return nil, err
		}
		cc = c
	}
	opts := []devnet.Option{devnet.WithChaincode(cc)}
	if o.LedgerTimeout > 0 {
		opts = append(opts, devnet.WithExecuteTimeout(o.LedgerTimeout))
	}
	node, err := devnet.Open(dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("devnet open: %w", err)
	}
	return node, nil
}

// connect connects the ledger client for gov, dept-a and dept-b and returns the
// gateway configuration with those organisations and one token per role; the
// clerks and the auditor have identities of their own (devnet.AddUser).
func (s *Stack) connect(timeout time.Duration) (config.Config, error) {
	cfg := config.Defaults()
	for _, t := range []struct{ name, dept, org, role string }{
		{GovAdmin, Governance, Governance, config.RoleAdmin},
		{AAdmin, "dept-a", "dept-a", config.RoleAdmin},
		{AClerk, "dept-a", "dept-a", config.RoleClerk},
		{AAuditor, "dept-a", "dept-a", config.RoleAuditor},
		{BClerk, "dept-b", "dept-b", config.RoleClerk},
	} {
		tok := randomToken()
		s.Tokens[t.name] = tok
		p := config.Principal{Department: t.dept, Org: t.org, Role: t.role}
		if t.role != config.RoleAdmin {
			// Clerks and auditors sign with identities of their own from their
			// organisation's CA (operator id <role>@<org>), as `make up` sets them up.
			u, err := devnet.AddUser(s.Dir, t.org, t.role, "client")
			if err != nil {
				return cfg, err
			}
			p.Identity = &config.Identity{Cert: u.Cert, Key: u.Key}
		}
		cfg.Tokens = append(cfg.Tokens, config.Token{ID: t.name, SHA256: config.HashToken(tok), Principal: p})
	}
	var orgs []ledgerclient.Org
	for _, name := range []string{Governance, "dept-a", "dept-b"} {
		path := devnet.ProfilePath(s.Dir, name)
		p, err := profile.Load(path)
		if err != nil {
			return cfg, err
		}
		s.Profiles[name] = path
		if name == Governance {
			s.ledgerAddr = p.Peer.Endpoint // where RestartLedger serves again
		}
		var ids []ledgerclient.Identity
		for _, t := range cfg.Tokens {
			if t.Org == name && t.Identity != nil {
				ids = append(ids, ledgerclient.Identity{Name: auth.IdentityName(t.Identity), CertPath: t.Identity.Cert, KeyPath: t.Identity.Key})
			}
		}
		orgs = append(orgs, ledgerclient.Org{Name: name, Profile: p, Identities: ids})
		cfg.Orgs = append(cfg.Orgs, config.Org{Name: name, Profile: path})
	}
	var err error
	s.Fabric, err = ledgerclient.Connect(orgs, ledgerclient.Timeouts{Evaluate: timeout, Endorse: timeout, Submit: timeout, CommitStatus: timeout})
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func (s *Stack) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := s.Fabric.Evaluate(ctx, Governance, "registry:GetGovernance")
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ledger not ready: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// StopLedger stops the devnet (as a crash of the ledger would, for the gateway:
// its connections break); RestartLedger brings it back on the same address.
func (s *Stack) StopLedger() error {
	if !s.serving {
		return nil
	}
	err := s.Node.Close()
	<-s.devDone //nolint:errcheck // Serve returns once Close stops it; its error then is expected
	s.serving = false
	return err
}

// RestartLedger reopens the devnet's folder (the ledger survives) and serves it
// on the address it had; it returns once the devnet accepts connections.
func (s *Stack) RestartLedger() error {
	if s.serving {
		return nil
	}
	cc, err := chaincode.New()
	if err != nil {
		return err
	}
	node, err := devnet.Open(s.Dir, devnet.WithChaincode(cc))
	if err != nil {
		return fmt.Errorf("devnet reopen: %w", err)
	}
	var lis net.Listener
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if lis, err = net.Listen("tcp", s.ledgerAddr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = node.Close()
			return fmt.Errorf("listening again on %s: %w", s.ledgerAddr, err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- node.Serve(lis) }()
	s.Node, s.serving, s.devDone = node, true, done
	return nil
}

// Close stops the gateway, the ledger client and the devnet; closing again
// returns the first Close's answer.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.stop() })
	return s.closeErr
}

func (s *Stack) stop() error {
	var errs []error
	if s.http != nil {
		s.API.CloseStreams()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, s.http.Shutdown(ctx))
		cancel()
		<-s.done
	}
	if s.ledgerAPI != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, s.ledgerAPI.Shutdown(ctx))
		cancel()
		<-s.ledgerDone
	}
	errs = append(errs, s.StopModel())
	if s.Fabric != nil {
		errs = append(errs, s.Fabric.Close())
	}
	if s.Node != nil && s.serving {
		errs = append(errs, s.Node.Close(), <-s.devDone)
	}
	return errors.Join(errs...)
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
