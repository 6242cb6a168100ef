package gatewaytest_test

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/gm"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func signedRecord(t *testing.T, d gatewaytest.Department, id string) certificate.Record {
	rec := certificate.Record{Fields: certificate.Fields{ID: id, DocHash: gm.SM3Hex([]byte(id)), Type: "licence", Issuer: d.ID,
		HolderCommitment: strings.Repeat("c", 64), ValidFrom: "2026-11-01T00:00:00Z", ValidUntil: "2031-11-28T00:00:00Z", KeyID: d.KeyID}}
	rec.Signature = d.Sign(t, canon.KindCertificate, rec)
	return rec
}

// TestRealChaincodeThroughTheAPI issues, reads, verifies and refuses through the
// real HTTP API and chaincode, and streams the committed events.
func TestRealChaincodeThroughTheAPI(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.At(t0))
	a := gw.Department(t, gatewaytest.Dept{ID: "dept-a"})
	gw.Department(t, gatewaytest.Dept{ID: "dept-b"})
	clerk := gw.Token("dept-a", gatewaytest.Clerk)

	var wr struct {
		TxID        string `json:"txId"`
		BlockNumber uint64 `json:"blockNumber"`
	}
	gw.Must(t, http.StatusCreated, &wr, "POST", "/api/v1/certificates", clerk, signedRecord(t, a, "c-1"))
	if wr.BlockNumber != gw.Ledger.Block() || wr.TxID == "" {
		t.Fatalf("write result %+v, ledger at block %d", wr, gw.Ledger.Block())
	}
	var v struct{ Verdict string }
	gw.Must(t, 200, &v, "GET", "/api/v1/verify?id=c-1", "", nil)
	if v.Verdict != "VALID" {
		t.Fatalf("verdict %s", v.Verdict)
	}
	// Another department's token, a forged signature, an unknown token.
	if r := gw.Do(t, "POST", "/api/v1/certificates", gw.Token("dept-b", gatewaytest.Clerk), signedRecord(t, a, "c-2")); r.Status != 403 {
		t.Fatalf("other department: %d %s", r.Status, r.Body)
	}
	forged := signedRecord(t, a, "c-3")
	forged.Type = "permit"
	if r := gw.Do(t, "POST", "/api/v1/certificates", clerk, forged); r.Status != 400 || r.Code() != "BAD_SIGNATURE" {
		t.Fatalf("forged: %d %s", r.Status, r.Body)
	}
	if r := gw.Do(t, "GET", "/api/v1/certificates/c-1/history", "nope", nil); r.Status != 401 {
		t.Fatalf("unknown token: %d", r.Status)
	}
	if r := gw.Do(t, "GET", "/api/v1/certificates/c-1/history", gw.AuditorToken(), nil); r.Status != 200 {
		t.Fatalf("auditor: %d", r.Status)
	}

	// The certificate's event, replayed from its block.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", gw.URL+"/api/v1/events?fromBlock="+strconv.FormatUint(wr.BlockNumber, 10), nil)
	req.Header.Set("Authorization", "Bearer "+gw.AuditorToken())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if sc.Text() == "event: CertificateIssued" {
			return
		}
	}
	t.Fatalf("no CertificateIssued event (%v)", sc.Err())
}

func TestFaults(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.At(t0))
	a := gw.Department(t, gatewaytest.Dept{ID: "dept-a"})
	clerk := gw.Token("dept-a", gatewaytest.Clerk)

	gw.FailNext("certificate:Issue", gatewaytest.MVCCConflict())
	gw.Must(t, 201, nil, "POST", "/api/v1/certificates", clerk, signedRecord(t, a, "c-1"))
	if n := gw.CountCalls("submit", "certificate:Issue"); n != 2 {
		t.Fatalf("%d submits, want 2 (one MVCC retry)", n)
	}
	// The answer is lost after the commit: the retry is answered from the ledger.
	gw.LoseNext("certificate:Issue", gatewaytest.Timeout())
	c2 := signedRecord(t, a, "c-2")
	if r := gw.Do(t, "POST", "/api/v1/certificates", clerk, c2); r.Status != 504 {
		t.Fatalf("lost answer: %d %s", r.Status, r.Body)
	}
	if r := gw.Do(t, "POST", "/api/v1/certificates", clerk, c2); r.Status != 200 || r.Header.Get("Idempotent-Replay") != "true" {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	gw.SetHook(func(op, fn string, _ []string) error {
		if fn == "certificate:Get" {
			return gatewaytest.Unavailable()
		}
		return nil
	})
	if r := gw.Do(t, "GET", "/api/v1/certificates/c-1", "", nil); r.Status != 503 {
		t.Fatalf("unavailable: %d", r.Status)
	}
	gw.SetHook(nil)
	if r := gw.Do(t, "GET", "/api/v1/certificates/c-1", "", nil); r.Status != 200 {
		t.Fatalf("after the hook: %d", r.Status)
	}
}
