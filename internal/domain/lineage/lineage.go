// Package lineage holds the shape of the lineage graph: a certificate, the
// exchanges that carried it (an exchange names the certificate ids it
// transfers) and the tickets that refer to either. The chaincode writes one
// index entry per link in each direction when the exchange or ticket is
// recorded, so the graph is read from ledger data by key prefix, never by a
// scan; this package holds the references, nodes and edges, and the rules of
// a walk (depth and size bounds). It never imports the shim.
package lineage

import (
	"slices"
	"strings"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Record kinds that take part in lineage.
const (
	KindCertificate = "certificate"
	KindExchange    = "exchange"
	KindTicket      = "ticket"
)

// Kinds lists the record kinds, in the order a graph lists nodes.
var Kinds = []string{KindCertificate, KindExchange, KindTicket}

// Relations of an edge, read from the edge's From to its To.
const (
	// RelCarries: an exchange carried a certificate.
	RelCarries = "carries"
	// RelRefersTo: a ticket refers to a certificate or an exchange.
	RelRefersTo = "refers-to"
)

// Bounds of a ticket's references and of a walk.
const (
	MaxRefs      = 16
	DefaultDepth = 3
	MaxDepth     = 6
	MaxNodes     = 500
)

// Ref names a record: kind and id, written "kind:id".
type Ref struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

func (r Ref) String() string { return r.Kind + ":" + r.ID }

// ParseRef reads "kind:id" (kind certificate, exchange or ticket; id a record id).
func ParseRef(s string) (Ref, error) {
	kind, id, ok := strings.Cut(s, ":")
	r := Ref{Kind: kind, ID: id}
	if !ok || !slices.Contains(Kinds, kind) || !wire.ValidID(id) {
		return Ref{}, codes.New(codes.InvalidArgument, "reference %q: want certificate:ID, exchange:ID or ticket:ID", s)
	}
	return r, nil
}

// CheckTicketRefs validates the references a ticket carries: at most MaxRefs,
// each "certificate:ID" or "exchange:ID", sorted and unique (one written form).
func CheckTicketRefs(fe *wire.FieldErrors, field string, refs []string) {
	if len(refs) > MaxRefs {
		fe.Add(field, "more than %d references", MaxRefs)
		return
	}
	for i, s := range refs {
		r, err := ParseRef(s)
		if err != nil || r.Kind == KindTicket {
			fe.Add(field, "%q: want certificate:ID or exchange:ID", s)
			return
		}
		if i > 0 && refs[i-1] >= s {
			fe.Add(field, "must be sorted and unique (%q before %q)", refs[i-1], s)
			return
		}
	}
}

// Link is one stored link: From relates to To (Relation). The chaincode stores
// it under both ends.
type Link struct {
	From     Ref
	To       Ref
	Relation string
}

// Carries is the link of exchange x carrying certificate c.
func Carries(x, c string) Link {
	return Link{From: Ref{KindExchange, x}, To: Ref{KindCertificate, c}, Relation: RelCarries}
}

// RefersTo is the link of ticket t referring to r.
func RefersTo(t string, r Ref) Link {
	return Link{From: Ref{KindTicket, t}, To: r, Relation: RelRefersTo}
}

// RelationBetween is the relation of a stored link between kinds a and b
// (either order), and whether a is its From end.
func RelationBetween(a, b string) (rel string, aIsFrom bool, ok bool) {
	switch {
	case a == KindExchange && b == KindCertificate:
		return RelCarries, true, true
	case a == KindCertificate && b == KindExchange:
		return RelCarries, false, true
	case a == KindTicket && (b == KindCertificate || b == KindExchange):
		return RelRefersTo, true, true
	case b == KindTicket && (a == KindCertificate || a == KindExchange):
		return RelRefersTo, false, true
	}
	return "", false, false
}

// Node is one record of a graph with what a reader needs to place it; Missing
// when a link names a record the ledger does not hold.
type Node struct {
	Kind        string   `json:"kind"`
	ID          string   `json:"id"`
	Depth       int      `json:"depth"`
	Missing     bool     `json:"missing,omitempty"`
	Status      string   `json:"status,omitempty"`
	Time        string   `json:"time,omitempty"`     // issued (certificate), sent (exchange), created (ticket)
	Type        string   `json:"type,omitempty"`     // certificate type, ticket category
	Issuer      string   `json:"issuer,omitempty"`   // certificate
	Provider    string   `json:"provider,omitempty"` // exchange
	Consumer    string   `json:"consumer,omitempty"` // exchange
	GrantID     string   `json:"grantId,omitempty"`  // exchange
	Departments []string `json:"departments,omitempty"`
	TxID        string   `json:"txId,omitempty"`
}

// Ref is the node's reference.
func (n Node) Ref() Ref { return Ref{n.Kind, n.ID} }

// Edge is one link of a graph, "kind:id" to "kind:id".
type Edge struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Relation string `json:"relation"`
}

// Graph is the lineage around Root: every record reachable from it within
// Depth links, in both directions. Truncated when a bound stopped the walk;
// Hidden counts nodes a reader may not see (set by the gateway).
type Graph struct {
	Root      string `json:"root"`
	Depth     int    `json:"depth"`
	Nodes     []Node `json:"nodes"`
	Edges     []Edge `json:"edges"`
	Truncated bool   `json:"truncated"`
	Hidden    int    `json:"hidden"`
}

// Filter keeps the nodes keep allows and the edges between kept nodes, and
// counts the rest in Hidden. The root is always kept when allowed; a node only
// reachable through a hidden one stays listed (its own record allows it).
func (g Graph) Filter(keep func(Node) bool) Graph {
	out := Graph{Root: g.Root, Depth: g.Depth, Truncated: g.Truncated, Hidden: g.Hidden, Nodes: []Node{}, Edges: []Edge{}}
	kept := map[string]bool{}
	for _, n := range g.Nodes {
		if keep(n) {
			out.Nodes = append(out.Nodes, n)
			kept[n.Ref().String()] = true
		} else {
			out.Hidden++
		}
	}
	for _, e := range g.Edges {
		if kept[e.From] && kept[e.To] {
			out.Edges = append(out.Edges, e)
		}
	}
	return out
}

// Walk builds the graph around root. neighbours returns the references linked
// to r (from the index) and whether it left some out (a bound); describe reads a record into a node (Missing when
// absent). Nodes are listed in walk order (breadth first, each level in
// reference order), edges once each, sorted.
func Walk(root Ref, depth int, neighbours func(Ref) ([]Ref, bool, error), describe func(Ref) (Node, error)) (Graph, error) {
	if depth <= 0 {
		depth = DefaultDepth
	}
	if depth > MaxDepth {
		return Graph{}, codes.New(codes.InvalidArgument, "depth %d: at most %d", depth, MaxDepth)
	}
	g := Graph{Root: root.String(), Depth: depth, Nodes: []Node{}, Edges: []Edge{}}
	seen := map[string]bool{root.String(): true}
	edges := map[Edge]bool{}
	level := []Ref{root}
	for d := 0; len(level) > 0; d++ {
		var next []Ref
		for _, r := range level {
			n, err := describe(r)
			if err != nil {
				return Graph{}, err
			}
			n.Kind, n.ID, n.Depth = r.Kind, r.ID, d
			g.Nodes = append(g.Nodes, n)
			if n.Missing {
				continue
			}
			ns, more, err := neighbours(r)
			if err != nil {
				return Graph{}, err
			}
			if more {
				g.Truncated = true
			}
			for _, m := range ns {
				rel, rIsFrom, ok := RelationBetween(r.Kind, m.Kind)
				if !ok {
					continue
				}
				e := Edge{From: r.String(), To: m.String(), Relation: rel}
				if !rIsFrom {
					e.From, e.To = m.String(), r.String()
				}
				edges[e] = true
				if seen[m.String()] {
					continue
				}
				if d == depth || len(seen) >= MaxNodes {
					g.Truncated = true
					continue
				}
				seen[m.String()] = true
				next = append(next, m)
			}
		}
		level = next
	}
	// Edges to nodes beyond the depth were not followed; keep only edges whose
	// ends are both listed.
	listed := map[string]bool{}
	for _, n := range g.Nodes {
		listed[n.Ref().String()] = true
	}
	for e := range edges {
		if listed[e.From] && listed[e.To] {
			g.Edges = append(g.Edges, e)
		}
	}
	slices.SortFunc(g.Edges, func(a, b Edge) int {
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		return strings.Compare(a.To, b.To)
	})
	return g, nil
}
