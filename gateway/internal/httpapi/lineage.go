package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/certledger/certledger/internal/domain/lineage"
)

// Lineage (docs/exchange.md, "Lineage"): a certificate, the exchanges that
// carried it and the tickets that refer to either, both ways, from the ledger's
// lineage index (lineage:Graph). Certificates are public; an exchange is shown
// to its parties, a ticket to the departments that may read it (package access),
// and the rest is counted in "hidden". Auditors and the governance department
// see the whole graph.

func (s *Server) registerLineage(r *Router) {
	r.Add(Route{Pattern: "GET /api/v1/audit/lineage/{id}", Handler: s.getLineage})
}

func (s *Server) getLineage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	kind := q.Get("kind")
	if kind == "" {
		kind = lineage.KindCertificate
	}
	var c checks
	c.oneOf("kind", kind, lineage.Kinds...)
	depth := q.Get("depth")
	if depth != "" {
		if n, err := parseInt(depth); err != nil || n < 1 || n > lineage.MaxDepth {
			c.add("depth", "want a number from 1 to %d", lineage.MaxDepth)
		}
	}
	if err := c.err(); err != nil {
		return err
	}
	audit(r, "lineage/"+kind+"/"+id)
	raw, err := s.ledger.Evaluate(r.Context(), s.org(r), "lineage:Graph", kind, id, depth)
	if err != nil {
		return err
	}
	var g lineage.Graph
	if err := json.Unmarshal(raw, &g); err != nil {
		return fmt.Errorf("decoding lineage of %s %s from ledger: %w", kind, id, err)
	}
	if s.seesAll(r) {
		return writeJSON(w, http.StatusOK, g)
	}
	visible := map[string]bool{}
	for _, n := range g.Nodes {
		ok, err := s.mayReadNode(r, n)
		if err != nil {
			return err
		}
		visible[n.Ref().String()] = ok
	}
	if !visible[g.Root] {
		return forbidden("%s %s is not yours to read (only auditors and the governance department read every lineage)", kind, id)
	}
	return writeJSON(w, http.StatusOK, g.Filter(func(n lineage.Node) bool { return visible[n.Ref().String()] }))
}

// mayReadNode applies the single-record read policy to a lineage node.
func (s *Server) mayReadNode(r *http.Request, n lineage.Node) (bool, error) {
	c := caller(r)
	switch n.Kind {
	case lineage.KindCertificate:
		return true, nil
	case lineage.KindExchange:
		return s.policy().Party(c, n.Provider, n.Consumer), nil
	case lineage.KindTicket:
		return s.mayReadTicket(r.Context(), c, n.Departments)
	}
	return false, nil
}

func parseInt(s string) (int, error) {
	var n int
	_, err := fmt.Sscanf(s, "%d", &n)
	if err != nil || itoa(n) != s {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return n, nil
}
