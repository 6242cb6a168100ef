package readmodel

import (
	"sync"

	"github.com/certledger/certledger/internal/domain/certificate"
)

// entry is a certificate as verify uses it: the record and, for a batched
// certificate, its inclusion proof (nil when the model has none).
type entry struct {
	cert certificate.Certificate
	inc  *certificate.Inclusion
}

// certCache keeps decoded certificates (with their proofs) (verify asks about the same ones again
// and again; decoding the stored JSON was a third of a verification's CPU).
// Apply invalidates what a block rewrites; a reader that read the store before
// a block's commit inserts only if no block was applied meanwhile (gen), so a
// stale record never outlives the block that replaced it.
type certCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]entry
}

// maxCachedCerts bounds the cache (about 1 kB each); when full it is emptied.
const maxCachedCerts = 200_000

func newCertCache() *certCache { return &certCache{m: map[string]entry{}} }

func (c *certCache) get(id string) (entry, bool) {
	c.mu.RLock()
	v, ok := c.m[id]
	c.mu.RUnlock()
	return v, ok
}

func (c *certCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put caches v, read from the store while the generation was gen.
func (c *certCache) put(gen uint64, v entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= maxCachedCerts {
		clear(c.m)
	}
	c.m[v.cert.ID] = v
}

// invalidate starts a new generation and forgets ids (after a commit).
func (c *certCache) invalidate(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ids {
		delete(c.m, id)
	}
}

// invalidateAll starts a new generation and forgets everything.
func (c *certCache) invalidateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}
