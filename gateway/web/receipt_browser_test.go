package web_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/web"
	"github.com/certledger/certledger/gateway/web/webtest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/receipt/receipttest"
	"github.com/certledger/certledger/internal/trust"
)

// TestReceiptOfflineInChromium: the verify page checks a v2 receipt with the
// gateway gone. Each case loads the page from a server that serves the page
// and the trust bundle, closes that server, then runs the offline check: a
// valid receipt with its document (VALID, the steps and verdict of the Go
// check, what offline cannot know), a tampered document (HASH_MISMATCH), a
// receipt forged with the forger's own key, an endorsement from a CA outside
// the bundle (NOT_ANCHORED), a bundle file signed by a non-governance key
// (UNTRUSTED_BUNDLE), and a 10 MB document (timed).
func TestReceiptOfflineInChromium(t *testing.T) {
	b := webtest.New(t)
	w := receipttest.New(t, time.Now())
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	doc := []byte("Business licence No. 2026-0001, ACME Ltd.\n")
	rec := w.Record(t, "lic-1", doc)
	bundle := w.Bundle(t)
	good := write("good.receipt.json", receipttest.Marshal(t, w.Receipt(t, rec, receipttest.Tx{})))
	docPath := write("licence.txt", doc)
	tampered := write("licence-tampered.txt", append([]byte("X"), doc[1:]...))

	own, _ := gm.GenerateKey()
	ownPEM, _ := gm.MarshalPublicKeyPEM(&own.PublicKey)
	forgedRec := rec
	forgedRec.KeyID = gm.KeyID(&own.PublicKey)
	forgedRec.Signature, _ = canon.Sign(own, canon.KindCertificate, forgedRec)
	fr := w.Receipt(t, rec, receipttest.Tx{})
	fr.Record, fr.IssuerKey = forgedRec, receipt.IssuerKey{DepartmentID: "dept-a", KeyID: forgedRec.KeyID, PublicKey: string(ownPEM)}
	forged := write("forged.receipt.json", receipttest.Marshal(t, fr))
	impostor := receipttest.NewOrg(t, "DeptBMSP", w.Now)
	outside := write("outside.receipt.json", receipttest.Marshal(t, w.Receipt(t, rec, receipttest.Tx{Endorsers: []*receipttest.Org{w.Org("DeptAMSP"), impostor}})))
	rogueKey, _ := gm.GenerateKey()
	rogue := write("rogue-bundle.json", w.Sign(t, w.BundleOf(), rogueKey))

	bt := w.NewBatch(t, "bt-1", 1000, func(i int) []byte { return []byte(fmt.Sprintf("licence %d\n", i)) })
	batched := write("batched.receipt.json", receipttest.Marshal(t, w.BatchReceipt(t, bt, 617, receipttest.Tx{})))
	batchedDoc := write("licence-617.txt", []byte("licence 617\n"))

	big := make([]byte, 10<<20)
	_, _ = rand.Read(big)
	bigRec := w.Record(t, "lic-big", big)
	bigReceipt := write("big.receipt.json", receipttest.Marshal(t, w.Receipt(t, bigRec, receipttest.Tx{})))
	bigDoc := write("big.bin", big)

	// serve starts a server for one page load; cut closes it and records any
	// request that arrived after the page had loaded.
	serve := func() (string, func(), func() []string) {
		var mu sync.Mutex
		var after []string
		cut := false
		mux := http.NewServeMux()
		mux.Handle("/", web.Handler())
		mux.HandleFunc("GET /api/v1/trust", func(rw http.ResponseWriter, _ *http.Request) {
			rw.Header().Set("X-Trust-Fingerprint", w.Pin)
			rw.Header().Set("Content-Type", "application/json")
			_, _ = rw.Write(bundle)
		})
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if cut {
				after = append(after, r.Method+" "+r.URL.RequestURI())
			}
			mu.Unlock()
			mux.ServeHTTP(rw, r)
		}))
		return srv.URL, func() {
				mu.Lock()
				cut = true
				mu.Unlock()
				srv.CloseClientConnections()
				srv.Close()
			}, func() []string {
				mu.Lock()
				defer mu.Unlock()
				return after
			}
	}
	goCheck := func(receiptPath string, bundleFile, document []byte) receipt.Result {
		raw, _ := os.ReadFile(receiptPath)
		in := receipt.Input{Pin: w.Pin, Now: time.Now()}
		in.Receipt, in.ParseErr = receipt.Parse(raw)
		in.Bundle, in.BundleErr = trust.Verify(bundleFile, w.Pin)
		if document != nil {
			in.FileHash = gm.SM3Hex(document)
		}
		return receipt.Check(in)
	}
	rogueBytes, _ := os.ReadFile(rogue)
	for _, c := range []struct {
		name     string
		o        webtest.Offline
		document []byte
		bundle   []byte
		verdict  string
		step3    string
	}{
		{"valid", webtest.Offline{Receipt: good, Document: docPath}, doc, bundle, "VALID", "OK"},
		{"tampered document", webtest.Offline{Receipt: good, Document: tampered}, append([]byte("X"), doc[1:]...), bundle, "HASH_MISMATCH", "OK"},
		{"forged receipt (own key)", webtest.Offline{Receipt: forged, Document: docPath}, doc, bundle, "NOT_ANCHORED", receipt.CodeWriteSetMismatch},
		{"endorsement from a CA outside the bundle", webtest.Offline{Receipt: outside, Document: docPath}, doc, bundle, "NOT_ANCHORED", receipt.CodeEndorsementPolicy},
		{"bundle signed by a non-governance key", webtest.Offline{Receipt: good, Document: docPath, Bundle: rogue, Pin: w.Pin}, doc, rogueBytes, "UNTRUSTED_BUNDLE", "NOT_REACHED"},
		{"10 MB document", webtest.Offline{Receipt: bigReceipt, Document: bigDoc}, big, bundle, "VALID", "OK"},
		{"batched certificate", webtest.Offline{Receipt: batched, Document: batchedDoc}, []byte("licence 617\n"), bundle, "VALID", "OK"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url, cut, after := serve()
			r := b.VerifyOffline(t, url+"/", c.o, cut)
			webtest.ExpectNoProblems(t, r)
			if r.Verdict != c.verdict || r.Offline != c.verdict {
				t.Fatalf("verdict %q (status %q: %s), want %s; steps %+v", r.Verdict, r.Offline, r.OfflineText, c.verdict, r.Steps)
			}
			if s, ok := r.StepByNumber(3); !ok || s.Code != c.step3 {
				t.Errorf("step 3: %+v, want code %s", s, c.step3)
			}
			want := goCheck(c.o.Receipt, c.bundle, c.document)
			if want.Verdict != c.verdict || len(r.Steps) != len(want.Steps) {
				t.Fatalf("go says %s with %d steps; the page %d steps", want.Verdict, len(want.Steps), len(r.Steps))
			}
			for i, s := range want.Steps {
				if p := r.Steps[i]; p.Step != s.Step || p.Status != s.Status || p.Code != s.Code {
					t.Errorf("step %d: page %s %s, go %s %s", s.Step, p.Status, p.Code, s.Status, s.Code)
				}
			}
			if len(r.Unknown) != 3 || !strings.Contains(r.PageText, "Not known offline") {
				t.Errorf("not known offline: %q", r.Unknown)
			}
			if a := after(); len(a) > 0 {
				t.Errorf("requests after the server was cut: %q", a)
			}
			t.Logf("%s: %s in %.0f ms in the browser", c.name, r.Verdict, r.OfflineMS)
		})
	}
}
