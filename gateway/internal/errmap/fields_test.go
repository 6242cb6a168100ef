package errmap

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

func TestMapFieldErrors(t *testing.T) {
	var fe wire.FieldErrors
	fe.Add("docHash", "is required")
	fe.Add("validFrom", "is required (RFC 3339)")
	p := Map(fmt.Errorf("issuing: %w", fe.Err()))
	if p.Status != http.StatusBadRequest || p.Code != codes.InvalidArgument {
		t.Fatalf("%+v", p)
	}
	if p.Message != "docHash: is required; validFrom: is required (RFC 3339)" {
		t.Errorf("message %q", p.Message)
	}
	b, _ := json.Marshal(p)
	if !strings.Contains(string(b), `"fields":[{"field":"docHash","message":"is required"},{"field":"validFrom"`) {
		t.Errorf("body %s", b)
	}
	// Other errors carry no fields.
	b, _ = json.Marshal(Map(New(http.StatusMethodNotAllowed, MethodNotAllowed, "use GET")))
	if strings.Contains(string(b), "fields") {
		t.Errorf("body %s", b)
	}
}
