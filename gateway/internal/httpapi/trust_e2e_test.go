package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	excc "github.com/certledger/certledger/chaincode/contract/exchange"
	"github.com/certledger/certledger/gateway/internal/trustsvc"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/trust"
	"github.com/certledger/certledger/network/devnet"
)

// TestTrustBundleEndToEnd: the channel description, publishing a bundle built from
// it and the registry, serving it byte for byte, refusals, and freshness after a
// key revocation, against an in-process devnet.
func TestTrustBundleEndToEnd(t *testing.T) {
	gov, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pin := trust.Fingerprint(&gov.PublicKey)
	file := filepath.Join(t.TempDir(), "trust", "bundle.json")
	store, err := trustsvc.Open(file, pin)
	if err != nil {
		t.Fatal(err)
	}
	store.CacheFor = 0
	s := &exStack{devnetStack: startDevnetStack(t, "trust", devnet.BlockConfig{}, excc.New(), func(o *Options) { o.Trust = store })}
	keys := map[string]string{}
	for _, d := range []struct{ id, msp string }{{"dept-a", "DeptAMSP"}, {"dept-b", "DeptBMSP"}} {
		k, _ := gm.GenerateKey()
		p, _ := gm.MarshalPublicKeyPEM(&k.PublicKey)
		keys[d.id] = gm.KeyID(&k.PublicKey)
		s.must(t, "POST", "/api/v1/departments", "gov", DepartmentInput{ID: d.id, Name: d.id + " 局", MSPID: d.msp,
			Categories: []string{"housing"}, PublicKeys: []string{string(p)}}, http.StatusCreated)
	}

	// The channel as the gateway describes it.
	var ci trust.ChannelInfo
	if err := json.Unmarshal(s.must(t, "GET", "/api/v1/ledger/channel", "", nil, http.StatusOK).body, &ci); err != nil {
		t.Fatal(err)
	}
	if len(ci.Orgs) != 3 || ci.Policy.N != 2 || ci.Policy.Rule != "MAJORITY" || ci.Height < 3 || ci.BlockTime == "" {
		t.Fatalf("channel info: %+v", ci)
	}
	for _, o := range ci.Orgs {
		if _, err := trust.ParseCertPEM(o.RootCerts[0]); err != nil {
			t.Fatalf("%s root CA: %v", o.MSPID, err)
		}
	}
	if r := s.must(t, "GET", "/api/v1/trust", "", nil, http.StatusNotFound); r.code() != "NOT_FOUND" {
		t.Fatalf("no bundle yet: %s", r.body)
	}

	export := func(signer any) []byte {
		t.Helper()
		var ci trust.ChannelInfo
		_ = json.Unmarshal(s.must(t, "GET", "/api/v1/ledger/channel", "", nil, http.StatusOK).body, &ci)
		depts, err := trust.DecodeDepartments(s.must(t, "GET", "/api/v1/departments", "", nil, http.StatusOK).body)
		if err != nil {
			t.Fatal(err)
		}
		k := gov
		if signer != nil {
			k, _ = gm.GenerateKey()
		}
		sb, err := trust.Sign(trust.Build(trust.SourceFrom(&ci, depts, "gov", nil), time.Now()), k)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := sb.Marshal()
		return out
	}
	first := export(nil)
	s.must(t, "PUT", "/api/v1/trust", "a", json.RawMessage(first), http.StatusForbidden) // a clerk
	if r := s.must(t, "PUT", "/api/v1/trust", "gov", json.RawMessage(export("other")), http.StatusForbidden); r.code() != "FORBIDDEN" {
		t.Fatalf("foreign signer: %s", r.body)
	}
	tampered := bytes.Replace(first, []byte(`"dept-a 局"`), []byte(`"dept-a 总局"`), 1)
	if r := s.must(t, "PUT", "/api/v1/trust", "gov", json.RawMessage(tampered), http.StatusBadRequest); r.code() != "BAD_SIGNATURE" {
		t.Fatalf("tampered: %s", r.body)
	}
	s.must(t, "PUT", "/api/v1/trust", "gov", json.RawMessage(first), http.StatusOK)

	st, served, err := s.devnetStack.do("GET", "/api/v1/trust", "", nil)
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET trust: %d %v", st, err)
	}
	got, err := trust.Verify(served, pin)
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Bundle.KeyValidAt("dept-a", keys["dept-a"], time.Now()); !a.Valid {
		t.Fatalf("dept-a key: %+v", a)
	}

	var f trustsvc.Freshness
	_ = json.Unmarshal(s.must(t, "GET", "/api/v1/trust/status", "", nil, http.StatusOK).body, &f)
	if !f.Current || f.Fingerprint != pin || len(f.Changes) != 0 {
		t.Fatalf("fresh bundle: %+v", f)
	}

	s.must(t, "POST", "/api/v1/departments/dept-a/keys/"+keys["dept-a"]+"/revoke", "gov",
		RevokeKeyInput{Reason: "compromised"}, http.StatusOK)
	f = trustsvc.Freshness{}
	_ = json.Unmarshal(s.must(t, "GET", "/api/v1/trust/status", "", nil, http.StatusOK).body, &f)
	if f.Current || !slices.Equal(f.Changes, []string{"department dept-a: keys"}) || f.BlocksBehind == 0 {
		t.Fatalf("after a revocation: %+v", f)
	}

	second := export(nil)
	s.must(t, "PUT", "/api/v1/trust", "gov", json.RawMessage(second), http.StatusOK)
	if r := s.must(t, "PUT", "/api/v1/trust", "gov", json.RawMessage(first), http.StatusConflict); r.code() != "CONFLICT" {
		t.Fatalf("rollback: %s", r.body)
	}
	// A restarted gateway serves what was last published.
	again, err := trustsvc.Open(file, pin)
	if err != nil {
		t.Fatal(err)
	}
	raw, sb, err := again.Current()
	if err != nil || !bytes.Equal(raw, mustCompact(t, second)) || sb.Bundle.KeyValidAt("dept-a", keys["dept-a"], time.Now()).Valid {
		t.Fatalf("reopened store: %v", err)
	}
}

func mustCompact(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
