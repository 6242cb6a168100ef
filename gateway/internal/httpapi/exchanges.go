package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/exchange"
)

// Cross-department exchanges (contract "exchange"): the provider's catalogue,
// grants, exchanges sent under a grant and the consumer's acknowledgement.
//
// Writes: the principal's department must be the provider (catalogue, grants,
// send) or the consumer (ack, reject); the chaincode checks the same against the
// submitter's MSP and the SM2 signature. Reads need a token: an auditor reads
// everything, other roles only grants and exchanges their department is a party
// to (lists must name it as provider or consumer). Every request notes the record
// it touched in the access log, so refused attempts are auditable.
func (s *Server) registerExchanges(r *Router) {
	writers := []string{config.RoleAdmin, config.RoleClerk}
	r.Add(Route{Pattern: "POST /api/v1/catalog", Roles: writers, Handler: s.addCatalogItem})
	r.Add(Route{Pattern: "GET /api/v1/catalog", Handler: s.listCatalog})
	r.Add(Route{Pattern: "GET /api/v1/catalog/{provider}/{item}", Handler: s.getCatalogItem})

	r.Add(Route{Pattern: "POST /api/v1/grants", Roles: writers, Handler: s.createGrant})
	r.Add(Route{Pattern: "GET /api/v1/grants", Handler: s.listGrants})
	r.Add(Route{Pattern: "GET /api/v1/grants/{id}", Handler: s.getExchangeRecord("grant")})
	r.Add(Route{Pattern: "GET /api/v1/grants/{id}/history", Handler: s.exchangeHistory("grant")})
	r.Add(Route{Pattern: "POST /api/v1/grants/{id}/revoke", Roles: writers, Handler: s.revokeGrant})

	r.Add(Route{Pattern: "POST /api/v1/exchanges", Roles: writers, Handler: s.sendExchange})
	r.Add(Route{Pattern: "GET /api/v1/exchanges", Handler: s.listExchanges})
	r.Add(Route{Pattern: "GET /api/v1/exchanges/verify", Handler: s.verifyExchange})
	r.Add(Route{Pattern: "GET /api/v1/exchanges/{id}", Handler: s.getExchangeRecord("exchange")})
	r.Add(Route{Pattern: "GET /api/v1/exchanges/{id}/history", Handler: s.exchangeHistory("exchange")})
	r.Add(Route{Pattern: "POST /api/v1/exchanges/{id}/ack", Roles: writers, Handler: s.answerExchange("ack", "exchange:Ack")})
	r.Add(Route{Pattern: "POST /api/v1/exchanges/{id}/reject", Roles: writers, Handler: s.answerExchange("reject", "exchange:Reject")})
}

// CatalogItemInput is the body of POST /api/v1/catalog (exchange:AddCatalogItem).
type CatalogItemInput struct {
	Provider    string   `json:"provider"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Fields      []string `json:"fields"`
}

// GrantRecord is a grant as its provider signed it (exchange:CreateGrant input).
type GrantRecord = exchange.GrantRequest

// GrantRevocation is the provider's signed revocation (exchange:RevokeGrant input).
type GrantRevocation struct {
	GrantID   string `json:"grantId"`
	Reason    string `json:"reason"`
	KeyID     string `json:"keyId"`
	PrevTxID  string `json:"prevTxId"`
	Signature string `json:"signature"`
}

// ExchangeRecord is an exchange as its provider signed it (exchange:Send input).
type ExchangeRecord = exchange.SendRequest

// ExchangeAnswer is the consumer's signed acknowledgement or rejection
// (exchange:Ack / exchange:Reject input).
type ExchangeAnswer struct {
	ExchangeID  string `json:"exchangeId"`
	Consumer    string `json:"consumer"`
	PayloadHash string `json:"payloadHash"`
	Decision    string `json:"decision"`
	Reason      string `json:"reason"`
	KeyID       string `json:"keyId"`
	Signature   string `json:"signature"`
}

// storedExchangeGrant and storedExchange are the parts of ledger records the gateway reads.
type storedExchangeGrant struct {
	GrantRecord
	TxID string `json:"txId"`
}

type storedExchange struct {
	ExchangeRecord
	Ack  *ExchangeAnswer `json:"ack"`
	TxID string          `json:"txId"`
}

var exFieldNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)

func (f *fieldErrors) exFieldList(field string, v []string) {
	if len(v) == 0 {
		f.add(field, "name at least one field")
		return
	}
	for i, name := range v {
		if !exFieldNameRE.MatchString(name) {
			f.add(field+"["+itoa(i)+"]", "want a field name matching %s", exFieldNameRE)
		} else if i > 0 && v[i-1] >= name {
			f.add(field, "must be sorted and without duplicates (sort before signing)")
			return
		}
	}
}

func (f *fieldErrors) exRequiredTime(field, v string) {
	if v == "" {
		f.add(field, "is required (RFC 3339)")
		return
	}
	f.time(field, v)
}

// exchangeParty is the principal's right to see a record between provider and consumer.
func exchangeParty(p *auth.Principal, provider, consumer string) bool {
	return p.Role == config.RoleAuditor || p.Department == provider || p.Department == consumer
}

// ---- catalogue ----

func (s *Server) addCatalogItem(w http.ResponseWriter, r *http.Request) error {
	var in CatalogItemInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var f fieldErrors
	f.id("provider", in.Provider, true)
	f.id("id", in.ID, true)
	f.exFieldList("fields", in.Fields)
	if err := f.err(); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "catalog/"+in.Provider+"/"+in.ID)
	if in.Provider != p.Department {
		return forbidden("provider %s is not your department (%s)", in.Provider, p.Department)
	}
	return s.submitWrite(w, r, http.StatusCreated, p.Org, "exchange:AddCatalogItem", mustJSON(in))
}

func (s *Server) listCatalog(w http.ResponseWriter, r *http.Request) error {
	provider := r.URL.Query().Get("provider")
	var f fieldErrors
	f.id("provider", provider, false)
	if err := f.err(); err != nil {
		return err
	}
	audit(r, "catalog/"+provider)
	return s.evaluateWrite(w, r, s.org(r), "exchange:ListCatalog", provider)
}

func (s *Server) getCatalogItem(w http.ResponseWriter, r *http.Request) error {
	provider, err := pathID(r, "provider")
	if err != nil {
		return err
	}
	item, err := pathID(r, "item")
	if err != nil {
		return err
	}
	audit(r, "catalog/"+provider+"/"+item)
	return s.evaluateWrite(w, r, s.org(r), "exchange:GetCatalogItem", provider, item)
}

// ---- grants ----

func validateGrant(g *GrantRecord) error {
	var f fieldErrors
	f.id("id", g.ID, true)
	f.id("provider", g.Provider, true)
	f.id("consumer", g.Consumer, true)
	f.id("item", g.Item, true)
	f.exFieldList("fields", g.Fields)
	f.required("purpose", g.Purpose)
	f.required("legalBasis", g.LegalBasis)
	f.exRequiredTime("validFrom", g.ValidFrom)
	f.exRequiredTime("validUntil", g.ValidUntil)
	f.hash("keyId", g.KeyID, true)
	f.base64("signature", g.Signature)
	return f.err()
}

func (s *Server) createGrant(w http.ResponseWriter, r *http.Request) error {
	var g GrantRecord
	if err := decodeJSON(r, &g); err != nil {
		return err
	}
	if err := validateGrant(&g); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "grant/"+g.ID)
	if g.Provider != p.Department {
		return forbidden("provider %s is not your department (%s)", g.Provider, p.Department)
	}
	res, err := s.submit(r.Context(), p.Org, "exchange:CreateGrant", mustJSON(g))
	if err == nil {
		auditTx(r, res)
		return writeResult(w, http.StatusCreated, res)
	}
	return s.replayWrite(w, r, err, p.Org, "exchange:GetGrant", g.ID, func(raw []byte) (string, bool) {
		var st storedExchangeGrant
		return st.TxID, json.Unmarshal(raw, &st) == nil && sameGrant(st.GrantRecord, g)
	}, codes.Conflict)
}

// sameGrant compares every signed field and the signature.
func sameGrant(a, b GrantRecord) bool { return mustJSON(a) == mustJSON(b) }

func (s *Server) revokeGrant(w http.ResponseWriter, r *http.Request) error {
	var in GrantRevocation
	id, err := pathIDAndBody(r, &in)
	if err != nil {
		return err
	}
	var f fieldErrors
	if in.GrantID != id {
		f.add("grantId", "must equal the grant in the path (%s)", id)
	}
	f.required("reason", in.Reason)
	f.hash("keyId", in.KeyID, true)
	f.required("prevTxId", in.PrevTxID)
	f.base64("signature", in.Signature)
	if err := f.err(); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "grant/"+id)
	g, err := s.fetchExchangeGrant(r, p.Org, id)
	if err != nil {
		return err
	}
	if g.Provider != p.Department {
		return forbidden("grant %s was given by %s, not %s", id, g.Provider, p.Department)
	}
	return s.submitWrite(w, r, http.StatusOK, p.Org, "exchange:RevokeGrant", mustJSON(in))
}

func (s *Server) fetchExchangeGrant(r *http.Request, org, id string) (*storedExchangeGrant, error) {
	raw, err := s.ledger.Evaluate(r.Context(), org, "exchange:GetGrant", id)
	if err != nil {
		return nil, err
	}
	var g storedExchangeGrant
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("decoding grant %s from ledger: %w", id, err)
	}
	return &g, nil
}

// exchangeListQuery reads the paging and party filters shared by the list endpoints and
// checks that a non-auditor names its own department.
func exchangeListQuery(r *http.Request, f *fieldErrors, q map[string]any) {
	v := r.URL.Query()
	for _, k := range []string{"provider", "consumer"} {
		f.id(k, v.Get(k), false)
		q[k] = v.Get(k)
	}
	ps, bm := pageQuery(r, f)
	if ps != "" {
		q["pageSize"], _ = strconv.Atoi(ps) // the chaincode takes a number
	}
	if bm != "" {
		q["bookmark"] = bm
	}
}

func exchangeOwnPartyOnly(p *auth.Principal, q map[string]any, what string) error {
	if p.Role == config.RoleAuditor || q["provider"] == p.Department || q["consumer"] == p.Department {
		return nil
	}
	return forbidden("list %s with provider=%s or consumer=%s (only auditors list other departments' %s)", what, p.Department, p.Department, what)
}

func (s *Server) listGrants(w http.ResponseWriter, r *http.Request) error {
	var f fieldErrors
	q := map[string]any{}
	exchangeListQuery(r, &f, q)
	v := r.URL.Query()
	f.id("item", v.Get("item"), false)
	if st := v.Get("status"); st != "" {
		f.oneOf("status", st, "active", "revoked", "expired", "not-yet-valid")
	}
	if err := f.err(); err != nil {
		return err
	}
	q["item"], q["status"] = v.Get("item"), v.Get("status")
	p := info(r).principal
	audit(r, "grants?"+r.URL.RawQuery)
	if err := exchangeOwnPartyOnly(p, q, "grants"); err != nil {
		return err
	}
	return s.evaluateWrite(w, r, p.Org, "exchange:ListGrants", mustJSON(q))
}

// ---- exchanges ----

func validateExchange(x *ExchangeRecord) error {
	var f fieldErrors
	f.id("id", x.ID, true)
	f.id("grantId", x.GrantID, true)
	f.id("provider", x.Provider, true)
	f.id("consumer", x.Consumer, true)
	f.exFieldList("fields", x.Fields)
	f.hash("payloadHash", x.PayloadHash, true)
	f.hash("keyId", x.KeyID, true)
	f.base64("signature", x.Signature)
	return f.err()
}

func (s *Server) sendExchange(w http.ResponseWriter, r *http.Request) error {
	var x ExchangeRecord
	if err := decodeJSON(r, &x); err != nil {
		return err
	}
	if err := validateExchange(&x); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "exchange/"+x.ID+" grant/"+x.GrantID+" consumer/"+x.Consumer+" provider/"+x.Provider)
	if x.Provider != p.Department {
		return forbidden("provider %s is not your department (%s)", x.Provider, p.Department)
	}
	res, err := s.submit(r.Context(), p.Org, "exchange:Send", mustJSON(x))
	if err == nil {
		auditTx(r, res)
		return writeResult(w, http.StatusCreated, res)
	}
	return s.replayWrite(w, r, err, p.Org, "exchange:GetExchange", x.ID, func(raw []byte) (string, bool) {
		var st struct {
			ExchangeRecord
			SentTxID string `json:"sentTxId"`
			TxID     string `json:"txId"`
		}
		if json.Unmarshal(raw, &st) != nil || !sameExchange(st.ExchangeRecord, x) {
			return "", false
		}
		return st.SentTxID, true
	}, codes.Conflict)
}

// sameExchange compares every signed field and the signature.
func sameExchange(a, b ExchangeRecord) bool { return mustJSON(a) == mustJSON(b) }

func (s *Server) answerExchange(decision, fn string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in ExchangeAnswer
		id, err := pathIDAndBody(r, &in)
		if err != nil {
			return err
		}
		var f fieldErrors
		if in.ExchangeID != id {
			f.add("exchangeId", "must equal the exchange in the path (%s)", id)
		}
		if in.Decision != decision {
			f.add("decision", "must be %q on this endpoint", decision)
		}
		f.id("consumer", in.Consumer, true)
		f.hash("payloadHash", in.PayloadHash, true)
		if decision == "reject" {
			f.required("reason", in.Reason)
		}
		f.hash("keyId", in.KeyID, true)
		f.base64("signature", in.Signature)
		if err := f.err(); err != nil {
			return err
		}
		p := info(r).principal
		audit(r, "exchange/"+id)
		if in.Consumer != p.Department {
			return forbidden("consumer %s is not your department (%s)", in.Consumer, p.Department)
		}
		res, err := s.submit(r.Context(), p.Org, fn, mustJSON(in))
		if err == nil {
			auditTx(r, res)
			return writeResult(w, http.StatusOK, res)
		}
		return s.replayWrite(w, r, err, p.Org, "exchange:GetExchange", id, func(raw []byte) (string, bool) {
			var st storedExchange
			if json.Unmarshal(raw, &st) != nil || st.Ack == nil || *st.Ack != in {
				return "", false
			}
			return st.TxID, true
		}, codes.Conflict)
	}
}

func (s *Server) listExchanges(w http.ResponseWriter, r *http.Request) error {
	var f fieldErrors
	q := map[string]any{}
	exchangeListQuery(r, &f, q)
	v := r.URL.Query()
	f.id("grantId", v.Get("grantId"), false)
	if st := v.Get("status"); st != "" {
		f.oneOf("status", st, "sent", "acknowledged", "rejected")
	}
	from, to := s.period(r, &f, false) // dates: inclusive days in the deployment's zone
	if err := f.err(); err != nil {
		return err
	}
	for _, k := range []string{"grantId", "status"} {
		q[k] = v.Get(k)
	}
	q["from"], q["to"] = from, to
	p := info(r).principal
	audit(r, "exchanges?"+r.URL.RawQuery)
	if err := s.exchangeListAllowed(r, p, q); err != nil {
		return err
	}
	return s.evaluateWrite(w, r, p.Org, "exchange:ListExchanges", mustJSON(q))
}

// exchangeListAllowed lets a non-auditor list its own department's exchanges,
// or those of a grant its department is a party to.
func (s *Server) exchangeListAllowed(r *http.Request, p *auth.Principal, q map[string]any) error {
	if exchangeOwnPartyOnly(p, q, "exchanges") == nil {
		return nil
	}
	if g, _ := q["grantId"].(string); g != "" {
		st, err := s.fetchExchangeGrant(r, p.Org, g)
		if err != nil {
			return err
		}
		if exchangeParty(p, st.Provider, st.Consumer) {
			return nil
		}
		return forbidden("grant %s is between %s and %s; your department %s is not a party", g, st.Provider, st.Consumer, p.Department)
	}
	return exchangeOwnPartyOnly(p, q, "exchanges")
}

// verifyInputExchange is the exchange:Verify argument.
type verifyInputExchange struct {
	ID          string `json:"id,omitempty"`
	PayloadHash string `json:"payloadHash,omitempty"`
}

// verifyExchange runs the exchange verification on the ledger. Any verdict is a
// 200. A non-auditor sees the result only for its own department's exchanges.
func (s *Server) verifyExchange(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	in := verifyInputExchange{ID: q.Get("id"), PayloadHash: q.Get("hash")}
	var f fieldErrors
	if in.ID == "" && in.PayloadHash == "" {
		f.add("id, hash", "give an exchange id, a payload hash (SM3 hex) or both")
	}
	f.id("id", in.ID, false)
	f.hash("hash", in.PayloadHash, false)
	if err := f.err(); err != nil {
		return err
	}
	if in.ID != "" {
		audit(r, "exchange/"+in.ID)
	} else {
		audit(r, "payload/"+in.PayloadHash)
	}
	p := info(r).principal
	raw, err := s.ledger.Evaluate(r.Context(), p.Org, "exchange:Verify", mustJSON(in))
	if err != nil {
		return err
	}
	var res struct {
		Exchange *ExchangeRecord `json:"exchange"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("decoding verify result from ledger: %w", err)
	}
	if x := res.Exchange; x != nil && !exchangeParty(p, x.Provider, x.Consumer) {
		return forbidden("the exchange is between %s and %s; your department %s is not a party", x.Provider, x.Consumer, p.Department)
	}
	return writeRaw(w, http.StatusOK, raw)
}

// exchangeGetFn is the exchange contract's read of each kind of record.
var exchangeGetFn = map[string]string{"grant": "exchange:GetGrant", "exchange": "exchange:GetExchange"}

// partyRecord reads the grant or exchange named by the path's id, refusing it to a
// principal that is not a party to it (see exchangeParty).
func (s *Server) partyRecord(r *http.Request, kind string) (id string, raw []byte, err error) {
	id, err = pathID(r, "id")
	if err != nil {
		return "", nil, err
	}
	p := info(r).principal
	audit(r, kind+"/"+id)
	raw, err = s.ledger.Evaluate(r.Context(), p.Org, exchangeGetFn[kind], id)
	if err != nil {
		return "", nil, err
	}
	var parties struct{ Provider, Consumer string }
	if err := json.Unmarshal(raw, &parties); err != nil {
		return "", nil, fmt.Errorf("decoding %s %s from ledger: %w", kind, id, err)
	}
	if !exchangeParty(p, parties.Provider, parties.Consumer) {
		return "", nil, forbidden("%s %s is between %s and %s; your department %s is not a party", kind, id, parties.Provider, parties.Consumer, p.Department)
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
		return s.evaluateWrite(w, r, info(r).principal.Org, "exchange:History", kind, id)
	}
}
