package table_test

import (
	"bytes"
	"testing"

	"github.com/certledger/certledger/loadtest/internal/table"
)

func TestWrite(t *testing.T) {
	tb := table.New("title", "a", "bb")
	tb.Add("1", "2")
	tb.Add("333")
	tb.Note("n=%d", 3)
	var md, txt bytes.Buffer
	if err := tb.Write(&md, table.Markdown); err != nil {
		t.Fatal(err)
	}
	if want := "title\n\n| a | bb |\n|---|---|\n| 1 | 2 |\n| 333 |  |\n\nn=3\n\n"; md.String() != want {
		t.Fatalf("markdown:\n%q\nwant\n%q", md.String(), want)
	}
	if err := tb.Write(&txt, table.Text); err != nil {
		t.Fatal(err)
	}
	if want := "title\n  a  bb\n  1  2\n  333\nn=3\n\n"; txt.String() != want {
		t.Fatalf("text:\n%q\nwant\n%q", txt.String(), want)
	}
	if _, err := table.ParseFormat("html"); err == nil {
		t.Fatal("html accepted")
	}
}
