package httpapi

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/domain/certificate"
)

// fakeModel answers while serving is true, else fails as a lagging read model does.
type fakeModel struct {
	serving bool
	asked   []certificate.Query
}

func (f *fakeModel) VerifyJSON(q certificate.Query, _ time.Time) ([]byte, error) {
	f.asked = append(f.asked, q)
	if !f.serving {
		return nil, errors.New("read model is behind the ledger")
	}
	return []byte(`{"verdict":"VALID","height":41,"source":"readModel"}` + "\n"), nil
}

func (f *fakeModel) LedgerHeight() uint64 { return 42 }

func TestVerifyFromTheModelElseTheLedger(t *testing.T) {
	m := &fakeModel{serving: true}
	e := newEnv(t, func(o *Options) { o.VerifyModel = m })
	if r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-1", "dept-a")); r.status != http.StatusCreated {
		t.Fatalf("seed issue: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/api/v1/verify?id=c-1", "", nil)
	if got := r.json(t); r.status != 200 || got["source"] != "readModel" || got["height"] != float64(41) {
		t.Fatalf("from the model: %d %s", r.status, r.body)
	}
	if len(m.asked) != 1 || m.asked[0] != (certificate.Query{ID: "c-1"}) {
		t.Fatalf("asked %+v", m.asked)
	}
	// Lagging: the ledger answers, with the height it reflects at least.
	m.serving = false
	r = e.do("GET", "/api/v1/verify?id=c-1&hash="+hashA, "", nil)
	got := r.json(t)
	if r.status != 200 || got["source"] != "ledger" || got["height"] != float64(42) || got["verdict"] == nil {
		t.Fatalf("from the ledger: %d %s", r.status, r.body)
	}
	// Bad input never reaches either.
	if r := e.do("GET", "/api/v1/verify?id=bad%20id", "", nil); r.status != 400 || len(m.asked) != 2 {
		t.Fatalf("bad id: %d %s (model asked %d times)", r.status, r.body, len(m.asked))
	}
}
