package gatewaycmd

import (
	"fmt"

	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/trustsvc"
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
