package devnet

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/certledger/certledger/internal/chanpolicy"
	"os"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrConfig is returned (wrapped) for an invalid configuration.
var ErrConfig = errors.New("invalid devnet configuration")

// Config is devnet.yaml. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// Channel is the one channel the devnet serves (default "certledger").
	Channel string `yaml:"channel"`
	// Chaincode is the name of the chaincode (default "certledger").
	Chaincode string `yaml:"chaincode"`
	// Orgs are the organisations; exactly one has governance: true.
	Orgs []OrgConfig `yaml:"orgs"`
	// EndorsementPolicy: MAJORITY (default), ANY, ALL, or a signature policy such as
	// "OutOf(2, 'GovMSP.peer', 'DeptAMSP.peer', 'DeptBMSP.peer')", "AND(...)", "OR(...)".
	EndorsementPolicy string `yaml:"endorsementPolicy"`
	// Block cutting.
	Block BlockConfig `yaml:"block"`
	// TLS turns TLS on the gRPC listener on (default true).
	TLS *bool `yaml:"tls,omitempty"`
	// Listen is the default listen address of `certledger-devnet start` and the
	// endpoint written into the connection profiles (default 127.0.0.1:7051).
	Listen string `yaml:"listen"`
	// Hosts are extra DNS names / IPs for the peers' TLS certificates.
	Hosts []string `yaml:"hosts,omitempty"`
	// InitArgs is the transaction submitted once, as the governance admin, when the
	// ledger is new (default ["registry:Init", <governance MSP ID>]). An empty list
	// (initArgs: []) submits nothing.
	InitArgs []string `yaml:"initArgs"`
}

// OrgConfig is one organisation.
type OrgConfig struct {
	Name       string `yaml:"name"`
	MSPID      string `yaml:"mspId"`
	Governance bool   `yaml:"governance,omitempty"`
}

// BlockConfig says when a block is cut: when MaxTxCount transactions wait, or
// Timeout after the first one arrived.
type BlockConfig struct {
	MaxTxCount int           `yaml:"maxTxCount"`
	Timeout    time.Duration `yaml:"timeout"`
}

// DefaultConfig is the configuration used when devnet.yaml is absent.
func DefaultConfig() Config {
	t := true
	return Config{
		Channel:   "certledger",
		Chaincode: "certledger",
		Orgs: []OrgConfig{
			{Name: "gov", MSPID: "GovMSP", Governance: true},
			{Name: "dept-a", MSPID: "DeptAMSP"},
			{Name: "dept-b", MSPID: "DeptBMSP"},
		},
		EndorsementPolicy: "MAJORITY",
		Block:             BlockConfig{MaxTxCount: 500, Timeout: 2 * time.Millisecond},
		TLS:               &t,
		Listen:            "127.0.0.1:7051",
		InitArgs:          nil,
	}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)
var mspRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
var channelRE = regexp.MustCompile(`^[a-z][a-z0-9.-]{0,48}$`)

// withDefaults fills zero fields and validates.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.Channel == "" {
		c.Channel = d.Channel
	}
	if c.Chaincode == "" {
		c.Chaincode = d.Chaincode
	}
	if len(c.Orgs) == 0 {
		c.Orgs = d.Orgs
	}
	if c.EndorsementPolicy == "" {
		c.EndorsementPolicy = d.EndorsementPolicy
	}
	if c.Block.MaxTxCount <= 0 {
		c.Block.MaxTxCount = d.Block.MaxTxCount
	}
	if c.Block.Timeout <= 0 {
		c.Block.Timeout = d.Block.Timeout
	}
	if c.TLS == nil {
		c.TLS = d.TLS
	}
	if c.Listen == "" {
		c.Listen = d.Listen
	}
	if !channelRE.MatchString(c.Channel) {
		return c, fmt.Errorf("%w: channel name %q", ErrConfig, c.Channel)
	}
	if !mspRE.MatchString(c.Chaincode) {
		return c, fmt.Errorf("%w: chaincode name %q", ErrConfig, c.Chaincode)
	}
	gov := 0
	names, msps := map[string]bool{}, map[string]bool{}
	for _, o := range c.Orgs {
		if !nameRE.MatchString(o.Name) {
			return c, fmt.Errorf("%w: organisation name %q (lowercase letters, digits, '-')", ErrConfig, o.Name)
		}
		if !mspRE.MatchString(o.MSPID) {
			return c, fmt.Errorf("%w: MSP ID %q", ErrConfig, o.MSPID)
		}
		if names[o.Name] || msps[o.MSPID] {
			return c, fmt.Errorf("%w: organisation %s / %s listed twice", ErrConfig, o.Name, o.MSPID)
		}
		names[o.Name], msps[o.MSPID] = true, true
		if o.Governance {
			gov++
		}
	}
	if gov != 1 {
		return c, fmt.Errorf("%w: exactly one organisation must have governance: true (found %d)", ErrConfig, gov)
	}
	if c.InitArgs == nil {
		c.InitArgs = []string{"registry:Init", c.governance().MSPID}
	}
	if _, err := chanpolicy.Parse(c.EndorsementPolicy, c.mspIDs()); err != nil {
		return c, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, nil
}

func (c Config) governance() OrgConfig {
	for _, o := range c.Orgs {
		if o.Governance {
			return o
		}
	}
	return OrgConfig{}
}

func (c Config) mspIDs() []string {
	out := make([]string, len(c.Orgs))
	for i, o := range c.Orgs {
		out[i] = o.MSPID
	}
	return out
}

// TLSEnabled reports whether TLS is on.
func (c Config) TLSEnabled() bool { return c.TLS == nil || *c.TLS }

// LoadConfig reads a devnet.yaml; unknown fields are errors. Defaults fill the rest.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading devnet config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, errEOF) {
		return Config{}, fmt.Errorf("%w: %s: %w", ErrConfig, path, err)
	}
	return c.withDefaults()
}

var errEOF = func() error {
	var c Config
	return yaml.NewDecoder(bytes.NewReader(nil)).Decode(&c)
}()

func saveConfig(path string, c Config) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	head := "# certledger devnet configuration (see network/devnet/README.md)\n"
	return os.WriteFile(path, append([]byte(head), b...), 0o644)
}
