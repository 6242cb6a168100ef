package profile

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Timeouts bound every phase of a Fabric call made through a connection from
// Connect. Every call has one: fabric-gateway's defaults are not relied on.
type Timeouts struct {
	Evaluate     time.Duration
	Endorse      time.Duration
	Submit       time.Duration
	CommitStatus time.Duration
}

// DefaultTimeouts are what Connect uses unless its options say otherwise.
var DefaultTimeouts = Timeouts{Evaluate: 30 * time.Second, Endorse: 30 * time.Second, Submit: 30 * time.Second, CommitStatus: time.Minute}

// Options returns the fabric-gateway options that set t.
func (t Timeouts) Options() []client.ConnectOption {
	return []client.ConnectOption{
		client.WithEvaluateTimeout(t.Evaluate),
		client.WithEndorseTimeout(t.Endorse),
		client.WithSubmitTimeout(t.Submit),
		client.WithCommitStatusTimeout(t.CommitStatus),
	}
}

// Identity loads the profile's client identity (its MSP ID and X.509
// certificate) and a signer with its private key.
func (p *Profile) Identity() (*identity.X509Identity, identity.Sign, error) {
	certPEM, err := os.ReadFile(p.CertPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reading identity certificate: %w", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing identity certificate %s: %w", p.CertPath, err)
	}
	id, err := identity.NewX509Identity(p.MSPID, cert)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(p.KeyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reading identity key: %w", err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing identity key %s: %w", p.KeyPath, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, err
	}
	return id, sign, nil
}

// TransportCredentials returns the gRPC credentials for peer: TLS 1.2 or later
// with the peer's CA bundle and server name (and the profile's client TLS pair
// when it names one), or plaintext when the peer names no TLS CA (tests only).
func (p *Profile) TransportCredentials(peer Peer) (credentials.TransportCredentials, error) {
	if peer.TLSCACert == "" {
		return insecure.NewCredentials(), nil
	}
	caPEM, err := os.ReadFile(peer.TLSCACert)
	if err != nil {
		return nil, fmt.Errorf("reading TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in TLS CA file %s", peer.TLSCACert)
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: peer.ServerName, MinVersion: tls.VersionTLS12}
	if p.ClientTLSCert != "" {
		pair, err := tls.LoadX509KeyPair(p.ClientTLSCert, p.ClientTLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading client TLS key pair: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(cfg), nil
}

// DialPeer opens a gRPC client connection to peer. It connects lazily: an
// unreachable peer shows up on the first call, not here.
func (p *Profile) DialPeer(peer Peer) (*grpc.ClientConn, error) {
	creds, err := p.TransportCredentials(peer)
	if err != nil {
		return nil, err
	}
	cc, err := grpc.NewClient("dns:///"+peer.Endpoint, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", peer.Endpoint, err)
	}
	return cc, nil
}

// Connect dials the profile's main peer and returns a fabric-gateway client
// for the profile's identity, with DefaultTimeouts (opts override them and may
// add more). Closing the gateway does not close the connection; close both.
func (p *Profile) Connect(opts ...client.ConnectOption) (*client.Gateway, *grpc.ClientConn, error) {
	return p.ConnectPeer(p.Peer, opts...)
}

// ConnectPeer is Connect to one given peer (the main one or a fallback).
func (p *Profile) ConnectPeer(peer Peer, opts ...client.ConnectOption) (*client.Gateway, *grpc.ClientConn, error) {
	id, sign, err := p.Identity()
	if err != nil {
		return nil, nil, err
	}
	cc, err := p.DialPeer(peer)
	if err != nil {
		return nil, nil, err
	}
	all := append([]client.ConnectOption{client.WithSign(sign), client.WithHash(hash.SHA256), client.WithClientConnection(cc)},
		DefaultTimeouts.Options()...)
	gw, err := client.Connect(id, append(all, opts...)...)
	if err != nil {
		_ = cc.Close() // already returning the Connect error
		return nil, nil, fmt.Errorf("gateway %s: %w", peer.Endpoint, err)
	}
	return gw, cc, nil
}

// Connect loads the profile at path and connects to its main peer (Profile.Connect).
func Connect(path string, opts ...client.ConnectOption) (*client.Gateway, *grpc.ClientConn, error) {
	p, err := Load(path)
	if err != nil {
		return nil, nil, err
	}
	return p.Connect(opts...)
}
