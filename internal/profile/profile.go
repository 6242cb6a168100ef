// Package profile reads and writes connection profiles: everything a client of the
// ledger (the gateway, the CLI, tests) needs to reach one peer of one organisation
// through the fabric-gateway client. The devnet and network/fabric both write them;
// nothing that reads a profile knows which ledger wrote it.
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// ErrInvalid is returned (wrapped) when a profile is missing a required field.
var ErrInvalid = errors.New("invalid connection profile")

// Peer is one endpoint a client may dial.
type Peer struct {
	// Endpoint is host:port of the peer's gRPC (Gateway) service.
	Endpoint string `yaml:"endpoint" json:"endpoint"`
	// ServerName overrides the TLS server name (the name in the peer's TLS certificate).
	ServerName string `yaml:"serverName,omitempty" json:"serverName,omitempty"`
	// TLSCACert is the path of a PEM bundle of CAs that sign the peer's TLS certificate.
	// Empty means plaintext gRPC (only for tests).
	TLSCACert string `yaml:"tlsCACert,omitempty" json:"tlsCACert,omitempty"`
}

// Profile is one organisation's view of the ledger.
type Profile struct {
	// Name is a short label, usually the organisation name (gov, dept-a, ...).
	Name string `yaml:"name" json:"name"`
	// MSPID is the Fabric MSP ID of the client identity.
	MSPID string `yaml:"mspId" json:"mspId"`
	// Peer is the peer the gateway client talks to.
	Peer Peer `yaml:"peer" json:"peer"`
	// Fallbacks are further peers (other organisations) tried when Peer is down.
	Fallbacks []Peer `yaml:"fallbacks,omitempty" json:"fallbacks,omitempty"`
	// CertPath is the PEM X.509 certificate of the client identity.
	CertPath string `yaml:"certPath" json:"certPath"`
	// KeyPath is the PEM PKCS#8 ECDSA private key of the client identity.
	KeyPath string `yaml:"keyPath" json:"keyPath"`
	// ClientTLSCert and ClientTLSKey are optional, for peers that require mutual TLS.
	ClientTLSCert string `yaml:"clientTlsCert,omitempty" json:"clientTlsCert,omitempty"`
	ClientTLSKey  string `yaml:"clientTlsKey,omitempty" json:"clientTlsKey,omitempty"`
	// Channel and Chaincode name the ledger and the certledger chaincode on it.
	Channel   string `yaml:"channel" json:"channel"`
	Chaincode string `yaml:"chaincode" json:"chaincode"`
}

// Validate reports the first missing field.
func (p *Profile) Validate() error {
	switch {
	case p.MSPID == "":
		return fmt.Errorf("%w: mspId is empty", ErrInvalid)
	case p.Peer.Endpoint == "":
		return fmt.Errorf("%w: peer.endpoint is empty", ErrInvalid)
	case p.CertPath == "":
		return fmt.Errorf("%w: certPath is empty", ErrInvalid)
	case p.KeyPath == "":
		return fmt.Errorf("%w: keyPath is empty", ErrInvalid)
	case p.Channel == "":
		return fmt.Errorf("%w: channel is empty", ErrInvalid)
	case p.Chaincode == "":
		return fmt.Errorf("%w: chaincode is empty", ErrInvalid)
	}
	return nil
}

// Load reads a YAML (or JSON, which is YAML) profile. Relative paths inside it are
// resolved against the profile's own folder.
func Load(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading connection profile: %w", err)
	}
	var p Profile
	dec := yaml.NewDecoder(bytesReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
	}
	base := filepath.Dir(path)
	abs := func(s *string) {
		if *s != "" && !filepath.IsAbs(*s) {
			*s = filepath.Join(base, *s)
		}
	}
	abs(&p.CertPath)
	abs(&p.KeyPath)
	abs(&p.ClientTLSCert)
	abs(&p.ClientTLSKey)
	abs(&p.Peer.TLSCACert)
	for i := range p.Fallbacks {
		abs(&p.Fallbacks[i].TLSCACert)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// Save writes the profile as YAML with mode 0644.
func Save(path string, p *Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	b, err := yaml.Marshal(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
