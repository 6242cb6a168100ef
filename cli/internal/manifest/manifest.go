// Package manifest parses the CSV manifest of a bulk issue:
//
//	file,type,holder_id,valid_until[,valid_from][,id]                                 v1 rows
//	file,type,serial,holder_name,holder_id[,version][,name][,issue_date][,valid_from][,valid_until]   v2 rows
//
// Instead of file a manifest may give doc_hash, the SM3 of the document computed
// elsewhere (64 lowercase hex): each row has one of the two, never both.
//
// A row whose type is a 21-character catalogue type code is a v2 row (a GB/T 36904
// identifier is built from type, the department's code, serial and version): it needs
// serial and holder_name (holder_id is the holder's code) and may leave valid_until
// empty (the type's default validity); columns named KZ_* are its sector fields
// (extensions). Other rows are v1 rows and need valid_until.
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

	"github.com/certledger/certledger/internal/domain/identifier"
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
	// v2 rows
	Serial     string            `json:"serial,omitempty"`
	Version    string            `json:"version,omitempty"`
	HolderName string            `json:"-"` // personal data: never printed
	Name       string            `json:"name,omitempty"`
	IssueDate  string            `json:"issueDate,omitempty"`
	Extensions map[string]string `json:"extensions,omitempty"` // KZ_* columns with a value
}

// V2 reports whether r is a v2 row (its type is a catalogue type code).
func (r Row) V2() bool { return IsTypeCode(r.Type) }

// IsTypeCode reports whether a type column holds a 21-character catalogue type
// code rather than a free-form v1 type.
func IsTypeCode(s string) bool {
	return len(s) == identifier.TypeCodeLength && strings.Trim(s, identifier.USCCAlphabet) == ""
}

var (
	required = []string{"type", "holder_id"} // and file or doc_hash
	known    = map[string]bool{"file": true, "doc_hash": true, "type": true, "holder_id": true, "valid_until": true, "valid_from": true, "id": true,
		"serial": true, "version": true, "holder_name": true, "name": true, "issue_date": true}
)

// Parse reads a whole manifest. Rows with the same id, or (without ids) the same
// file, type and validity, are refused.
func Parse(r io.Reader) ([]Row, error) {
	var rows []Row
	seen := seenRows{id: map[string]int{}, key: map[string]int{}}
	err := Scan(r, func(row Row) error {
		if len(rows) >= MaxRows {
			return fmt.Errorf("%w: more than %d rows", ErrBadManifest, MaxRows)
		}
		if err := seen.add(row); err != nil {
			return err
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
// batches of a million rows; the caller checks duplicates). fn's error stops
// the scan.
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
	col, err := parseHeader(header)
	if err != nil {
		return err
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
		row, err := col.row(rec, line)
		if err != nil {
			return err
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

// columns maps a manifest's column names (KZ_* in upper case, the others in
// lower case) to their index.
type columns map[string]int

// parseHeader reads the header: known columns and KZ_* ones, each once, the
// required ones present.
func parseHeader(header []string) (columns, error) {
	col := columns{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if strings.HasPrefix(h, "kz_") {
			h = strings.ToUpper(h)
		} else if !known[h] {
			return nil, fmt.Errorf("%w: unknown column %q (known: file, doc_hash, type, holder_id, valid_until, valid_from, id, serial, version, holder_name, name, issue_date)", ErrBadManifest, h)
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("%w: column %q twice", ErrBadManifest, h)
		}
		col[h] = i
	}
	for _, h := range required {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("%w: missing column %q", ErrBadManifest, h)
		}
	}
	_, hasFile := col["file"]
	_, hasHash := col["doc_hash"]
	if !hasFile && !hasHash {
		return nil, fmt.Errorf("%w: missing column \"file\" (or \"doc_hash\")", ErrBadManifest)
	}
	return col, nil
}

func (col columns) get(rec []string, name string) string {
	i, ok := col[name]
	if !ok {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// row builds the Row of record rec on line line and checks that the columns its
// kind (v1 or v2) needs are filled and the v2-only ones empty in a v1 row.
func (col columns) row(rec []string, line int) (Row, error) {
	row := Row{
		Line:       line,
		File:       col.get(rec, "file"),
		DocHash:    col.get(rec, "doc_hash"),
		Type:       col.get(rec, "type"),
		HolderID:   col.get(rec, "holder_id"),
		ValidFrom:  col.get(rec, "valid_from"),
		ValidUntil: col.get(rec, "valid_until"),
		ID:         col.get(rec, "id"),
		Serial:     col.get(rec, "serial"),
		Version:    col.get(rec, "version"),
		HolderName: col.get(rec, "holder_name"),
		Name:       col.get(rec, "name"),
		IssueDate:  col.get(rec, "issue_date"),
	}
	for name := range col {
		if v := col.get(rec, name); strings.HasPrefix(name, "KZ_") && v != "" {
			if row.Extensions == nil {
				row.Extensions = map[string]string{}
			}
			row.Extensions[name] = v
		}
	}
	need := append([]string{}, required...)
	if row.V2() {
		need = append(need, "serial", "holder_name")
	} else {
		need = append(need, "valid_until")
	}
	for _, h := range need {
		if col.get(rec, h) == "" {
			return Row{}, fmt.Errorf("%w: line %d: %s is empty", ErrBadManifest, line, h)
		}
	}
	switch {
	case row.File == "" && row.DocHash == "":
		return Row{}, fmt.Errorf("%w: line %d: give file or doc_hash", ErrBadManifest, line)
	case row.File != "" && row.DocHash != "":
		return Row{}, fmt.Errorf("%w: line %d: give file or doc_hash, not both", ErrBadManifest, line)
	case row.DocHash != "" && !wire.ValidHash(row.DocHash):
		return Row{}, fmt.Errorf("%w: line %d: doc_hash must be 64 lowercase hex characters (SM3)", ErrBadManifest, line)
	}
	if !row.V2() && (row.Serial != "" || row.HolderName != "" || row.Version != "" || row.Name != "" || row.IssueDate != "" || len(row.Extensions) > 0) {
		return Row{}, fmt.Errorf("%w: line %d: serial, version, holder_name, name, issue_date and KZ_* are for v2 rows (type a catalogue type code)", ErrBadManifest, line)
	}
	return row, nil
}

// seenRows refuses a row whose id, or (without an id) whose Key, an earlier row has.
type seenRows struct{ id, key map[string]int }

func (s seenRows) add(row Row) error {
	if row.ID != "" {
		if prev, dup := s.id[row.ID]; dup {
			return fmt.Errorf("%w: line %d: id %q already on line %d", ErrBadManifest, row.Line, row.ID, prev)
		}
		s.id[row.ID] = row.Line
		return nil
	}
	k := row.Key()
	if prev, dup := s.key[k]; dup {
		if row.V2() {
			return fmt.Errorf("%w: line %d: same type, serial and version as line %d", ErrBadManifest, row.Line, prev)
		}
		return fmt.Errorf("%w: line %d: same file, type and validity as line %d (add an id column)", ErrBadManifest, row.Line, prev)
	}
	s.key[k] = row.Line
	return nil
}

// Key identifies a row across runs (for resuming): its id if it has one, a v2 row's
// type, serial and version, else its file, type and validity. It holds no personal data.
func (r Row) Key() string {
	if r.ID != "" {
		return "id:" + r.ID
	}
	if r.V2() {
		v := r.Version
		if v == "" {
			v = "001"
		}
		return "v2:" + r.Type + "\x00" + r.Serial + "\x00" + v
	}
	return "row:" + r.File + r.DocHash + "\x00" + r.Type + "\x00" + r.ValidFrom + "\x00" + r.ValidUntil
}
