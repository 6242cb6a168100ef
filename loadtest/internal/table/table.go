// Package table is the load tool's one output table: a title, a header, rows
// and notes, written as aligned text or as a Markdown table.
package table

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Format is how a table is written.
type Format string

// Formats.
const (
	Text     Format = "text"
	Markdown Format = "markdown"
)

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Text, Markdown:
		return f, nil
	}
	return "", fmt.Errorf("format %q: want text or markdown", s)
}

// Table is one table of figures.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Notes  []string
}

// New returns an empty table.
func New(title string, header ...string) *Table { return &Table{Title: title, Header: header} }

// Add appends a row; missing cells are left empty.
func (t *Table) Add(cells ...string) { t.Rows = append(t.Rows, cells) }

// Note appends a line printed under the table.
func (t *Table) Note(format string, a ...any) { t.Notes = append(t.Notes, fmt.Sprintf(format, a...)) }

// Write writes t to w in format f, followed by a blank line.
func (t *Table) Write(w io.Writer, f Format) error {
	if t.Title != "" {
		fmt.Fprintf(w, "%s\n", t.Title)
		if f == Markdown {
			fmt.Fprintln(w)
		}
	}
	if f == Markdown {
		t.markdown(w)
	} else if err := t.text(w); err != nil {
		return err
	}
	if f == Markdown && len(t.Notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range t.Notes {
		fmt.Fprintln(w, n)
	}
	_, err := fmt.Fprintln(w)
	return err
}

func (t *Table) text(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range append([][]string{t.Header}, t.Rows...) {
		fmt.Fprintf(tw, "  %s\n", strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func (t *Table) markdown(w io.Writer) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(t.Header, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(t.Header)))
	for _, r := range t.Rows {
		cells := append(r, make([]string, max(0, len(t.Header)-len(r)))...)
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}

// Ms is d in milliseconds with two decimals ("-" for 0).
func Ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}

// Dur is d rounded to a readable precision ("-" for 0).
func Dur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// Int formats n.
func Int(n int) string { return fmt.Sprint(n) }

// Rate formats a per-second figure without decimals.
func Rate(f float64) string { return fmt.Sprintf("%.0f", f) }
