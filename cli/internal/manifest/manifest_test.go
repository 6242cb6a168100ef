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
		"unknown column": "file,type,holder_id,valid_until,name\na,b,c,d,e\n",
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
