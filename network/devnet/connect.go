package devnet

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/certledger/certledger/internal/profile"
)

// Dial opens a gRPC connection to the peer named in a connection profile (TLS when
// the profile names a TLS CA).
func Dial(p *profile.Profile) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if p.Peer.TLSCACert != "" {
		pemBytes, err := os.ReadFile(p.Peer.TLSCACert)
		if err != nil {
			return nil, fmt.Errorf("reading TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("no certificate in %s", p.Peer.TLSCACert)
		}
		tc := &tls.Config{RootCAs: pool, ServerName: p.Peer.ServerName, MinVersion: tls.VersionTLS12}
		if p.ClientTLSCert != "" && p.ClientTLSKey != "" {
			c, err := tls.LoadX509KeyPair(p.ClientTLSCert, p.ClientTLSKey)
			if err != nil {
				return nil, fmt.Errorf("loading client TLS certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{c}
		}
		creds = credentials.NewTLS(tc)
	}
	return grpc.NewClient(p.Peer.Endpoint, grpc.WithTransportCredentials(creds))
}

// Connect loads a connection profile, dials its peer and returns a fabric-gateway
// client for the profile's identity, with explicit timeouts (overridable by opts).
// Closing the gateway does not close the connection; close both.
func Connect(profilePath string, opts ...client.ConnectOption) (*client.Gateway, *grpc.ClientConn, error) {
	p, err := profile.Load(profilePath)
	if err != nil {
		return nil, nil, err
	}
	certPEM, err := os.ReadFile(p.CertPath)
	if err != nil {
		return nil, nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, err
	}
	id, err := identity.NewX509Identity(p.MSPID, cert)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(p.KeyPath)
	if err != nil {
		return nil, nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, err
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, err
	}
	conn, err := Dial(p)
	if err != nil {
		return nil, nil, err
	}
	all := append([]client.ConnectOption{
		client.WithSign(sign),
		client.WithClientConnection(conn),
		client.WithEvaluateTimeout(30 * time.Second),
		client.WithEndorseTimeout(30 * time.Second),
		client.WithSubmitTimeout(30 * time.Second),
		client.WithCommitStatusTimeout(time.Minute),
	}, opts...)
	gw, err := client.Connect(id, all...)
	if err != nil {
		_ = conn.Close() // already returning the Connect error
		return nil, nil, err
	}
	return gw, conn, nil
}
