package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/chaincode/internal/state"
)

const usage = `certledger-chaincode serves the certledger chaincode (contracts registry,
certificate, ...) as a Fabric chaincode-as-a-service: the peer dials this process.

Usage:
  certledger-chaincode [flags]

Every flag falls back to an environment variable:
  --address ADDR        CHAINCODE_SERVER_ADDRESS   listen address, e.g. 0.0.0.0:9999 (required)
  --id ID               CHAINCODE_ID, else CORE_CHAINCODE_ID_NAME
                                                   the package id, exactly as the peer computed it
                                                   ("label:sha256hex", see 'peer lifecycle
                                                   chaincode calculatepackageid') (required)
  --tls-cert FILE       CHAINCODE_TLS_CERT         server certificate PEM (TLS on when set)
  --tls-key FILE        CHAINCODE_TLS_KEY          server private key PEM (with --tls-cert)
  --tls-client-ca FILE  CHAINCODE_TLS_CLIENT_CA    CA PEM that peers' client certificates must
                                                   chain to (mutual TLS; needs --tls-cert)
Other environment:
  CERTLEDGER_MAX_SKEW   allowed distance between a write's transaction timestamp and this
                        process's clock (Go duration, default 5m)

Exit status: 0 on clean shutdown, 1 when serving fails, 2 on a configuration error.
`

// config is the resolved configuration of one run.
type config struct {
	address  string
	id       string
	tlsCert  string
	tlsKey   string
	clientCA string
}

var packageIDPattern = regexp.MustCompile(`^[^:]+:[0-9a-f]{64}$`)

// run parses args and getenv, then serves until the server fails.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := parse(args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "certledger-chaincode:", err)
		return 2
	}
	server, err := newServer(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "certledger-chaincode:", err)
		return 2
	}
	if !packageIDPattern.MatchString(cfg.id) {
		log.Warn("chaincode id does not look like a package id (label:sha256hex); the peer only connects when it equals the package id exactly", "id", cfg.id)
	}
	skew, _ := state.MaxSkew()
	log.Info("serving certledger chaincode", "address", cfg.address, "id", cfg.id,
		"tls", cfg.tlsCert != "", "mutualTLS", cfg.clientCA != "", "maxSkew", skew.String())
	if err := server.Start(); err != nil {
		log.Error("chaincode server stopped", "err", err)
		return 1
	}
	return 0
}

// parse resolves flags and environment into a config.
func parse(args []string, getenv func(string) string, stdout, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("certledger-chaincode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stdout, usage) }
	id := getenv("CHAINCODE_ID")
	if id == "" {
		id = getenv("CORE_CHAINCODE_ID_NAME")
	}
	fs.StringVar(&cfg.address, "address", getenv("CHAINCODE_SERVER_ADDRESS"), "listen address")
	fs.StringVar(&cfg.id, "id", id, "chaincode package id")
	fs.StringVar(&cfg.tlsCert, "tls-cert", getenv("CHAINCODE_TLS_CERT"), "TLS certificate PEM file")
	fs.StringVar(&cfg.tlsKey, "tls-key", getenv("CHAINCODE_TLS_KEY"), "TLS private key PEM file")
	fs.StringVar(&cfg.clientCA, "tls-client-ca", getenv("CHAINCODE_TLS_CLIENT_CA"), "client CA PEM file")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if cfg.address == "" {
		return cfg, errors.New("no listen address: set CHAINCODE_SERVER_ADDRESS or --address (see --help)")
	}
	if cfg.id == "" {
		return cfg, errors.New("no chaincode id: set CHAINCODE_ID (or CORE_CHAINCODE_ID_NAME) or --id to the package id (see --help)")
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return cfg, errors.New("TLS needs both CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY (or neither)")
	}
	if cfg.clientCA != "" && cfg.tlsCert == "" {
		return cfg, errors.New("CHAINCODE_TLS_CLIENT_CA needs TLS: set CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY")
	}
	if _, err := state.MaxSkew(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// newChaincode builds the chaincode this binary serves: the certledger chaincode,
// or the bench chaincode when built with -tags certledger_bench (bench.go).
var newChaincode = func() (shim.Chaincode, error) { return chaincode.New() }

// newServer builds the CCaaS server for cfg, reading the TLS files.
func newServer(cfg config) (*shim.ChaincodeServer, error) {
	cc, err := newChaincode()
	if err != nil {
		return nil, err
	}
	tlsProps := shim.TLSProperties{Disabled: true}
	if cfg.tlsCert != "" {
		tlsProps.Disabled = false
		if tlsProps.Cert, err = readPEM("TLS certificate", cfg.tlsCert); err != nil {
			return nil, err
		}
		if tlsProps.Key, err = readPEM("TLS key", cfg.tlsKey); err != nil {
			return nil, err
		}
		if _, err := tls.X509KeyPair(tlsProps.Cert, tlsProps.Key); err != nil {
			return nil, fmt.Errorf("TLS certificate %s and key %s: %w", cfg.tlsCert, cfg.tlsKey, err)
		}
		if cfg.clientCA != "" {
			if tlsProps.ClientCACerts, err = readPEM("TLS client CA", cfg.clientCA); err != nil {
				return nil, err
			}
			if !x509.NewCertPool().AppendCertsFromPEM(tlsProps.ClientCACerts) {
				return nil, fmt.Errorf("TLS client CA %s holds no PEM certificate", cfg.clientCA)
			}
		}
	}
	return &shim.ChaincodeServer{
		CCID:     cfg.id,
		Address:  cfg.address,
		CC:       cc,
		TLSProps: tlsProps,
		KaOpts:   nil, // the shim's defaults
	}, nil
}

func readPEM(what, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s file %s is empty", what, path)
	}
	return b, nil
}
