// Package batchfile builds a department's Merkle batch from a manifest on its
// own machine: records, holders' salts (a 0600 file), the batch file, its tree
// and receipts index (internal/batchindex), and the header to sign.
package batchfile

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/manifest"
	"github.com/certledger/certledger/internal/batchindex"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
)

// Options configure Build.
type Options struct {
	BatchID  string
	Dept     string
	KeyID    string
	Previous string    // the department's last anchored batch id ("" for its first)
	Dir      string    // base of relative document paths in the manifest
	OutDir   string    // where the batch file, salts, index and header go
	Now      time.Time // start of the anchoring window and default validFrom
	Window   time.Duration
	Progress func(rows int) // called every few thousand rows (may be nil)
	// V2 completes a v2 row (manifest.Row.V2) from the ledger: its catalogue
	// type and the department's code and name. A manifest of v2 rows builds a
	// v2 batch (batch.RecordKindV2); nil refuses v2 rows.
	V2 func(manifest.Row) (*issue.V2, error)
}

// Built is what Build wrote.
type Built struct {
	Header    batch.Header // unsigned
	File      string       // the batch file (JSON Lines)
	Salts     string       // holders' salts, mode 0600: never leaves the department
	Index     string       // receipts index
	HeaderOut string       // where the signed/anchored header is kept
}

// Paths returns the files of batch id in dir.
func Paths(dir, id string) (file, salts, header string) {
	return filepath.Join(dir, id+".jsonl"), filepath.Join(dir, id+".salts.jsonl"), filepath.Join(dir, id+".header.json")
}

// prepared is a record ready to be written, with its holder's salt (v1) or
// the salts of the holder's name and code (v2).
type prepared struct {
	rec   batch.Record
	salts [2][16]byte
	line  int // manifest line
}

// errStopped ends prepare when the writing stage has failed.
var errStopped = errors.New("stopped")

// prepare reads the manifest and sends records in chunks. The first row's kind
// (v1, or v2: a catalogue type code) is the batch's: a row of the other kind is
// refused, naming its line.
func prepare(m io.Reader, o Options, out chan<- []prepared, stop <-chan struct{}) error {
	rnd := bufio.NewReaderSize(rand.Reader, 64<<10)
	chunk := make([]prepared, 0, 1024)
	first := 0 // manifest line of the first row
	var v2 bool
	send := func() error {
		select {
		case out <- chunk:
			chunk = make([]prepared, 0, 1024)
			return nil
		case <-stop:
			return errStopped
		}
	}
	err := manifest.Scan(m, func(row manifest.Row) error {
		if first == 0 {
			first, v2 = row.Line, row.V2()
		} else if row.V2() != v2 {
			return fmt.Errorf("line %d: a %s row in a batch of %s rows (line %d): one batch holds one record kind; put v1 and v2 rows in separate manifests",
				row.Line, rowKind(row.V2()), rowKind(v2), first)
		}
		p := prepared{line: row.Line}
		if _, err := io.ReadFull(rnd, p.salts[0][:]); err != nil {
			return err
		}
		if _, err := io.ReadFull(rnd, p.salts[1][:]); err != nil {
			return err
		}
		var err error
		if p.rec, err = record(row, o, &p.salts); err != nil {
			return err
		}
		chunk = append(chunk, p)
		if len(chunk) == cap(chunk) {
			return send()
		}
		return nil
	})
	if err == nil && len(chunk) > 0 {
		err = send()
	}
	if errors.Is(err, errStopped) {
		return nil // the writing stage has the error
	}
	return err
}

func rowKind(v2 bool) string {
	if v2 {
		return "v2 (catalogue type code)"
	}
	return "v1 (free-form type)"
}

// record builds the batch record of a manifest row: a v1 record committing to
// the holder id with salts[0], or a v2 record (issue.V2.Unsigned, as a single
// v2 issue builds it) committing to the holder's name and code with salts[0]
// and salts[1].
func record(row manifest.Row, o Options, salts *[2][16]byte) (batch.Record, error) {
	docHash := row.DocHash
	if docHash == "" {
		p := row.File
		if !filepath.IsAbs(p) {
			p = filepath.Join(o.Dir, p)
		}
		h, _, err := gm.SM3File(p)
		if err != nil {
			return batch.Record{}, fmt.Errorf("line %d: hashing %s: %w", row.Line, row.File, err)
		}
		docHash = h
	}
	if row.V2() {
		return recordV2(row, o, docHash, salts)
	}
	from := o.Now.UTC().Truncate(time.Second).Format(time.RFC3339)
	if row.ValidFrom != "" {
		f, err := issue.NormalizeTime(row.ValidFrom, false)
		if err != nil {
			return batch.Record{}, fmt.Errorf("line %d: %w", row.Line, err)
		}
		from = f
	}
	until, err := issue.NormalizeTime(row.ValidUntil, true)
	if err != nil {
		return batch.Record{}, fmt.Errorf("line %d: %w", row.Line, err)
	}
	if err := issue.CheckWindow(from, until, o.Now); err != nil {
		return batch.Record{}, fmt.Errorf("line %d: %w", row.Line, err)
	}
	id := row.ID
	if id == "" {
		id = issue.DerivedID(o.Dept, docHash, row.Type, row.ValidFrom, row.ValidUntil)
	}
	return batch.Record{
		ID: id, DocHash: docHash, Type: row.Type, Issuer: o.Dept, HolderCommitment: gm.Commitment(salts[0][:], row.HolderID),
		ValidFrom: from, ValidUntil: until, KeyID: o.KeyID,
	}, nil
}

func recordV2(row manifest.Row, o Options, docHash string, salts *[2][16]byte) (batch.Record, error) {
	if o.V2 == nil {
		return batch.Record{}, fmt.Errorf("line %d: a v2 row needs the type catalogue (Options.V2)", row.Line)
	}
	v, err := o.V2(row)
	if err != nil {
		return batch.Record{}, fmt.Errorf("line %d: %w", row.Line, err)
	}
	req := issue.Request{DocHash: docHash, Type: row.Type, HolderID: row.HolderID, ValidFrom: row.ValidFrom, ValidUntil: row.ValidUntil, ID: row.ID, V2: v}
	rec, err := v.Unsigned(req, docHash, o.Dept, o.KeyID, o.Now, salts[0][:], salts[1][:])
	if err != nil {
		return batch.Record{}, fmt.Errorf("line %d: %w", row.Line, err)
	}
	return batch.FromCertificate(rec), nil
}

// Build reads a manifest row by row and writes the batch file, the salts file
// (0600) and the index; it returns the header to sign. Each row gets a fresh
// 16-byte salt; its holder id is only ever hashed with it.
func Build(m io.Reader, o Options) (*Built, error) {
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	file, saltsPath, headerOut := Paths(o.OutDir, o.BatchID)
	for _, p := range []string{file, saltsPath} {
		if _, err := os.Stat(p); err == nil {
			return nil, fmt.Errorf("%s exists: a batch id is used once (choose another --batch-id)", p)
		}
	}
	bf, err := os.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer func() { _ = bf.Close() }() // closed explicitly below
	sf, err := os.OpenFile(saltsPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer func() { _ = sf.Close() }() // closed explicitly below
	s := &sink{w: batch.NewWriter(bf, o.Dept, o.KeyID), salts: bufio.NewWriterSize(sf, 1<<20), progress: o.Progress}
	defer s.w.Close() //nolint:errcheck // ends the writer's goroutine on an early return; the real Close is checked below
	s.w.KeepLeaves = true
	s.w.OnLine = func(i int, line []byte) { s.off += uint64(len(line)) + 1 }
	// Two stages on two cores: one reads the manifest and prepares each record
	// (hash, times, id, salt, commitment), the other writes the batch file,
	// salts and index (the file's SM3 runs on a third goroutine, in the Writer).
	prepared := make(chan []prepared, 4)
	stop := make(chan struct{})
	var prepErr error
	go func() {
		defer close(prepared)
		prepErr = prepare(m, o, prepared, stop)
	}()
	for chunk := range prepared {
		for i := 0; i < len(chunk) && err == nil; i++ {
			if err = s.add(&chunk[i]); err != nil {
				close(stop) // the preparing stage ends; the rest is drained
			}
		}
	}
	if err == nil {
		err = prepErr
	}
	if err != nil {
		return nil, err
	}
	sum, err := s.finish(bf, sf, batchindex.IndexPath(file))
	if err != nil {
		return nil, err
	}
	return &Built{Header: header(o, sum), File: file, Salts: saltsPath, Index: batchindex.IndexPath(file), HeaderOut: headerOut}, nil
}

// sink is Build's writing stage: the batch file (through the Writer), the
// salts file and the receipts index.
type sink struct {
	w        *batch.Writer
	salts    *bufio.Writer
	idx      batchindex.Builder
	off      uint64 // bytes of the batch file written
	rows     int
	line     []byte
	progress func(int)
}

// add writes one prepared record.
func (s *sink) add(p *prepared) error {
	start := s.off
	if err := s.w.Add(&p.rec); err != nil {
		return codes.Prefix(err, "line %d", p.line)
	}
	s.idx.AddLine(s.rows, p.rec.ID, start)
	s.line = append(s.line[:0], `{"id":`...)
	s.line, _ = canon.AppendString(s.line, p.rec.ID) // a valid id: Add checked it
	if p.rec.RecordVersion == 0 {
		s.line = append(s.line, `,"salt":"`...)
		s.line = base64.StdEncoding.AppendEncode(s.line, p.salts[0][:])
	} else {
		s.line = append(s.line, `,"nameSalt":"`...)
		s.line = base64.StdEncoding.AppendEncode(s.line, p.salts[0][:])
		s.line = append(s.line, `","codeSalt":"`...)
		s.line = base64.StdEncoding.AppendEncode(s.line, p.salts[1][:])
	}
	s.line = append(s.line, "\"}\n"...)
	if _, err := s.salts.Write(s.line); err != nil {
		return err
	}
	s.rows++
	if s.progress != nil && s.rows%4096 == 0 {
		s.progress(s.rows)
	}
	return nil
}

// finish closes the batch file and the salts file (synced) and writes the
// receipts index, checking its tree against the streamed root.
func (s *sink) finish(bf, sf *os.File, indexPath string) (batch.Summary, error) {
	sum, err := s.w.Close()
	if err != nil {
		return sum, err
	}
	if s.progress != nil {
		s.progress(s.rows)
	}
	if err := s.salts.Flush(); err != nil {
		return sum, err
	}
	for _, f := range []*os.File{bf, sf} {
		if err := f.Sync(); err != nil {
			return sum, err
		}
		if err := f.Close(); err != nil {
			return sum, err
		}
	}
	s.idx.Tree = merkle.Build(s.w.Leaves)
	if got := s.idx.Tree.Root(); fmt.Sprintf("%x", got[:]) != sum.Root {
		return sum, fmt.Errorf("internal error: the index tree's root differs from the streamed root")
	}
	if err := s.idx.Write(indexPath, s.off); err != nil {
		return sum, fmt.Errorf("writing the receipts index: %w", err)
	}
	return sum, nil
}

// header is the batch header of sum to sign, anchorable from 5 minutes before
// o.Now for o.Window (default 24 h).
func header(o Options, sum batch.Summary) batch.Header {
	window := o.Window
	if window <= 0 {
		window = 24 * time.Hour
	}
	return batch.Header{
		ID: o.BatchID, Issuer: o.Dept, KeyID: o.KeyID, Root: sum.Root, Count: sum.Count, FileHash: sum.FileHash,
		Previous: o.Previous, WindowFrom: o.Now.UTC().Add(-5 * time.Minute).Truncate(time.Second).Format(time.RFC3339),
		WindowUntil: o.Now.UTC().Add(window).Truncate(time.Second).Format(time.RFC3339),
		RecordKind:  sum.RecordKind, Types: sum.Types,
	}
}
