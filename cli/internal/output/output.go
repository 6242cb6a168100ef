// Package output prints command results as JSON or as tables for a person.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Format is how results are printed.
type Format string

// The formats of --output.
const (
	JSON  Format = "json"
	Table Format = "table"
)

// ParseFormat checks a --output value.
func ParseFormat(s string) (Format, error) {
	switch Format(strings.ToLower(s)) {
	case JSON:
		return JSON, nil
	case Table, "":
		return Table, nil
	}
	return "", fmt.Errorf("unknown output format %q (want json or table)", s)
}

// Printer writes results in one format.
type Printer struct {
	W      io.Writer
	Format Format
}

// JSON writes v as indented JSON.
func (p Printer) JSON(v any) error {
	enc := json.NewEncoder(p.W)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Print writes v as JSON, or calls table to write it for a person.
func (p Printer) Print(v any, table func(t *Tab)) error {
	if p.Format == JSON {
		return p.JSON(v)
	}
	t := NewTab(p.W)
	table(t)
	return t.Flush()
}

// Tab aligns columns separated by tabs.
type Tab struct{ tw *tabwriter.Writer }

// NewTab returns a Tab writing to w.
func NewTab(w io.Writer) *Tab {
	return &Tab{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

// Row writes one row; empty cells print as "-".
func (t *Tab) Row(cols ...string) {
	for i, c := range cols {
		if c == "" {
			c = "-"
		}
		c = strings.ReplaceAll(c, "\t", " ")
		c = strings.ReplaceAll(c, "\n", " ")
		if i > 0 {
			fmt.Fprint(t.tw, "\t")
		}
		fmt.Fprint(t.tw, c)
	}
	fmt.Fprint(t.tw, "\n")
}

// KV writes "key:  value".
func (t *Tab) KV(k, v string) { t.Row(k+":", v) }

// Line writes a line that is not part of the columns (flushing first).
func (t *Tab) Line(s string) {
	_ = t.tw.Flush() // a write error shows again in the final Flush
	fmt.Fprintln(t.tw, s)
}

// Flush writes what is buffered.
func (t *Tab) Flush() error { return t.tw.Flush() }
