package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// Body is a request body for a test's HTTP call: nil for none, a string sent
// as is, any other value encoded as JSON (failing the test when it cannot be).
func Body(t testing.TB, body any) io.Reader {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.NewReader(j)
	}
}
