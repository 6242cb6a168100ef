// Command certledger-chaincode serves the certledger chaincode as a service
// (CCaaS): a Fabric peer dials it at CHAINCODE_SERVER_ADDRESS. Run with --help.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
