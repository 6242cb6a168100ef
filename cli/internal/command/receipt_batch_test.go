package command

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/receipt/receipttest"
)

// TestBatchedReceiptOffline: cert verify --offline with a bundle checks a
// batched certificate's v2 receipt (leaf, proof, header, endorsements); another
// document is HASH_MISMATCH; without a bundle it is never VALID.
func TestBatchedReceiptOffline(t *testing.T) {
	w := receipttest.New(t, time.Now())
	doc := func(i int) []byte { return []byte(fmt.Sprintf("licence %d\n", i)) }
	b := w.NewBatch(t, "bt-1", 100, doc)
	dir := t.TempDir()
	write := func(name string, data []byte) string { return writeFile(t, dir, name, data) }
	rp := write("r.json", receipttest.Marshal(t, w.BatchReceipt(t, b, 42, receipttest.Tx{})))
	bp := write("bundle.json", w.Bundle(t))
	verify := func(file string, extra ...string) Result {
		return run(t, append([]string{"--gateway", "http://127.0.0.1:1", "cert", "verify", "--receipt", rp, "--offline", file}, extra...)...)
	}
	r := verify(write("d.txt", doc(42)), "--bundle", bp, "--pin", w.Pin)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "verdict: VALID") || !strings.Contains(r.Stdout, "4     merkle     pass") {
		t.Fatal(r.Stdout)
	}
	r = verify(write("e.txt", doc(43)), "--bundle", bp, "--pin", w.Pin)
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "verdict: HASH_MISMATCH") {
		t.Fatal(r.Stdout)
	}
	r = verify(write("f.txt", doc(42)))
	wantCode(t, r, 1)
	if strings.Contains(r.Stdout, "verdict: VALID") {
		t.Fatal(r.Stdout)
	}
}
