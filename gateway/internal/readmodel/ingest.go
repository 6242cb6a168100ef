package readmodel

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// A batch file's records go into the store by bulk ingestion rather than
// through the memtable: the indexer hands every key to an ingester, which
// sorts them in runs of ingestRunBytes (written to files beside the store),
// merges the runs into one sorted table per key kind (B\x00, h\x00) once the
// file rebuilt its anchored root, and ingests those tables in one step when the
// batch store has accepted the file (batch.go: Prepared). Nothing of a file
// that fails either check reaches the store; no write-ahead log, memtable
// insertion, flush or L0 rewrite is spent on the records; memory stays at one
// run.

// ingestRunBytes bounds one sorted run in memory (keys and values).
const ingestRunBytes = 16 << 20

// ingestPrefix names the folders where ingesters keep their runs and tables:
// folders of the store's directory (pebble ignores folders), one per ingester,
// removed after use (and at Open, what a crash left).
const ingestPrefix = "ingest-"

// kvEntry locates a key and its value in an ingester's arena.
type kvEntry struct {
	off        uint32
	klen, vlen uint32
}

// ingester collects key/value pairs and sorts them into runs on disk, then
// into tables.
type ingester struct {
	dir    string
	arena  []byte
	ents   []kvEntry
	runs   []string
	tables []string
}

// newIngester creates an ingest folder in the store at storeDir.
func newIngester(storeDir string) (*ingester, error) {
	dir, err := os.MkdirTemp(storeDir, ingestPrefix)
	if err != nil {
		return nil, err
	}
	return &ingester{dir: dir, arena: make([]byte, 0, ingestRunBytes+64<<10)}, nil
}

// removeIngestLeftovers removes the ingest folders of the store at storeDir
// (no ingester runs: the model is being opened).
func removeIngestLeftovers(storeDir string) error {
	dirs, err := filepath.Glob(filepath.Join(storeDir, ingestPrefix+"*"))
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

// close removes the ingester's files (the tables are hard-linked into the
// store once ingested).
func (g *ingester) close() { _ = os.RemoveAll(g.dir) } // derived files only

// set adds a key and its value (both copied).
func (g *ingester) set(k, v []byte) error {
	g.ents = append(g.ents, kvEntry{off: uint32(len(g.arena)), klen: uint32(len(k)), vlen: uint32(len(v))})
	g.arena = append(g.arena, k...)
	g.arena = append(g.arena, v...)
	if len(g.arena) >= ingestRunBytes {
		return g.spill()
	}
	return nil
}

func (g *ingester) key(e kvEntry) []byte { return g.arena[e.off : e.off+e.klen] }
func (g *ingester) value(e kvEntry) []byte {
	return g.arena[e.off+e.klen : e.off+e.klen+e.vlen]
}

// spill sorts the pairs in memory and writes them as a run: for each pair,
// uvarint key length, key, uvarint value length, value.
func (g *ingester) spill() error {
	if len(g.ents) == 0 {
		return nil
	}
	slices.SortFunc(g.ents, func(a, b kvEntry) int { return bytes.Compare(g.key(a), g.key(b)) })
	path := filepath.Join(g.dir, fmt.Sprintf("run-%04d", len(g.runs)))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var n [binary.MaxVarintLen32]byte
	for _, e := range g.ents {
		_, _ = w.Write(n[:binary.PutUvarint(n[:], uint64(e.klen))])
		_, _ = w.Write(g.key(e))
		_, _ = w.Write(n[:binary.PutUvarint(n[:], uint64(e.vlen))])
		_, _ = w.Write(g.value(e)) // errors surface at Flush
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	g.runs = append(g.runs, path)
	g.arena, g.ents = g.arena[:0], g.ents[:0]
	return nil
}

// prepare merges the runs into sorted tables, one per key kind, written with
// db's options po. A key given twice keeps its first value (a batch file names
// each certificate once: the batch store refuses duplicates).
func (g *ingester) prepare(db *pebble.DB, po *pebble.Options) error {
	if err := g.spill(); err != nil {
		return err
	}
	if len(g.runs) == 0 {
		return nil
	}
	h := make(runHeap, 0, len(g.runs))
	for _, p := range g.runs {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }() // read-only
		r := &runReader{r: bufio.NewReaderSize(f, 256<<10), run: len(h)}
		if ok, err := r.next(); err != nil {
			return fmt.Errorf("reading run %s: %w", p, err)
		} else if ok {
			h = append(h, r)
		}
	}
	heap.Init(&h)
	o := po.Clone()
	o.EnsureDefaults()
	wo := o.MakeWriterOptions(0, db.TableFormat()) // every level has the same options (bloom filters)
	var (
		w    *sstable.Writer
		kind byte
		last []byte
	)
	finish := func() error {
		if w == nil {
			return nil
		}
		err := w.Close() // syncs the file (objstorage Finish)
		w = nil
		return err
	}
	for h.Len() > 0 {
		r := h[0]
		if last != nil && bytes.Equal(r.k, last) {
			// a duplicate key: the first value stays
		} else {
			if w == nil || r.k[0] != kind {
				if err := finish(); err != nil {
					return err
				}
				path := filepath.Join(g.dir, fmt.Sprintf("table-%04d.sst", len(g.tables)))
				f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
				if err != nil {
					return err
				}
				w = sstable.NewWriter(objstorageprovider.NewFileWritable(f), wo)
				g.tables = append(g.tables, path)
				kind = r.k[0]
			}
			if err := w.Set(r.k, r.v); err != nil {
				_ = w.Close()
				return err
			}
			last = append(last[:0], r.k...)
		}
		ok, err := r.next()
		if err != nil {
			_ = w.Close()
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return finish()
}

// ingest puts the prepared tables into db in one step (they do not overlap).
func (g *ingester) ingest(db *pebble.DB) error {
	if len(g.tables) == 0 {
		return nil
	}
	return db.Ingest(context.Background(), g.tables)
}

// runReader reads a run's pairs in order; k and v are valid until next.
type runReader struct {
	r    *bufio.Reader
	run  int // its place among the runs
	k, v []byte
}

func (r *runReader) next() (bool, error) {
	kl, err := binary.ReadUvarint(r.r)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.k = slices.Grow(r.k[:0], int(kl))[:kl]
	if _, err := io.ReadFull(r.r, r.k); err != nil {
		return false, err
	}
	vl, err := binary.ReadUvarint(r.r)
	if err != nil {
		return false, err
	}
	r.v = slices.Grow(r.v[:0], int(vl))[:vl]
	if _, err := io.ReadFull(r.r, r.v); err != nil {
		return false, err
	}
	return true, nil
}

// runHeap orders run readers by their current key (ties: the earlier run
// first, so that a key's first value wins).
type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].k, h[j].k); c != 0 {
		return c < 0
	}
	return h[i].run < h[j].run
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
