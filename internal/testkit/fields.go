package testkit

import (
	"errors"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// FieldErrors fails t unless err is an INVALID_ARGUMENT holding wire.FieldErrors
// (what every domain Validate returns) and returns them with the names of the
// fields, in order, joined by commas.
func FieldErrors(t testing.TB, err error) (wire.FieldErrors, string) {
	t.Helper()
	var fe wire.FieldErrors
	if !errors.As(err, &fe) || !errors.Is(err, codes.ErrInvalidArgument) {
		t.Fatalf("got %v (%T), want INVALID_ARGUMENT field errors", err, err)
	}
	names := make([]string, len(fe))
	for i, e := range fe {
		names[i] = e.Field
	}
	return fe, strings.Join(names, ",")
}
