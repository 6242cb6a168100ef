// Package trustsvc keeps the trust bundle a gateway serves at GET /api/v1/trust.
//
// The gateway never holds the governance office's signing key. It serves the latest
// bundle the governance office published (PUT /api/v1/trust, `certledger trust
// publish`), checked against the pinned governance fingerprint of the gateway's
// configuration and stored in one file, and it answers how current that bundle is:
// the ledger height now, and what the live registry and channel say differently
// (docs/trust.md explains why the key stays with governance).
package trustsvc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/trust"
)

// Errors returned (wrapped) by Store.
var (
	// ErrNoBundle: nothing has been published yet.
	ErrNoBundle = errors.New("no trust bundle published yet")
	// ErrRollback: the published bundle is older than the one served.
	ErrRollback = errors.New("trust bundle older than the one served")
	// ErrNoPin: the gateway has no governance fingerprint configured.
	ErrNoPin = errors.New("this gateway has no governance fingerprint (trust.pin) configured")
)

// Store is the published bundle, persisted in one file. Safe for concurrent use.
type Store struct {
	// CacheFor is how long a freshness answer is reused (it costs two ledger
	// reads); Open sets DefaultCacheFor.
	CacheFor time.Duration

	path string
	pin  string
	now  func() time.Time

	mu          sync.RWMutex
	raw         []byte
	cur         *trust.Signed
	publishedAt time.Time

	fmu       sync.Mutex
	fresh     *Freshness
	freshTill time.Time
}

// Open loads the bundle at path (a missing file is an empty store) and checks it
// against pin. pin "" gives a store that refuses every publication.
func Open(path, pin string) (*Store, error) {
	s := &Store{CacheFor: DefaultCacheFor, path: path, now: time.Now}
	if pin != "" {
		p, err := trust.NormalizePin(pin)
		if err != nil {
			return nil, err
		}
		s.pin = p
	}
	if path == "" {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading trust bundle: %w", err)
	}
	if s.pin == "" {
		return nil, fmt.Errorf("%s: %w", path, ErrNoPin)
	}
	b, err := trust.Verify(data, s.pin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	st, _ := os.Stat(path)
	s.raw, s.cur, s.publishedAt = data, b, st.ModTime()
	return s, nil
}

// Pin is the configured governance fingerprint ("" if none).
func (s *Store) Pin() string { return s.pin }

// Current returns the bundle file as published and its parsed form.
func (s *Store) Current() ([]byte, *trust.Signed, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.cur == nil {
		return nil, nil, ErrNoBundle
	}
	return s.raw, s.cur, nil
}

// Publish checks data against the pin, refuses a bundle of a lower height than
// the current one (or of the same height and not newer), writes it to the file
// (atomically) and serves it from then on.
func (s *Store) Publish(data []byte) (*trust.Signed, error) {
	if s.pin == "" {
		return nil, ErrNoPin
	}
	b, err := trust.Verify(data, s.pin)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cur; c != nil {
		if b.Bundle.Height < c.Bundle.Height ||
			(b.Bundle.Height == c.Bundle.Height && b.Bundle.IssuedAt <= c.Bundle.IssuedAt && string(data) != string(s.raw)) {
			return nil, fmt.Errorf("%w: height %d issued %s, served: height %d issued %s", ErrRollback,
				b.Bundle.Height, b.Bundle.IssuedAt, c.Bundle.Height, c.Bundle.IssuedAt)
		}
	}
	if s.path != "" {
		if err := writeFileAtomic(s.path, data); err != nil {
			return nil, fmt.Errorf("storing trust bundle: %w", err)
		}
	}
	s.raw, s.cur, s.publishedAt = append([]byte(nil), data...), b, s.now()
	s.fmu.Lock()
	s.fresh = nil
	s.fmu.Unlock()
	return b, nil
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".trust-bundle-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Freshness says how current the served bundle is.
type Freshness struct {
	Fingerprint     string `json:"fingerprint"`
	BundleHeight    uint64 `json:"bundleHeight"`
	BundleBlockTime string `json:"bundleBlockTime"`
	IssuedAt        string `json:"issuedAt"`
	PublishedAt     string `json:"publishedAt"`
	LedgerHeight    uint64 `json:"ledgerHeight"`
	BlocksBehind    uint64 `json:"blocksBehind"`
	// Current: the live registry, organisations and policy are exactly as the
	// bundle states (blocks written since changed none of them).
	Current bool `json:"current"`
	// Changes lists what differs (trust.Diff), empty when Current.
	Changes   []string `json:"changes"`
	CheckedAt string   `json:"checkedAt"`
}

// Ledger is what Check needs from the ledger.
type Ledger interface {
	Evaluate(ctx context.Context, org, fn string, args ...string) ([]byte, error)
	ChannelInfo(ctx context.Context, org string) (*ledgerclient.ChannelInfo, error)
}

// DefaultCacheFor is the default of Store.CacheFor.
const DefaultCacheFor = 2 * time.Second

// Check compares the served bundle with the ledger as org reads it now.
func (s *Store) Check(ctx context.Context, l Ledger, org string) (*Freshness, error) {
	_, cur, err := s.Current()
	if err != nil {
		return nil, err
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	now := s.now()
	if s.fresh != nil && now.Before(s.freshTill) && s.fresh.Fingerprint == cur.Bundle.Fingerprint() && s.fresh.IssuedAt == cur.Bundle.IssuedAt {
		return s.fresh, nil
	}
	ci, err := l.ChannelInfo(ctx, org)
	if err != nil {
		return nil, err
	}
	raw, err := l.Evaluate(ctx, org, "registry:ListDepartments")
	if err != nil {
		return nil, err
	}
	depts, err := trust.DecodeDepartments(raw)
	if err != nil {
		return nil, err
	}
	src := trust.SourceFrom(ci, depts, cur.Bundle.Governance.Department, cur.Bundle.Gateways)
	b := &cur.Bundle
	s.mu.RLock()
	published := s.publishedAt
	s.mu.RUnlock()
	f := &Freshness{
		Fingerprint: b.Fingerprint(), BundleHeight: b.Height, BundleBlockTime: b.BlockTime,
		IssuedAt: b.IssuedAt, PublishedAt: wire.FormatTime(published),
		LedgerHeight: ci.Height, Changes: trust.Diff(b, src), CheckedAt: wire.FormatTime(now),
	}
	if ci.Height > b.Height {
		f.BlocksBehind = ci.Height - b.Height
	}
	if f.Changes == nil {
		f.Changes = []string{}
	}
	f.Current = len(f.Changes) == 0
	s.fresh, s.freshTill = f, now.Add(s.CacheFor)
	return f, nil
}
