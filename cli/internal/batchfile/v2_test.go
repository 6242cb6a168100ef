package batchfile_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/cli/internal/batchfile"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/manifest"
	"github.com/certledger/certledger/internal/batchindex"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/gm"
)

const (
	estateType = "11100000000013338W011"
	deptCode   = "11430000006122244L"
	deptName   = "市住房和城乡建设局"
)

// catalogue completes v2 rows as the CLI does from the ledger (one type).
func catalogue(r manifest.Row) (*issue.V2, error) {
	if r.Type != estateType {
		return nil, fmt.Errorf("certificate type %s is not in the catalogue", r.Type)
	}
	return &issue.V2{
		Type:     certtype.Type{Code: estateType, Name: "不动产权证书", HolderCodeType: certtype.HolderCitizenID, Issuers: []string{"dept-a"}},
		DeptCode: deptCode, DeptName: deptName, Serial: r.Serial, Version: r.Version, Name: r.Name,
		HolderName: r.HolderName, IssueDate: r.IssueDate, Extensions: r.Extensions, Loc: time.UTC,
	}, nil
}

func v2Manifest(n int, extra string) string {
	var m strings.Builder
	m.WriteString("doc_hash,type,serial,holder_name,holder_id,valid_until,KZ_ZL\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&m, "%s,%s,2026%06d,张三%d,11010519491231002X,2046-12-31,麓山路%d号\n", gm.SM3Hex([]byte(fmt.Sprint(i))), estateType, i, i, i)
	}
	m.WriteString(extra)
	return m.String()
}

// A manifest of v2 rows builds a v2 batch: lines are the v2 signed views, the
// header says certledger/v2/certificate and lists the type code, the salts file
// has the name and code salts, and every record's commitments open with them.
func TestBuildV2(t *testing.T) {
	const n = 50
	dir := t.TempDir()
	keyID := strings.Repeat("ef", 32)
	b, err := batchfile.Build(strings.NewReader(v2Manifest(n, "")), batchfile.Options{
		BatchID: "b-2", Dept: "dept-a", KeyID: keyID, OutDir: dir, Now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), V2: catalogue,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := b.Header
	h.Signature = "c2ln"
	if err := h.Validate(); err != nil || h.RecordKind != batch.RecordKindV2 || len(h.Types) != 1 || h.Types[0] != estateType {
		t.Fatalf("header %+v: %v", h, err)
	}
	f, _ := os.Open(b.File)
	sum, err := batch.Scan(f, "dept-a", keyID, nil)
	_ = f.Close()
	if err != nil || sum.Matches(h) != nil {
		t.Fatalf("file does not rebuild the header: %v %v", err, sum.Matches(h))
	}
	salts, err := os.Open(b.Salts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = salts.Close() }() // read-only
	sc := bufio.NewScanner(salts)
	for i := 0; sc.Scan(); i++ {
		var s struct{ ID, NameSalt, CodeSalt string }
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		rec, proof, err := batchindex.Lookup(b.File, "b-2", s.ID)
		if err != nil || proof.Verify(rec, h) != nil || proof.Index != i {
			t.Fatalf("%s: %v %+v", s.ID, err, proof)
		}
		name, _ := base64.StdEncoding.DecodeString(s.NameSalt)
		code, _ := base64.StdEncoding.DecodeString(s.CodeSalt)
		c := rec.Certificate()
		if c.RecordVersion != certificate.RecordV2 || c.IssuerCode != deptCode || c.IssuerName != deptName ||
			c.HolderNameCommitment != certificate.Commit(name, fmt.Sprint("张三", i)) || c.HolderCodeCommitment != certificate.Commit(code, "11010519491231002X") ||
			c.Extensions.Map()["KZ_ZL"] != fmt.Sprintf("麓山路%d号", i) {
			t.Fatalf("record %d: %+v", i, c)
		}
		if leaf, _ := batch.Leaf(&rec); string(leaf) != string(must(c.Payload())) {
			t.Fatalf("leaf of %s is not its v2 payload", s.ID)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// A manifest mixing v1 and v2 rows is refused, naming the first line of the
// other kind; nothing is left to anchor.
func TestBuildRefusesMixedKinds(t *testing.T) {
	keyID := strings.Repeat("ef", 32)
	mixed := "doc_hash,type,serial,holder_name,holder_id,valid_until\n" +
		gm.SM3Hex([]byte("a")) + "," + estateType + ",2026000001,张三,11010519491231002X,2046-12-31\n" +
		gm.SM3Hex([]byte("b")) + ",business-licence,,,H1,2030-12-31\n"
	for name, c := range map[string]struct{ manifest, want string }{
		"v1 row after v2 rows": {mixed, "line 3: a v1 (free-form type) row in a batch of v2 (catalogue type code) rows (line 2): one batch holds one record kind"},
		"v2 row after v1 rows": {"doc_hash,type,serial,holder_name,holder_id,valid_until\n" +
			gm.SM3Hex([]byte("b")) + ",business-licence,,,H1,2030-12-31\n" +
			gm.SM3Hex([]byte("a")) + "," + estateType + ",2026000001,张三,11010519491231002X,2046-12-31\n", "line 3: a v2 (catalogue type code) row in a batch of v1"},
		"type not in catalogue": {v2Manifest(3, gm.SM3Hex([]byte("z"))+",11100000000013338W012,2026999,李四,11010519491231002X,2046-12-31,\n"), "line 5: certificate type 11100000000013338W012 is not in the catalogue"},
		"bad holder code":       {v2Manifest(3, gm.SM3Hex([]byte("z"))+","+estateType+",2026999,李四,110105194912310021,2046-12-31,\n"), "line 5: bad input: holder code"},
		"no catalogue":          {v2Manifest(1, ""), "line 2: a v2 row needs the type catalogue"},
	} {
		o := batchfile.Options{BatchID: "b", Dept: "dept-a", KeyID: keyID, OutDir: t.TempDir(), Now: time.Now(), V2: catalogue}
		if name == "no catalogue" {
			o.V2 = nil
		}
		if _, err := batchfile.Build(strings.NewReader(c.manifest), o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
