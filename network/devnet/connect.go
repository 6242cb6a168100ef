package devnet

import (
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc"

	"github.com/certledger/certledger/internal/profile"
)

// Connect loads a connection profile the devnet wrote and connects to its peer
// with the fabric-gateway client: profile.Connect, the one way every client
// connects (explicit timeouts, overridable by opts). Closing the gateway does
// not close the connection; close both.
func Connect(profilePath string, opts ...client.ConnectOption) (*client.Gateway, *grpc.ClientConn, error) {
	return profile.Connect(profilePath, opts...)
}
