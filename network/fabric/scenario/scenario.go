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
// Each run uses fresh ids, so it can run again on the same ledger.
func Run(t *testing.T, o Options) {
	o.defaults()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	load := func(name string) *profile.Profile {
		p, err := profile.Load(filepath.Join(o.ProfileDir, name+".yaml"))
		if err != nil {
			t.Fatalf("profile %s: %v", name, err)
		}
		return p
	}
	dial := func(p *profile.Profile) *Conn {
		c, err := Dial(ctx, p, 5*time.Second)
		if err != nil {
			t.Fatalf("connect %s: %v", p.Name, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	govP, aP, bP := load(o.Gov), load(o.DeptA), load(o.DeptB)
	gov, deptA, deptB := dial(govP), dial(aP), dial(bP)
	for _, c := range []*Conn{gov, deptA, deptB} {
		if err := WaitEndorsable(ctx, c.Contract, time.Minute); err != nil {
			t.Fatalf("%s: %s", c.Profile.Name, Describe(err))
		}
	}

	submit := func(c *Conn, fn string, args ...string) Result {
		t.Helper()
		r, err := Submit(ctx, c.Contract, 3, fn, args...)
		if err != nil {
			t.Fatalf("%s as %s: %s", fn, c.Profile.MSPID, Describe(err))
		}
		return r
	}
	// read evaluates fn until ok accepts the result. A submit returns once the gateway's own
	// peer has committed the transaction; another organisation's peer may commit that block a
	// little later, so a read through it retries (NOT_FOUND or an older state) for a while.
	read := func(c *Conn, fn string, ok func(map[string]any) bool, args ...string) map[string]any {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			b, err := c.Contract.EvaluateWithContext(ctx, fn, client.WithArguments(args...))
			var m map[string]any
			switch {
			case err == nil:
				if jerr := json.Unmarshal(b, &m); jerr != nil {
					t.Fatalf("%s: result is not a JSON object: %s", fn, b)
				}
				if ok(m) {
					return m
				}
			case ErrorCode(err) != "NOT_FOUND":
				t.Fatalf("%s via %s: %s", fn, c.Endpoint, Describe(err))
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s%v via %s: after 15 s still %v (err %v)", fn, args, c.Endpoint, m, Describe(err))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// 1. The governance organisation registers two departments with one SM2 key each.
	sa, err := NewSigner(RandomID("dept-a"))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewSigner(RandomID("dept-b"))
	if err != nil {
		t.Fatal(err)
	}
	submit(gov, "registry:RegisterDepartment", sa.Department("Market Regulation Bureau", aP.MSPID))
	submit(gov, "registry:RegisterDepartment", sb.Department("Housing Bureau", bP.MSPID))
	read(deptB, "registry:GetDepartment", func(d map[string]any) bool { return d["mspId"] == aP.MSPID }, sa.DeptID)
	// A department organisation may not register departments.
	other, _ := NewSigner(RandomID("dept-x"))
	if _, err := Submit(ctx, deptA.Contract, 1, "registry:RegisterDepartment", other.Department("X", aP.MSPID)); ErrorCode(err) != "FORBIDDEN" {
		t.Fatalf("RegisterDepartment by %s: want FORBIDDEN, got %s", aP.MSPID, Describe(err))
	}
	t.Logf("registered %s (%s) and %s (%s)", sa.DeptID, aP.MSPID, sb.DeptID, bP.MSPID)

	// 2. Department A issues a certificate signed with its SM2 key; anyone verifies it.
	rec, err := sa.Certificate(RandomID("cert"))
	if err != nil {
		t.Fatal(err)
	}
	issued := submit(deptA, "certificate:Issue", JSON(rec))
	var cert map[string]any
	if err := json.Unmarshal(issued.Payload, &cert); err != nil {
		t.Fatalf("Issue result: %s", issued.Payload)
	}
	if cert["status"] != "valid" || cert["txId"] != issued.TxID {
		t.Fatalf("Issue result: status %v txId %v (tx %s)", cert["status"], cert["txId"], issued.TxID)
	}
	wantVerdict := func(c *Conn, query map[string]string, want string) {
		t.Helper()
		read(c, "certificate:Verify", func(v map[string]any) bool { return v["verdict"] == want }, JSON(query))
	}
	wantVerdict(deptB, map[string]string{"id": rec["id"]}, "VALID")
	wantVerdict(gov, map[string]string{"docHash": rec["docHash"]}, "VALID")
	wantVerdict(gov, map[string]string{"id": RandomID("no-such-cert")}, "NOT_FOUND")
	// Department B cannot issue in department A's name.
	forged, _ := sb.Certificate(RandomID("cert"))
	forged["issuer"] = sa.DeptID
	if _, err := Submit(ctx, deptB.Contract, 1, "certificate:Issue", JSON(forged)); err == nil {
		t.Fatalf("Issue in another department's name was accepted")
	}
	t.Logf("issued %s in tx %s (block %d)", rec["id"], issued.TxID, issued.BlockNumber)

	// 3. Revoke (signed, chained to the issue tx), then verify says REVOKED.
	rv, err := sa.StatusChange(rec["id"], "revoke", "licence withdrawn", issued.TxID)
	if err != nil {
		t.Fatal(err)
	}
	revoked := submit(deptA, "certificate:Revoke", JSON(rv))
	wantVerdict(deptB, map[string]string{"id": rec["id"]}, "REVOKED")
	// Replaying the same signed revocation fails (prevTxId is stale now).
	if _, err := Submit(ctx, deptA.Contract, 1, "certificate:Revoke", JSON(rv)); err == nil {
		t.Fatalf("replayed revocation was accepted")
	}

	// 4. History: both writes, newest first.
	var hist []struct {
		TxID string `json:"txId"`
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		hb, err := gov.Contract.EvaluateWithContext(ctx, "certificate:History", client.WithArguments(rec["id"]))
		if err != nil {
			t.Fatalf("History: %s", Describe(err))
		}
		if err := json.Unmarshal(hb, &hist); err != nil {
			t.Fatalf("History = %s: %v", hb, err)
		}
		if len(hist) == 2 && hist[0].TxID == revoked.TxID && hist[1].TxID == issued.TxID {
			break
		}
		if len(hist) > 2 || time.Now().After(deadline) {
			t.Fatalf("History = %s, want [%s, %s]", hb, revoked.TxID, issued.TxID)
		}
	}

	// 5. Two transactions endorsed against the same version of a department: one commits,
	// the other fails MVCC_READ_CONFLICT and succeeds when endorsed again.
	k1, _ := NewSigner(sa.DeptID)
	k2, _ := NewSigner(sa.DeptID)
	tx1, err := Endorse(ctx, gov.Contract, "registry:AddKey", sa.DeptID, k1.PEM)
	if err != nil {
		t.Fatalf("endorse AddKey: %s", Describe(err))
	}
	tx2, err := Endorse(ctx, gov.Contract, "registry:AddKey", sa.DeptID, k2.PEM)
	if err != nil {
		t.Fatalf("endorse AddKey: %s", Describe(err))
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, tx := range []*client.Transaction{tx1, tx2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Commit(ctx, tx)
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
	retry := submit(gov, "registry:AddKey", sa.DeptID, []*Signer{k1, k2}[loser].PEM)
	read(gov, "registry:GetDepartment", func(d map[string]any) bool {
		keys, _ := d["keys"].([]any)
		return len(keys) == 3
	}, sa.DeptID)
	t.Logf("MVCC conflict: %v; retried in tx %s", errs[loser], retry.TxID)

	// 6. One organisation's peer stops: its clients verify through a fallback peer, and the
	// remaining majority still endorses new certificates.
	if o.StopPeer == nil {
		t.Logf("StopPeer not set: failover step skipped")
		return
	}
	if err := o.StopPeer(o.DeptA); err != nil {
		t.Fatalf("stopping the peer of %s: %v", o.DeptA, err)
	}
	if c, err := DialPeer(ctx, aP, aP.Peer, 2*time.Second); err == nil {
		_ = c.Close()
		t.Fatalf("peer %s still answers after StopPeer", aP.Peer.Endpoint)
	}
	viaFallback := dial(aP)
	if viaFallback.Endpoint == aP.Peer.Endpoint {
		t.Fatalf("connected to the stopped peer %s", aP.Peer.Endpoint)
	}
	wantVerdict(viaFallback, map[string]string{"id": rec["id"]}, "REVOKED")
	rec2, err := sb.Certificate(RandomID("cert"))
	if err != nil {
		t.Fatal(err)
	}
	submit(deptB, "certificate:Issue", JSON(rec2))
	wantVerdict(viaFallback, map[string]string{"docHash": rec2["docHash"]}, "VALID")
	t.Logf("peer %s down: verified via %s, issued %s with the remaining majority", aP.Peer.Endpoint, viaFallback.Endpoint, rec2["id"])
}
