// Package gatewaycmd is the certledger-gateway command: flags with environment
// fallbacks, the serve command (default) that wires config, ledger, API and web
// page and shuts down gracefully, and the operator tools hash-token, check-config
// and openapi. (Load figures: certledger-load gateway, in loadtest/.)
package gatewaycmd

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/coalesce"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/envelope"
	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/gateway/internal/metrics"
	"github.com/certledger/certledger/gateway/web"
	"github.com/certledger/certledger/internal/domain/period"
	"github.com/certledger/certledger/internal/profile"
)

// Run runs the command line args (args[0] is the program name) until ctx ends.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &cli.App{
		Name:      "certledger-gateway",
		Usage:     "REST/JSON gateway to the certledger ledger (Fabric or devnet)",
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors go back to main, which picks the exit status; never os.Exit in here.
		ExitErrHandler: func(*cli.Context, error) {},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "gateway YAML configuration", EnvVars: []string{"CERTLEDGER_GATEWAY_CONFIG"}},
			&cli.StringFlag{Name: "listen", Usage: "override the listen address of the config", EnvVars: []string{"CERTLEDGER_GATEWAY_LISTEN"}},
			&cli.StringFlag{Name: "operations-listen", Usage: "override operations.listen: the private address of /metrics, /healthz, /readyz", EnvVars: []string{"CERTLEDGER_GATEWAY_OPERATIONS_LISTEN"}},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"CERTLEDGER_GATEWAY_LOG_LEVEL"}},
		},
		Action: func(c *cli.Context) error { return serve(c, stderr) },
		Commands: []*cli.Command{
			{
				Name:   "serve",
				Usage:  "serve the API and the verify page (the default)",
				Action: func(c *cli.Context) error { return serve(c, stderr) },
			},
			{
				Name:      "hash-token",
				Usage:     "print the SHA-256 of a bearer token, the form the config stores",
				ArgsUsage: "[TOKEN] (default: read one line from stdin, so the token stays out of shell history)",
				Action: func(c *cli.Context) error {
					tok := c.Args().First()
					if tok == "" {
						line, err := bufio.NewReader(c.App.Reader).ReadString('\n')
						if err != nil && !errors.Is(err, io.EOF) {
							return err
						}
						tok = strings.TrimRight(line, "\r\n")
					}
					if tok == "" {
						return cli.Exit("hash-token: empty token", 2)
					}
					_, err := fmt.Fprintln(stdout, config.HashToken(tok))
					return err
				},
			},
			{
				Name:  "check-config",
				Usage: "validate the configuration and its connection profiles, then exit",
				Action: func(c *cli.Context) error {
					cfg, orgs, err := load(c)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(stdout, "ok: %d organisations, %d tokens, %d client certificates, listen %s, operations %s\n", len(orgs), len(cfg.Tokens), len(cfg.ClientCerts), cfg.Listen, orNone(cfg.Operations.Listen))
					return err
				},
			},
			{
				Name:  "openapi",
				Usage: "print the OpenAPI document the gateway serves",
				Flags: []cli.Flag{&cli.StringFlag{Name: "public-url", Usage: "servers entry"}},
				Action: func(c *cli.Context) error {
					doc, err := httpapi.OpenAPI(c.String("public-url"))
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(stdout, "%s\n", doc)
					return err
				},
			},
		},
	}
	return a.RunContext(ctx, args)
}

// load reads and validates the config and every connection profile it names.
func load(c *cli.Context) (*config.Config, []ledgerclient.Org, error) {
	path := c.String("config")
	if path == "" {
		return nil, nil, cli.Exit("--config (or CERTLEDGER_GATEWAY_CONFIG) is required", 2)
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	if l := c.String("listen"); l != "" {
		cfg.Listen = l
	}
	if l := c.String("operations-listen"); l != "" {
		cfg.Operations.Listen = l
		if err := cfg.Validate(); err != nil {
			return nil, nil, err
		}
	}
	var orgs []ledgerclient.Org
	for _, o := range cfg.Orgs {
		p, err := profile.Load(o.Profile)
		if err != nil {
			return nil, nil, fmt.Errorf("organisation %s: %w", o.Name, err)
		}
		orgs = append(orgs, ledgerclient.Org{Name: o.Name, Profile: p, Identities: identities(cfg, o.Name)})
	}
	return cfg, orgs, nil
}

// identities lists the callers' own identities in organisation org, each once
// (auth.IdentityName), in configuration order.
func identities(cfg *config.Config, org string) []ledgerclient.Identity {
	var out []ledgerclient.Identity
	seen := map[string]bool{}
	add := func(p config.Principal) {
		name := auth.IdentityName(p.Identity)
		if p.Org != org || name == "" || seen[name] {
			return
		}
		seen[name] = true
		out = append(out, ledgerclient.Identity{Name: name, CertPath: p.Identity.Cert, KeyPath: p.Identity.Key})
	}
	for _, t := range cfg.Tokens {
		add(t.Principal)
	}
	for _, cc := range cfg.ClientCerts {
		add(cc.Principal)
	}
	return out
}

// warnSharedIdentities logs the callers that have no identity of their own: the
// ledger records their actions as the organisation profile's identity.
func warnSharedIdentities(log *slog.Logger, cfg *config.Config) {
	for _, t := range cfg.Tokens {
		if t.Identity == nil {
			log.Warn("caller has no Fabric identity of its own; the ledger names the organisation's profile identity for its actions (docs/people.md)",
				slog.String("who", t.ID), slog.String("org", t.Org), slog.String("role", t.Role))
		}
	}
	for _, cc := range cfg.ClientCerts {
		if cc.Identity == nil {
			log.Warn("caller has no Fabric identity of its own; the ledger names the organisation's profile identity for its actions (docs/people.md)",
				slog.String("who", cc.ID), slog.String("org", cc.Org), slog.String("role", cc.Role))
		}
	}
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, cli.Exit("--log-level: want debug, info, warn or error", 2)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// coalesceOptions is the configured write coalescing (nil: off).
func coalesceOptions(cfg *config.Config) *coalesce.Options {
	if cfg.Coalesce == nil {
		return nil
	}
	return &coalesce.Options{Window: cfg.Coalesce.Window, Max: cfg.Coalesce.Max}
}

func serve(c *cli.Context, stderr io.Writer) error {
	log, err := newLogger(stderr, c.String("log-level"))
	if err != nil {
		return err
	}
	cfg, orgs, err := load(c)
	if err != nil {
		return err
	}
	warnSharedIdentities(log, cfg)
	fab, err := ledgerclient.Connect(orgs, ledgerclient.Timeouts{
		Evaluate: cfg.Timeouts.Evaluate, Endorse: cfg.Timeouts.Endorse,
		Submit: cfg.Timeouts.Submit, CommitStatus: cfg.Timeouts.CommitStatus, CommitWait: cfg.Timeouts.CommitWait,
	})
	if err != nil {
		return err
	}
	defer func() { _ = fab.Close() }() // shutting down; nothing left to report to
	trustStore, err := openTrust(cfg)
	if err != nil {
		return err
	}
	envelopes, err := envelope.Open(cfg.Envelopes.Dir, 0)
	if err != nil {
		return err
	}
	model, stopModel, err := startReadModel(c.Context, cfg, fab, log)
	if err != nil {
		return err
	}
	defer stopModel()
	reportKey, err := openReportKey(cfg)
	if err != nil {
		return err
	}
	api, err := httpapi.New(httpapi.Options{
		Coalesce:             coalesceOptions(cfg),
		VerifyModel:          verifyModelOf(model),
		Trust:                trustStore,
		Envelopes:            envelopes,
		EnvelopeLimit:        cfg.Envelopes.MaxSize,
		ReportKey:            reportKey,
		Ledger:               fab,
		Auth:                 auth.New(cfg),
		DefaultOrg:           cfg.Orgs[0].Name,
		GovernanceDepartment: cfg.GovernanceDepartment,
		TimeZone:             period.MustZone(cfg.TimeZone), // checked by cfg.Validate
		Metrics:              metrics.New(),
		Logger:               log,
		BodyLimit:            cfg.BodyLimit,
		BatchDir:             cfg.BatchDir,
		BatchStored:          indexStoredBatches(model, log),
		PrepareBatch:         prepareBatches(model),
		RateLimit:            cfg.RateLimit,
		MVCCRetries:          cfg.MVCCRetries,
		PublicURL:            cfg.PublicURL,
		Web:                  web.Handler(),
		MaxStreamsPerCaller:  cfg.Events.MaxStreamsPerCaller,
		MaxReplays:           cfg.Events.MaxReplays,
		MaxReplayBlocks:      cfg.Events.MaxReplayBlocks,
		Ready:                fab.Ready,
	})
	if err != nil {
		return err
	}
	// The read policy's department directory follows the registry's events.
	followCtx, stopFollowing := context.WithCancel(c.Context)
	following := make(chan struct{})
	go func() { api.FollowRegistry(followCtx); close(following) }()
	defer func() { stopFollowing(); <-following }()
	srv := &http.Server{
		Addr:              cfg.Listen,
		Handler:           api.Handler(),
		ReadHeaderTimeout: cfg.Timeouts.ReadHeader,
		ReadTimeout:       cfg.Timeouts.Read,
		WriteTimeout:      cfg.Timeouts.Write,
		IdleTimeout:       cfg.Timeouts.Idle,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.TLS != nil {
		tc, err := serverTLS(cfg.TLS)
		if err != nil {
			return err
		}
		srv.TLSConfig = tc
	}
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if cfg.Operations.Listen != "" {
		stop, err := serveOperations(cfg.Operations.Listen, api, log)
		if err != nil {
			_ = lis.Close() // not serving after all
			return err
		}
		defer stop()
	}
	return Serve(c.Context, srv, lis, api, cfg.Timeouts.Shutdown, log)
}

// serveOperations serves /metrics, /healthz and /readyz on addr (plain HTTP, for
// a private interface) until stop is called.
func serveOperations(addr string, api *httpapi.Server, log *slog.Logger) (stop func(), err error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("operations listener: %w", err)
	}
	srv := &http.Server{
		Handler:           api.OperationsHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	log.Info("operations listening", "url", "http://"+lis.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx) // stopping; the main server's outcome is what is reported
		<-done
	}, nil
}

// Serve serves on lis until ctx ends, then shuts down gracefully: event streams
// are closed, in-flight requests get up to grace to finish.
func Serve(ctx context.Context, srv *http.Server, lis net.Listener, api *httpapi.Server, grace time.Duration, log *slog.Logger) error {
	useTLS := srv.TLSConfig != nil
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	errc := make(chan error, 1)
	go func() {
		if useTLS {
			errc <- srv.ServeTLS(lis, "", "")
		} else {
			errc <- srv.Serve(lis)
		}
	}()
	log.Info("gateway listening", "url", scheme+"://"+lis.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace.String())
	api.CloseStreams()
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

func serverTLS(t *config.TLS) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("loading gateway TLS key pair: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientCAFile != "" {
		pemBytes, err := os.ReadFile(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("reading client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("no certificate in %s", t.ClientCAFile)
		}
		tc.ClientCAs = pool
		// Public endpoints stay open to clients without a certificate.
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
