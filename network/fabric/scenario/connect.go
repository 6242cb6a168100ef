// Package scenario is the behaviour certledger expects of a ledger, written once and run
// through connection profiles (internal/profile) with the fabric-gateway client: against the
// real Fabric network of network/fabric and, unchanged, against any other ledger that writes
// profiles (the devnet). Its connection helpers also serve certledger-load fabric (loadtest/).
package scenario

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/certledger/certledger/internal/profile"
)

// ErrNoPeer is returned when none of a profile's peers accepts a connection.
var ErrNoPeer = errors.New("no peer of the profile is reachable")

// Conn is one organisation's gateway connection to one peer.
type Conn struct {
	Profile  *profile.Profile
	Endpoint string // the peer actually connected to
	GRPC     *grpc.ClientConn
	Gateway  *client.Gateway
	Contract *client.Contract
}

// Close closes the gateway and its gRPC connection.
func (c *Conn) Close() error {
	gwErr := c.Gateway.Close()
	if err := c.GRPC.Close(); err != nil {
		return err
	}
	return gwErr
}

// Dial connects as the profile's identity to the first of its peers (Peer, then
// Fallbacks in order) whose gRPC connection becomes ready within readyTimeout each.
func Dial(ctx context.Context, p *profile.Profile, readyTimeout time.Duration) (*Conn, error) {
	var errs []error
	for _, peer := range append([]profile.Peer{p.Peer}, p.Fallbacks...) {
		c, err := DialPeer(ctx, p, peer, readyTimeout)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("%w (%s): %w", ErrNoPeer, p.Name, errors.Join(errs...))
}

// DialPeer connects as the profile's identity to one given peer.
func DialPeer(ctx context.Context, p *profile.Profile, peer profile.Peer, readyTimeout time.Duration) (*Conn, error) {
	id, sign, err := loadIdentity(p)
	if err != nil {
		return nil, err
	}
	creds, err := transportCredentials(p, peer)
	if err != nil {
		return nil, err
	}
	cc, err := grpc.NewClient("dns:///"+peer.Endpoint, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", peer.Endpoint, err)
	}
	if err := waitReady(ctx, cc, readyTimeout); err != nil {
		_ = cc.Close() // the dial already failed; its error is the one returned
		return nil, fmt.Errorf("peer %s: %w", peer.Endpoint, err)
	}
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(cc),
		client.WithEvaluateTimeout(30*time.Second), client.WithEndorseTimeout(30*time.Second),
		client.WithSubmitTimeout(30*time.Second), client.WithCommitStatusTimeout(time.Minute))
	if err != nil {
		_ = cc.Close() // the connect already failed; its error is the one returned
		return nil, fmt.Errorf("gateway %s: %w", peer.Endpoint, err)
	}
	return &Conn{
		Profile:  p,
		Endpoint: peer.Endpoint,
		GRPC:     cc,
		Gateway:  gw,
		Contract: gw.GetNetwork(p.Channel).GetContract(p.Chaincode),
	}, nil
}

func waitReady(ctx context.Context, cc *grpc.ClientConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cc.Connect()
	for {
		s := cc.GetState()
		if s == connectivity.Ready {
			return nil
		}
		if !cc.WaitForStateChange(ctx, s) {
			return fmt.Errorf("not ready after %s (state %s)", timeout, s)
		}
	}
}

func loadIdentity(p *profile.Profile) (*identity.X509Identity, identity.Sign, error) {
	certPEM, err := os.ReadFile(p.CertPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reading client certificate: %w", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing %s: %w", p.CertPath, err)
	}
	id, err := identity.NewX509Identity(p.MSPID, cert)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(p.KeyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reading client key: %w", err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing %s: %w", p.KeyPath, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, err
	}
	return id, sign, nil
}

func transportCredentials(p *profile.Profile, peer profile.Peer) (credentials.TransportCredentials, error) {
	if peer.TLSCACert == "" {
		return insecure.NewCredentials(), nil
	}
	caPEM, err := os.ReadFile(peer.TLSCACert)
	if err != nil {
		return nil, fmt.Errorf("reading TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in %s", peer.TLSCACert)
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: peer.ServerName, MinVersion: tls.VersionTLS12}
	if p.ClientTLSCert != "" {
		pair, err := tls.LoadX509KeyPair(p.ClientTLSCert, p.ClientTLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading client TLS pair: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(cfg), nil
}
