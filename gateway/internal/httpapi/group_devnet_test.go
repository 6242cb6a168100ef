package httpapi

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	certcc "github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
	"github.com/certledger/certledger/network/devnet"
)

// TestGroupIssueThroughputDevnet prints certificates/s of grouped issue through
// the REST API on an in-process devnet (records signed beforehand). It runs
// only with CERTLEDGER_GROUP_BENCH set to the number of groups (e.g. 200);
// figures are printed, never asserted:
//
//	CERTLEDGER_GROUP_BENCH=200 go test -run TestGroupIssueThroughputDevnet -v ./gateway/internal/httpapi/
func TestGroupIssueThroughputDevnet(t *testing.T) {
	groups := testkit.EnvCount(t, "CERTLEDGER_GROUP_BENCH", "set CERTLEDGER_GROUP_BENCH=200 to measure grouped issue on the devnet")
	size, _ := strconv.Atoi(os.Getenv("CERTLEDGER_GROUP_SIZE"))
	if size <= 0 {
		size = certcc.DefaultMaxGroup
	}
	s := startDevnetStack(t, "group throughput", devnet.BlockConfig{MaxTxCount: 10, Timeout: 2 * time.Millisecond}, certcc.New(),
		func(o *Options) { o.BodyLimit = 4 << 20; o.RateLimit.PerSecond = 0 })
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := gm.MarshalPublicKeyPEM(&k.PublicKey)
	s.must(t, "POST", "/api/v1/departments", "gov", DepartmentInput{ID: "dept-a", Name: "dept-a", MSPID: "DeptAMSP",
		Categories: []string{"business-licence"}, PublicKeys: []string{string(pemBytes)}}, http.StatusCreated)
	keyID := gm.KeyID(&k.PublicKey)
	bodies := make([]GroupRequest, groups)
	for g := range bodies {
		recs := make([]certificate.Record, size)
		for i := range recs {
			r := certificate.Record{Fields: certificate.Fields{ID: fmt.Sprintf("g%05d-%04d", g, i), DocHash: gm.SM3Hex([]byte(fmt.Sprint(g, i))), Type: "business-licence",
				Issuer: "dept-a", HolderCommitment: gm.SM3Hex([]byte("h")), ValidFrom: "2026-01-01T00:00:00Z", KeyID: keyID}}
			if r.Signature, err = canon.Sign(k, canon.KindCertificate, r); err != nil {
				t.Fatal(err)
			}
			recs[i] = r
		}
		bodies[g] = GroupRequest{Records: recs}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				g := int(next.Add(1)) - 1
				if g >= groups {
					return
				}
				s.must(t, "POST", "/api/v1/certificates/groups", "a", bodies[g], http.StatusOK)
			}
		}()
	}
	wg.Wait()
	d := time.Since(t0)
	t.Logf("%d groups of %d through REST on the devnet (4 clients): %s, %.0f certificates/s", groups, size, d.Round(time.Millisecond), float64(groups*size)/d.Seconds())
}
