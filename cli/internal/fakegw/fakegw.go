// Package fakegw is an in-memory stand-in for the certledger gateway's REST API, for
// CLI tests. It checks what a real gateway and chaincode check on the paths the CLI
// uses (SM2 signatures over canonical payloads, key ownership, ids, prevTxId) so a
// test fails when the CLI sends something the ledger would refuse. Other command
// groups add their routes with Handle.
package fakegw

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
)

// Gateway is a fake gateway. Its fields may be changed by a test between calls
// (under no concurrent requests) or through the methods.
type Gateway struct {
	Server *httptest.Server
	URL    string

	mu      sync.Mutex
	mux     *http.ServeMux
	tokens  map[string]string // token -> department ("" = governance admin)
	depts   map[string]*client.Department
	certs   map[string]*client.Certificate
	history map[string][]client.HistoryEntry
	block   uint64
	tx      int
	now     func() time.Time

	// Calls counts requests by "METHOD /pattern".
	Calls map[string]int
	// IssueHook, if set, runs before an issue is stored; an error it returns is
	// sent as 500 without storing. After it returns nil the record is stored.
	IssueHook func(rec client.CertificateRecord) error
	// AfterIssueHook, if set, runs after an issue is stored; a non-nil error is sent
	// with AfterIssueStatus (default 503): the answer is lost but the write happened.
	AfterIssueHook   func(rec client.CertificateRecord) error
	AfterIssueStatus int
}

// New starts a fake gateway; call Close when done.
func New() *Gateway {
	g := &Gateway{
		mux:     http.NewServeMux(),
		tokens:  map[string]string{},
		depts:   map[string]*client.Department{},
		certs:   map[string]*client.Certificate{},
		history: map[string][]client.HistoryEntry{},
		Calls:   map[string]int{},
		now:     func() time.Time { return time.Now().UTC() },
	}
	g.routes()
	g.Server = httptest.NewServer(g)
	g.URL = g.Server.URL
	return g
}

// Close stops the server.
func (g *Gateway) Close() { g.Server.Close() }

// Handle adds a route (Go 1.22 pattern such as "GET /api/v1/tickets/{id}").
func (g *Gateway) Handle(pattern string, h http.HandlerFunc) {
	g.mux.HandleFunc(pattern, g.count(pattern, h))
}

// AddToken makes token act for dept ("" = governance administrator).
func (g *Gateway) AddToken(token, dept string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens[token] = dept
}

// AddDepartment registers a department with public keys (PEM) directly.
func (g *Gateway) AddDepartment(id, mspID string, pubPEMs ...string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	d := &client.Department{ID: id, Name: id, MSPID: mspID, Status: "active", Categories: []string{}}
	for _, p := range pubPEMs {
		k, err := g.newKey(p)
		if err != nil {
			return err
		}
		d.Keys = append(d.Keys, k)
	}
	g.depts[id] = d
	return nil
}

// Certificate returns a copy of a stored certificate.
func (g *Gateway) Certificate(id string) (client.Certificate, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.certs[id]
	if !ok {
		return client.Certificate{}, false
	}
	return *c, true
}

// CertificateCount is the number of stored certificates.
func (g *Gateway) CertificateCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.certs)
}

// CallCount returns how many requests hit pattern.
func (g *Gateway) CallCount(pattern string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.Calls[pattern]
}

// SetStatus changes a certificate's status directly (test set-up).
func (g *Gateway) SetStatus(id, status string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.certs[id]; ok {
		c.Status = status
	}
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(w, r) }

func (g *Gateway) count(pattern string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.Calls[pattern]++
		g.mu.Unlock()
		h(w, r)
	}
}

func (g *Gateway) routes() {
	g.Handle("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	g.Handle("POST /api/v1/departments", g.registerDept)
	g.Handle("GET /api/v1/departments", g.listDepts)
	g.Handle("GET /api/v1/departments/{id}", g.getDept)
	g.Handle("POST /api/v1/departments/{id}/keys", g.addKey)
	g.Handle("POST /api/v1/departments/{id}/keys/{keyId}/rotate", g.rotateKey)
	g.Handle("POST /api/v1/departments/{id}/keys/{keyId}/revoke", g.revokeKey)
	g.Handle("GET /api/v1/keys/{keyId}", g.getKey)
	g.Handle("POST /api/v1/certificates", g.issue)
	g.Handle("GET /api/v1/certificates", g.findByHash)
	g.Handle("GET /api/v1/certificates/{id}", g.getCert)
	g.Handle("GET /api/v1/certificates/{id}/history", g.certHistory)
	g.Handle("POST /api/v1/certificates/{id}/{action}", g.certAction)
	g.Handle("GET /api/v1/verify", g.verify)
}

// WriteError writes {"code","message"} with status.
func WriteError(w http.ResponseWriter, status int, code, format string, a ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": code, "message": fmt.Sprintf(format, a...)}) // headers are sent; a failed write has no one to tell
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // headers are sent; a failed write has no one to tell
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		WriteError(w, 400, "INVALID_ARGUMENT", "bad JSON body: %v", err)
		return false
	}
	return true
}

// caller returns the department of the bearer token; ok=false after writing 401.
func (g *Gateway) caller(w http.ResponseWriter, r *http.Request) (string, bool) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	dept, ok := g.tokens[tok]
	if !ok {
		WriteError(w, 401, "UNAUTHENTICATED", "missing or unknown bearer token")
		return "", false
	}
	return dept, true
}

func (g *Gateway) nextTx() (string, uint64) {
	g.tx++
	g.block++
	h := sha256.Sum256([]byte("tx" + strconv.Itoa(g.tx)))
	return hex.EncodeToString(h[:]), g.block
}

func (g *Gateway) ts() string { return g.now().Format(time.RFC3339) }

func (g *Gateway) newKey(pemText string) (client.Key, error) {
	pub, err := gm.ParsePublicKeyPEM([]byte(pemText))
	if err != nil {
		return client.Key{}, err
	}
	return client.Key{KeyID: gm.KeyID(pub), PublicKey: pemText, ValidFrom: g.ts()}, nil
}

func (g *Gateway) findKey(keyID string) (*client.Department, *client.Key) {
	for _, d := range g.depts {
		for i := range d.Keys {
			if d.Keys[i].KeyID == keyID {
				return d, &d.Keys[i]
			}
		}
	}
	return nil, nil
}

func (g *Gateway) registerDept(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	who, ok := g.caller(w, r)
	if !ok {
		return
	}
	if who != "" {
		WriteError(w, 403, "FORBIDDEN", "only the governance administrator registers departments")
		return
	}
	var in client.DepartmentInput
	if !decode(w, r, &in) {
		return
	}
	if _, dup := g.depts[in.ID]; dup {
		WriteError(w, 409, "CONFLICT", "department %s exists", in.ID)
		return
	}
	d := &client.Department{ID: in.ID, Name: in.Name, MSPID: in.MSPID, Parent: in.Parent, Categories: in.Categories, Status: "active", CreatedAt: g.ts(), UpdatedAt: g.ts()}
	for _, p := range in.PublicKeys {
		k, err := g.newKey(p)
		if err != nil {
			WriteError(w, 400, "INVALID_ARGUMENT", "public key: %v", err)
			return
		}
		d.Keys = append(d.Keys, k)
	}
	tx, blk := g.nextTx()
	d.TxID = tx
	g.depts[in.ID] = d
	WriteJSON(w, 201, client.WriteResult[client.Department]{TxID: tx, BlockNumber: blk, Record: *d})
}

func (g *Gateway) listDepts(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := []client.Department{}
	for _, d := range g.depts {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	WriteJSON(w, 200, out)
}

func (g *Gateway) getDept(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d, ok := g.depts[r.PathValue("id")]
	if !ok {
		WriteError(w, 404, "NOT_FOUND", "department %s", r.PathValue("id"))
		return
	}
	WriteJSON(w, 200, d)
}

// deptWrite checks the caller may change dept id (governance, or own dept if own).
func (g *Gateway) deptWrite(w http.ResponseWriter, r *http.Request, allowOwn bool) (*client.Department, bool) {
	who, ok := g.caller(w, r)
	if !ok {
		return nil, false
	}
	d, ok := g.depts[r.PathValue("id")]
	if !ok {
		WriteError(w, 404, "NOT_FOUND", "department %s", r.PathValue("id"))
		return nil, false
	}
	if who != "" && (!allowOwn || who != d.ID) {
		WriteError(w, 403, "FORBIDDEN", "not allowed for department %s", d.ID)
		return nil, false
	}
	return d, true
}

func (g *Gateway) addKey(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d, ok := g.deptWrite(w, r, false)
	if !ok {
		return
	}
	var in struct {
		PublicKey string `json:"publicKey"`
	}
	if !decode(w, r, &in) {
		return
	}
	k, err := g.newKey(in.PublicKey)
	if err != nil {
		WriteError(w, 400, "INVALID_ARGUMENT", "public key: %v", err)
		return
	}
	if od, _ := g.findKey(k.KeyID); od != nil {
		WriteError(w, 409, "CONFLICT", "key %s already registered", k.KeyID)
		return
	}
	d.Keys = append(d.Keys, k)
	g.deptDone(w, d)
}

func (g *Gateway) deptDone(w http.ResponseWriter, d *client.Department) {
	tx, blk := g.nextTx()
	d.TxID, d.UpdatedAt = tx, g.ts()
	WriteJSON(w, 200, client.WriteResult[client.Department]{TxID: tx, BlockNumber: blk, Record: *d})
}

func (g *Gateway) rotateKey(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d, ok := g.deptWrite(w, r, false)
	if !ok {
		return
	}
	var in struct {
		PublicKey string `json:"publicKey"`
	}
	if !decode(w, r, &in) {
		return
	}
	od, old := g.findKey(r.PathValue("keyId"))
	if old == nil || od != d {
		WriteError(w, 404, "NOT_FOUND", "key %s of department %s", r.PathValue("keyId"), d.ID)
		return
	}
	k, err := g.newKey(in.PublicKey)
	if err != nil {
		WriteError(w, 400, "INVALID_ARGUMENT", "public key: %v", err)
		return
	}
	old.RotatedAt = g.ts()
	d.Keys = append(d.Keys, k)
	g.deptDone(w, d)
}

func (g *Gateway) revokeKey(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d, ok := g.deptWrite(w, r, true)
	if !ok {
		return
	}
	var in struct {
		Reason      string `json:"reason"`
		EffectiveAt string `json:"effectiveAt"`
	}
	if !decode(w, r, &in) {
		return
	}
	od, k := g.findKey(r.PathValue("keyId"))
	if k == nil || od != d {
		WriteError(w, 404, "NOT_FOUND", "key %s of department %s", r.PathValue("keyId"), d.ID)
		return
	}
	k.RevokedAt, k.RevokeReason = in.EffectiveAt, in.Reason
	if k.RevokedAt == "" {
		k.RevokedAt = g.ts()
	}
	g.deptDone(w, d)
}

func (g *Gateway) getKey(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d, k := g.findKey(r.PathValue("keyId"))
	if k == nil {
		WriteError(w, 404, "NOT_FOUND", "key %s", r.PathValue("keyId"))
		return
	}
	WriteJSON(w, 200, client.KeyInfo{DepartmentID: d.ID, Key: *k})
}

// checkRecord runs the chaincode's issue checks; it returns status, code, message.
func (g *Gateway) checkRecord(who string, rec client.CertificateRecord) (int, string, string) {
	if err := gm.CheckHash(rec.DocHash); err != nil {
		return 400, "INVALID_ARGUMENT", err.Error()
	}
	if err := gm.CheckHash(rec.HolderCommitment); err != nil {
		return 400, "INVALID_ARGUMENT", err.Error()
	}
	if who != rec.Issuer {
		return 403, "FORBIDDEN", "token acts for " + who + ", record issuer is " + rec.Issuer
	}
	d, k := g.findKey(rec.KeyID)
	if k == nil || d.ID != rec.Issuer {
		return 403, "FORBIDDEN", "key " + rec.KeyID + " is not a key of " + rec.Issuer
	}
	if k.RevokedAt != "" || k.RotatedAt != "" {
		return 403, "FORBIDDEN", "key " + rec.KeyID + " is not valid now"
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(k.PublicKey))
	if err != nil {
		return 500, "INTERNAL", err.Error()
	}
	if err := verifyRecord(pub, rec); err != nil {
		return 400, "BAD_SIGNATURE", err.Error()
	}
	return 0, "", ""
}

func (g *Gateway) store(c *client.Certificate) (string, uint64) {
	tx, blk := g.nextTx()
	c.TxID, c.UpdatedAt = tx, g.ts()
	g.certs[c.ID] = c
	b, _ := json.Marshal(c)
	g.history[c.ID] = append([]client.HistoryEntry{{TxID: tx, Timestamp: g.ts(), Record: b}}, g.history[c.ID]...)
	return tx, blk
}

func (g *Gateway) issue(w http.ResponseWriter, r *http.Request) {
	var rec client.CertificateRecord
	if !decode(w, r, &rec) {
		return
	}
	g.issueOrSupersede(w, r, rec, "")
}

func (g *Gateway) issueOrSupersede(w http.ResponseWriter, r *http.Request, rec client.CertificateRecord, old string) {
	g.mu.Lock()
	who, ok := g.caller(w, r)
	if !ok {
		g.mu.Unlock()
		return
	}
	if cur, dup := g.certs[rec.ID]; dup {
		g.mu.Unlock()
		if cur.Record == rec {
			WriteJSON(w, 200, client.WriteResult[client.Certificate]{TxID: cur.TxID, BlockNumber: 1, Record: *cur})
			return
		}
		WriteError(w, 409, "CONFLICT", "certificate %s exists", rec.ID)
		return
	}
	if st, code, msg := g.checkRecord(who, rec); st != 0 {
		g.mu.Unlock()
		WriteError(w, st, code, "%s", msg)
		return
	}
	if old != "" {
		oc, ok := g.certs[old]
		if !ok {
			g.mu.Unlock()
			WriteError(w, 404, "NOT_FOUND", "certificate %s", old)
			return
		}
		if rec.Supersedes != old || oc.Issuer != rec.Issuer {
			g.mu.Unlock()
			WriteError(w, 400, "INVALID_ARGUMENT", "supersedes must be %s, by its issuer", old)
			return
		}
	}
	hook := g.IssueHook
	g.mu.Unlock()
	if hook != nil {
		if err := hook(rec); err != nil {
			WriteError(w, 500, "INTERNAL", "%v", err)
			return
		}
	}
	g.mu.Lock()
	if _, dup := g.certs[rec.ID]; dup {
		g.mu.Unlock()
		WriteError(w, 409, "CONFLICT", "certificate %s exists", rec.ID)
		return
	}
	c := &client.Certificate{Record: rec, Status: "valid", IssuedAt: g.ts()}
	tx, blk := g.store(c)
	if old != "" {
		oc := g.certs[old]
		oc.Status, oc.SupersededBy = "superseded", rec.ID
		g.store(oc)
	}
	out := *c
	after, st := g.AfterIssueHook, g.AfterIssueStatus
	g.mu.Unlock()
	if st == 0 {
		st = 503
	}
	if after != nil {
		if err := after(rec); err != nil {
			WriteError(w, st, "UNAVAILABLE", "%v", err)
			return
		}
	}
	WriteJSON(w, 201, client.WriteResult[client.Certificate]{TxID: tx, BlockNumber: blk, Channel: "certledger", Record: out})
}

func (g *Gateway) getCert(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.certs[r.PathValue("id")]
	if !ok {
		WriteError(w, 404, "NOT_FOUND", "certificate %s", r.PathValue("id"))
		return
	}
	WriteJSON(w, 200, c)
}

func (g *Gateway) findByHash(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	h := r.URL.Query().Get("hash")
	if err := gm.CheckHash(h); err != nil {
		WriteError(w, 400, "INVALID_ARGUMENT", "%v", err)
		return
	}
	out := []client.Certificate{}
	for _, c := range g.certs {
		if c.DocHash == h {
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	WriteJSON(w, 200, out)
}

func (g *Gateway) certHistory(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	h, ok := g.history[r.PathValue("id")]
	if !ok {
		WriteError(w, 404, "NOT_FOUND", "certificate %s", r.PathValue("id"))
		return
	}
	WriteJSON(w, 200, h)
}

func (g *Gateway) certAction(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	if action == "supersede" {
		var rec client.CertificateRecord
		if !decode(w, r, &rec) {
			return
		}
		g.issueOrSupersede(w, r, rec, r.PathValue("id"))
		return
	}
	next := map[string]string{"revoke": "revoked", "suspend": "suspended", "reinstate": "valid"}[action]
	if next == "" {
		WriteError(w, 404, "NOT_FOUND", "no action %s", action)
		return
	}
	var req client.StatusRequest
	if !decode(w, r, &req) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	who, ok := g.caller(w, r)
	if !ok {
		return
	}
	c, ok := g.certs[r.PathValue("id")]
	if !ok || req.CertificateID != c.ID || req.Action != action {
		WriteError(w, 404, "NOT_FOUND", "certificate %s", r.PathValue("id"))
		return
	}
	if who != c.Issuer {
		WriteError(w, 403, "FORBIDDEN", "only the issuer %s may %s", c.Issuer, action)
		return
	}
	if req.PrevTxID != c.TxID {
		WriteError(w, 409, "CONFLICT", "prevTxId %s is not the last write %s", req.PrevTxID, c.TxID)
		return
	}
	d, k := g.findKey(req.KeyID)
	if k == nil || d.ID != c.Issuer {
		WriteError(w, 403, "FORBIDDEN", "key %s is not a key of %s", req.KeyID, c.Issuer)
		return
	}
	pub, _ := gm.ParsePublicKeyPEM([]byte(k.PublicKey))
	if err := canon.Verify(pub, canon.KindCertificateStatus, req, req.Signature); err != nil {
		WriteError(w, 400, "BAD_SIGNATURE", "%v", err)
		return
	}
	allowed := map[string][]string{"revoke": {"valid", "suspended"}, "suspend": {"valid"}, "reinstate": {"suspended"}}[action]
	okT := false
	for _, s := range allowed {
		okT = okT || s == c.Status
	}
	if !okT {
		WriteError(w, 409, "ILLEGAL_TRANSITION", "cannot %s a %s certificate", action, c.Status)
		return
	}
	c.Status, c.StatusReason = next, req.Reason
	tx, blk := g.store(c)
	WriteJSON(w, 200, client.WriteResult[client.Certificate]{TxID: tx, BlockNumber: blk, Record: *c})
}

func (g *Gateway) verify(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id, h := r.URL.Query().Get("id"), r.URL.Query().Get("hash")
	step := func(n int, name, status, code, detail string) client.Step {
		return client.Step{Step: n, Name: name, Status: status, Code: code, Detail: detail}
	}
	res := client.VerifyResult{CheckedAt: g.ts()}
	if h != "" && gm.CheckHash(h) != nil || id == "" && h == "" {
		res.Verdict = "BAD_FORMAT"
		res.Steps = []client.Step{step(1, "format", "fail", "BAD_FORMAT", "give id or a 64-hex hash")}
		WriteJSON(w, 200, res)
		return
	}
	res.Steps = append(res.Steps, step(1, "format", "pass", "", ""), step(2, "hash", "skipped", "", "the client hashes"))
	var c *client.Certificate
	if id != "" {
		c = g.certs[id]
	} else {
		var ids []string
		for _, x := range g.certs {
			if x.DocHash == h {
				ids = append(ids, x.ID)
			}
		}
		sort.Strings(ids)
		res.Matches = ids
		if len(ids) > 0 {
			c = g.certs[ids[len(ids)-1]]
		}
	}
	fail := func(n int, name, code, detail string) {
		res.Steps = append(res.Steps, step(n, name, "fail", code, detail))
		res.Verdict = code
		WriteJSON(w, 200, res)
	}
	if c == nil || (h != "" && c.DocHash != h) {
		fail(3, "lookup", "NOT_FOUND", "no certificate matches")
		return
	}
	cc := *c
	res.Certificate = &cc
	res.Steps = append(res.Steps, step(3, "lookup", "pass", "", c.ID), step(4, "merkle", "skipped", "", "not batched"))
	_, k := g.findKey(c.KeyID)
	if k == nil {
		fail(5, "signature", "KEY_INVALID", "unknown key")
		return
	}
	pub, _ := gm.ParsePublicKeyPEM([]byte(k.PublicKey))
	if err := verifyRecord(pub, c.Record); err != nil {
		fail(5, "signature", "BAD_SIGNATURE", err.Error())
		return
	}
	res.Steps = append(res.Steps, step(5, "signature", "pass", "", ""))
	res.IssuerKey = k
	if k.RevokedAt != "" && k.RevokeReason == "compromised" {
		fail(6, "key", "KEY_INVALID", "key compromised")
		return
	}
	res.Steps = append(res.Steps, step(6, "key", "pass", "", ""))
	switch c.Status {
	case "revoked", "suspended", "superseded":
		fail(7, "status", strings.ToUpper(c.Status), c.StatusReason)
		return
	}
	res.Steps = append(res.Steps, step(7, "status", "pass", "", c.Status))
	now := g.now().Format(time.RFC3339)
	if now < c.ValidFrom {
		fail(8, "validity", "NOT_YET_VALID", c.ValidFrom)
		return
	}
	if now >= c.ValidUntil {
		fail(8, "validity", "EXPIRED", c.ValidUntil)
		return
	}
	res.Steps = append(res.Steps, step(8, "validity", "pass", "", ""))
	res.Verdict = "VALID"
	WriteJSON(w, 200, res)
}
