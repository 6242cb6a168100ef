// Package config reads and validates the gateway's YAML configuration: where it
// listens, which organisations (connection profiles) it can submit as, who may call
// it (hashed bearer tokens, client certificates) and its limits and timeouts.
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/certledger/certledger/gateway/internal/readmodel"
	"github.com/certledger/certledger/internal/domain/period"
	"github.com/certledger/certledger/internal/domain/wire"
)

// ErrInvalid is returned (wrapped) for a configuration that fails validation.
var ErrInvalid = errors.New("invalid gateway configuration")

// The roles a caller may hold.
const (
	RoleAdmin   = "admin"
	RoleClerk   = "clerk"
	RoleAuditor = "auditor"
)

// Config is the whole gateway configuration.
type Config struct {
	// Listen is the HTTP listen address, e.g. ":8080".
	Listen string `yaml:"listen"`
	// Operations is the operators' listener (/metrics, /healthz, /readyz), kept off
	// the public one as Fabric peers do.
	Operations Operations `yaml:"operations"`
	// PublicURL is the externally visible base URL (used in QR verify links).
	PublicURL string `yaml:"publicURL"`
	// TLS enables HTTPS; ClientCAFile additionally accepts client certificates.
	TLS *TLS `yaml:"tls,omitempty"`
	// GovernanceDepartment, when set, is the only department whose admins may
	// register departments and add or rotate keys (the chaincode checks the MSP anyway).
	GovernanceDepartment string `yaml:"governanceDepartment,omitempty"`
	// TimeZone is the deployment's time zone (IANA name): period dates (from/to
	// YYYY-MM-DD) are whole days in it. Default Asia/Shanghai.
	TimeZone string `yaml:"timeZone,omitempty"`
	// Orgs are the organisations the gateway submits as, one connection profile each.
	Orgs []Org `yaml:"orgs"`
	// Tokens are the bearer tokens, stored as SHA-256 hex only.
	Tokens []Token `yaml:"tokens,omitempty"`
	// ClientCerts map client certificates (mutual TLS) to callers.
	ClientCerts []ClientCert `yaml:"clientCerts,omitempty"`
	// RateLimit bounds anonymous (public) requests per client address.
	RateLimit RateLimit `yaml:"rateLimit"`
	// Timeouts of ledger calls and of the HTTP server.
	Timeouts Timeouts `yaml:"timeouts"`
	// BodyLimit is the largest request body accepted, in bytes.
	BodyLimit int64 `yaml:"bodyLimit"`
	// BatchDir is the batch file store (docs/batches.md), a directory several
	// gateways may share; "" disables batch file uploads.
	BatchDir string `yaml:"batchDir"`
	// MVCCRetries is how many times a write that lost an MVCC race is resubmitted.
	MVCCRetries int `yaml:"mvccRetries"`
	// Trust configures the trust bundle the gateway serves (docs/trust.md).
	Trust Trust `yaml:"trust,omitempty"`
	// Events bounds the server-sent event streams.
	Events Events `yaml:"events"`
	// Envelopes configures the exchange envelope store (docs/exchange.md).
	Envelopes Envelopes `yaml:"envelopes,omitempty"`
	// ReadModel configures the gateway's read model (docs/readmodel.md).
	ReadModel ReadModel `yaml:"readModel,omitempty"`
	// Coalesce, when present, groups concurrent single issues into grouped
	// transactions (certificate:IssueGroup; docs/readmodel.md).
	Coalesce *Coalesce `yaml:"coalesce,omitempty"`
}

// Coalesce: how long the first issue of a group waits for others, and the
// largest group.
type Coalesce struct {
	// Window defaults to 5ms; at most 1s.
	Window time.Duration `yaml:"window,omitempty"`
	// Max defaults to 200; at most 10,000 (the chaincode's own limit may be lower).
	Max int `yaml:"max,omitempty"`
}

// ReadModel: where the gateway keeps its read model, and how far behind the
// ledger it may be and still answer verify. No dir: verify asks the ledger.
type ReadModel struct {
	// Dir is the store's directory (derived data: delete it to rebuild).
	Dir string `yaml:"dir,omitempty"`
	// MaxLag is how far behind the ledger the model may be (default 5s).
	MaxLag time.Duration `yaml:"maxLag,omitempty"`
	// HeadInterval is how often the ledger's height is read (default 1s).
	HeadInterval time.Duration `yaml:"headInterval,omitempty"`
	// CacheSize is the store's cache in bytes (0: 192 MiB). The store's write
	// buffers (two of 64 MiB) are charged to it; what is left keeps the blocks
	// verify reads decoded in memory. At least readmodel.MinCacheSize.
	CacheSize int64 `yaml:"cacheSize,omitempty"`
}

// Envelopes: where the gateway keeps exchange envelopes (content-addressed by
// SM3) and the largest one it accepts.
type Envelopes struct {
	// Dir is the store's directory ("" keeps envelopes in memory, lost on restart).
	Dir string `yaml:"dir,omitempty"`
	// MaxSize is the largest envelope a PUT accepts, in bytes (0: 32 MiB, the most).
	MaxSize int64 `yaml:"maxSize,omitempty"`
}

// Operations is the operations listener. Listen "" serves no /metrics at all.
type Operations struct {
	// Listen is its address, e.g. "127.0.0.1:9444" (keep it on a private interface).
	Listen string `yaml:"listen"`
}

// Events bounds the event streams (GET /api/v1/events, a ticket's progress).
type Events struct {
	// MaxStreamsPerCaller is how many streams one token, client certificate or
	// anonymous client address may hold open at once.
	MaxStreamsPerCaller int `yaml:"maxStreamsPerCaller"`
	// MaxReplays is how many streams replaying from a past block may run at once.
	MaxReplays int `yaml:"maxReplays"`
	// MaxReplayBlocks is how far behind the newest block a replay may start.
	MaxReplayBlocks int `yaml:"maxReplayBlocks"`
}

// Trust: the governance fingerprint the gateway pins, and the file that holds the
// latest bundle governance published. No pin: GET /api/v1/trust answers 404.
type Trust struct {
	// Pin is the SM3 hex of the governance public key (`certledger trust fingerprint`).
	Pin string `yaml:"pin,omitempty"`
	// BundleFile is where the published bundle is kept (default: none, memory only).
	BundleFile string `yaml:"bundleFile,omitempty"`
	// ReportKey is the gateway's own SM2 private key (PKCS#8 PEM, unencrypted,
	// mode 0600) that signs verification reports; its public key is listed in the
	// trust bundle under "gateways" with the id GatewayID. Empty: no reports.
	ReportKey string `yaml:"reportKey,omitempty"`
	// GatewayID names this gateway in the bundle's "gateways" (default "gateway").
	GatewayID string `yaml:"gatewayId,omitempty"`
}

// TLS holds the gateway's HTTPS certificate and, optionally, the CA for client certificates.
type TLS struct {
	CertFile     string `yaml:"certFile"`
	KeyFile      string `yaml:"keyFile"`
	ClientCAFile string `yaml:"clientCAFile,omitempty"`
}

// Org is one Fabric organisation the gateway can act as.
type Org struct {
	Name    string `yaml:"name"`
	Profile string `yaml:"profile"`
}

// Principal is who a token or certificate stands for.
type Principal struct {
	Department string `yaml:"department"`
	Org        string `yaml:"org"`
	Role       string `yaml:"role"`
	// Identity is the caller's own Fabric identity, issued by org's CA: what it
	// submits and reads are signed with it, so the ledger names the person
	// (docs/people.md). Without one the caller acts as the org profile's identity
	// (usually the organisation's Admin), which the gateway logs at start.
	Identity *Identity `yaml:"identity,omitempty"`
}

// Identity is a Fabric client identity: PEM X.509 certificate and PKCS#8 key.
type Identity struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Token is a bearer token known by its SHA-256.
type Token struct {
	// ID is a label for logs; default: the first 8 hex digits of the hash.
	ID        string `yaml:"id,omitempty"`
	SHA256    string `yaml:"sha256"`
	Principal `yaml:",inline"`
}

// ClientCert maps a verified client certificate, by the SHA-256 of its DER
// (fingerprint) or by its subject common name, to a principal.
type ClientCert struct {
	ID          string `yaml:"id,omitempty"`
	Fingerprint string `yaml:"fingerprint,omitempty"`
	CommonName  string `yaml:"commonName,omitempty"`
	Principal   `yaml:",inline"`
}

// RateLimit is a token bucket per client address for public endpoints.
type RateLimit struct {
	PerSecond float64 `yaml:"perSecond"`
	Burst     int     `yaml:"burst"`
	// TrustProxy takes the client address from X-Forwarded-For (behind a reverse proxy).
	TrustProxy bool `yaml:"trustProxy"`
}

// Timeouts of every Fabric call and of the HTTP server.
type Timeouts struct {
	Evaluate time.Duration `yaml:"evaluate"`
	Endorse  time.Duration `yaml:"endorse"`
	Submit   time.Duration `yaml:"submit"`
	// CommitStatus bounds the whole wait for a commit after the transaction was
	// sent for ordering (resubmissions included); then the answer is 504
	// COMMIT_UNKNOWN, "retry the same request".
	CommitStatus time.Duration `yaml:"commitStatus"`
	// CommitWait is how long one submission waits for its commit before the same
	// signed transaction is sent again (a transaction lost in a Raft leader change).
	CommitWait time.Duration `yaml:"commitWait"`
	ReadHeader time.Duration `yaml:"readHeader"`
	Read       time.Duration `yaml:"read"`
	Write      time.Duration `yaml:"write"`
	Idle       time.Duration `yaml:"idle"`
	Shutdown   time.Duration `yaml:"shutdown"`
}

// Defaults returns a Config with every default set and nothing else.
func Defaults() Config {
	return Config{
		Listen:    "127.0.0.1:8080",
		RateLimit: RateLimit{PerSecond: 20, Burst: 40},
		Timeouts: Timeouts{
			Evaluate:     5 * time.Second,
			Endorse:      15 * time.Second,
			Submit:       5 * time.Second,
			CommitStatus: 10 * time.Second,
			CommitWait:   2 * time.Second,
			ReadHeader:   5 * time.Second,
			Read:         30 * time.Second,
			Write:        0, // 0: no write timeout, so the event stream stays open
			Idle:         120 * time.Second,
			Shutdown:     15 * time.Second,
		},
		BodyLimit:   1 << 20,
		MVCCRetries: 3,
		Events:      Events{MaxStreamsPerCaller: 4, MaxReplays: 4, MaxReplayBlocks: 1000},
	}
}

// Load reads path over the defaults, resolves relative file paths against the
// config's folder and validates the result.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading gateway config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.resolve(filepath.Dir(path))
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse decodes YAML over the defaults, refusing unknown fields. It does not validate.
func Parse(b []byte) (*Config, error) {
	c := Defaults()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return &c, nil
}

func (c *Config) resolve(base string) {
	abs := func(s *string) {
		if *s != "" && !filepath.IsAbs(*s) {
			*s = filepath.Join(base, *s)
		}
	}
	for i := range c.Orgs {
		abs(&c.Orgs[i].Profile)
	}
	for _, p := range c.principals() {
		if p.Identity != nil {
			abs(&p.Identity.Cert)
			abs(&p.Identity.Key)
		}
	}
	abs(&c.Trust.BundleFile)
	abs(&c.Envelopes.Dir)
	abs(&c.ReadModel.Dir)
	abs(&c.Trust.ReportKey)
	abs(&c.BatchDir)
	if c.TLS != nil {
		abs(&c.TLS.CertFile)
		abs(&c.TLS.KeyFile)
		abs(&c.TLS.ClientCAFile)
	}
}

// validate checks the trust section and defaults GatewayID when a report key is set.
func (t *Trust) validate() error {
	if t.Pin != "" && !hexHash.MatchString(strings.ToLower(strings.NewReplacer(" ", "", ":", "").Replace(t.Pin))) {
		return errors.New("trust.pin must be the 64-hex-digit SM3 fingerprint of the governance key")
	}
	if t.BundleFile != "" && t.Pin == "" {
		return errors.New("trust.bundleFile needs trust.pin")
	}
	if t.ReportKey != "" && t.GatewayID == "" {
		t.GatewayID = "gateway"
	}
	if t.GatewayID != "" && !wire.ValidID(t.GatewayID) {
		return fmt.Errorf("trust.gatewayId %q: want 1-128 letters, digits, '.', '_', ':' or '-'", t.GatewayID)
	}
	return nil
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// invalid is a configuration problem: it wraps ErrInvalid.
func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Validate reports the first problem found, and fills in token IDs.
func (c *Config) Validate() error {
	if c.Listen == "" {
		return invalid("listen is empty")
	}
	if _, err := period.Zone(c.TimeZone); err != nil {
		return invalid("timeZone: %v", err)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalid("publicURL %q is not an http(s) URL", c.PublicURL)
		}
	}
	if err := c.Trust.validate(); err != nil {
		return invalid("%v", err)
	}
	if c.TLS != nil && (c.TLS.CertFile == "" || c.TLS.KeyFile == "") {
		return invalid("tls needs certFile and keyFile")
	}
	if len(c.Orgs) == 0 {
		return invalid("orgs is empty")
	}
	orgs := map[string]bool{}
	for i, o := range c.Orgs {
		if o.Name == "" || o.Profile == "" {
			return invalid("orgs[%d] needs name and profile", i)
		}
		if orgs[o.Name] {
			return invalid("orgs[%d]: duplicate name %q", i, o.Name)
		}
		orgs[o.Name] = true
	}
	if err := c.validateCallers(orgs); err != nil {
		return err
	}
	return c.validateLimits()
}

// checkPrincipal checks who a token or client certificate stands for.
func checkPrincipal(where string, p Principal, orgs map[string]bool) error {
	if p.Department == "" {
		return invalid("%s: department is empty", where)
	}
	if !orgs[p.Org] {
		return invalid("%s: org %q is not in orgs", where, p.Org)
	}
	switch p.Role {
	case RoleAdmin, RoleClerk, RoleAuditor:
	default:
		return invalid("%s: role %q is not admin, clerk or auditor", where, p.Role)
	}
	if p.Identity != nil && (p.Identity.Cert == "" || p.Identity.Key == "") {
		return invalid("%s: identity needs cert and key", where)
	}
	return nil
}

// principals returns every token's and client certificate's principal, in
// configuration order, for editing in place.
func (c *Config) principals() []*Principal {
	var out []*Principal
	for i := range c.Tokens {
		out = append(out, &c.Tokens[i].Principal)
	}
	for i := range c.ClientCerts {
		out = append(out, &c.ClientCerts[i].Principal)
	}
	return out
}

// validateCallers checks the tokens and client certificates and fills in their IDs.
func (c *Config) validateCallers(orgs map[string]bool) error {
	hashes := map[string]bool{}
	for i := range c.Tokens {
		t := &c.Tokens[i]
		where := fmt.Sprintf("tokens[%d]", i)
		if !hexHash.MatchString(t.SHA256) {
			return invalid("%s: sha256 must be 64 lowercase hex (use `certledger-gateway hash-token`)", where)
		}
		if hashes[t.SHA256] {
			return invalid("%s: duplicate sha256", where)
		}
		hashes[t.SHA256] = true
		if err := checkPrincipal(where, t.Principal, orgs); err != nil {
			return err
		}
		if t.ID == "" {
			t.ID = "tok-" + t.SHA256[:8]
		}
	}
	if len(c.ClientCerts) > 0 && (c.TLS == nil || c.TLS.ClientCAFile == "") {
		return invalid("clientCerts need tls.clientCAFile")
	}
	for i := range c.ClientCerts {
		cc := &c.ClientCerts[i]
		where := fmt.Sprintf("clientCerts[%d]", i)
		if (cc.Fingerprint == "") == (cc.CommonName == "") {
			return invalid("%s: set exactly one of fingerprint and commonName", where)
		}
		if cc.Fingerprint != "" && !hexHash.MatchString(cc.Fingerprint) {
			return invalid("%s: fingerprint must be 64 lowercase hex (SHA-256 of the DER certificate)", where)
		}
		if err := checkPrincipal(where, cc.Principal, orgs); err != nil {
			return err
		}
		if cc.ID == "" {
			if cc.CommonName != "" {
				cc.ID = "cert-" + cc.CommonName
			} else {
				cc.ID = "cert-" + cc.Fingerprint[:8]
			}
		}
	}
	return nil
}

// validateLimits checks the rate limit, timeouts, body limit, retries and event limits.
func (c *Config) validateLimits() error {
	if c.RateLimit.PerSecond < 0 || c.RateLimit.Burst < 0 || (c.RateLimit.PerSecond > 0 && c.RateLimit.Burst < 1) {
		return invalid("rateLimit: perSecond and burst must be >= 0, burst >= 1 when perSecond > 0 (perSecond 0 disables)")
	}
	t := c.Timeouts
	for name, d := range map[string]time.Duration{
		"evaluate": t.Evaluate, "endorse": t.Endorse, "submit": t.Submit, "commitStatus": t.CommitStatus, "commitWait": t.CommitWait,
	} {
		if d <= 0 {
			return invalid("timeouts.%s must be > 0", name)
		}
	}
	if t.CommitWait > t.CommitStatus {
		return invalid("timeouts.commitWait (%v) must not exceed timeouts.commitStatus (%v)", t.CommitWait, t.CommitStatus)
	}
	if c.Operations.Listen != "" && c.Operations.Listen == c.Listen && !strings.HasSuffix(c.Listen, ":0") { // ":0": two free ports
		return invalid("operations.listen must differ from listen: /metrics stays off the public listener")
	}
	if t.ReadHeader < 0 || t.Read < 0 || t.Write < 0 || t.Idle < 0 || t.Shutdown < 0 {
		return invalid("timeouts must not be negative")
	}
	if c.BodyLimit <= 0 {
		return invalid("bodyLimit must be > 0")
	}
	if c.Envelopes.MaxSize < 0 || c.Envelopes.MaxSize > 32<<20 {
		return invalid("envelopes.maxSize must be in 0..33554432 (0: 32 MiB)")
	}
	if c.MVCCRetries < 0 || c.MVCCRetries > 20 {
		return invalid("mvccRetries must be in 0..20")
	}
	if co := c.Coalesce; co != nil && (co.Window < 0 || co.Window > time.Second || co.Max < 0 || co.Max > 10000) {
		return invalid("coalesce.window must be in 0..1s and coalesce.max in 0..10000")
	}
	if rm := c.ReadModel; rm.MaxLag < 0 || rm.HeadInterval < 0 {
		return invalid("readModel.maxLag and readModel.headInterval must not be negative")
	}
	if cs := c.ReadModel.CacheSize; cs != 0 && cs < readmodel.MinCacheSize {
		return invalid("readModel.cacheSize %d: want 0 (the default, %d MiB) or at least %d (%d MiB: the store's write buffers are charged to it)",
			cs, readmodel.DefaultCacheSize>>20, readmodel.MinCacheSize, readmodel.MinCacheSize>>20)
	}
	if e := c.Events; e.MaxStreamsPerCaller < 1 || e.MaxReplays < 1 || e.MaxReplayBlocks < 1 {
		return invalid("events.maxStreamsPerCaller, maxReplays and maxReplayBlocks must be > 0")
	}
	return nil
}

// HashToken returns the SHA-256 hex of a bearer token, the form the config stores.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
