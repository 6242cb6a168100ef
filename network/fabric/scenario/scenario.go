package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/internal/profile"
)

// Options say where the ledger is and what the scenario may do to it.
type Options struct {
	// ProfileDir holds the connection profiles (network/fabric writes <state>/profiles).
	ProfileDir string
	// Gov, DeptA, DeptB name the profiles (without .yaml) of the governance organisation
	// and two department organisations; defaults "gov", "dept-a", "dept-b" (the names both
	// network/fabric and the devnet write).
	Gov, DeptA, DeptB string
	// StopPeer stops the peer of the organisation whose profile is named; the scenario
	// then verifies through that organisation's fallback peer and still issues through
	// the others. Nil skips the step (a single-node ledger has no other peer).
	StopPeer func(profileName string) error
}

func (o *Options) defaults() {
	if o.Gov == "" {
		o.Gov = "gov"
	}
	if o.DeptA == "" {
		o.DeptA = "dept-a"
	}
	if o.DeptB == "" {
		o.DeptB = "dept-b"
	}
}

// Run plays the certledger ledger scenario through the fabric-gateway client:
// register two departments, issue, verify (by id and hash), revoke, read history,
// an MVCC conflict retried, and (with StopPeer) one peer down while verify and issue go on.
// Each run uses fresh ids, so it can run again on the same ledger. It issues v1
// records (loadtest/record without UseV2): it registers no certificate type,
// since that would put the type catalogue in force on a network that outlives
// the run and make it refuse v1 issues from then on (docs/identifiers.md).
func Run(t *testing.T, o Options) {
	o.defaults()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r := &runner{t: t, ctx: ctx, o: o}
	r.connect()
	sa, sb := r.register()
	rec, issued := r.issue(sa, sb)
	revoked := r.revoke(sa, rec, issued)
	r.history(rec["id"], issued.TxID, revoked.TxID)
	r.conflict(sa)
	r.failover(sb, rec)
}

// runner holds what the scenario's steps share.
type runner struct {
	t                 *testing.T
	ctx               context.Context
	o                 Options
	govP, aP, bP      *profile.Profile
	gov, deptA, deptB *Conn
}

func (r *runner) load(name string) *profile.Profile {
	p, err := profile.Load(filepath.Join(r.o.ProfileDir, name+".yaml"))
	if err != nil {
		r.t.Fatalf("profile %s: %v", name, err)
	}
	return p
}

func (r *runner) dial(p *profile.Profile) *Conn {
	c, err := Dial(r.ctx, p, 5*time.Second)
	if err != nil {
		r.t.Fatalf("connect %s: %v", p.Name, err)
	}
	r.t.Cleanup(func() { _ = c.Close() })
	return c
}

func (r *runner) connect() {
	r.govP, r.aP, r.bP = r.load(r.o.Gov), r.load(r.o.DeptA), r.load(r.o.DeptB)
	r.gov, r.deptA, r.deptB = r.dial(r.govP), r.dial(r.aP), r.dial(r.bP)
	for _, c := range []*Conn{r.gov, r.deptA, r.deptB} {
		if err := WaitEndorsable(r.ctx, c.Contract, time.Minute); err != nil {
			r.t.Fatalf("%s: %s", c.Profile.Name, Describe(err))
		}
	}
}

func (r *runner) submit(c *Conn, fn string, args ...string) Result {
	r.t.Helper()
	res, err := Submit(r.ctx, c.Contract, 3, fn, args...)
	if err != nil {
		r.t.Fatalf("%s as %s: %s", fn, c.Profile.MSPID, Describe(err))
	}
	return res
}

// read evaluates fn until ok accepts the result. A submit returns once the gateway's own
// peer has committed the transaction; another organisation's peer may commit that block a
// little later, so a read through it retries (NOT_FOUND or an older state) for a while.
func (r *runner) read(c *Conn, fn string, ok func(map[string]any) bool, args ...string) map[string]any {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := c.Contract.EvaluateWithContext(r.ctx, fn, client.WithArguments(args...))
		var m map[string]any
		switch {
		case err == nil:
			if jerr := json.Unmarshal(b, &m); jerr != nil {
				r.t.Fatalf("%s: result is not a JSON object: %s", fn, b)
			}
			if ok(m) {
				return m
			}
		case ErrorCode(err) != "NOT_FOUND":
			r.t.Fatalf("%s via %s: %s", fn, c.Endpoint, Describe(err))
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s%v via %s: after 15 s still %v (err %v)", fn, args, c.Endpoint, m, Describe(err))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *runner) wantVerdict(c *Conn, query map[string]string, want string) {
	r.t.Helper()
	r.read(c, "certificate:Verify", func(v map[string]any) bool { return v["verdict"] == want }, JSON(query))
}

// register: the governance organisation registers two departments with one SM2 key
// each; a department organisation may not register departments.
func (r *runner) register() (sa, sb *Signer) {
	t := r.t
	sa, err := NewSigner(RandomID("dept-a"))
	if err != nil {
		t.Fatal(err)
	}
	sb, err = NewSigner(RandomID("dept-b"))
	if err != nil {
		t.Fatal(err)
	}
	r.submit(r.gov, "registry:RegisterDepartment", sa.Department("Market Regulation Bureau", r.aP.MSPID))
	r.submit(r.gov, "registry:RegisterDepartment", sb.Department("Housing Bureau", r.bP.MSPID))
	r.read(r.deptB, "registry:GetDepartment", func(d map[string]any) bool { return d["mspId"] == r.aP.MSPID }, sa.DeptID)
	other, _ := NewSigner(RandomID("dept-x"))
	if _, err := Submit(r.ctx, r.deptA.Contract, 1, "registry:RegisterDepartment", other.Department("X", r.aP.MSPID)); ErrorCode(err) != "FORBIDDEN" {
		t.Fatalf("RegisterDepartment by %s: want FORBIDDEN, got %s", r.aP.MSPID, Describe(err))
	}
	t.Logf("registered %s (%s) and %s (%s)", sa.DeptID, r.aP.MSPID, sb.DeptID, r.bP.MSPID)
	return sa, sb
}

// issue: department A issues a certificate signed with its SM2 key; anyone verifies
// it; department B cannot issue in department A's name.
func (r *runner) issue(sa, sb *Signer) (map[string]string, Result) {
	t := r.t
	rec, err := sa.Certificate(RandomID("cert"))
	if err != nil {
		t.Fatal(err)
	}
	issued := r.submit(r.deptA, "certificate:Issue", JSON(rec))
	var cert map[string]any
	if err := json.Unmarshal(issued.Payload, &cert); err != nil {
		t.Fatalf("Issue result: %s", issued.Payload)
	}
	if cert["status"] != "valid" || cert["txId"] != issued.TxID {
		t.Fatalf("Issue result: status %v txId %v (tx %s)", cert["status"], cert["txId"], issued.TxID)
	}
	r.wantVerdict(r.deptB, map[string]string{"id": rec["id"]}, "VALID")
	r.wantVerdict(r.gov, map[string]string{"docHash": rec["docHash"]}, "VALID")
	r.wantVerdict(r.gov, map[string]string{"id": RandomID("no-such-cert")}, "NOT_FOUND")
	forged, _ := sb.Certificate(RandomID("cert"))
	forged["issuer"] = sa.DeptID
	if _, err := Submit(r.ctx, r.deptB.Contract, 1, "certificate:Issue", JSON(forged)); err == nil {
		t.Fatalf("Issue in another department's name was accepted")
	}
	t.Logf("issued %s in tx %s (block %d)", rec["id"], issued.TxID, issued.BlockNumber)
	return rec, issued
}

// revoke (signed, chained to the issue tx), then verify says REVOKED; replaying the
// same signed revocation fails (prevTxId is stale now).
func (r *runner) revoke(sa *Signer, rec map[string]string, issued Result) Result {
	t := r.t
	rv, err := sa.StatusChange(rec["id"], "revoke", "licence withdrawn", issued.TxID)
	if err != nil {
		t.Fatal(err)
	}
	revoked := r.submit(r.deptA, "certificate:Revoke", JSON(rv))
	r.wantVerdict(r.deptB, map[string]string{"id": rec["id"]}, "REVOKED")
	if _, err := Submit(r.ctx, r.deptA.Contract, 1, "certificate:Revoke", JSON(rv)); err == nil {
		t.Fatalf("replayed revocation was accepted")
	}
	return revoked
}

// history: both writes, newest first.
func (r *runner) history(id, issueTx, revokeTx string) {
	t := r.t
	var hist []struct {
		TxID string `json:"txId"`
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		hb, err := r.gov.Contract.EvaluateWithContext(r.ctx, "certificate:History", client.WithArguments(id))
		if err != nil {
			t.Fatalf("History: %s", Describe(err))
		}
		if err := json.Unmarshal(hb, &hist); err != nil {
			t.Fatalf("History = %s: %v", hb, err)
		}
		if len(hist) == 2 && hist[0].TxID == revokeTx && hist[1].TxID == issueTx {
			return
		}
		if len(hist) > 2 || time.Now().After(deadline) {
			t.Fatalf("History = %s, want [%s, %s]", hb, revokeTx, issueTx)
		}
	}
}

// conflict: two transactions endorsed against the same version of a department: one
// commits, the other fails MVCC_READ_CONFLICT and succeeds when endorsed again.
func (r *runner) conflict(sa *Signer) {
	t := r.t
	k1, _ := NewSigner(sa.DeptID)
	k2, _ := NewSigner(sa.DeptID)
	tx1, err := Endorse(r.ctx, r.gov.Contract, "registry:AddKey", sa.DeptID, k1.PEM)
	if err != nil {
		t.Fatalf("endorse AddKey: %s", Describe(err))
	}
	tx2, err := Endorse(r.ctx, r.gov.Contract, "registry:AddKey", sa.DeptID, k2.PEM)
	if err != nil {
		t.Fatalf("endorse AddKey: %s", Describe(err))
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, tx := range []*client.Transaction{tx1, tx2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Commit(r.ctx, tx)
		}()
	}
	wg.Wait()
	loser := -1
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, ErrConflict):
			loser = i
		default:
			t.Fatalf("AddKey %d: %s", i+1, Describe(err))
		}
	}
	if loser < 0 || errs[1-loser] != nil {
		t.Fatalf("want exactly one MVCC conflict, got %v", errs)
	}
	retry := r.submit(r.gov, "registry:AddKey", sa.DeptID, []*Signer{k1, k2}[loser].PEM)
	r.read(r.gov, "registry:GetDepartment", func(d map[string]any) bool {
		keys, _ := d["keys"].([]any)
		return len(keys) == 3
	}, sa.DeptID)
	t.Logf("MVCC conflict: %v; retried in tx %s", errs[loser], retry.TxID)
}

// failover: one organisation's peer stops; its clients verify through a fallback
// peer, and the remaining majority still endorses new certificates.
func (r *runner) failover(sb *Signer, rec map[string]string) {
	t := r.t
	if r.o.StopPeer == nil {
		t.Logf("StopPeer not set: failover step skipped")
		return
	}
	if err := r.o.StopPeer(r.o.DeptA); err != nil {
		t.Fatalf("stopping the peer of %s: %v", r.o.DeptA, err)
	}
	if c, err := DialPeer(r.ctx, r.aP, r.aP.Peer, 2*time.Second); err == nil {
		_ = c.Close()
		t.Fatalf("peer %s still answers after StopPeer", r.aP.Peer.Endpoint)
	}
	viaFallback := r.dial(r.aP)
	if viaFallback.Endpoint == r.aP.Peer.Endpoint {
		t.Fatalf("connected to the stopped peer %s", r.aP.Peer.Endpoint)
	}
	r.wantVerdict(viaFallback, map[string]string{"id": rec["id"]}, "REVOKED")
	rec2, err := sb.Certificate(RandomID("cert"))
	if err != nil {
		t.Fatal(err)
	}
	r.submit(r.deptB, "certificate:Issue", JSON(rec2))
	r.wantVerdict(viaFallback, map[string]string{"docHash": rec2["docHash"]}, "VALID")
	t.Logf("peer %s down: verified via %s, issued %s with the remaining majority", r.aP.Peer.Endpoint, viaFallback.Endpoint, rec2["id"])
}
