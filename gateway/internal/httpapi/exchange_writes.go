package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/exchange"
)

// Exchange writes: route → decode → validate (the exchange domain's Validate and
// the signature's encoding) → the caller's department is the party that signs →
// ledger. Grants, exchanges and answers are idempotent: a retry of the same signed
// record answers 200 with the stored one (Idempotent-Replay).

func (s *Server) addCatalogItem(w http.ResponseWriter, r *http.Request) error {
	var in CatalogItemInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := invalid(in.Validate(), &checks{}); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "catalog/"+in.Provider+"/"+in.ID)
	if in.Provider != p.Department {
		return forbidden("provider %s is not your department (%s)", in.Provider, p.Department)
	}
	return s.submitWrite(w, r, http.StatusCreated, p.Org, "exchange:AddCatalogItem", mustJSON(in))
}

func validateGrant(g *GrantRecord) error {
	var c checks
	c.signature("signature", g.Signature)
	return invalid(g.ValidateAt(time.Now()), &c) // the bound ahead against the gateway's clock; the chaincode checks it at the transaction time
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
	return s.answerWrite(w, r, res, err, http.StatusCreated, p.Org, "exchange:GetGrant", g.ID, func(raw []byte) (string, bool) {
		var st exchange.Grant
		return st.TxID, json.Unmarshal(raw, &st) == nil && sameGrant(st.GrantRequest, g)
	}, codes.Conflict)
}

// sameGrant compares every signed field and the signature.
func sameGrant(a, b GrantRecord) bool { return mustJSON(a) == mustJSON(b) }

// grantAct is a signed act on a grant (a revocation, a deletion attestation).
type grantAct interface {
	exchange.RevocationRequest | exchange.DeletionRequest
	Validate() error
}

// decodeGrantAct decodes the body of a signed act on grant {id}: its grantId
// must be the path's, its signature present and the exchange domain's rules
// met.
func decodeGrantAct[T grantAct](r *http.Request, fields func(T) (grantID, signature string)) (string, T, error) {
	var in T
	id, err := pathIDAndBody(r, &in)
	if err != nil {
		return "", in, err
	}
	grantID, signature := fields(in)
	var c checks
	c.samePath("grantId", grantID, id, "grant")
	c.signature("signature", signature)
	return id, in, invalid(in.Validate(), &c)
}

func (s *Server) revokeGrant(w http.ResponseWriter, r *http.Request) error {
	id, in, err := decodeGrantAct(r, func(g GrantRevocation) (string, string) { return g.GrantID, g.Signature })
	if err != nil {
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

func validateExchange(x *ExchangeRecord) error {
	var c checks
	c.signature("signature", x.Signature)
	return invalid(x.Validate(), &c)
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
	return s.answerWrite(w, r, res, err, http.StatusCreated, p.Org, "exchange:GetExchange", x.ID, func(raw []byte) (string, bool) {
		var st exchange.Exchange
		if json.Unmarshal(raw, &st) != nil || !sameExchange(st.SendRequest, x) {
			return "", false
		}
		return st.SentTxID, true
	}, codes.Conflict)
}

// sameExchange compares every signed field and the signature.
func sameExchange(a, b ExchangeRecord) bool { return mustJSON(a) == mustJSON(b) }

func validateAnswer(decision, id string, in *ExchangeAnswer) error {
	var c checks
	c.samePath("exchangeId", in.ExchangeID, id, "exchange")
	if in.Decision != decision {
		c.add("decision", "must be %q on this endpoint", decision)
	}
	c.signature("signature", in.Signature)
	return invalid(in.Validate(), &c)
}

func (s *Server) answerExchange(decision, fn string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in ExchangeAnswer
		id, err := pathIDAndBody(r, &in)
		if err != nil {
			return err
		}
		audit(r, "exchange/"+id+" consumer/"+in.Consumer)
		if err := validateAnswer(decision, id, &in); err != nil {
			return err
		}
		p := info(r).principal
		err = func() error {
			if in.Consumer != p.Department {
				return forbidden("consumer %s is not your department (%s)", in.Consumer, p.Department)
			}
			res, err := s.submit(r.Context(), p.Org, fn, mustJSON(in))
			return s.answerWrite(w, r, res, err, http.StatusOK, p.Org, "exchange:GetExchange", id, func(raw []byte) (string, bool) {
				var st exchange.Exchange
				if json.Unmarshal(raw, &st) != nil || st.Ack == nil || mustJSON(st.Ack.AckRequest) != mustJSON(in) {
					return "", false
				}
				return st.TxID, true
			}, codes.Conflict)
		}()
		if err != nil {
			s.auditAnswerParties(r, id, in.Consumer)
		}
		return err
	}
}

// auditAnswerParties names, for a refused answer, the exchange's real parties in
// the access log ("exchange/x grant/g consumer/c provider/p", plus "claimed/d"
// when the body named another consumer), so the refusal shows in the audit of
// the department it was aimed at whoever sent it. Best effort: when the
// exchange cannot be read the line keeps the consumer the body named.
func (s *Server) auditAnswerParties(r *http.Request, id, claimed string) {
	raw, err := s.ledger.Evaluate(r.Context(), s.org(r), "exchange:GetExchange", id)
	if err != nil {
		return
	}
	var st exchange.Exchange
	if json.Unmarshal(raw, &st) != nil || st.Consumer == "" {
		return
	}
	rec := "exchange/" + id + " grant/" + st.GrantID + " consumer/" + st.Consumer + " provider/" + st.Provider
	if claimed != "" && claimed != st.Consumer {
		rec += " claimed/" + claimed
	}
	audit(r, rec)
}

func (s *Server) updateCatalogItem(w http.ResponseWriter, r *http.Request) error {
	return s.changeCatalogItem(w, r, "exchange:UpdateCatalogItem", CatalogChange.ValidateUpdate)
}

func (s *Server) withdrawCatalogItem(w http.ResponseWriter, r *http.Request) error {
	return s.changeCatalogItem(w, r, "exchange:WithdrawCatalogItem", CatalogChange.ValidateWithdraw)
}

func (s *Server) changeCatalogItem(w http.ResponseWriter, r *http.Request, fn string, validate func(CatalogChange) error) error {
	provider, item, err := pathCatalogItem(r)
	if err != nil {
		return err
	}
	var in CatalogChange
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var c checks
	c.samePath("provider", in.Provider, provider, "provider")
	c.samePath("id", in.ID, item, "item")
	if err := invalid(validate(in), &c); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "catalog/"+provider+"/"+item)
	if provider != p.Department {
		return forbidden("provider %s is not your department (%s)", provider, p.Department)
	}
	return s.submitWrite(w, r, http.StatusOK, p.Org, fn, mustJSON(in))
}

func (s *Server) attestDeletion(w http.ResponseWriter, r *http.Request) error {
	id, in, err := decodeGrantAct(r, func(d DeletionAttestation) (string, string) { return d.GrantID, d.Signature })
	if err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "grant/"+id+" consumer/"+in.Consumer)
	g, err := s.fetchExchangeGrant(r, p.Org, id)
	if err != nil {
		return err
	}
	audit(r, "grant/"+id+" consumer/"+g.Consumer+" provider/"+g.Provider)
	if g.Consumer != p.Department || in.Consumer != p.Department {
		return forbidden("grant %s was given to %s; only it attests deletion (your department %s)", id, g.Consumer, p.Department)
	}
	res, err := s.submit(r.Context(), p.Org, "exchange:AttestDeletion", mustJSON(in))
	return s.answerWrite(w, r, res, err, http.StatusOK, p.Org, "exchange:GetGrant", id, func(raw []byte) (string, bool) {
		var st exchange.Grant
		if json.Unmarshal(raw, &st) != nil || st.Deletion == nil || st.Deletion.DeletionRequest != in {
			return "", false
		}
		return st.Deletion.TxID, true
	}, codes.Conflict)
}

// ExchangePolicy is the body of PUT /api/v1/exchange/policy (exchange:SetPolicy).
type ExchangePolicy = exchange.Policy

func (s *Server) setExchangePolicy(w http.ResponseWriter, r *http.Request) error {
	var in ExchangePolicy
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "exchange/policy")
	if err := s.governanceOnly(p, "set the exchange policy"); err != nil {
		return err
	}
	return s.submitWrite(w, r, http.StatusOK, p.Org, "exchange:SetPolicy", mustJSON(in))
}
