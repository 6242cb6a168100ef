// Package batchindex answers receipts (record + inclusion proof) from a batch
// file in a few small reads, whatever its size, through an index file written
// beside it: line offsets, ids by hash, and every level of the Merkle tree. The
// CLI writes it when it builds a batch; a gateway can build it for a stored
// batch file (Index) to serve receipts.
package batchindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/merkle"
)

// The index file (<batch file>.idx), little-endian:
//
//	"CLBIDX1\n"  n uint64  levels uint64
//	offsets  [n+1]uint64               byte offset of each line, then the file size
//	ids      [n]{fnv64a(id), index}    sorted by hash
//	levels   per level: len uint64, len×32 bytes (level 0 = leaf hashes)
const magic = "CLBIDX1\n"

// ErrNoIndex is returned when a batch file has no usable index.
var ErrNoIndex = errors.New("batch index missing or corrupt")

// IndexPath is where the index of batch file path lives.
func IndexPath(path string) string { return path + ".idx" }

func idHash(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64()
}

// Builder collects what an index holds while a batch file is written: call
// AddLine for every line in order, set Tree, then Write.
type Builder struct {
	offsets []uint64
	ids     [][2]uint64
	// Tree is the batch's whole Merkle tree (merkle.Build over the leaf hashes).
	Tree *merkle.Tree
}

// AddLine records line i, holding certificate id, starting at byte offset.
func (d *Builder) AddLine(i int, id string, offset uint64) {
	d.offsets = append(d.offsets, offset)
	d.ids = append(d.ids, [2]uint64{idHash(id), uint64(i)})
}

// Write writes the index to path; fileSize is the batch file's size.
func (d *Builder) Write(path string, fileSize uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := &errWriter{w: f}
	n := uint64(len(d.ids))
	levels := d.Tree.Levels()
	w.write([]byte(magic))
	w.u64(n)
	w.u64(uint64(len(levels)))
	for _, o := range d.offsets {
		w.u64(o)
	}
	w.u64(fileSize)
	slices.SortFunc(d.ids, func(a, b [2]uint64) int {
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		return int(a[1]) - int(b[1])
	})
	for _, e := range d.ids {
		w.u64(e[0])
		w.u64(e[1])
	}
	for _, lv := range levels {
		w.u64(uint64(len(lv)))
		for i := range lv {
			w.write(lv[i][:])
		}
	}
	if w.err == nil {
		w.err = w.flush()
	}
	if err := f.Close(); w.err == nil {
		w.err = err
	}
	return w.err
}

type errWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (e *errWriter) write(b []byte) {
	e.buf = append(e.buf, b...)
	if len(e.buf) >= 1<<20 {
		e.err = errors.Join(e.err, e.flush())
	}
}

func (e *errWriter) u64(v uint64) { e.write(binary.LittleEndian.AppendUint64(nil, v)) }

func (e *errWriter) flush() error {
	if e.err != nil {
		return e.err
	}
	_, err := e.w.Write(e.buf)
	e.buf = e.buf[:0]
	return err
}

// Index builds the index of an existing batch file (for a file received from
// elsewhere); the build writes it directly.
func Index(path, issuer, keyID string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read-only
	var d Builder
	var leaves []merkle.Hash
	var off uint64
	_, err = batch.Scan(f, issuer, keyID, func(i int, r *batch.Record) error {
		line, err := batch.AppendLine(nil, r)
		if err != nil {
			return err
		}
		d.AddLine(i, r.ID, off)
		off += uint64(len(line)) + 1
		leaves = append(leaves, (&merkle.Hasher{}).Leaf(batch.LeafData(nil, r.Kind(), line)))
		return nil
	})
	if err != nil {
		return err
	}
	d.Tree = merkle.Build(leaves)
	return d.Write(IndexPath(path), off)
}

// Lookup finds certificate id in batch file path through its index and returns
// its record and inclusion proof (batch id batchID). It reads a few dozen small
// pieces of the files, whatever the batch size.
func Lookup(path, batchID, id string) (batch.Record, batch.Proof, error) {
	var rec batch.Record
	var proof batch.Proof
	ix, err := os.Open(IndexPath(path))
	if err != nil {
		return rec, proof, fmt.Errorf("%w: %w (run: certledger batch index %s)", ErrNoIndex, err, path)
	}
	defer func() { _ = ix.Close() }() // read-only
	u64 := func(at int64) (uint64, error) {
		var b [8]byte
		if _, err := ix.ReadAt(b[:], at); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrNoIndex, err)
		}
		return binary.LittleEndian.Uint64(b[:]), nil
	}
	var head [24]byte
	if _, err := ix.ReadAt(head[:], 0); err != nil || string(head[:8]) != magic {
		return rec, proof, fmt.Errorf("%w: %s", ErrNoIndex, IndexPath(path))
	}
	n := int64(binary.LittleEndian.Uint64(head[8:]))
	nLevels := int64(binary.LittleEndian.Uint64(head[16:]))
	offBase := int64(24)
	idBase := offBase + 8*(n+1)
	levelBase := idBase + 16*n
	// Binary search the id hash, then check the candidates' lines.
	want := idHash(id)
	lo, hi := int64(0), n
	for lo < hi {
		mid := (lo + hi) / 2
		h, err := u64(idBase + 16*mid)
		if err != nil {
			return rec, proof, err
		}
		if h < want {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	data, err := os.Open(path)
	if err != nil {
		return rec, proof, err
	}
	defer func() { _ = data.Close() }() // read-only
	index := int64(-1)
	for k := lo; k < n; k++ {
		h, err := u64(idBase + 16*k)
		if err != nil || h != want {
			break
		}
		i, err := u64(idBase + 16*k + 8)
		if err != nil {
			return rec, proof, err
		}
		start, err1 := u64(offBase + 8*int64(i))
		end, err2 := u64(offBase + 8*int64(i+1))
		if err1 != nil || err2 != nil || end <= start || end-start > batch.MaxLine {
			return rec, proof, fmt.Errorf("%w: bad offsets", ErrNoIndex)
		}
		line := make([]byte, end-start)
		if _, err := data.ReadAt(line, int64(start)); err != nil {
			return rec, proof, err
		}
		r, err := batch.ParseLine(bytes.TrimSuffix(line, []byte{'\n'}))
		if err != nil {
			return rec, proof, fmt.Errorf("%w: line %d: %w", ErrNoIndex, i+1, err)
		}
		if r.ID == id {
			rec, index = r, int64(i)
			break
		}
	}
	if index < 0 {
		return rec, proof, fmt.Errorf("certificate %s is not in batch file %s", id, path)
	}
	// The proof: the sibling on every level that has one.
	proof = batch.Proof{BatchID: batchID, Index: int(index), Size: int(n)}
	at := levelBase
	i := index
	for l := int64(0); l < nLevels-1; l++ {
		size, err := u64(at)
		if err != nil {
			return rec, proof, err
		}
		if s := i ^ 1; s < int64(size) {
			var h [32]byte
			if _, err := ix.ReadAt(h[:], at+8+32*s); err != nil {
				return rec, proof, fmt.Errorf("%w: %w", ErrNoIndex, err)
			}
			proof.Path = append(proof.Path, fmt.Sprintf("%x", h))
		}
		at += 8 + 32*int64(size)
		i >>= 1
	}
	return rec, proof, nil
}
