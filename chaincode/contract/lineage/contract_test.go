package lineage_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/lineage"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/internal/gm"
)

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// generated is a ledger with certificates, exchanges that carry random subsets
// of them and tickets that refer to random certificates and exchanges, and the
// links the test made (the expected graph, kept independently of the index).
type generated struct {
	l                         *ledgertest.Ledger
	links                     map[string][]string // "kind:id" -> linked "kind:id", both ways
	certs, exchanges, tickets []string
}

func generate(t *testing.T, nCerts, nExchanges, nTickets int, seed uint64) *generated {
	t.Helper()
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	g := &generated{l: ledgertest.New(t, cc), links: map[string][]string{}}
	l := g.l
	l.SetNow(time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC))
	l.InitRegistry()
	market, social := ledgertest.NewSigner(t), ledgertest.NewSigner(t)
	l.RegisterDepartmentWith(map[string]any{"id": "market", "name": "Market", "mspId": "MarketMSP", "categories": []string{"business-licence", "licence"}}, market)
	l.RegisterDepartment("social", "SocialMSP", social)
	mkt, soc := ledgertest.Tx{MSP: "MarketMSP"}, ledgertest.Tx{MSP: "SocialMSP"}
	l.Advance(time.Minute)
	link := func(a, b string) {
		g.links[a] = append(g.links[a], b)
		g.links[b] = append(g.links[b], a)
	}

	for i := range nCerts {
		r := certificate.Record{Fields: certificate.Fields{ID: fmt.Sprintf("c-%03d", i), DocHash: gm.SM3Hex([]byte(fmt.Sprint("doc", i))), Type: "business-licence",
			Issuer: "market", HolderCommitment: gm.Commitment([]byte("0123456789abcdef"), fmt.Sprint("holder", i)),
			ValidFrom: "2026-01-01T00:00:00Z", ValidUntil: "2031-01-01T00:00:00Z", KeyID: market.KeyID}}
		r.Signature = market.Sign(t, canon.KindCertificate, r)
		l.MustSubmit(mkt, "certificate:Issue", js(r))
		g.certs = append(g.certs, r.ID)
	}
	l.MustSubmit(mkt, "exchange:AddCatalogItem", `{"provider":"market","id":"licences","name":"Licences","fields":["id","name"]}`)
	gr := exchange.GrantRequest{ID: "g-1", Provider: "market", Consumer: "social", Item: "licences", Fields: []string{"id", "name"},
		PurposeHash: gm.SM3Hex([]byte("checks")), LegalBasis: "Reg. 1", ValidFrom: wire.FormatTime(l.Now().Add(-time.Hour)),
		ValidUntil: wire.FormatTime(l.Now().Add(30 * 24 * time.Hour)), KeyID: market.KeyID}
	k, rec := gr.SignedForm()
	gr.Signature = market.Sign(t, k, rec)
	l.MustSubmit(mkt, "exchange:CreateGrant", js(gr))

	for i := range nExchanges {
		n := 1 + rng.IntN(4)
		var certs []string
		for range n {
			certs = append(certs, g.certs[rng.IntN(len(g.certs))])
		}
		certs = exchange.SortIDs(certs)
		req := exchange.SendRequest{ID: fmt.Sprintf("x-%03d", i), GrantID: "g-1", Provider: "market", Consumer: "social", Fields: []string{"id"},
			PayloadHash: gm.SM3Hex([]byte(fmt.Sprint("p", i))), EnvelopeHash: gm.SM3Hex([]byte(fmt.Sprint("e", i))), Certificates: certs, KeyID: market.KeyID}
		k, rec := req.SignedForm()
		req.Signature = market.Sign(t, k, rec)
		l.MustSubmit(mkt, "exchange:Send", js(req))
		g.exchanges = append(g.exchanges, req.ID)
		for _, c := range certs {
			link("exchange:"+req.ID, "certificate:"+c)
		}
	}
	_ = soc
	for i := range nTickets {
		var refs []string
		for range 1 + rng.IntN(3) {
			if rng.IntN(2) == 0 {
				refs = append(refs, "certificate:"+g.certs[rng.IntN(len(g.certs))])
			} else {
				refs = append(refs, "exchange:"+g.exchanges[rng.IntN(len(g.exchanges))])
			}
		}
		slices.Sort(refs)
		refs = slices.Compact(refs)
		in := workorder.SubmitInput{ID: fmt.Sprintf("t-%03d", i), Category: "licence", ContentHash: gm.SM3Hex([]byte(fmt.Sprint("c", i))),
			ReporterCommitment: gm.SM3Hex([]byte(fmt.Sprint("r", i))), Channel: "web", Refs: refs}
		l.MustSubmit(ledgertest.Gov, "workorder:Submit", js(in))
		g.tickets = append(g.tickets, in.ID)
		for _, r := range refs {
			link("ticket:"+in.ID, r)
		}
	}
	return g
}

// expect is the graph within depth of root from the generated links (a plain
// breadth-first walk over the test's own data).
func (g *generated) expect(root string, depth int) (nodes map[string]int, edges map[string]bool) {
	nodes, edges = map[string]int{root: 0}, map[string]bool{}
	level := []string{root}
	for d := 1; d <= depth; d++ {
		var next []string
		for _, n := range level {
			for _, m := range g.links[n] {
				if _, ok := nodes[m]; !ok {
					nodes[m] = d
					next = append(next, m)
				}
			}
		}
		level = next
	}
	for n := range nodes {
		for _, m := range g.links[n] {
			if _, ok := nodes[m]; ok {
				a, b := n, m
				if (!strings.HasPrefix(a, "exchange:") || !strings.HasPrefix(b, "certificate:")) && !strings.HasPrefix(a, "ticket:") {
					a, b = b, a
				}
				edges[a+">"+b] = true
			}
		}
	}
	return nodes, edges
}

func TestLineageGeneratedSet(t *testing.T) {
	g := generate(t, 30, 40, 50, 7)
	roots := []string{"certificate:" + g.certs[0], "certificate:" + g.certs[17], "exchange:" + g.exchanges[5], "ticket:" + g.tickets[3], "ticket:" + g.tickets[44]}
	for _, root := range roots {
		for _, depth := range []int{1, 2, 3} {
			kind, id, _ := strings.Cut(root, ":")
			var got lineage.Graph
			g.l.MustEvaluate(ledgertest.Tx{}, "lineage:Graph", kind, id, fmt.Sprint(depth)).MustDecode(t, &got)
			wantNodes, wantEdges := g.expect(root, depth)
			gotNodes := map[string]int{}
			for _, n := range got.Nodes {
				if n.Missing {
					t.Errorf("%s: node %s missing", root, n.Ref())
				}
				gotNodes[n.Ref().String()] = n.Depth
			}
			if !mapsEqual(gotNodes, wantNodes) {
				t.Errorf("%s depth %d: %d nodes, want %d", root, depth, len(gotNodes), len(wantNodes))
			}
			gotEdges := map[string]bool{}
			for _, e := range got.Edges {
				gotEdges[e.From+">"+e.To] = true
				wantRel := lineage.RelCarries
				if strings.HasPrefix(e.From, "ticket:") {
					wantRel = lineage.RelRefersTo
				}
				if e.Relation != wantRel {
					t.Errorf("%s: edge %+v", root, e)
				}
			}
			t.Logf("%s depth %d: %d nodes, %d edges, truncated %v", root, depth, len(gotNodes), len(gotEdges), got.Truncated)
			if !mapsEqual(gotEdges, wantEdges) {
				t.Errorf("%s depth %d: %d edges, want %d", root, depth, len(gotEdges), len(wantEdges))
			}
		}
	}
	// A certificate's node describes it; an exchange's names its parties; a
	// ticket's its departments.
	var got lineage.Graph
	g.l.MustEvaluate(ledgertest.Tx{}, "lineage:Graph", "ticket", g.tickets[0], "2").MustDecode(t, &got)
	for _, n := range got.Nodes {
		switch n.Kind {
		case lineage.KindCertificate:
			if n.Issuer != "market" || n.Status == "" || n.TxID == "" {
				t.Errorf("certificate node %+v", n)
			}
		case lineage.KindExchange:
			if n.Provider != "market" || n.Consumer != "social" || n.GrantID != "g-1" {
				t.Errorf("exchange node %+v", n)
			}
		case lineage.KindTicket:
			if !slices.Contains(n.Departments, "market") {
				t.Errorf("ticket node %+v", n)
			}
		}
	}
}

func mapsEqual[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestLineageRefusals(t *testing.T) {
	g := generate(t, 2, 1, 0, 1)
	in := workorder.SubmitInput{ID: "t-x", Category: "licence", ContentHash: gm.SM3Hex([]byte("c")), ReporterCommitment: gm.SM3Hex([]byte("r")), Channel: "web"}
	for _, c := range []struct {
		refs []string
		code string
	}{
		{[]string{"certificate:c-404"}, codes.NotFound},
		{[]string{"exchange:x-404"}, codes.NotFound},
		{[]string{"ticket:t-1"}, codes.InvalidArgument},
		{[]string{"exchange:x-000", "certificate:c-000"}, codes.InvalidArgument}, // not sorted
		{[]string{"licence:1"}, codes.InvalidArgument},
	} {
		in.Refs = c.refs
		before := len(g.l.Keys())
		if r := g.l.Submit(ledgertest.Gov, "workorder:Submit", js(in)); r.Code() != c.code || len(g.l.Keys()) != before {
			t.Errorf("refs %v: %q, want %s and nothing written", c.refs, r.Message, c.code)
		}
	}
	for _, args := range [][]string{{"certificate", "c-404", ""}, {"batch", "b-1", ""}, {"certificate", "c-000", "9"}, {"certificate", "c-000", "x"}} {
		r := g.l.Evaluate(ledgertest.Tx{}, "lineage:Graph", args...)
		if r.OK() {
			t.Errorf("Graph %v answered", args)
		}
	}
}
