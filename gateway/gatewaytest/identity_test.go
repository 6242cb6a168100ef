package gatewaytest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/loadtest/record"
)

// TestIdentityE2E runs the type catalogue and v2 certificates through the real
// chaincode on the devnet, the REST API and the CLI (in-process):
// department codes, types and grants by the governance admin; a v1 certificate
// issued before the catalogue keeps verifying; v2 issue by `cert issue --type CODE
// --serial N` builds the identifier; verify by file and by identifier shows the
// GB/T 36903 fields; a wrong check character fails step 1 naming the expected one;
// v1 issues, unknown types and types the department may not issue are refused.
func TestIdentityE2E(t *testing.T) {
	s := startStack(t)
	ctx, c, depts := seeded(t, s, 3*time.Minute)
	a := depts["dept-a"]
	now := time.Now().UTC()
	cl := newCLIRun(ctx, t, s)
	dir, cli, mustCLI, write := cl.dir, cl.run, cl.must, cl.write

	// A v1 certificate, issued before any type is registered.
	oldDoc := "Old business licence No. 2019-7\n"
	old, err := a.Certificate("c-v1-old", []byte(oldDoc), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, old); err != nil || r.Status != http.StatusCreated {
		t.Fatalf("v1 issue: %v %+v", err, r)
	}

	// Governance: codes, then the catalogue.
	r := cli(gatewaytest.GovAdmin, "dept", "set-code", "dept-a", "11330100MB1234567F")
	if r.Code != 2 || !strings.Contains(r.Stderr, "expected 'E'") {
		t.Fatalf("bad code: exit %d %s", r.Code, r.Stderr)
	}
	cl.registerCatalogue()
	if r := cli(gatewaytest.GovAdmin, "dept", "set-code", "dept-b", codeA); r.Code != 1 {
		t.Fatalf("a code held twice: exit %d %s", r.Code, r.Stderr)
	}
	if r := cli(gatewaytest.AClerk, "type", "add", "--code", "11100000MB0143028R002", "--name", "x", "--name-en", "x",
		"--defining-body", "x", "--holder-code-type", "001"); r.Code != 1 {
		t.Fatalf("a clerk registered a type: exit %d %s", r.Code, r.Stderr)
	}
	out := mustCLI("", "type", "list")
	if !strings.Contains(out, licenceType) || !strings.Contains(out, "不动产权证书") {
		t.Fatalf("type list:\n%s", out)
	}
	out = mustCLI("", "type", "show", licenceType)
	if !strings.Contains(out, "dept-a") || !strings.Contains(out, "P20Y") {
		t.Fatalf("type show:\n%s", out)
	}

	// The v1 certificate still verifies; a new v1 issue is refused.
	if out := mustCLI("", "cert", "verify", write("old.txt", oldDoc)); !strings.Contains(out, "verdict: VALID") {
		t.Fatalf("v1 verify:\n%s", out)
	}
	v1, _ := a.Certificate("c-v1-new", []byte("new v1"), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	if r, _ := s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, v1); r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "catalogue is in force") {
		t.Fatalf("v1 after the catalogue: %+v", r)
	}

	// v2 issue through the CLI.
	keyPEM, err := gm.MarshalPrivateKeyPEM(a.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := write("dept-a.pem", string(keyPEM))
	docText := "营业执照 ACME 有限公司 No. 2026000001\n"
	doc := write("licence.txt", docText)
	out = mustCLI(gatewaytest.AClerk, "cert", "issue", "--file", doc, "--type", licenceType, "--serial", "2026000001",
		"--holder-name", "ACME 有限公司", "--holder-id", "91350100M000100Y43", "--ext", "KZ_JYCS=示范市西湖路 1 号",
		"--key", keyFile, "--out-dir", dir)
	id, _ := identifier.New(licenceType, codeA, "2026000001", "001")
	if !strings.Contains(out, "issued certificate "+id.String()) || !strings.Contains(out, "issuing org") {
		t.Fatalf("cert issue:\n%s", out)
	}
	if strings.Contains(out, "91350100M000100Y43") || strings.Contains(out, "ACME 有限公司") {
		t.Fatalf("cert issue printed the holder:\n%s", out)
	}

	// Verify by file and by identifier, in the CLI and through REST.
	out = mustCLI("", "cert", "verify", doc)
	for _, want := range []string{"verdict: VALID", id.String(), "check character", id.Check + " verified", "营业执照 · Business licence",
		"Market Regulation Bureau (" + codeA + ")", "KZ_JYCS", "(Asia/Shanghai)"} {
		if !strings.Contains(out, want) {
			t.Errorf("cert verify FILE does not show %q:\n%s", want, out)
		}
	}
	type verifyAnswer struct {
		Verdict     string                   `json:"verdict"`
		Certificate *certificate.Certificate `json:"certificate"`
		Identifier  *identifier.Identifier   `json:"identifier"`
		CertType    *struct{ Name string }   `json:"certType"`
		Steps       []struct {
			Step   int
			Status string
			Detail string
		} `json:"steps"`
	}
	var vr verifyAnswer
	resp, err := s.Do(ctx, c, "GET", "/api/v1/verify?id="+url.QueryEscape(id.String())+"&hash="+gm.SM3Hex([]byte(docText)), "", nil)
	if err != nil || resp.JSON(&vr) != nil || vr.Verdict != "VALID" || vr.Identifier == nil || vr.Identifier.Check != id.Check ||
		vr.CertType == nil || vr.CertType.Name != "营业执照" || vr.Certificate.IssuerName != "Market Regulation Bureau" ||
		vr.Certificate.HolderCodeType != "001" || !strings.Contains(vr.Steps[0].Detail, "check character") {
		t.Fatalf("REST verify: %v %s", err, resp.Body)
	}
	wrong := id.String()[:len(id.String())-1] + map[bool]string{true: "1", false: "0"}[id.Check == "0"]
	// The gateway checks the id with wire's rule before the ledger: a 400 whose
	// field error names the expected check character.
	var bad struct {
		Code   string `json:"code"`
		Fields []struct{ Field, Message string }
	}
	resp, _ = s.Do(ctx, c, "GET", "/api/v1/verify?id="+url.QueryEscape(wrong), "", nil)
	if resp.Status != http.StatusBadRequest || resp.JSON(&bad) != nil || bad.Code != "INVALID_ARGUMENT" || len(bad.Fields) != 1 ||
		bad.Fields[0].Field != "id" || !strings.Contains(bad.Fields[0].Message, "expected '"+id.Check+"'") {
		t.Fatalf("wrong check character: %d %s", resp.Status, resp.Body)
	}
	if r := cli("", "cert", "verify", "--id", wrong); r.Code != 1 || !strings.Contains(r.Stdout, "expected '"+id.Check+"'") {
		t.Fatalf("cert verify --id with a wrong check character: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	// Offline, the receipt's identifier, document, signature and validity check
	// out, but without a trust bundle nothing vouches for the key (never VALID
	// offline without one, docs/receipts.md); it proves the holder's code.
	rc := filepath.Join(dir, strings.ReplaceAll(id.String(), ":", "_")+".receipt.json")
	if r := cli("", "cert", "verify", "--receipt", rc, "--offline", doc); r.Code != 1 || !strings.Contains(r.Stdout, "verdict: KEY_INVALID") ||
		!strings.Contains(r.Stdout, "check character "+id.Check+" verified") || !strings.Contains(r.Stdout, "UNTRUSTED_KEY") ||
		strings.Contains(r.Stdout, "BAD_SIGNATURE") || strings.Contains(r.Stdout, "HASH_MISMATCH") {
		t.Fatalf("offline receipt without a bundle: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	// The holder proves the code with the receipt's code salt (checked here, sent nowhere).
	if out := mustCLI("", "cert", "verify", "--receipt", rc, "--holder-id", "91350100M000100Y43", doc); !strings.Contains(out, "verdict: VALID") ||
		!strings.Contains(out, "opens holderCodeCommitment") {
		t.Fatalf("holder proof:\n%s", out)
	}
	if r := cli("", "cert", "verify", "--receipt", rc, "--holder-id", "91110000MA0000000X", doc); r.Code != 1 || !strings.Contains(r.Stdout, "HOLDER_MISMATCH") {
		t.Fatalf("wrong holder: exit %d\n%s", r.Code, r.Stdout)
	}
	var receipt struct {
		Holder map[string]string `json:"holder"`
	}
	if b, err := os.ReadFile(rc); err != nil || json.Unmarshal(b, &receipt) != nil || receipt.Holder["nameSalt"] == "" || receipt.Holder["codeSalt"] == "" {
		t.Fatalf("receipt holder %v %v", receipt.Holder, err)
	}

	// Supersede: same type and serial, next version; the old one is SUPERSEDED.
	newDoc := write("licence-2.txt", "营业执照 ACME 有限公司 No. 2026000001, amended\n")
	id2, _ := identifier.New(licenceType, codeA, "2026000001", "002")
	out = mustCLI(gatewaytest.AClerk, "cert", "supersede", id.String(), "--file", newDoc, "--valid-until", "2040-12-31",
		"--holder-name", "ACME 有限公司", "--holder-id", "91350100M000100Y43", "--key", keyFile, "--out-dir", dir)
	if !strings.Contains(out, "superseded "+id.String()+" with certificate "+id2.String()) {
		t.Fatalf("cert supersede:\n%s", out)
	}
	if r := cli("", "cert", "verify", doc); r.Code != 1 || !strings.Contains(r.Stdout, "verdict: SUPERSEDED") {
		t.Fatalf("old after supersede: exit %d\n%s", r.Code, r.Stdout)
	}
	if out := mustCLI("", "cert", "verify", "--id", id2.String(), newDoc); !strings.Contains(out, "verdict: VALID") {
		t.Fatalf("new after supersede:\n%s", out)
	}

	// Bulk issue of v2 rows from a manifest (sector fields as KZ_* columns); a rerun skips them.
	bulkDir := filepath.Join(dir, "bulk")
	if err := os.MkdirAll(bulkDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"x1.txt", "x2.txt"} {
		if err := os.WriteFile(filepath.Join(bulkDir, n), []byte("licence "+n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mf := write("manifest.csv", "file,type,serial,holder_name,holder_id,KZ_JYCS\n"+
		"x1.txt,"+licenceType+",2026000101,Alpha Ltd,91350100M000100Y43,路 1 号\n"+
		"x2.txt,"+licenceType+",2026000102,Beta Ltd,91350100M000100Y43,\n")
	outDir := filepath.Join(dir, "bulk-out")
	out = mustCLI(gatewaytest.AClerk, "cert", "issue", "--dir", bulkDir, "--manifest", mf, "--key", keyFile, "--out-dir", outDir)
	if !strings.Contains(out, "issued:") || !strings.Contains(out, "2") {
		t.Fatalf("bulk:\n%s", out)
	}
	b1, _ := identifier.New(licenceType, codeA, "2026000101", "001")
	if out := mustCLI("", "cert", "verify", "--id", b1.String(), filepath.Join(bulkDir, "x1.txt")); !strings.Contains(out, "verdict: VALID") || !strings.Contains(out, "路 1 号") {
		t.Fatalf("bulk row 1:\n%s", out)
	}
	if out := mustCLI(gatewaytest.AClerk, "cert", "issue", "--dir", bulkDir, "--manifest", mf, "--key", keyFile, "--out-dir", outDir); !strings.Contains(out, "skipped (done before):  2") {
		t.Fatalf("bulk rerun:\n%s", out)
	}

	// Catalogue refusals through the CLI: a type dept-a may not issue, an unknown type.
	if r := cli(gatewaytest.AClerk, "cert", "issue", "--file", doc, "--type", estateType, "--serial", "1", "--holder-name", "张三",
		"--holder-id", "11010519491231002X", "--key", keyFile, "--out-dir", dir); r.Code != 1 || !strings.Contains(r.Stderr, "may not issue") {
		t.Fatalf("estate type by dept-a: exit %d %s", r.Code, r.Stderr)
	}
	if r := cli(gatewaytest.AClerk, "cert", "issue", "--file", doc, "--type", "11100000MB0143028R009", "--serial", "1", "--holder-name", "x",
		"--holder-id", "91350100M000100Y43", "--key", keyFile, "--out-dir", dir); r.Code != 1 || !strings.Contains(r.Stderr, "not in the catalogue") {
		t.Fatalf("unknown type: exit %d %s", r.Code, r.Stderr)
	}
	// The ledger itself refuses what the CLI's pre-check would: dept-b's estate type
	// signed by dept-a, built by loadtest/record, sent straight to REST.
	estate := certtype.Registration{Code: estateType, Name: "不动产权证书", NameEn: "Real estate title certificate",
		DefiningBody: "自然资源部", HolderCodeType: certtype.HolderCitizenID}
	if err := a.UseV2(record.V2{Name: "Market Regulation Bureau", Code: codeA, Type: estate}); err != nil {
		t.Fatal(err)
	}
	rec, err := a.Certificate("9", []byte("deed"), now.Add(-time.Hour), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, rec); r.Status != http.StatusForbidden {
		t.Fatalf("estate type by dept-a through REST: %+v", r)
	}
	// After a grant it goes through; after the withdrawal no more.
	mustCLI(gatewaytest.GovAdmin, "type", "grant", estateType, "dept-a")
	if r, _ := s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, rec); r.Status != http.StatusCreated {
		t.Fatalf("after the grant: %+v", r)
	}
	mustCLI(gatewaytest.GovAdmin, "type", "revoke", estateType, "dept-a")
	rec2, err := a.Certificate("10", []byte("deed 2"), now.Add(-time.Hour), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, rec2); r.Status != http.StatusForbidden {
		t.Fatalf("after the withdrawal: %+v", r)
	}
}
