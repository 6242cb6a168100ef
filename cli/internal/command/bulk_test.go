package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/gm"
)

func bulkSetup(t *testing.T, e *env, n int, withIDs bool) (docs, manifestPath, out string) {
	docs = filepath.Join(e.Dir, "docs")
	var b strings.Builder
	if withIDs {
		b.WriteString("id,file,type,holder_id,valid_until\n")
	} else {
		b.WriteString("file,type,holder_id,valid_until,valid_from\n")
	}
	for i := range n {
		name := fmt.Sprintf("f%02d.pdf", i)
		e.file(filepath.Join("docs", name), fmt.Sprintf("document number %d", i))
		if withIDs {
			fmt.Fprintf(&b, "bulk-%02d,%s,licence,holder-%d,2099-12-31\n", i, name, i)
		} else {
			fmt.Fprintf(&b, "%s,licence,holder-%d,2099-12-31,2026-01-01\n", name, i)
		}
	}
	manifestPath = e.file("manifest.csv", b.String())
	out = filepath.Join(e.Dir, "out")
	return
}

func bulkArgs(e *env, docs, man, out string, extra ...string) []string {
	return append([]string{"cert", "issue", "--dir", docs, "--manifest", man, "--key", e.KeyPath, "--out-dir", out, "--concurrency", "4", "-o", "json"}, extra...)
}

func summaryOf(t *testing.T, r Result) issue.Summary {
	t.Helper()
	var s issue.Summary
	if err := json.Unmarshal([]byte(r.Stdout), &s); err != nil {
		t.Fatalf("%v: %s\n%s", err, r.Stdout, r.Stderr)
	}
	return s
}

// TestBulkIssueResume runs bulk issue one transaction per row (--group 1).
func TestBulkIssueResume(t *testing.T) {
	e := newEnv(t)
	const n = 20
	docs, man, out := bulkSetup(t, e, n, false)
	bad := map[string]bool{
		gm.SM3Hex([]byte("document number 7")):  true,
		gm.SM3Hex([]byte("document number 13")): true,
	}
	e.GW.SetHook(func(op, fn string, args []string) error {
		var rec client.CertificateRecord
		if fn == "certificate:Issue" && json.Unmarshal([]byte(args[0]), &rec) == nil && bad[rec.DocHash] {
			return errors.New("injected failure")
		}
		return nil
	})
	r := e.run(bulkArgs(e, docs, man, out, "--group", "1")...)
	wantCode(t, r, 1)
	s := summaryOf(t, r)
	if s.Total != n || s.Issued != n-2 || s.Failed != 2 || len(s.Failures) != 2 || s.Failures[0].Line != 9 || s.Failures[1].Line != 15 {
		t.Fatalf("first run %+v", s)
	}
	// The gateway answers an unexpected ledger error with 500 and a fixed message.
	if !strings.Contains(s.Failures[0].Error, "INTERNAL: internal error") || s.Failures[0].File != "f07.pdf" {
		t.Fatalf("failure %+v", s.Failures[0])
	}
	if e.certificateCount() != n-2 {
		t.Fatalf("ledger has %d", e.certificateCount())
	}
	oneLine(t, r, "2 of 20 rows failed")

	// rerun: only the failed rows are submitted
	e.GW.SetHook(nil)
	posts := e.issueSubmits()
	r = e.run(bulkArgs(e, docs, man, out, "--group", "1")...)
	wantCode(t, r, 0)
	s = summaryOf(t, r)
	if s.Issued != 2 || s.Skipped != n-2 || s.Failed != 0 {
		t.Fatalf("second run %+v", s)
	}
	if got := e.issueSubmits() - posts; got != 2 {
		t.Fatalf("second run posted %d", got)
	}
	// every row has a receipt whose salt opens its holder commitment, and a QR code
	for i := range n {
		id := issue.DerivedID("dept-a", gm.SM3Hex([]byte(fmt.Sprintf("document number %d", i))), "licence", "2026-01-01", "2099-12-31")
		rc, err := receipt.Load(filepath.Join(out, id+".receipt.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !rc.CheckHolder(fmt.Sprintf("holder-%d", i)) || rc.Ledger.TxID == "" {
			t.Fatalf("receipt %d: %+v", i, rc)
		}
		if _, err := os.Stat(filepath.Join(out, id+".qr.png")); err != nil {
			t.Fatal(err)
		}
	}
	// third run: nothing to do
	posts = e.issueSubmits()
	r = e.run(bulkArgs(e, docs, man, out, "--group", "1")...)
	wantCode(t, r, 0)
	if s = summaryOf(t, r); s.Skipped != n || e.issueSubmits() != posts {
		t.Fatalf("third run %+v", s)
	}
	// state lost: the ids are found on the ledger with the same hashes and count as done
	_ = os.Remove(filepath.Join(out, issue.StateFile))
	r = e.run(bulkArgs(e, docs, man, out, "--group", "1")...)
	wantCode(t, r, 0)
	if s = summaryOf(t, r); s.AlreadyOnLedger != n || e.certificateCount() != n {
		t.Fatalf("fourth run %+v (ledger %d)", s, e.certificateCount())
	}
	// table output of a run with nothing to do
	r = e.run(append(bulkArgs(e, docs, man, out, "--group", "1"), "-o", "table")...)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "skipped (done before):  20") {
		t.Fatal(r.Stdout)
	}
}

func TestBulkIssueInterruptedThenResumed(t *testing.T) {
	e := newEnv(t)
	const n = 12
	docs, man, out := bulkSetup(t, e, n, true)
	ctx, cancel := context.WithCancel(context.Background())
	var count atomic.Int32
	e.GW.SetHook(func(op, fn string, _ []string) error {
		if fn == "certificate:IssueGroup" && count.Add(1) == 3 {
			cancel()
		}
		return nil
	})
	r := RunForTest(ctx, nil, append([]string{"--gateway", e.GW.URL, "--token", clerkToken}, bulkArgs(e, docs, man, out, "--concurrency", "1", "--group", "2")...)...)
	wantCode(t, r, 2)
	if !strings.Contains(r.Stderr, "interrupted") {
		t.Fatal(r.Stderr)
	}
	s := summaryOf(t, r)
	if !s.Interrupted || s.Issued+s.Failed+s.NotAttempted != n {
		t.Fatalf("interrupted run %+v", s)
	}
	e.GW.SetHook(nil)
	r = e.run(bulkArgs(e, docs, man, out)...)
	wantCode(t, r, 0)
	s = summaryOf(t, r)
	if s.Issued+s.Skipped+s.AlreadyOnLedger != n || e.certificateCount() != n {
		t.Fatalf("resumed run %+v", s)
	}
	for i := range n {
		if _, ok := e.certificate(fmt.Sprintf("bulk-%02d", i)); !ok {
			t.Fatalf("bulk-%02d missing", i)
		}
	}
}

func TestBulkIssueUsage(t *testing.T) {
	e := newEnv(t)
	docs, man, out := bulkSetup(t, e, 2, true)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"no manifest", []string{"cert", "issue", "--dir", docs, "--key", e.KeyPath}},
		{"bad manifest", bulkArgs(e, docs, e.file("bad.csv", "file,type\nx,y\n"), out)},
		{"bad date", bulkArgs(e, docs, e.file("bd.csv", "file,type,holder_id,valid_until\nf00.pdf,t,h,tomorrow\n"), out)},
		{"single flag in bulk", bulkArgs(e, docs, man, out, "--holder-id", "x")},
		{"missing dir", bulkArgs(e, filepath.Join(e.Dir, "nope"), man, out)},
		{"concurrency", bulkArgs(e, docs, man, out, "--concurrency", "0")},
		{"group", bulkArgs(e, docs, man, out, "--group", "0")},
	} {
		r := e.run(c.args...)
		if r.Code != 2 {
			t.Errorf("%s: exit %d, want 2: %s", c.name, r.Code, r.Stderr)
		}
	}
	// the ledger unreachable (department given, so no lookup first): exit 3, resumable
	r0 := run(t, append([]string{"--gateway", deadGateway(t), "--token", clerkToken}, bulkArgs(e, docs, man, out, "--dept", "dept-a")...)...)
	wantCode(t, r0, 3)
	if s := summaryOf(t, r0); s.Unreachable != 2 {
		t.Fatalf("%+v", s)
	}
	// a missing document fails its row only
	m2 := e.file("m2.csv", "file,type,holder_id,valid_until\nf00.pdf,t,h,2099-01-01\nmissing.pdf,t,h,2099-01-01\n")
	r := e.run(bulkArgs(e, docs, m2, out)...)
	wantCode(t, r, 1)
	if s := summaryOf(t, r); s.Issued != 1 || s.Failed != 1 || !strings.Contains(s.Failures[0].Error, "missing.pdf") {
		t.Fatalf("%+v", s)
	}
}

// TestBulkIssueGrouped: rows go in grouped transactions (certificate:IssueGroup)
// on the real chaincode. Two rows name a type the department may not issue: the
// ledger refuses those two records of their group and issues the others, with
// their receipts. The manifest fixed, a rerun issues the two in one more group.
func TestBulkIssueGrouped(t *testing.T) {
	e := newEnvWith(t, nil, gatewaytest.Dept{ID: "dept-a", Categories: []string{"licence"}}, gatewaytest.Dept{ID: "dept-b"})
	const n = 20
	docs, man, out := bulkSetup(t, e, n, false)
	good, err := os.ReadFile(man)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.NewReplacer("f07.pdf,licence,", "f07.pdf,permit,", "f13.pdf,licence,", "f13.pdf,permit,").Replace(string(good))
	if err := os.WriteFile(man, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.run(bulkArgs(e, docs, man, out, "--group", "8")...)
	wantCode(t, r, 1)
	s := summaryOf(t, r)
	if s.Issued != n-2 || s.Failed != 2 || s.Failures[0].Line != 9 || s.Failures[1].Line != 15 ||
		!strings.Contains(s.Failures[0].Error, "FORBIDDEN") || !strings.Contains(s.Failures[0].Error, `"permit"`) {
		t.Fatalf("first run %+v", s)
	}
	if got := e.GW.CountCalls("submit", "certificate:IssueGroup"); got != 3 || e.issueSubmits() != 0 {
		t.Fatalf("%d group submits, %d single submits", got, e.issueSubmits())
	}
	if e.certificateCount() != n-2 {
		t.Fatalf("ledger has %d", e.certificateCount())
	}
	if err := os.WriteFile(man, good, 0o644); err != nil {
		t.Fatal(err)
	}
	r = e.run(bulkArgs(e, docs, man, out, "--group", "8")...)
	wantCode(t, r, 0)
	if s = summaryOf(t, r); s.Issued != 2 || s.Skipped != n-2 || e.certificateCount() != n || e.GW.CountCalls("submit", "certificate:IssueGroup") != 4 {
		t.Fatalf("second run %+v (ledger %d)", s, e.certificateCount())
	}
	for i := range n {
		id := issue.DerivedID("dept-a", gm.SM3Hex([]byte(fmt.Sprintf("document number %d", i))), "licence", "2026-01-01", "2099-12-31")
		rc, err := receipt.Load(filepath.Join(out, id+".receipt.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !rc.CheckHolder(fmt.Sprintf("holder-%d", i)) || rc.Ledger.TxID == "" || rc.IssuedAt == "" {
			t.Fatalf("receipt %d: %+v", i, rc)
		}
		if c, ok := e.certificate(id); !ok || c.TxID != rc.Ledger.TxID {
			t.Fatalf("certificate %s on the ledger: %v %+v, receipt tx %s", id, ok, c, rc.Ledger.TxID)
		}
	}
	// State lost: a rerun sends the rows again; the ledger answers replay and
	// they count as done without a second certificate.
	_ = os.Remove(filepath.Join(out, issue.StateFile))
	r = e.run(bulkArgs(e, docs, man, out, "--group", "8")...)
	wantCode(t, r, 0)
	if s = summaryOf(t, r); s.AlreadyOnLedger != n || e.certificateCount() != n {
		t.Fatalf("third run %+v", s)
	}
}

// TestBulkIssueGroupAnswerLost: a group commits but its answer is lost. A 503
// is retried by the client with the same body and the ledger answers replays;
// a hard failure after the commit fails the group's rows with their pending
// receipts kept, and a rerun resends the same signed records. Either way each
// certificate is on the ledger once and each receipt names the transaction
// that wrote it.
func TestBulkIssueGroupAnswerLost(t *testing.T) {
	e := newEnv(t)
	const n = 6
	docs, man, out := bulkSetup(t, e, n, true)
	e.GW.LoseNext("certificate:IssueGroup", gatewaytest.Unavailable())
	r := e.run(bulkArgs(e, docs, man, out, "--group", "3", "--concurrency", "1")...)
	wantCode(t, r, 0)
	if s := summaryOf(t, r); s.Issued != n || e.certificateCount() != n || e.GW.CountCalls("submit", "certificate:IssueGroup") != 3 {
		t.Fatalf("503 lost: %+v (ledger %d, submits %d)", s, e.certificateCount(), e.GW.CountCalls("submit", "certificate:IssueGroup"))
	}

	docs, man, out = bulkSetup(t, e, n, false) // other rows, derived ids
	e.GW.LoseNext("certificate:IssueGroup", errors.New("connection reset after the commit"))
	r = e.run(bulkArgs(e, docs, man, out, "--group", "3", "--concurrency", "1")...)
	wantCode(t, r, 1)
	if s := summaryOf(t, r); s.Issued != 3 || s.Failed != 3 || e.certificateCount() != 2*n {
		t.Fatalf("hard failure: %+v (ledger %d)", s, e.certificateCount())
	}
	r = e.run(bulkArgs(e, docs, man, out, "--group", "3")...)
	wantCode(t, r, 0)
	if s := summaryOf(t, r); s.Issued+s.AlreadyOnLedger != 3 || s.Skipped != 3 || e.certificateCount() != 2*n {
		t.Fatalf("rerun: %+v (ledger %d)", s, e.certificateCount())
	}
	for i := range n {
		id := issue.DerivedID("dept-a", gm.SM3Hex([]byte(fmt.Sprintf("document number %d", i))), "licence", "2026-01-01", "2099-12-31")
		rc, err := receipt.Load(filepath.Join(out, id+".receipt.json"))
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := e.certificate(id); !ok || c.TxID != rc.Ledger.TxID {
			t.Fatalf("%s: on the ledger %v %+v, receipt tx %s", id, ok, c, rc.Ledger.TxID)
		}
	}
}
