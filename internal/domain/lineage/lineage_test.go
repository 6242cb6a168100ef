package lineage

import (
	"errors"
	"fmt"
	"testing"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

func TestParseRefAndTicketRefs(t *testing.T) {
	if r, err := ParseRef("certificate:c-1"); err != nil || r != (Ref{KindCertificate, "c-1"}) {
		t.Fatalf("ParseRef = %v, %v", r, err)
	}
	for _, bad := range []string{"", "c-1", "batch:b-1", "certificate:", "certificate:a b", ":x"} {
		if _, err := ParseRef(bad); !errors.Is(err, codes.ErrInvalidArgument) {
			t.Errorf("ParseRef(%q) = %v", bad, err)
		}
	}
	for _, c := range []struct {
		refs []string
		ok   bool
	}{
		{nil, true},
		{[]string{"certificate:c-1", "exchange:x-1"}, true},
		{[]string{"exchange:x-1", "certificate:c-1"}, false}, // unsorted
		{[]string{"certificate:c-1", "certificate:c-1"}, false},
		{[]string{"ticket:t-1"}, false},
		{make([]string, MaxRefs+1), false},
	} {
		var fe wire.FieldErrors
		CheckTicketRefs(&fe, "refs", c.refs)
		if (fe.Err() == nil) != c.ok {
			t.Errorf("CheckTicketRefs(%v) = %v", c.refs, fe.Err())
		}
	}
}

// A chain c0 <- x0 -> c1 <- x1 -> c2 ..., with t0 referring to c0: the walk
// follows links both ways, bounded by depth, and marks truncation.
func TestWalk(t *testing.T) {
	links := map[string][]Ref{}
	add := func(a, b Ref) {
		links[a.String()] = append(links[a.String()], b)
		links[b.String()] = append(links[b.String()], a)
	}
	for i := range 5 {
		x := Ref{KindExchange, fmt.Sprint("x", i)}
		add(x, Ref{KindCertificate, fmt.Sprint("c", i)})
		add(x, Ref{KindCertificate, fmt.Sprint("c", i+1)})
	}
	add(Ref{KindTicket, "t0"}, Ref{KindCertificate, "c0"})
	add(Ref{KindTicket, "t0"}, Ref{KindCertificate, "missing"})
	nb := func(r Ref) ([]Ref, bool, error) { return links[r.String()], false, nil }
	desc := func(r Ref) (Node, error) { return Node{Missing: r.ID == "missing"}, nil }

	g, err := Walk(Ref{KindTicket, "t0"}, 2, nb, desc)
	if err != nil {
		t.Fatal(err)
	}
	// t0 -> c0, missing -> x0 (depth 2); c1 is beyond.
	if len(g.Nodes) != 4 || !g.Truncated || len(g.Edges) != 3 {
		t.Fatalf("depth 2: %+v", g)
	}
	for _, e := range g.Edges {
		if e.From == "certificate:c0" || (e.From == "exchange:x0" && e.Relation != RelCarries) {
			t.Errorf("edge direction %+v", e)
		}
	}
	g, _ = Walk(Ref{KindCertificate, "c3"}, 6, nb, desc)
	// c3, x2 x3, c2 c4, x1 x4, c1 c5, x0, c0 at depth 6; t0 would be 7.
	if len(g.Nodes) != 11 || !g.Truncated {
		t.Fatalf("depth 6 from c3: %d nodes, truncated %v", len(g.Nodes), g.Truncated)
	}
	f := g.Filter(func(n Node) bool { return n.Kind != KindExchange })
	if f.Hidden != 5 || len(f.Nodes) != 6 || len(f.Edges) != 0 { // every link goes through an exchange
		t.Fatalf("filter: hidden %d, edges %+v", f.Hidden, f.Edges)
	}
	if _, err := Walk(Ref{KindCertificate, "c0"}, MaxDepth+1, nb, desc); err == nil {
		t.Fatal("depth beyond the bound accepted")
	}
}
