//go:build !amd64 || purego || plugin

package sm2ec

import "errors"

// Available reports whether this build has the table-based multiplication:
// not on this architecture (or with the purego or plugin tags), where callers
// verify with gmsm's public API instead.
const Available = false

// Table is empty here: NewTable always fails.
type Table struct{}

// TableBytes is the size of a Table's data.
const TableBytes = 0

// NewTable returns an error: no table-based multiplication in this build.
func NewTable(point []byte) (*Table, error) {
	return nil, errors.New("sm2ec: no table-based multiplication in this build")
}

// CombinedMultX is never called when Available is false.
func (tab *Table) CombinedMultX(s, t *[32]byte) (x [32]byte, ok bool) {
	panic("sm2ec: not available in this build")
}

// CombinedMultXIs is never called when Available is false.
func (tab *Table) CombinedMultXIs(s, t *[32]byte, xs ...*[32]byte) bool {
	panic("sm2ec: not available in this build")
}
