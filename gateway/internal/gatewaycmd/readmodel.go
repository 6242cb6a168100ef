package gatewaycmd

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/gateway/internal/readmodel"
)

// startReadModel opens the read model when the configuration names its
// directory and follows the ledger as the default organisation (the first
// one) until ctx ends. stop waits for the follower and closes the store. With
// no directory it returns a nil model and a no-op stop.
func startReadModel(ctx context.Context, cfg *config.Config, fab *ledgerclient.Fabric, log *slog.Logger) (*readmodel.Model, func(), error) {
	if cfg.ReadModel.Dir == "" {
		return nil, func() {}, nil
	}
	org := cfg.Orgs[0].Name
	gw, p, err := fab.Gateway(org)
	if err != nil {
		return nil, nil, err
	}
	src := readmodel.NetworkSource{
		Network: gw.GetNetwork(p.Channel),
		Head:    func(ctx context.Context) (uint64, error) { return fab.Height(ctx, org) },
	}
	m, stop, err := readmodel.Start(ctx, readmodel.Options{
		Dir: cfg.ReadModel.Dir, Namespace: p.Chaincode,
		MaxLag: cfg.ReadModel.MaxLag, HeadInterval: cfg.ReadModel.HeadInterval,
		Logger: log,
	}, src)
	if err != nil {
		return nil, nil, fmt.Errorf("read model: %w", err)
	}
	log.Info("read model opened", "dir", cfg.ReadModel.Dir, "height", m.Height())
	return m, func() {
		if err := stop(); err != nil {
			log.Error("closing the read model", "error", err)
		}
	}, nil
}
