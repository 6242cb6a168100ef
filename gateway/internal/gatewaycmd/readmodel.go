package gatewaycmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/httpapi"
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
	o := readmodel.Options{
		Dir: cfg.ReadModel.Dir, Namespace: p.Chaincode,
		MaxLag: cfg.ReadModel.MaxLag, HeadInterval: cfg.ReadModel.HeadInterval, CacheSize: cfg.ReadModel.CacheSize,
		Logger: log,
	}
	if cfg.BatchDir != "" {
		// The batch store's files (<batchDir>/<fileHash>.jsonl), each stored only
		// once it rebuilt its anchored header: the records of anchored batches.
		o.Batches = readmodel.Dir(cfg.BatchDir)
	}
	m, stop, err := readmodel.Start(ctx, o, src)
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

// indexStoredBatches returns what the API calls when its batch store accepts a
// file: the read model indexes the batches that waited for it, within the
// upload's last request (which has just read the whole file to check it; the
// server drains requests before the model closes). nil without a read model.
func indexStoredBatches(m *readmodel.Model, log *slog.Logger) func(fileHash string) {
	if m == nil {
		return nil
	}
	return func(fileHash string) {
		n, err := m.IndexPending()
		if err != nil {
			log.Error("indexing a stored batch file", "fileHash", fileHash, "error", err)
			return
		}
		log.Info("batch files indexed by the read model", "fileHash", fileHash, "batches", n)
	}
}

// prepareBatches returns what the API calls when a batch file is complete: the
// read model prepares its indexing while the batch store checks the file (nil
// without a read model).
func prepareBatches(m *readmodel.Model) func(string, io.Reader) (func() error, func(), error) {
	if m == nil {
		return nil
	}
	return func(id string, r io.Reader) (func() error, func(), error) {
		p, err := m.PrepareBatch(id, r)
		if err != nil {
			return nil, nil, err
		}
		return p.Commit, p.Discard, nil
	}
}

// verifyModelOf is m as the API's VerifyModel (nil, not a typed nil, without a model).
func verifyModelOf(m *readmodel.Model) httpapi.VerifyModel {
	if m == nil {
		return nil
	}
	return m
}
