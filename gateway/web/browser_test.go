package web_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/certledger/certledger/gateway/web"
	"github.com/certledger/certledger/gateway/web/webtest"
)

// fakeLedger answers GET /api/v1/verify from a table, like the gateway would.
type fakeLedger struct {
	byID   map[string]map[string]string // id → certificate
	byHash map[string][]string          // docHash → ids

	mu       sync.Mutex
	requests []string // "METHOD URI len(body)" of every request the server saw
}

func (f *fakeLedger) add(id, hash, status string) {
	f.byID[id] = map[string]string{
		"id": id, "docHash": hash, "type": "business-licence", "issuer": "dept-market",
		"holderCommitment": strings.Repeat("c", 64), "validFrom": "2026-01-01T00:00:00Z",
		"validUntil": "2030-01-01T00:00:00Z", "keyId": strings.Repeat("k", 64), "supersedes": "",
		"status": status, "issuedAt": "2026-01-01T00:00:05Z", "txId": strings.Repeat("7", 64),
	}
	f.byHash[hash] = append(f.byHash[hash], id)
}

type step struct {
	Step   int    `json:"step"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeLedger) verify(w http.ResponseWriter, r *http.Request) {
	id, hash := r.URL.Query().Get("id"), r.URL.Query().Get("hash")
	if id == "c-ratelimit" {
		w.Header().Set("Retry-After", "7")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"code": "RATE_LIMITED", "message": "too many verify requests from this address"})
		return
	}
	if hash == strings.Repeat("f", 64) { // a gateway may answer "not found" as a 404 error
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "NOT_FOUND", "message": "no certificate for this hash"})
		return
	}
	if (id == "" && hash == "") || (hash != "" && len(hash) != 64) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "INVALID_ARGUMENT", "message": "hash must be 64 lowercase hex"})
		return
	}
	steps := []step{
		{1, "format", "pass", "OK", ""},
		{2, "hash", "skipped", "CLIENT_SIDE", "the client hashes the file"},
	}
	var ids []string
	if id != "" {
		if _, ok := f.byID[id]; ok {
			ids = []string{id}
		}
	} else {
		ids = f.byHash[hash]
	}
	res := map[string]any{"checkedAt": time.Now().UTC().Format(time.RFC3339), "matches": ids, "issuerKey": ""}
	if len(ids) == 0 {
		res["verdict"] = "NOT_FOUND"
		res["steps"] = append(steps, step{3, "lookup", "fail", "NOT_FOUND", "no certificate for this hash or id"})
		writeJSON(w, http.StatusOK, res)
		return
	}
	c := f.byID[ids[0]]
	res["certificate"] = c
	if hash != "" && c["docHash"] != hash {
		res["verdict"] = "HASH_MISMATCH"
		res["steps"] = append(steps, step{3, "lookup", "fail", "HASH_MISMATCH", "certificate " + id + " is for another document"})
		writeJSON(w, http.StatusOK, res)
		return
	}
	steps = append(steps,
		step{3, "lookup", "pass", "OK", "found " + c["id"]},
		step{4, "merkle", "skipped", "NOT_BATCHED", "not in a batch"},
		step{5, "signature", "pass", "OK", "SM2 signature verifies"},
		step{6, "key", "pass", "OK", "key valid at issue time"})
	verdict := "VALID"
	switch c["status"] {
	case "revoked":
		verdict = "REVOKED"
		steps = append(steps, step{7, "status", "fail", "REVOKED", "revoked: document withdrawn"})
	case "superseded":
		verdict = "SUPERSEDED"
		steps = append(steps, step{7, "status", "fail", "SUPERSEDED", "superseded by " + c["supersededBy"]})
	default:
		steps = append(steps, step{7, "status", "pass", "OK", "valid"})
	}
	steps = append(steps, step{8, "validity", "pass", "OK", "2026-01-01 to 2030-01-01"})
	res["verdict"], res["steps"] = verdict, steps
	writeJSON(w, http.StatusOK, res)
}

func gm3(b []byte) string {
	sum := sm3.Sum(b)
	return hex.EncodeToString(sum[:])
}

func writeRandom(t *testing.T, path string, n int, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		copy(b[i:], w[:])
	}
	copy(b, "%PDF-1.7\n")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBrowser drives the real page in headless Chromium against a fake ledger API.
func TestBrowser(t *testing.T) {
	t.Parallel()
	b := webtest.New(t)
	dir := t.TempDir()
	genuine := filepath.Join(dir, "licence.pdf")
	revoked := filepath.Join(dir, "revoked-permit.pdf")
	big := filepath.Join(dir, "big-scan.pdf")
	genuineData := writeRandom(t, genuine, 300_000, 1)
	writeRandom(t, revoked, 70_001, 2)
	writeRandom(t, big, 9<<20+12345, 3) // crosses sm3.js's 4 MiB read chunks

	f := &fakeLedger{byID: map[string]map[string]string{}, byHash: map[string][]string{}}
	f.add("c-genuine-1", webtest.FileSM3(t, genuine), "valid")
	f.add("c-revoked-1", webtest.FileSM3(t, revoked), "revoked")
	f.add("c-big-1", webtest.FileSM3(t, big), "valid")
	dropped := []byte("a licence dropped from the desktop\n")
	f.add("c-dropped-1", gm3(dropped), "valid")
	f.add("c-old-1", strings.Repeat("e", 64), "superseded")
	f.byID["c-old-1"]["supersededBy"] = "c-genuine-1"

	mux := http.NewServeMux()
	mux.Handle("/", web.Handler())
	mux.HandleFunc("GET /api/v1/verify", f.verify)
	var seen [][]byte // request bodies and URIs, to prove the file never left the browser
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		seen = append(seen, body.Bytes(), []byte(r.URL.RequestURI()))
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()

	webtest.RunSuite(t, b, srv.URL, webtest.Fixtures{GenuineFile: genuine, GenuineID: "c-genuine-1", RevokedFile: revoked})

	t.Run("large file streams and is VALID", func(t *testing.T) {
		r := b.VerifyFile(t, srv.URL+"/", big)
		webtest.ExpectVerdict(t, r, "VALID")
		if want := webtest.FileSM3(t, big); r.ComputedHash != want {
			t.Errorf("browser SM3 %s, Go SM3 %s", r.ComputedHash, want)
		}
	})
	t.Run("hash and id typed by hand", func(t *testing.T) {
		r := b.VerifyInput(t, srv.URL+"/", "c-revoked-1", "")
		webtest.ExpectVerdict(t, r, "REVOKED")
		if r.Certificate["id"] != "c-revoked-1" || r.Certificate["issuer"] != "dept-market" || r.Certificate["txId"] == "" {
			t.Errorf("certificate fields shown: %v", r.Certificate)
		}
		if _, ok := r.Certificate["holderCommitment"]; ok || strings.Contains(r.PageText, strings.Repeat("c", 64)) {
			t.Error("the holder commitment is shown")
		}
		r = b.VerifyInput(t, srv.URL+"/", "", strings.ToUpper(webtest.FileSM3(t, genuine)))
		webtest.ExpectVerdict(t, r, "VALID")
		r = b.VerifyInput(t, srv.URL+"/", "", strings.Repeat("0", 64))
		webtest.ExpectVerdict(t, r, "NOT_FOUND")
		if !strings.Contains(r.Text, "No certificate matches this hash") {
			t.Errorf("text %q", r.Text)
		}
	})
	t.Run("dropped file", func(t *testing.T) {
		r := b.DropFile(t, srv.URL+"/", "dropped.txt", dropped)
		webtest.ExpectVerdict(t, r, "VALID")
		if r.ComputedHash != gm3(dropped) || r.Certificate["id"] != "c-dropped-1" {
			t.Errorf("computed %s, certificate %v", r.ComputedHash, r.Certificate)
		}
	})
	t.Run("superseded links to its replacement", func(t *testing.T) {
		r := b.OpenLink(t, srv.URL+"/verify?id=c-old-1")
		webtest.ExpectVerdict(t, r, "SUPERSEDED")
		if r.NextLink != srv.URL+"/verify?id=c-genuine-1" {
			t.Errorf("link to the new certificate %q", r.NextLink)
		}
	})
	t.Run("404 NOT_FOUND error is a NOT_FOUND verdict", func(t *testing.T) {
		r := b.VerifyInput(t, srv.URL+"/", "", strings.Repeat("f", 64))
		webtest.ExpectVerdict(t, r, "NOT_FOUND")
	})
	t.Run("bad hash is refused before any request", func(t *testing.T) {
		r := b.VerifyInput(t, srv.URL+"/", "", "xyz")
		if r.State != "error" || !strings.Contains(r.Error, "64 hexadecimal") {
			t.Errorf("state %q error %q", r.State, r.Error)
		}
		webtest.ExpectNoProblems(t, r)
	})
	t.Run("rate limit is shown plainly", func(t *testing.T) {
		r := b.OpenLink(t, srv.URL+"/verify?id=c-ratelimit")
		if r.State != "error" || r.Verdict != "" || !strings.Contains(r.Error, "429") ||
			!strings.Contains(r.Error, "too many verify requests") || !strings.Contains(r.Error, "7 s") {
			t.Errorf("state %q verdict %q error %q", r.State, r.Verdict, r.Error)
		}
	})

	t.Run("the document never leaves the browser", func(t *testing.T) {
		f.mu.Lock()
		defer f.mu.Unlock()
		probe := genuineData[1000:1032] // any 32 bytes of the file
		for i, s := range seen {
			if bytes.Contains(s, probe) || len(s) > 4096 {
				t.Errorf("request %d carried file data (%d bytes)", i, len(s))
			}
		}
		for _, req := range f.requests {
			method, uri, _ := strings.Cut(req, " ")
			ok := method == "GET" && (uri == "/" || strings.HasPrefix(uri, "/verify?") ||
				strings.HasPrefix(uri, "/static/") || strings.HasPrefix(uri, "/api/v1/verify?")) ||
				(method == "HEAD" || method == "GET") && uri == "/api/v1/trust" // the governance fingerprint shown, the bundle kept for offline checks
			if !ok {
				t.Errorf("unexpected request %s", req)
			}
		}
	})
}

// TestBrowserGateway runs the same suite against a running gateway when
// CERTLEDGER_WEB_URL is set, with fixtures the gateway's ledger knows:
// CERTLEDGER_WEB_GENUINE_FILE (VALID certificate), CERTLEDGER_WEB_GENUINE_ID (its id) and
// CERTLEDGER_WEB_REVOKED_FILE (a revoked certificate's document).
func TestBrowserGateway(t *testing.T) {
	base := os.Getenv("CERTLEDGER_WEB_URL")
	if base == "" {
		t.Skip("SKIP: CERTLEDGER_WEB_URL not set; set it (and CERTLEDGER_WEB_GENUINE_FILE, CERTLEDGER_WEB_GENUINE_ID, CERTLEDGER_WEB_REVOKED_FILE) to drive a real gateway")
	}
	fx := webtest.Fixtures{
		GenuineFile: os.Getenv("CERTLEDGER_WEB_GENUINE_FILE"),
		GenuineID:   os.Getenv("CERTLEDGER_WEB_GENUINE_ID"),
		RevokedFile: os.Getenv("CERTLEDGER_WEB_REVOKED_FILE"),
	}
	if fx.GenuineFile == "" || fx.GenuineID == "" || fx.RevokedFile == "" {
		t.Fatal("CERTLEDGER_WEB_URL is set but CERTLEDGER_WEB_GENUINE_FILE, CERTLEDGER_WEB_GENUINE_ID or CERTLEDGER_WEB_REVOKED_FILE is not")
	}
	webtest.RunSuite(t, webtest.New(t), base, fx)
}
