package gatewaycmd

import (
	"fmt"
	"os"

	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/gateway/internal/trustsvc"
	"github.com/certledger/certledger/internal/gm"
)

// openTrust opens the trust bundle store when the configuration pins a governance
// key (nil otherwise: the gateway then serves no bundle).
func openTrust(cfg *config.Config) (*trustsvc.Store, error) {
	if cfg.Trust.Pin == "" {
		return nil, nil
	}
	st, err := trustsvc.Open(cfg.Trust.BundleFile, cfg.Trust.Pin)
	if err != nil {
		return nil, fmt.Errorf("trust bundle: %w", err)
	}
	return st, nil
}

// openReportKey reads the gateway's report signing key when configured (nil
// otherwise: the gateway then signs no verification reports).
func openReportKey(cfg *config.Config) (*httpapi.ReportKey, error) {
	if cfg.Trust.ReportKey == "" {
		return nil, nil
	}
	b, err := os.ReadFile(cfg.Trust.ReportKey)
	if err != nil {
		return nil, fmt.Errorf("trust.reportKey: %w", err)
	}
	k, err := gm.ParsePrivateKeyPEM(b, nil)
	if err != nil {
		return nil, fmt.Errorf("trust.reportKey %s: %w", cfg.Trust.ReportKey, err)
	}
	return &httpapi.ReportKey{ID: cfg.Trust.GatewayID, Key: k}, nil
}
