// Package scenario is the behaviour certledger expects of a ledger, written once and run
// through connection profiles (internal/profile) with the fabric-gateway client: against the
// real Fabric network of network/fabric and, unchanged, against any other ledger that writes
// profiles (the devnet). Its connection helpers also serve certledger-load fabric (loadtest/).
package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"

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

// DialPeer connects as the profile's identity to one given peer
// (profile.ConnectPeer) and waits up to readyTimeout for its connection.
func DialPeer(ctx context.Context, p *profile.Profile, peer profile.Peer, readyTimeout time.Duration) (*Conn, error) {
	gw, cc, err := p.ConnectPeer(peer)
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, cc, readyTimeout); err != nil {
		_ = gw.Close() // the dial already failed; its error is the one returned
		_ = cc.Close()
		return nil, fmt.Errorf("peer %s: %w", peer.Endpoint, err)
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
