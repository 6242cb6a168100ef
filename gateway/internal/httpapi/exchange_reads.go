package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/certledger/certledger/internal/domain/exchange"
)

// Exchange reads: route → validate → authorize (package access: a party, or one
// who sees all) → ledger. A single grant or exchange is authorized once read
// (its parties are in the record); a list must name the caller's department.

func (s *Server) listCatalog(w http.ResponseWriter, r *http.Request) error {
	provider := r.URL.Query().Get("provider")
	var c checks
	c.id("provider", provider, false)
	if err := c.err(); err != nil {
		return err
	}
	audit(r, "catalog/"+provider)
	return s.evaluateWrite(w, r, s.org(r), "exchange:ListCatalog", provider)
}

// pathCatalogItem reads the path parameters provider and item of a catalogue item.
func pathCatalogItem(r *http.Request) (provider, item string, err error) {
	if provider, err = pathID(r, "provider"); err != nil {
		return "", "", err
	}
	if item, err = pathID(r, "item"); err != nil {
		return "", "", err
	}
	return provider, item, nil
}

// catalogItemRead answers fn (the item, its history) about one catalogue item.
func (s *Server) catalogItemRead(fn string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		provider, item, err := pathCatalogItem(r)
		if err != nil {
			return err
		}
		audit(r, "catalog/"+provider+"/"+item)
		return s.evaluateWrite(w, r, s.org(r), fn, provider, item)
	}
}

func (s *Server) fetchExchangeGrant(r *http.Request, org, id string) (*exchange.Grant, error) {
	raw, err := s.ledger.Evaluate(r.Context(), org, "exchange:GetGrant", id)
	if err != nil {
		return nil, err
	}
	var g exchange.Grant
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("decoding grant %s from ledger: %w", id, err)
	}
	return &g, nil
}

// exchangeListQuery reads the party, paging and other filters of the list
// endpoints into the chaincode's query object q.
func exchangeListQuery(r *http.Request, c *checks, q map[string]any, filters ...string) {
	v := r.URL.Query()
	for _, k := range []string{"provider", "consumer"} {
		c.id(k, v.Get(k), false)
		q[k] = v.Get(k)
	}
	ps, bm := pageQuery(r, c)
	if ps != "" {
		q["pageSize"], _ = strconv.Atoi(ps) // the chaincode takes a number
	}
	if bm != "" {
		q["bookmark"] = bm
	}
	for _, k := range filters {
		q[k] = v.Get(k)
	}
}

func (s *Server) listGrants(w http.ResponseWriter, r *http.Request) error {
	var c checks
	q := map[string]any{}
	exchangeListQuery(r, &c, q, "item", "status", "deletion")
	c.id("item", q["item"].(string), false)
	if st := q["status"].(string); st != "" {
		c.oneOf("status", st, grantStatuses...)
	}
	if d := q["deletion"].(string); d != "" {
		c.oneOf("deletion", d, "missing", "attested")
	}
	if err := c.err(); err != nil {
		return err
	}
	audit(r, "grants?"+r.URL.RawQuery)
	if err := s.authorizePartyList(r, q["provider"].(string), q["consumer"].(string), "grants"); err != nil {
		return err
	}
	return s.evaluateWrite(w, r, s.org(r), "exchange:ListGrants", mustJSON(q))
}

func (s *Server) listExchanges(w http.ResponseWriter, r *http.Request) error {
	var c checks
	q := map[string]any{}
	exchangeListQuery(r, &c, q, "grantId", "status")
	c.id("grantId", q["grantId"].(string), false)
	if st := q["status"].(string); st != "" {
		c.oneOf("status", st, exchangeStatuses...)
	}
	from, to := s.period(r, &c, false) // dates: inclusive days in the deployment's zone
	if err := c.err(); err != nil {
		return err
	}
	q["from"], q["to"] = from, to
	audit(r, "exchanges?"+r.URL.RawQuery)
	if err := s.authorizeExchangeList(r, q); err != nil {
		return err
	}
	return s.evaluateWrite(w, r, s.org(r), "exchange:ListExchanges", mustJSON(q))
}

// authorizeExchangeList lets a caller list its own department's exchanges, or
// those of a grant its department is a party to.
func (s *Server) authorizeExchangeList(r *http.Request, q map[string]any) error {
	provider, consumer := q["provider"].(string), q["consumer"].(string)
	err := s.authorizePartyList(r, provider, consumer, "exchanges")
	g := q["grantId"].(string)
	if err == nil || g == "" {
		return err
	}
	st, gerr := s.fetchExchangeGrant(r, s.org(r), g)
	if gerr != nil {
		return gerr
	}
	return s.authorizeParty(r, "grant "+g, st.Provider, st.Consumer)
}

// verifyExchange runs the exchange verification on the ledger. Any verdict is a
// 200. A caller who is not a party sees no result for another department's exchange.
func (s *Server) verifyExchange(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	in := verifyInputExchange{ID: q.Get("id"), PayloadHash: q.Get("hash")}
	var c checks
	if in.ID == "" && in.PayloadHash == "" {
		c.add("id, hash", "give an exchange id, a payload hash (SM3 hex) or both")
	}
	c.id("id", in.ID, false)
	c.hash("hash", in.PayloadHash, false)
	if err := c.err(); err != nil {
		return err
	}
	if in.ID != "" {
		audit(r, "exchange/"+in.ID)
	} else {
		audit(r, "payload/"+in.PayloadHash)
	}
	raw, err := s.ledger.Evaluate(r.Context(), s.org(r), "exchange:Verify", mustJSON(in))
	if err != nil {
		return err
	}
	var res struct {
		Exchange *ExchangeRecord `json:"exchange"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("decoding verify result from ledger: %w", err)
	}
	if x := res.Exchange; x != nil {
		if err := s.authorizeParty(r, "the exchange", x.Provider, x.Consumer); err != nil {
			return err
		}
	}
	return writeRaw(w, http.StatusOK, raw)
}

// partyRecord reads the grant or exchange named by the path's id, refusing it to a
// caller that is not a party to it.
func (s *Server) partyRecord(r *http.Request, kind string) (id string, raw []byte, err error) {
	id, err = pathID(r, "id")
	if err != nil {
		return "", nil, err
	}
	audit(r, kind+"/"+id)
	raw, err = s.ledger.Evaluate(r.Context(), s.org(r), exchangeGetFn[kind], id)
	if err != nil {
		return "", nil, err
	}
	var parties struct{ Provider, Consumer string }
	if err := json.Unmarshal(raw, &parties); err != nil {
		return "", nil, fmt.Errorf("decoding %s %s from ledger: %w", kind, id, err)
	}
	if err := s.authorizeParty(r, kind+" "+id, parties.Provider, parties.Consumer); err != nil {
		return "", nil, err
	}
	return id, raw, nil
}

func (s *Server) getExchangeRecord(kind string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, raw, err := s.partyRecord(r, kind)
		if err != nil {
			return err
		}
		return writeRaw(w, http.StatusOK, raw)
	}
}

func (s *Server) exchangeHistory(kind string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, _, err := s.partyRecord(r, kind)
		if err != nil {
			return err
		}
		return s.evaluateWrite(w, r, s.org(r), "exchange:History", kind, id)
	}
}

func (s *Server) getExchangePolicy(w http.ResponseWriter, r *http.Request) error {
	audit(r, "exchange/policy")
	return s.evaluateWrite(w, r, s.org(r), "exchange:GetPolicy")
}
