package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/network/devnet"
	"github.com/certledger/certledger/network/devnet/devnettest"
)

// devnetStack is an in-process devnet running the registry contract and one more
// (the real chaincode code path) behind this package's HTTP API, on loopback. Its
// tokens: gov (governance admin), a and b (clerks of dept-a and dept-b) and auditor
// (of dept-a); no department is registered yet.
type devnetStack struct {
	url    string
	tokens map[string]string // name -> token
	c      *http.Client
	close  func()
}

// startDevnetStack starts the stack and waits for the ledger; what names the test in
// the skip message (-short or CERTLEDGER_SKIP_E2E). tune, when not nil, adjusts the
// server options.
func startDevnetStack(tb testing.TB, what string, block devnet.BlockConfig, contract contractapi.ContractInterface, tune func(*Options)) *devnetStack {
	tb.Helper()
	if testing.Short() || os.Getenv("CERTLEDGER_SKIP_E2E") != "" {
		tb.Skipf("end-to-end %s test against an in-process devnet skipped (-short or CERTLEDGER_SKIP_E2E)", what)
	}
	cc, err := contractapi.NewChaincode(registry.New(), contract)
	if err != nil {
		tb.Fatal(err)
	}
	cc.TransactionSerializer = &chaincode.Serializer{} // as chaincode.New
	fab, cfg := serveDevnet(tb, devnet.Config{Block: block}, cc, ledgerclient.Timeouts{})
	s := &devnetStack{tokens: map[string]string{}, c: &http.Client{Timeout: 30 * time.Second}}
	for _, t := range []struct{ name, dept, org, role string }{
		{"gov", "gov", "gov", config.RoleAdmin}, {"a", "dept-a", "dept-a", config.RoleClerk},
		{"b", "dept-b", "dept-b", config.RoleClerk}, {"auditor", "dept-a", "dept-a", config.RoleAuditor},
	} {
		tok := "tok-" + t.name + "-" + fmt.Sprint(time.Now().UnixNano())
		s.tokens[t.name] = tok
		cfg.Tokens = append(cfg.Tokens, config.Token{ID: t.name, SHA256: config.HashToken(tok),
			Principal: config.Principal{Department: t.dept, Org: t.org, Role: t.role}})
	}
	opts := Options{Ledger: fab, Auth: auth.New(&cfg), DefaultOrg: "gov", GovernanceDepartment: "gov",
		Logger: slog.New(slog.DiscardHandler), MVCCRetries: 3}
	if tune != nil {
		tune(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	s.url = hs.URL
	s.close = func() {
		s.c.CloseIdleConnections()
		srv.CloseStreams()
		hs.Close()
	}
	tb.Cleanup(s.close)
	return s
}

// serveDevnet initialises a devnet with dcfg in a temporary folder, serves cc on a
// loopback port, connects the fabric-gateway client for gov, dept-a and dept-b with
// timeouts t, and waits until the ledger answers. The returned gateway config lists
// those organisations (no tokens yet). Cleanup closes the client and the devnet; it
// is registered first, so it runs after the caller's own cleanup of the HTTP server.
func serveDevnet(tb testing.TB, dcfg devnet.Config, cc shim.Chaincode, t ledgerclient.Timeouts, opts ...devnet.Option) (*ledgerclient.Fabric, config.Config) {
	tb.Helper()
	fab, cfg, _ := serveDevnetUsers(tb, dcfg, cc, t, nil, opts...)
	return fab, cfg
}

// stackUser is a person the devnet's CA gives a client identity of their own
// (devnet.AddUser); role "" is client.
type stackUser struct{ org, name, role string }

// serveDevnetUsers is serveDevnet that first adds users and connects each one's
// identity in its organisation (named auth.IdentityName of its config.Identity,
// as the gateway command does). It returns the users by name.
func serveDevnetUsers(tb testing.TB, dcfg devnet.Config, cc shim.Chaincode, t ledgerclient.Timeouts, users []stackUser, opts ...devnet.Option) (*ledgerclient.Fabric, config.Config, map[string]devnet.User) {
	tb.Helper()
	dir := tb.TempDir()
	if err := devnet.Init(dir, dcfg); err != nil {
		tb.Fatal(err)
	}
	added := map[string]devnet.User{}
	idents := map[string][]ledgerclient.Identity{}
	for _, u := range users {
		du, err := devnet.AddUser(dir, u.org, u.name, u.role)
		if err != nil {
			tb.Fatal(err)
		}
		added[u.name] = du
		name := auth.IdentityName(&config.Identity{Cert: du.Cert, Key: du.Key})
		idents[u.org] = append(idents[u.org], ledgerclient.Identity{Name: name, CertPath: du.Cert, KeyPath: du.Key})
	}
	devnettest.Serve(tb, dir, append([]devnet.Option{devnet.WithChaincode(cc)}, opts...)...)
	var orgs []ledgerclient.Org
	cfg := config.Defaults()
	for _, name := range []string{"gov", "dept-a", "dept-b"} {
		p, err := profile.Load(devnet.ProfilePath(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		orgs = append(orgs, ledgerclient.Org{Name: name, Profile: p, Identities: idents[name]})
		cfg.Orgs = append(cfg.Orgs, config.Org{Name: name, Profile: devnet.ProfilePath(dir, name)})
	}
	fab, err := ledgerclient.Connect(orgs, t)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = fab.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := fab.Evaluate(ctx, "gov", "registry:GetGovernance")
		cancel()
		if err == nil {
			return fab, cfg, added
		}
		if time.Now().After(deadline) {
			tb.Fatalf("ledger not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do sends body (JSON, when not nil) as token who ("" = no token).
func (s *devnetStack) do(method, path, who string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[who])
	}
	res, err := s.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// must is do that fails the test on an error or another status.
func (s *devnetStack) must(tb testing.TB, method, path, who string, body any, status int) []byte {
	tb.Helper()
	st, b, err := s.do(method, path, who, body)
	if err != nil {
		tb.Fatal(err)
	}
	if st != status {
		tb.Fatalf("%s %s as %s: %d %s, want %d", method, path, who, st, b, status)
	}
	return b
}
