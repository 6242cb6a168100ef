package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	excc "github.com/certledger/certledger/chaincode/contract/exchange"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/network/devnet"
)

// exStack is a devnetStack running the exchange contract, with dept-a and dept-b
// registered.
type exStack struct {
	*devnetStack
	depts map[string]*exDept
}

type exDept struct {
	id    string
	key   *sm2.PrivateKey
	keyID string
}

func startExchangeStack(tb testing.TB, block devnet.BlockConfig) *exStack {
	tb.Helper()
	s := &exStack{devnetStack: startDevnetStack(tb, "exchange", block, excc.New(), nil), depts: map[string]*exDept{}}
	for _, d := range []struct{ id, msp string }{{"dept-a", "DeptAMSP"}, {"dept-b", "DeptBMSP"}} {
		k, err := gm.GenerateKey()
		if err != nil {
			tb.Fatal(err)
		}
		pemBytes, _ := gm.MarshalPublicKeyPEM(&k.PublicKey)
		s.must(tb, "POST", "/api/v1/departments", "gov", DepartmentInput{ID: d.id, Name: d.id, MSPID: d.msp,
			Categories: []string{}, PublicKeys: []string{string(pemBytes)}}, http.StatusCreated)
		s.depts[d.id] = &exDept{id: d.id, key: k, keyID: gm.KeyID(&k.PublicKey)}
	}
	return s
}

type exResp struct {
	status int
	body   []byte
}

func (r exResp) code() string {
	var p struct{ Code string }
	_ = json.Unmarshal(r.body, &p)
	return p.Code
}

func (s *exStack) do(method, path, who string, body any) (exResp, error) {
	st, b, err := s.devnetStack.do(method, path, who, body)
	return exResp{status: st, body: b}, err
}

func (s *exStack) must(tb testing.TB, method, path, who string, body any, status int) exResp {
	tb.Helper()
	return exResp{status: status, body: s.devnetStack.must(tb, method, path, who, body, status)}
}

func exSignedGrant(tb testing.TB, d *exDept, id, consumer string, fields []string, until time.Time) GrantRecord {
	g := GrantRecord{ID: id, Provider: d.id, Consumer: consumer, Item: "tax-record", Fields: fields, Purpose: "subsidy eligibility",
		LegalBasis: "Reg. 12/2025 art. 4", ValidFrom: time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		ValidUntil: until.UTC().Format(time.RFC3339), KeyID: d.keyID}
	var err error
	if g.Signature, err = canon.Sign(d.key, canon.KindGrant, g); err != nil {
		tb.Fatal(err)
	}
	return g
}

func exSignedExchange(tb testing.TB, d *exDept, id, grant, consumer, payloadHash string, fields []string) ExchangeRecord {
	x := ExchangeRecord{ID: id, GrantID: grant, Provider: d.id, Consumer: consumer, Fields: fields, PayloadHash: payloadHash, KeyID: d.keyID}
	var err error
	if x.Signature, err = canon.Sign(d.key, canon.KindExchange, x); err != nil {
		tb.Fatal(err)
	}
	return x
}

func exSignedAnswer(tb testing.TB, d *exDept, id, payloadHash, decision, reason string) ExchangeAnswer {
	a := ExchangeAnswer{ExchangeID: id, Consumer: d.id, PayloadHash: payloadHash, Decision: decision, Reason: reason, KeyID: d.keyID}
	var err error
	if a.Signature, err = canon.Sign(d.key, canon.KindExchangeAck, a); err != nil {
		tb.Fatal(err)
	}
	return a
}

// seedExchange adds dept-a's catalogue item and grant g-1 to dept-b.
func (s *exStack) seedExchange(tb testing.TB) {
	a := s.depts["dept-a"]
	s.must(tb, "POST", "/api/v1/catalog", "a", CatalogItemInput{Provider: "dept-a", ID: "tax-record", Name: "Tax record",
		Fields: []string{"address", "income", "name", "taxId"}}, http.StatusCreated)
	s.must(tb, "POST", "/api/v1/grants", "a", exSignedGrant(tb, a, "g-1", "dept-b", []string{"income", "name"}, time.Now().Add(24*time.Hour)), http.StatusCreated)
}

// TestExchangeE2E drives the exchange API against the devnet running the real
// registry and exchange contracts: the refusals write nothing (the exchange
// lists stay as they were) and a sent, acknowledged exchange verifies VALID.
func TestExchangeE2E(t *testing.T) {
	s := startExchangeStack(t, devnet.BlockConfig{MaxTxCount: 10, Timeout: 20 * time.Millisecond})
	a, b := s.depts["dept-a"], s.depts["dept-b"]
	s.seedExchange(t)
	h1 := gm.SM3Hex([]byte("payload 1"))
	x1 := exSignedExchange(t, a, "x-1", "g-1", "dept-b", h1, []string{"income"})
	s.must(t, "POST", "/api/v1/exchanges", "a", x1, http.StatusCreated)
	// The same signed record again: an idempotent replay; a new signature
	// (SM2 signatures are randomised) is another record under a taken id.
	s.must(t, "POST", "/api/v1/exchanges", "a", x1, http.StatusOK)
	s.must(t, "POST", "/api/v1/exchanges", "a", exSignedExchange(t, a, "x-1", "g-1", "dept-b", h1, []string{"income"}), http.StatusConflict)

	sigOverOther := exSignedExchange(t, a, "x-9", "g-1", "dept-b", gm.SM3Hex([]byte("other")), []string{"income"})
	sigOverOther.PayloadHash = h1
	for _, c := range []struct {
		name, path, who string
		body            any
		status          int
		code            string
	}{
		{"field outside grant", "/api/v1/exchanges", "a", exSignedExchange(t, a, "x-9", "g-1", "dept-b", h1, []string{"income", "taxId"}), 403, "FORBIDDEN"},
		{"wrong consumer", "/api/v1/exchanges", "a", exSignedExchange(t, a, "x-9", "g-1", "gov", h1, []string{"income"}), 403, "FORBIDDEN"},
		{"signature over a different payload hash", "/api/v1/exchanges", "a", sigOverOther, 400, "BAD_SIGNATURE"},
		{"signed with the consumer's key", "/api/v1/exchanges", "a", func() ExchangeRecord {
			x := exSignedExchange(t, b, "x-9", "g-1", "dept-b", h1, []string{"income"})
			x.Provider = "dept-a"
			x.Signature, _ = canon.Sign(b.key, canon.KindExchange, x)
			return x
		}(), 403, "FORBIDDEN"},
		{"ack by the provider", "/api/v1/exchanges/x-1/ack", "a", exSignedAnswer(t, a, "x-1", h1, "ack", ""), 403, "FORBIDDEN"},
		{"ack signed over another hash", "/api/v1/exchanges/x-1/ack", "b", func() ExchangeAnswer {
			x := exSignedAnswer(t, b, "x-1", gm.SM3Hex([]byte("other")), "ack", "")
			x.PayloadHash = h1
			return x
		}(), 400, "BAD_SIGNATURE"},
	} {
		r := s.must(t, "POST", c.path, c.who, c.body, c.status)
		if r.code() != c.code {
			t.Errorf("%s: code %s, want %s (%s)", c.name, r.code(), c.code, r.body)
		}
	}
	s.must(t, "POST", "/api/v1/exchanges/x-1/ack", "b", exSignedAnswer(t, b, "x-1", h1, "ack", ""), http.StatusOK)
	r := s.must(t, "POST", "/api/v1/exchanges/x-1/reject", "b", exSignedAnswer(t, b, "x-1", h1, "reject", "late"), http.StatusConflict)
	if r.code() != "CONFLICT" {
		t.Errorf("double answer: %s", r.body)
	}
	r = s.must(t, "GET", "/api/v1/exchanges/verify?hash="+h1, "b", nil, http.StatusOK)
	if !strings.Contains(string(r.body), `"verdict":"VALID"`) {
		t.Errorf("verify: %s", r.body)
	}
	r = s.must(t, "GET", "/api/v1/exchanges?consumer=dept-b", "b", nil, http.StatusOK)
	var page struct {
		Records []struct{ ID, Status string } `json:"records"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Records) != 1 || page.Records[0].Status != "acknowledged" {
		t.Errorf("list after refusals: %v %s", err, r.body)
	}
	// Revoke, then sending is refused.
	var g struct{ TxID string }
	_ = json.Unmarshal(s.must(t, "GET", "/api/v1/grants/g-1", "a", nil, http.StatusOK).body, &g)
	rev := GrantRevocation{GrantID: "g-1", Reason: "purpose fulfilled", KeyID: a.keyID, PrevTxID: g.TxID}
	rev.Signature, _ = canon.Sign(a.key, canon.KindGrantRevoke, rev)
	s.must(t, "POST", "/api/v1/grants/g-1/revoke", "a", rev, http.StatusOK)
	r = s.must(t, "POST", "/api/v1/exchanges", "a", exSignedExchange(t, a, "x-2", "g-1", "dept-b", h1, []string{"income"}), http.StatusForbidden)
	if !strings.Contains(string(r.body), "revoked") {
		t.Errorf("send under a revoked grant: %s", r.body)
	}
	// The exchange sent before the revocation stays VALID.
	r = s.must(t, "GET", "/api/v1/exchanges/verify?id=x-1", "auditor", nil, http.StatusOK)
	if !strings.Contains(string(r.body), `"verdict":"VALID"`) {
		t.Errorf("verify after revocation: %s", r.body)
	}
}

// BenchmarkExchangeGateway measures exchanges recorded and acknowledged per
// second through the REST API on an in-process devnet with the real chaincode
// (MAJORITY endorsement of 3 organisations, blocks of up to 100 transactions or
// 50 ms): per exchange, two SM2 signatures by the clients, POST /exchanges and
// POST /exchanges/{id}/ack, each endorsed, ordered and committed.
//
//	go test -run '^$' -bench ExchangeGateway -benchtime 400x ./gateway/internal/httpapi/
func BenchmarkExchangeGateway(b *testing.B) {
	for _, conc := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			s := startExchangeStack(b, devnet.BlockConfig{MaxTxCount: 100, Timeout: 50 * time.Millisecond})
			s.c.Transport = &http.Transport{MaxIdleConnsPerHost: conc * 2}
			s.seedExchange(b)
			a, bb := s.depts["dept-a"], s.depts["dept-b"]
			var seq atomic.Int64
			b.ResetTimer()
			work := make(chan struct{})
			errs := make(chan error, conc)
			for range conc {
				go func() {
					for range work {
						i := seq.Add(1)
						id, h := fmt.Sprintf("bx-%d", i), gm.SM3Hex([]byte(fmt.Sprint("payload ", i)))
						r, err := s.do("POST", "/api/v1/exchanges", "a", exSignedExchange(b, a, id, "g-1", "dept-b", h, []string{"income"}))
						if err == nil && r.status != http.StatusCreated {
							err = fmt.Errorf("send %s: %d %s", id, r.status, r.body)
						}
						if err == nil {
							r, err = s.do("POST", "/api/v1/exchanges/"+id+"/ack", "b", exSignedAnswer(b, bb, id, h, "ack", ""))
							if err == nil && r.status != http.StatusOK {
								err = fmt.Errorf("ack %s: %d %s", id, r.status, r.body)
							}
						}
						if err != nil {
							select {
							case errs <- err:
							default:
							}
						}
					}
					errs <- nil
				}()
			}
			for range b.N {
				work <- struct{}{}
			}
			close(work)
			for range conc {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exchanges/s")
		})
	}
}
