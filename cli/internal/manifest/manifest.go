// Package manifest parses the CSV manifest of a bulk issue:
//
//	file,type,holder_id,valid_until[,valid_from][,id]
//
// One header row names the columns (any order, case-insensitive); one certificate per
// following row. Blank lines are skipped; a line starting with # is a comment.
package manifest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/certledger/certledger/internal/domain/wire"
)

// ErrBadManifest is wrapped by every parse error.
var ErrBadManifest = errors.New("bad manifest")

// MaxRows bounds the number of rows of one manifest.
const MaxRows = 1_000_000

// Row is one certificate to issue.
type Row struct {
	Line       int    `json:"line"` // line number in the manifest (1 = header)
	File       string `json:"file"`
	DocHash    string `json:"docHash,omitempty"` // precomputed SM3 of the document, instead of File
	Type       string `json:"type"`
	HolderID   string `json:"-"` // personal data: never printed
	ValidFrom  string `json:"validFrom,omitempty"`
	ValidUntil string `json:"validUntil"`
	ID         string `json:"id,omitempty"`
}

var (
	required = []string{"type", "holder_id", "valid_until"} // and file or doc_hash
	known    = map[string]bool{"file": true, "doc_hash": true, "type": true, "holder_id": true, "valid_until": true, "valid_from": true, "id": true}
)

// Parse reads a whole manifest. Rows with the same id, or (without ids) the same
// file, type and validity, are refused.
func Parse(r io.Reader) ([]Row, error) {
	var rows []Row
	seenID := map[string]int{}
	seenKey := map[string]int{}
	err := Scan(r, func(row Row) error {
		if len(rows) >= MaxRows {
			return fmt.Errorf("%w: more than %d rows", ErrBadManifest, MaxRows)
		}
		if row.ID != "" {
			if prev, dup := seenID[row.ID]; dup {
				return fmt.Errorf("%w: line %d: id %q already on line %d", ErrBadManifest, row.Line, row.ID, prev)
			}
			seenID[row.ID] = row.Line
		} else {
			k := row.Key()
			if prev, dup := seenKey[k]; dup {
				return fmt.Errorf("%w: line %d: same file, type and validity as line %d (add an id column)", ErrBadManifest, row.Line, prev)
			}
			seenKey[k] = row.Line
		}
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// Scan reads a manifest row by row, in memory that does not grow with it (for
// batches of a million rows; the caller checks duplicates). Columns: type,
// holder_id, valid_until, and file or doc_hash (a precomputed SM3, 64 lowercase
// hex), optionally valid_from and id. fn's error stops the scan.
func Scan(r io.Reader, fn func(Row) error) error {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = 0
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: empty", ErrBadManifest)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadManifest, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !known[h] {
			return fmt.Errorf("%w: unknown column %q (known: file, doc_hash, type, holder_id, valid_until, valid_from, id)", ErrBadManifest, h)
		}
		if _, dup := col[h]; dup {
			return fmt.Errorf("%w: column %q twice", ErrBadManifest, h)
		}
		col[h] = i
	}
	for _, h := range required {
		if _, ok := col[h]; !ok {
			return fmt.Errorf("%w: missing column %q", ErrBadManifest, h)
		}
	}
	_, hasFile := col["file"]
	_, hasHash := col["doc_hash"]
	if !hasFile && !hasHash {
		return fmt.Errorf("%w: missing column \"file\" (or \"doc_hash\")", ErrBadManifest)
	}
	get := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	n := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBadManifest, err)
		}
		line, _ := cr.FieldPos(0)
		row := Row{
			Line:       line,
			File:       get(rec, "file"),
			DocHash:    get(rec, "doc_hash"),
			Type:       get(rec, "type"),
			HolderID:   get(rec, "holder_id"),
			ValidFrom:  get(rec, "valid_from"),
			ValidUntil: get(rec, "valid_until"),
			ID:         get(rec, "id"),
		}
		for _, h := range required {
			if get(rec, h) == "" {
				return fmt.Errorf("%w: line %d: %s is empty", ErrBadManifest, line, h)
			}
		}
		switch {
		case row.File == "" && row.DocHash == "":
			return fmt.Errorf("%w: line %d: give file or doc_hash", ErrBadManifest, line)
		case row.File != "" && row.DocHash != "":
			return fmt.Errorf("%w: line %d: give file or doc_hash, not both", ErrBadManifest, line)
		case row.DocHash != "" && !wire.ValidHash(row.DocHash):
			return fmt.Errorf("%w: line %d: doc_hash must be 64 lowercase hex characters (SM3)", ErrBadManifest, line)
		}
		if err := fn(row); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%w: no rows after the header", ErrBadManifest)
	}
	return nil
}

// Key identifies a row across runs (for resuming): its id if it has one, else its
// file, type and validity. It holds no personal data.
func (r Row) Key() string {
	if r.ID != "" {
		return "id:" + r.ID
	}
	return "row:" + r.File + r.DocHash + "\x00" + r.Type + "\x00" + r.ValidFrom + "\x00" + r.ValidUntil
}
