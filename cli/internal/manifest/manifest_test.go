package manifest

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	in := "\ufeffFile, Type ,holder_id,valid_until,id\n# a comment\n\na.pdf,licence,110101,2027-01-01,c-1\n\"b, c.pdf\",permit,220202,2028-01-01,c-2\n"
	rows, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].File != "b, c.pdf" || rows[1].ID != "c-2" || rows[0].HolderID != "110101" || rows[0].Line != 4 {
		t.Fatalf("%+v", rows)
	}
	if rows[0].Key() != "id:c-1" {
		t.Fatal(rows[0].Key())
	}
}

func TestParseErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          "",
		"no rows":        "file,type,holder_id,valid_until\n",
		"missing column": "file,type,holder_id\na,b,c\n",
		"unknown column": "file,type,holder_id,valid_until,colour\na,b,c,d,e\n",
		"v2 field in v1": "file,type,holder_id,valid_until,serial\na,b,c,d,7\n",
		"v2 no serial":   "file,type,holder_id,holder_name\na,11100000MB0143028R001,c,n\n",
		"v2 no name":     "file,type,holder_id,serial\na,11100000MB0143028R001,c,1\n",
		"v2 dup serial":  "file,type,holder_id,holder_name,serial\na,11100000MB0143028R001,c,n,1\nb,11100000MB0143028R001,d,m,1\n",
		"twice":          "file,file,type,holder_id,valid_until\na,a,b,c,d\n",
		"empty value":    "file,type,holder_id,valid_until\na,b,,d\n",
		"field count":    "file,type,holder_id,valid_until\na,b,c\n",
		"dup id":         "file,type,holder_id,valid_until,id\na,b,c,d,x\ne,f,g,h,x\n",
		"dup row":        "file,type,holder_id,valid_until\na,b,c,d\na,b,z,d\n",
		"bad quote":      "file,type,holder_id,valid_until\n\"a,b,c,d\n",
	} {
		if _, err := Parse(strings.NewReader(in)); !errors.Is(err, ErrBadManifest) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("file,type,holder_id,valid_until\na.pdf,t,h,2027-01-01\n")
	f.Add("id,file,type,holder_id,valid_until,valid_from\nx,a,b,c,d,e\n")
	f.Add("file,type\n\"")
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := Parse(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, ErrBadManifest) {
				t.Fatalf("unwrapped error %v", err)
			}
			return
		}
		ids := map[string]bool{}
		for _, r := range rows {
			if r.File == "" || r.Type == "" || r.HolderID == "" || r.ValidUntil == "" {
				t.Fatalf("empty required field in %+v", r)
			}
			if ids[r.Key()] {
				t.Fatalf("duplicate key %q", r.Key())
			}
			ids[r.Key()] = true
		}
	})
}

func TestParseV2(t *testing.T) {
	in := "file,type,serial,holder_name,holder_id,KZ_JYCS,valid_until\n" +
		"a.pdf,11100000MB0143028R001,2026000001,ACME 有限公司,91350100M000100Y43,西湖路 1 号,\n" +
		"b.pdf,11100000MB0143028R001,2026000002,Beta Ltd,91350100M000100Y43,,2030-01-01\n" +
		"c.pdf,business-licence,,,110101,,2031-01-01\n"
	rows, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !rows[0].V2() || rows[2].V2() || rows[0].Serial != "2026000001" || rows[0].HolderName != "ACME 有限公司" ||
		rows[0].Extensions["KZ_JYCS"] != "西湖路 1 号" || rows[1].Extensions != nil || rows[0].ValidUntil != "" {
		t.Fatalf("%+v", rows)
	}
	if rows[0].Key() != "v2:11100000MB0143028R001\x002026000001\x00001" {
		t.Fatalf("%q", rows[0].Key())
	}
}
