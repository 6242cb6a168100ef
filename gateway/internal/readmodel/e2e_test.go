package readmodel_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/gateway/internal/readmodel"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/loadtest/record"
)

// The child mode of the kill test: follow the ledger into a store, slowly,
// printing the height after every block, until killed.
const (
	envChildDir     = "READMODEL_TEST_CHILD_DIR"
	envChildProfile = "READMODEL_TEST_CHILD_PROFILE"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envChildDir); dir != "" {
		if err := runChild(dir, os.Getenv(envChildProfile)); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runChild(dir, profilePath string) error {
	p, err := profile.Load(profilePath)
	if err != nil {
		return err
	}
	gw, conn, err := p.Connect()
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	m, err := readmodel.Open(readmodel.Options{Dir: dir, Namespace: p.Chaincode})
	if err != nil {
		return err
	}
	blocks, err := readmodel.NetworkSource{Network: gw.GetNetwork(p.Channel)}.Blocks(context.Background(), m)
	if err != nil {
		return err
	}
	for blk := range blocks {
		if err := m.Apply(blk); err != nil {
			return err
		}
		fmt.Println(m.Height())
		time.Sleep(3 * time.Millisecond) // be killable mid-ingest
	}
	return nil
}

type stack struct {
	*gatewaytest.Stack
	t    *testing.T
	dept *record.Dept
	hc   *http.Client
}

func startStack(t *testing.T, o readmodel.Options) *stack {
	t.Helper()
	if testing.Short() || os.Getenv("CERTLEDGER_SKIP_E2E") != "" {
		t.Skip("end-to-end read model test against an in-process devnet skipped (-short or CERTLEDGER_SKIP_E2E)")
	}
	s, err := gatewaytest.Start(t.TempDir(), gatewaytest.Options{ReadModel: o})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing stack: %v", err)
		}
	})
	d, err := record.NewDept("dept-a", "DeptAMSP")
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{Stack: s, t: t, dept: d, hc: &http.Client{Timeout: 10 * time.Second}}
	st.submit(gatewaytest.Governance, "registry:RegisterDepartment", record.JSON(d.Registration("Department A", record.CertificateType)))
	return st
}

func (s *stack) submit(org, fn string, args ...string) (txID string, block uint64, payload []byte) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.Fabric.Submit(ctx, org, fn, args...)
	if err != nil {
		s.t.Fatalf("%s: %v", fn, err)
	}
	return res.TxID, res.BlockNumber, res.Payload
}

// issue issues n certificates, one transaction (and one block) each.
func (s *stack) issue(prefix string, n int) ([]certificate.Record, []string) {
	s.t.Helper()
	recs, err := s.dept.Certificates(prefix+"-%04d", 0, n)
	if err != nil {
		s.t.Fatal(err)
	}
	txs := make([]string, n)
	for i, r := range recs {
		txs[i], _, _ = s.submit("dept-a", "certificate:Issue", record.JSON(r))
	}
	return recs, txs
}

// waitHeight waits until m reflects the ledger's current height and serves.
func waitHeight(t *testing.T, m *readmodel.Model, s *gatewaytest.Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	want, err := s.Fabric.Height(ctx, gatewaytest.Governance)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for m.Height() < want || !m.Status().Serving {
		if time.Now().After(deadline) {
			t.Fatalf("read model at %d (%+v), ledger at %d", m.Height(), m.Status(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type answer struct {
	certificate.Result
	Height uint64 `json:"height"`
	Source string `json:"source"`
}

func (s *stack) verify(base, query string) answer {
	s.t.Helper()
	res, err := s.hc.Get(base + "/api/v1/verify?" + query)
	if err != nil {
		s.t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	var a answer
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("verify %s: %d", query, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		s.t.Fatal(err)
	}
	return a
}

// same compares a read-model answer with the ledger's: everything but the
// checking time and the source.
func same(t *testing.T, what string, got, want answer) {
	t.Helper()
	got.CheckedAt, want.CheckedAt = "", ""
	for _, rs := range [][]certificate.Result{got.Results, want.Results} {
		for i := range rs {
			rs[i].CheckedAt = ""
		}
	}
	g, _ := json.Marshal(got.Result)
	w, _ := json.Marshal(want.Result)
	if string(g) != string(w) {
		t.Fatalf("%s: read model answered\n%s\nthe ledger\n%s", what, g, w)
	}
}

// TestFollowVerifyRebuild: the model follows the devnet; verify through REST
// is answered from it, equal to the ledger's answer, with the height; a
// revocation shows up; a second model rebuilt from block 0 equals the
// incremental one; with the follower stopped, verify falls back to the ledger.
func TestFollowVerifyRebuild(t *testing.T) {
	o := readmodel.Options{Dir: filepath.Join(t.TempDir(), "rm"), MaxLag: 500 * time.Millisecond, HeadInterval: 50 * time.Millisecond}
	s := startStack(t, o)
	recs, txs := s.issue("rm", 12)
	waitHeight(t, s.Model, s.Stack)

	for _, q := range []string{"id=" + recs[3].ID, "hash=" + recs[4].DocHash, "id=" + recs[5].ID + "&hash=" + recs[5].DocHash,
		"id=" + recs[6].ID + "&hash=" + recs[7].DocHash, "id=nope-1", "hash=" + strings.Repeat("ab", 32)} {
		got, want := s.verify(s.URL, q), s.verify(s.LedgerURL, q)
		if got.Source != readmodel.SourceReadModel || got.Height < s.Model.Height()-1 || got.Height == 0 {
			t.Fatalf("%s: source %q height %d (model at %d)", q, got.Source, got.Height, s.Model.Height())
		}
		same(t, q, got, want)
	}
	if a := s.verify(s.URL, "id="+recs[0].ID); a.Verdict != wire.VerdictValid {
		t.Fatalf("verdict %s", a.Verdict)
	}

	// A status change shows up.
	req, err := s.dept.StatusRequest(recs[0].ID, certificate.ActionRevoke, "issued in error", txs[0])
	if err != nil {
		t.Fatal(err)
	}
	s.submit("dept-a", "certificate:Revoke", record.JSON(req))
	waitHeight(t, s.Model, s.Stack)
	got := s.verify(s.URL, "id="+recs[0].ID)
	if got.Verdict != wire.VerdictRevoked || got.Source != readmodel.SourceReadModel {
		t.Fatalf("after revoke: %s from %s", got.Verdict, got.Source)
	}
	same(t, "revoked", got, s.verify(s.LedgerURL, "id="+recs[0].ID))

	// Ledger coordinates and endorsements of the issue.
	a, ok, err := s.Model.AnchorOf(recs[0].ID)
	if err != nil || !ok || a.TxID != txs[0] || len(a.Endorsements) == 0 || len(a.ProposalResponse) == 0 || a.LastBlock <= a.BlockNumber {
		t.Fatalf("anchor = %+v, %t, %v", a, ok, err)
	}

	// Rebuilt from block 0, a second model equals the incremental one.
	gw, p, err := s.Fabric.Gateway(gatewaytest.Governance)
	if err != nil {
		t.Fatal(err)
	}
	src := readmodel.NetworkSource{Network: gw.GetNetwork(p.Channel)}
	fresh, err := readmodel.Open(readmodel.Options{Dir: filepath.Join(t.TempDir(), "rebuild"), Namespace: p.Chaincode})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fresh.Close() }()
	follow(t, fresh, src, s.Model.Height())
	d1, err := s.Model.Digest()
	if err != nil {
		t.Fatal(err)
	}
	d2, err := fresh.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if d1 != d2 {
		t.Fatalf("rebuilt store differs from the incremental one (heights %d, %d)", s.Model.Height(), fresh.Height())
	}

	// With the follower stopped, the model is soon too old: the ledger answers.
	if err := s.StopModel(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(o.MaxLag + o.HeadInterval + 100*time.Millisecond)
	got = s.verify(s.URL, "id="+recs[1].ID)
	if got.Source != readmodel.SourceLedger || got.Verdict != wire.VerdictValid || got.Height == 0 {
		t.Fatalf("with the model stopped: %s from %s at %d", got.Verdict, got.Source, got.Height)
	}
}

// follow applies blocks from src to m until m reaches height.
func follow(t *testing.T, m *readmodel.Model, src readmodel.Source, height uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	blocks, err := src.Blocks(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	for m.Height() < height {
		var blk *common.Block
		select {
		case blk = <-blocks:
		case <-ctx.Done():
			t.Fatalf("stuck at %d of %d", m.Height(), height)
		}
		if err := m.Apply(blk); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	for range blocks {
	}
}

// TestKillRestart kills (SIGKILL) a process ingesting the ledger mid-way, then
// resumes from its checkpoint: the store equals one that never stopped.
func TestKillRestart(t *testing.T) {
	s := startStack(t, readmodel.Options{Dir: filepath.Join(t.TempDir(), "rm")})
	s.issue("kill", 40)
	waitHeight(t, s.Model, s.Stack)
	total := s.Model.Height()

	dir := filepath.Join(t.TempDir(), "child")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildDir+"="+dir, envChildProfile+"="+s.Profiles[gatewaytest.Governance])
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var at uint64
	for sc.Scan() {
		at, _ = strconv.ParseUint(sc.Text(), 10, 64)
		if at >= total/2 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // killed
	if at < total/2 || at >= total {
		t.Fatalf("child reached %d of %d before the kill", at, total)
	}

	m, err := readmodel.Open(readmodel.Options{Dir: dir, Namespace: "certledger"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	resumed := m.Height()
	if resumed > at {
		t.Fatalf("resumed at %d after the child reported %d", resumed, at)
	}
	gw, p, err := s.Fabric.Gateway(gatewaytest.Governance)
	if err != nil {
		t.Fatal(err)
	}
	follow(t, m, readmodel.NetworkSource{Network: gw.GetNetwork(p.Channel)}, total)
	want, err := s.Model.Digest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("store resumed at %d (killed at %d) differs from the uninterrupted one", resumed, at)
	}
	t.Logf("killed at height %d, resumed from %d, caught up to %d", at, resumed, total)
}
