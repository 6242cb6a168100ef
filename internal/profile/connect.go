package profile

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Timeouts bound every phase of a Fabric call made through a connection from
// Connect. Every call has one: fabric-gateway's defaults are not relied on.
type Timeouts struct {
	Evaluate time.Duration
	Endorse  time.Duration
	Submit   time.Duration
	// CommitStatus bounds the wait for a commit status. A client that resends
	// (the gateway's ledger client) bounds the whole wait with it, resubmissions
	// included; past it the outcome is unknown.
	CommitStatus time.Duration
	// CommitWait is how long one submission waits for its commit before a client
	// that resends sends the same signed envelope again (a transaction lost by a
	// failing orderer is ordered by the next one; one that did commit answers
	// DUPLICATE_TXID). It is no fabric-gateway option: Options leaves it out.
	CommitWait time.Duration
}

// DefaultTimeouts are what Connect uses unless its options say otherwise.
var DefaultTimeouts = Timeouts{Evaluate: 30 * time.Second, Endorse: 30 * time.Second, Submit: 30 * time.Second, CommitStatus: time.Minute}

// Options returns the fabric-gateway options that set t (CommitWait is the
// caller's own).
func (t Timeouts) Options() []client.ConnectOption {
	return []client.ConnectOption{
		client.WithEvaluateTimeout(t.Evaluate),
		client.WithEndorseTimeout(t.Endorse),
		client.WithSubmitTimeout(t.Submit),
		client.WithCommitStatusTimeout(t.CommitStatus),
	}
}

// Identity loads the profile's client identity (its MSP ID and X.509
// certificate) and a signer with its private key. It does not check that the
// key is the certificate's (the peer refuses the signatures); LoadIdentity does.
func (p *Profile) Identity() (*identity.X509Identity, identity.Sign, error) {
	id, sign, _, err := loadIdentity(p.MSPID, p.CertPath, p.KeyPath, false)
	return id, sign, err
}

// LoadIdentity loads a client identity of MSP mspID from a PEM X.509
// certificate and a PEM private key, and returns it, a signer with the key and
// the parsed certificate. It refuses a key that is not the certificate's, so a
// misconfigured identity shows at start rather than on every call.
func LoadIdentity(mspID, certPath, keyPath string) (*identity.X509Identity, identity.Sign, *x509.Certificate, error) {
	return loadIdentity(mspID, certPath, keyPath, true)
}

func loadIdentity(mspID, certPath, keyPath string, matchKey bool) (*identity.X509Identity, identity.Sign, *x509.Certificate, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading identity certificate: %w", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("parsing identity certificate %s: %w", certPath, err)
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading identity key: %w", err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("parsing identity key %s: %w", keyPath, err)
	}
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); matchKey && (!ok || !publicEqual(pk.Public(), cert.PublicKey)) {
		return nil, nil, nil, fmt.Errorf("%w: key %s is not the key of certificate %s", ErrInvalid, keyPath, certPath)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return id, sign, cert, nil
}

func publicEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
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

// Backoff bounds gRPC's reconnect backoff to a peer. gRPC's default grows to
// 120 s, so a peer back after a long outage was dialled again only minutes
// later; with MaxDelay 2 s a peer that comes back is used within about 2 s.
var Backoff = backoff.Config{BaseDelay: 250 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second}

// DialOptions are the gRPC options of every peer connection besides its
// credentials: the bounded reconnect backoff and a short connect timeout.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: Backoff, MinConnectTimeout: 2 * time.Second}),
	}
}

// DialPeer opens a gRPC client connection to peer with DialOptions. It
// connects lazily: an unreachable peer shows up on the first call, not here.
func (p *Profile) DialPeer(peer Peer) (*grpc.ClientConn, error) {
	creds, err := p.TransportCredentials(peer)
	if err != nil {
		return nil, err
	}
	cc, err := grpc.NewClient("dns:///"+peer.Endpoint, append(DialOptions(), grpc.WithTransportCredentials(creds))...)
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
