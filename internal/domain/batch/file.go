package batch

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/emmansun/gmsm/sm3"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/merkle"
)

// MaxLine bounds one line of a batch file.
const MaxLine = 8 << 10

// ErrBadFile is returned (wrapped, with the line number) for a batch file that
// is malformed or does not match its header: a coded sentinel under
// INVALID_ARGUMENT (errors.Is matches both), its text "INVALID_ARGUMENT: bad
// batch file: ...".
var ErrBadFile = codes.Reason(codes.ErrInvalidArgument, "bad batch file")

// Summary is what a batch file rebuilds: the header fields a reader can check.
type Summary struct {
	Root       string   // hex Merkle root
	Count      int      // lines
	FileHash   string   // hex SM3 of the bytes
	Types      []string // sorted distinct types
	RecordKind string   // the kind of every record (RecordKindV1 or RecordKindV2)
}

// Matches returns nil when s rebuilds h exactly, else an error naming the first
// field that differs.
func (s Summary) Matches(h Header) error {
	switch {
	case s.RecordKind != h.RecordKind:
		return fmt.Errorf("%w: the file holds %s records, the header says %s", ErrBadFile, s.RecordKind, h.RecordKind)
	case s.Count != h.Count:
		return fmt.Errorf("%w: the file has %d records, the header says %d", ErrBadFile, s.Count, h.Count)
	case s.Root != h.Root:
		return fmt.Errorf("%w: the file rebuilds root %s, the header says %s", ErrBadFile, s.Root, h.Root)
	case !slices.Equal(s.Types, h.Types):
		return fmt.Errorf("%w: the file holds types %v, the header says %v", ErrBadFile, s.Types, h.Types)
	case s.FileHash != h.FileHash:
		return fmt.Errorf("%w: the file's SM3 is %s, the header says %s", ErrBadFile, s.FileHash, h.FileHash)
	}
	return nil
}

// Writer writes a batch file record by record and computes its summary on the
// way, in memory that does not grow with the batch (but for the duplicate-id
// check: 16 bytes per record). Records must be valid for issuer and keyID and
// all of one kind (the first record's: v1 or v2).
type Writer struct {
	w          *bufio.Writer
	sink       *asyncSink
	file       hash.Hash
	stream     merkle.Stream
	recordKind string
	issuer     string
	keyID      string
	types      map[string]bool
	ids        idSet
	line       []byte
	pending    [][]byte // leaf data of the current chunk
	arena      []byte
	count      int
	closed     bool
	// OnLine, when set, is called with each line's index and bytes (no newline).
	OnLine func(i int, line []byte)
	// KeepLeaves keeps every leaf hash in Leaves (32 bytes a record), for a
	// caller that builds the whole tree afterwards (every inclusion proof).
	KeepLeaves bool
	Leaves     []merkle.Hash
}

const chunk = 8192

// NewWriter returns a Writer of a batch by issuer signed with keyID onto w;
// its first record decides the batch's record kind.
func NewWriter(w io.Writer, issuer, keyID string) *Writer {
	bw := &Writer{issuer: issuer, keyID: keyID, types: map[string]bool{}, ids: newIDSet(), file: sm3.New()}
	bw.sink = newAsyncSink(w, bw.file)
	bw.w = bufio.NewWriterSize(bw.sink, 1<<20)
	return bw
}

// Add validates r and appends it.
func (bw *Writer) Add(r *Record) error {
	if err := r.Validate(bw.issuer, bw.keyID); err != nil {
		return codes.Prefix(err, "record %d (%s)", bw.count+1, r.ID)
	}
	if err := bw.sameKind(r.Kind()); err != nil {
		return fmt.Errorf("%w: record %d (%s): %w", ErrBadFile, bw.count+1, r.ID, err)
	}
	if bw.ids.add(r.ID) {
		return fmt.Errorf("%w: record %d: duplicate certificate id %s", ErrBadFile, bw.count+1, r.ID)
	}
	var err error
	if bw.line, err = AppendLine(bw.line[:0], r); err != nil {
		return err
	}
	if bw.OnLine != nil {
		bw.OnLine(bw.count, bw.line)
	}
	bw.types[r.Type] = true
	if _, err := bw.w.Write(bw.line); err != nil {
		return err
	}
	if err := bw.w.WriteByte('\n'); err != nil {
		return err
	}
	start := len(bw.arena)
	bw.arena = LeafData(bw.arena, bw.recordKind, bw.line)
	bw.pending = append(bw.pending, bw.arena[start:])
	if len(bw.pending) == chunk {
		bw.flushLeaves()
	}
	bw.count++
	return nil
}

// errMixedKinds is the cause of a batch whose records are not all of one kind.
var errMixedKinds = errors.New("one batch holds records of one kind")

// sameKind sets the batch's kind from its first record and refuses a record of
// another kind.
func (bw *Writer) sameKind(kind string) error {
	switch bw.recordKind {
	case "":
		bw.recordKind = kind
	case kind:
	default:
		return fmt.Errorf("a %s record in a batch of %s records: %w", kind, bw.recordKind, errMixedKinds)
	}
	return nil
}

func (bw *Writer) flushLeaves() {
	if bw.KeepLeaves {
		hashes := merkle.LeafHashes(len(bw.pending), func(i int) []byte { return bw.pending[i] })
		bw.Leaves = append(bw.Leaves, hashes...)
		bw.stream.AddHashes(hashes)
		bw.pending = bw.pending[:0]
		bw.arena = bw.arena[:0]
		return
	}
	bw.stream.AddAll(bw.pending)
	bw.pending = bw.pending[:0]
	bw.arena = bw.arena[:0]
}

// Close flushes the file and returns its summary. It may be called again (a
// deferred Close after an error): later calls return the same summary.
func (bw *Writer) Close() (Summary, error) {
	if bw.closed {
		return bw.summary(), nil
	}
	bw.closed = true
	err := bw.w.Flush()
	if cerr := bw.sink.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Summary{}, err
	}
	bw.flushLeaves()
	return bw.summary(), nil
}

func (bw *Writer) summary() Summary {
	root := bw.stream.Root()
	types := make([]string, 0, len(bw.types))
	for t := range bw.types {
		types = append(types, t)
	}
	slices.Sort(types)
	return Summary{Root: hex.EncodeToString(root[:]), Count: bw.count, FileHash: hex.EncodeToString(bw.file.Sum(nil)), Types: types, RecordKind: bw.recordKind}
}

// Scan reads a batch file of issuer and keyID, checks every line (canonical,
// valid, ids distinct, all of the first line's kind) and returns what it
// rebuilds (Summary.Matches compares it, record kind included, to a header). each, when set, is called
// with every record in order. Memory stays flat but for 16 bytes per record
// (the duplicate-id check); records are parsed on every core.
func Scan(r io.Reader, issuer, keyID string, each func(i int, rec *Record) error) (Summary, error) {
	bw := NewWriter(nil, issuer, keyID) // its sink hashes what is read, on its own goroutine
	defer bw.sink.Close()               //nolint:errcheck // nothing is written; closed for the hash below
	br := bufio.NewReaderSize(io.TeeReader(r, bw.sink), 1<<20)
	lines := make([][]byte, 0, chunk)
	recs := make([]Record, chunk)
	errs := make([]error, chunk)
	var arena []byte
	lineNo := 0
	flush := func() error {
		n := len(lines)
		parallelRange(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				rec, err := ParseLine(lines[i])
				if err == nil {
					err = rec.Validate(issuer, keyID)
				}
				recs[i], errs[i] = rec, err
			}
		})
		for i := 0; i < n; i++ {
			no := lineNo - n + i + 1
			if errs[i] != nil {
				return fmt.Errorf("%w: line %d: %s", ErrBadFile, no, codes.Message(errs[i]))
			}
			if err := bw.sameKind(recs[i].Kind()); err != nil {
				return fmt.Errorf("%w: line %d (%s): %w", ErrBadFile, no, recs[i].ID, err)
			}
			if bw.ids.add(recs[i].ID) {
				return fmt.Errorf("%w: line %d: duplicate certificate id %s", ErrBadFile, no, recs[i].ID)
			}
			bw.types[recs[i].Type] = true
			if each != nil {
				if err := each(no-1, &recs[i]); err != nil {
					return err
				}
			}
			bw.pending = append(bw.pending, LeafData(nil, bw.recordKind, lines[i]))
		}
		bw.count += n
		bw.stream.AddAll(bw.pending)
		bw.pending = bw.pending[:0]
		lines = lines[:0]
		arena = arena[:0]
		return nil
	}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || len(line) > MaxLine {
			return Summary{}, fmt.Errorf("%w: line %d is longer than %d bytes", ErrBadFile, lineNo+1, MaxLine)
		}
		if len(line) > 0 {
			lineNo++
			if line[len(line)-1] != '\n' {
				return Summary{}, fmt.Errorf("%w: line %d does not end with a newline", ErrBadFile, lineNo)
			}
			start := len(arena)
			arena = append(arena, bytes.TrimSuffix(line, []byte{'\n'})...)
			lines = append(lines, arena[start:len(arena):len(arena)])
			if len(lines) == chunk {
				if err := flush(); err != nil {
					return Summary{}, err
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Summary{}, fmt.Errorf("reading the batch file: %w", err)
		}
	}
	if err := flush(); err != nil {
		return Summary{}, err
	}
	if bw.count == 0 {
		return Summary{}, fmt.Errorf("%w: no records", ErrBadFile)
	}
	_ = bw.sink.Close() // writes nowhere: no error
	return bw.summary(), nil
}

func parallelRange(n int, f func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if n < 256 || p == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + p - 1) / p
	for lo := 0; lo < n; lo += step {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(lo+step, n))
	}
	wg.Wait()
}

// idSet detects repeated ids with a 64-bit keyed hash per id (8 bytes + map
// overhead each instead of the id). It never misses a duplicate; a false
// alarm needs a 64-bit collision (about 3·10⁻⁸ for a million ids) and, the
// seed being random, does not repeat on a retry.
type idSet struct {
	seed maphash.Seed
	seen map[uint64]struct{}
}

func newIDSet() idSet { return idSet{seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}} }

// add records id and reports whether it was (probably) seen before.
func (s idSet) add(id string) bool {
	h := maphash.String(s.seed, id)
	if _, ok := s.seen[h]; ok {
		return true
	}
	s.seen[h] = struct{}{}
	return false
}
