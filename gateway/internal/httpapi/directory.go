package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/certledger/certledger/gateway/internal/access"
	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/codes"
)

// directory is the access package's department directory with the ledger reads
// that fill it: the registry's department list, read once and again only when a
// department it is asked about is missing (at most once per minReload), and the
// registry events that FollowRegistry and every event stream pass through it.
// A department's MSP and parent never change once registered, so an entry, once
// known, is never stale.
type directory struct {
	*access.Directory
	ledger    ledgerclient.Ledger
	org       string
	minReload time.Duration
	now       func() time.Time

	mu       sync.Mutex // serialises list reads; waiters share the result
	lastLoad time.Time
}

func newDirectory(l ledgerclient.Ledger, org string, now func() time.Time) *directory {
	return &directory{Directory: access.NewDirectory(), ledger: l, org: org, minReload: time.Second, now: now}
}

// ensure makes departments ids known if they exist, reading the registry's list
// when the directory is empty or one of them is missing.
func (d *directory) ensure(ctx context.Context, ids ...string) error {
	if d.Loaded() && d.Has(ids...) {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Loaded() && (d.Has(ids...) || d.now().Sub(d.lastLoad) < d.minReload) {
		return nil
	}
	return d.loadLocked(ctx)
}

// reload reads the whole list again (after a gap in the followed events).
func (d *directory) reload(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.loadLocked(ctx)
}

func (d *directory) loadLocked(ctx context.Context) error {
	d.lastLoad = d.now()
	raw, err := d.ledger.Evaluate(ctx, d.org, "registry:ListDepartments")
	if err != nil {
		if code, _, _ := errmap.ChaincodeCode(err); code == codes.NotFound {
			d.Replace(nil) // registry not initialised: no departments yet
			return nil
		}
		return err
	}
	list, err := access.DecodeList(raw)
	if err != nil {
		return err
	}
	d.Replace(list)
	return nil
}

// FollowRegistry keeps the department directory current from the ledger's
// registry events until ctx ends, reconnecting (and reading the full list again)
// after the event stream breaks. Without it the directory still works: it reads
// the list when it meets a department it does not know.
func (s *Server) FollowRegistry(ctx context.Context) {
	wait := 500 * time.Millisecond
	for {
		ch, err := s.ledger.Events(ctx, s.opts.DefaultOrg, -1)
		if err == nil {
			// Subscribed first, then the list: nothing registered in between is missed.
			if err = s.dir.reload(ctx); err == nil {
				wait = 500 * time.Millisecond
			}
			for ev := range ch {
				s.dir.Apply(ev.Name, ev.Payload)
				s.streams.seen(ev.BlockNumber)
			}
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("department directory: registry events interrupted; reconnecting", "error", errString(err), "after", wait.String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func errString(err error) string {
	if err == nil {
		return "stream ended"
	}
	return err.Error()
}
