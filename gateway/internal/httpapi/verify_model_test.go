package httpapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/internal/trustsvc"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/receipt"
)

// fakeModel answers while serving is true, else fails as a lagging read model does.
type fakeModel struct {
	serving bool
	asked   []certificate.Query
}

func (f *fakeModel) AppendVerifyJSON(dst []byte, q certificate.Query, _ time.Time) ([]byte, error) {
	f.asked = append(f.asked, q)
	if !f.serving {
		return nil, errors.New("read model is behind the ledger")
	}
	return append(dst, `{"verdict":"VALID","height":41,"source":"readModel"}`+"\n"...), nil
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

// batchModel is a read model that also builds receipts of batched certificates.
type batchModel struct {
	fakeModel
}

func (b *batchModel) BatchReceipt(id string) (*receipt.Receipt, bool, error) {
	switch id {
	case "bt-1":
		return &receipt.Receipt{Version: receipt.Version, Batch: &receipt.Batched{Record: batch.Record{ID: "bt-1", DocHash: hashA}},
			IssuedAt: "2026-11-28T12:00:00Z", Holder: json.RawMessage(`{}`)}, true, nil
	case "bt-err":
		return nil, false, errors.New("the store broke")
	}
	return nil, false, nil
}

// TestBatchedReceiptFromTheModel: the receipt of a batched certificate comes
// from the read model with the gateway's pin and verify link; without a pin it
// is a 501 that says why; a certificate of no batch, or a model error, goes the
// ledger way.
func TestBatchedReceiptFromTheModel(t *testing.T) {
	pin := strings.Repeat("ab", 32)
	for _, withPin := range []bool{false, true} {
		e := newEnv(t, func(o *Options) {
			o.VerifyModel = &batchModel{fakeModel{serving: true}}
			o.PublicURL = "https://gw.example"
			if withPin {
				st, err := trustsvc.Open(filepath.Join(t.TempDir(), "trust.json"), pin)
				if err != nil {
					t.Fatal(err)
				}
				o.Trust = st
			}
		})
		r := e.do("GET", "/api/v1/certificates/bt-1/receipt", "", nil)
		if !withPin {
			if r.status != http.StatusNotImplemented || !strings.Contains(string(r.body), "trust.pin") {
				t.Fatalf("without a pin: %d %s", r.status, r.body)
			}
			continue
		}
		got := r.json(t)
		if r.status != 200 || got["version"] != receipt.Version || got["bundleFingerprint"] != pin ||
			got["verifyUrl"] != "https://gw.example/verify?hash="+hashA+"&id=bt-1" {
			t.Fatalf("batched receipt: %d %s", r.status, r.body)
		}
		for _, id := range []string{"c-1", "bt-err"} {
			if r := e.do("GET", "/api/v1/certificates/"+id+"/receipt", "", nil); r.status == 200 || strings.Contains(string(r.body), "trust.pin") {
				t.Fatalf("%s: %d %s", id, r.status, r.body)
			}
		}
	}
}

// takenModel is a read model that already knows the certificate ids in taken.
type takenModel struct {
	fakeModel
	taken map[string]bool
}

func (m *takenModel) TakenIDs(_ string, r io.Reader, limit int) ([]string, int, error) {
	var out []string
	n := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var rec batch.Record
		if json.Unmarshal(sc.Bytes(), &rec) == nil && m.taken[rec.ID] {
			if n++; len(out) < limit {
				out = append(out, rec.ID)
			}
		}
	}
	return out, n, sc.Err()
}

// TestAnchorRefusesTakenIDs: a batch whose file, staged before the anchoring,
// holds an id the read model knows (on the ledger or in another batch) is
// refused with a 409 naming it, and nothing is anchored; without a staged file,
// or without such ids, it anchors.
func TestAnchorRefusesTakenIDs(t *testing.T) {
	m := &takenModel{fakeModel: fakeModel{serving: true}, taken: map[string]bool{"b-4-001": true, "b-4-003": true}}
	e := newEnv(t, func(o *Options) { o.BatchDir = t.TempDir(); o.VerifyModel = m })
	b := batchFile(t, "b-4", 5)
	r := e.do("PUT", "/api/v1/batches/b-4/file", aClerk, string(b.data), "Content-Range", rng(0, len(b.data)-1, len(b.data)))
	if r.status != 404 || !strings.Contains(string(r.body), "not anchored") {
		t.Fatalf("staging before the anchoring: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/batches", aClerk, b.header)
	if r.status != http.StatusConflict || !strings.Contains(string(r.body), "2 certificate id(s)") || !strings.Contains(string(r.body), "b-4-001, b-4-003") {
		t.Fatalf("anchoring a batch with taken ids: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/batches/b-4", "", nil); r.status != http.StatusNotFound {
		t.Fatalf("anchored anyway: %d %s", r.status, r.body)
	}
	// The same file once the ids are free anchors, and the staged upload finishes.
	m.taken = nil
	e.anchor(&b, "")
	if r := e.do("PUT", "/api/v1/batches/b-4/file", aClerk, "", "Content-Range", fmt.Sprintf("bytes */%d", len(b.data))); r.status != 201 {
		t.Fatalf("finishing the upload: %d %s", r.status, r.body)
	}
	// Nothing staged: nothing to check.
	m.taken = map[string]bool{"b-5-000": true}
	b5 := batchFile(t, "b-5", 2)
	e.anchor(&b5, "b-4")
}
