//go:build tools

// Package deps pins the project's direct dependencies at the versions the
// module proxy serves here (several refuse @latest), so that `go mod tidy`
// never drops or re-resolves them while code that imports them is being written.
package deps

import (
	_ "github.com/emmansun/gmsm/sm2"
	_ "github.com/hyperledger/fabric-chaincode-go/v2/shim"
	_ "github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	_ "github.com/hyperledger/fabric-gateway/pkg/client"
	_ "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/skip2/go-qrcode"
	_ "github.com/tjfoc/gmsm/sm2"
	_ "github.com/urfave/cli/v2"
	_ "go.etcd.io/bbolt"
	_ "go.uber.org/goleak"
	_ "google.golang.org/grpc"
	_ "gopkg.in/yaml.v3"
)
