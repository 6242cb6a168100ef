package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/gm"
)

// batchFile builds a batch file of n records of dept-a and its anchored header.
func batchFile(t *testing.T, id string, n int) ([]byte, batch.Anchored) {
	t.Helper()
	var buf bytes.Buffer
	w := batch.NewWriter(&buf, "dept-a", keyA)
	for i := 0; i < n; i++ {
		r := batch.Record{ID: fmt.Sprintf("%s-%03d", id, i), DocHash: gm.SM3Hex([]byte(fmt.Sprint(id, i))), Type: "business-licence", Issuer: "dept-a",
			HolderCommitment: commitA, ValidFrom: "2026-11-28T00:00:00Z", KeyID: keyA}
		if err := w.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	h := batch.Header{ID: id, Issuer: "dept-a", KeyID: keyA, Root: s.Root, Count: s.Count, FileHash: s.FileHash,
		WindowFrom: "2026-11-28T11:00:00Z", WindowUntil: "2026-11-29T11:00:00Z", RecordKind: batch.RecordKindV1, Types: s.Types, Signature: sigB64}
	return buf.Bytes(), batch.Anchored{Header: h, AnchoredAt: "2026-11-28T12:00:00Z", TxID: "tx-" + id}
}

// anchorFake answers batch:Get from the headers given.
func anchorFake(e *env, anchored ...batch.Anchored) {
	byID := map[string]batch.Anchored{}
	for _, a := range anchored {
		byID[a.ID] = a
	}
	e.fake.On("batch:Get", func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		a, ok := byID[args[0]]
		if !ok {
			return nil, nil, fmt.Errorf("chaincode response 500, NOT_FOUND: batch %s", args[0]) //nolint:errorlint // mimics Fabric: only text crosses
		}
		b, _ := json.Marshal(a)
		return b, nil, nil
	})
}

func rng(start, end, total int) string { return fmt.Sprintf("bytes %d-%d/%d", start, end, total) }

func TestBatchUploadChunkedAndResumed(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.BatchDir = t.TempDir() })
	data, a := batchFile(t, "b-1", 30) // ~11 kB: three chunks under the 4 kB body limit
	anchorFake(e, a)
	total := len(data)
	put := func(start, end int, hdr ...string) resp {
		return e.do("PUT", "/api/v1/batches/b-1/file", aClerk, string(data[start:end+1]), append([]string{"Content-Range", rng(start, end, total)}, hdr...)...)
	}
	if r := e.do("PUT", "/api/v1/batches/b-1/file", aClerk, "x", "Content-Range", "bytes 0-/9"); r.status != 400 {
		t.Fatalf("malformed Content-Range: %d %s", r.status, r.body)
	}
	if r := put(0, 3999); r.status != 202 || r.header.Get("Upload-Offset") != "4000" {
		t.Fatalf("first chunk: %d %s", r.status, r.body)
	}
	// A resent first chunk is out of step: 409 and where to resume.
	if r := put(0, 3999); r.status != 409 || r.header.Get("Upload-Offset") != "4000" {
		t.Fatalf("stale chunk: %d %s %v", r.status, r.body, r.header)
	}
	if r := e.do("GET", "/api/v1/batches/b-1/upload", aClerk, nil); r.status != 200 || r.json(t)["offset"] != float64(4000) {
		t.Fatalf("upload status: %d %s", r.status, r.body)
	}
	if r := put(4000, 7999); r.status != 202 {
		t.Fatalf("second chunk: %d %s", r.status, r.body)
	}
	r := put(8000, total-1)
	if r.status != 201 || r.json(t)["fileHash"] != a.FileHash {
		t.Fatalf("last chunk: %d %s", r.status, r.body)
	}
	// Stored: served back byte for byte, and GET says so.
	if r := e.do("GET", "/api/v1/batches/b-1/file", "", nil); r.status != 200 || !bytes.Equal(r.body, data) {
		t.Fatalf("download: %d (%d bytes)", r.status, len(r.body))
	}
	if r := e.do("GET", "/api/v1/batches/b-1", "", nil); r.status != 200 || !strings.Contains(string(r.body), `"stored":true`) {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
}

func TestBatchUploadRefusals(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.BatchDir = t.TempDir() })
	data, a := batchFile(t, "b-2", 5)
	anchorFake(e, a)
	lines := bytes.SplitAfter(data, []byte("\n"))
	dropped := bytes.Join(append(append([][]byte{}, lines[:2]...), lines[3:]...), nil)
	r := e.do("PUT", "/api/v1/batches/b-2/file", aClerk, string(dropped), "Content-Range", rng(0, len(dropped)-1, len(dropped)))
	if r.status != 400 || !strings.Contains(string(r.body), "records") {
		t.Fatalf("a record dropped: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/batches/b-2/upload", aClerk, nil); r.json(t)["offset"] != float64(0) {
		t.Fatalf("the bad staged file was kept: %s", r.body)
	}
	// Not anchored: staged, then finished with "bytes */TOTAL" once it is.
	data3, a3 := batchFile(t, "b-3", 3)
	r = e.do("PUT", "/api/v1/batches/b-3/file", aClerk, string(data3), "Content-Range", rng(0, len(data3)-1, len(data3)))
	if r.status != 404 {
		t.Fatalf("not anchored: %d %s", r.status, r.body)
	}
	anchorFake(e, a, a3)
	r = e.do("PUT", "/api/v1/batches/b-3/file", aClerk, "", "Content-Range", fmt.Sprintf("bytes */%d", len(data3)))
	if r.status != 201 {
		t.Fatalf("finish after anchoring: %d %s", r.status, r.body)
	}
	// No token: 401. No store configured: 503.
	if r := e.do("PUT", "/api/v1/batches/b-2/file", "", "x", "Content-Range", rng(0, 0, 1)); r.status != 401 {
		t.Fatalf("anonymous upload: %d", r.status)
	}
	e2 := newEnv(t, nil)
	if r := e2.do("PUT", "/api/v1/batches/b-2/file", aClerk, "x", "Content-Range", rng(0, 0, 1)); r.status != 503 {
		t.Fatalf("no store: %d %s", r.status, r.body)
	}
}

func TestAnchorAndGroupInput(t *testing.T) {
	e := newEnv(t, nil)
	_, a := batchFile(t, "b-4", 2)
	e.fake.On("batch:Anchor", func(_, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
		return []byte(args[0]), nil, nil
	})
	e.fake.On("certificate:IssueGroup", func(_, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
		return []byte(`{"txId":"` + tx + `","issued":1,"replay":0,"refused":0,"results":[{"id":"c-1","outcome":"issued"}]}`), nil, nil
	})
	if r := e.do("POST", "/api/v1/batches", aClerk, a.Header); r.status != 201 {
		t.Fatalf("anchor: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/batches", bClerk, a.Header); r.status != 403 {
		t.Fatalf("anchor by another department: %d %s", r.status, r.body)
	}
	bad := a.Header
	bad.Count = 0
	if r := e.do("POST", "/api/v1/batches", aClerk, bad); r.status != 400 || !strings.Contains(string(r.body), "count") {
		t.Fatalf("bad header: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/certificates/groups", aClerk, map[string]any{"records": []any{}}); r.status != 400 {
		t.Fatalf("empty group: %d %s", r.status, r.body)
	}
	r := e.do("POST", "/api/v1/certificates/groups", aClerk, map[string]any{"records": []any{certRecord("c-1", "dept-a")}})
	if r.status != 200 || !strings.Contains(string(r.body), `"outcome":"issued"`) {
		t.Fatalf("group: %d %s", r.status, r.body)
	}
	// A batched status change names the same batch and certificate in path and body.
	leaf := map[string]any{"record": map[string]any{"id": "c-9", "issuer": "dept-a"}, "proof": map[string]any{"batchId": "b-4", "index": 0, "size": 2, "path": []string{}}}
	body := map[string]any{"certificateId": "c-9", "action": "revoke", "reason": "fraud", "keyId": keyA, "prevTxId": "tx-b-4", "signature": sigB64, "batched": leaf}
	if r := e.do("POST", "/api/v1/batches/b-5/certificates/c-9/revoke", aClerk, body); r.status != 400 {
		t.Fatalf("batch id mismatch: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/batches/b-4/certificates/c-9/revoke", bClerk, body); r.status != 403 {
		t.Fatalf("another department: %d %s", r.status, r.body)
	}
}
