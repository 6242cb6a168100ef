package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/certledger/certledger/gateway/internal/envelope"
	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/exchange"
)

// Exchange envelopes (docs/exchange.md, "Envelope"): the provider deposits the
// SM2/SM4 envelope of an exchange under its SM3 digest, the consumer fetches it
// by the envelopeHash the ledger records. Only the two parties named in the
// envelope's header may do either (access.Policy.Envelope); the provider only
// under a grant the ledger holds between them. The payload never reaches the
// ledger, and the gateway never holds a key that opens an envelope.

const envelopePathPrefix = "/api/v1/envelopes/"

// EnvelopeStored is the answer to a deposit.
type EnvelopeStored struct {
	Digest     string `json:"digest"`
	Size       int    `json:"size"`
	ExchangeID string `json:"exchangeId"`
	GrantID    string `json:"grantId"`
	Provider   string `json:"provider"`
	Consumer   string `json:"consumer"`
	Created    bool   `json:"created"`
}

func (s *Server) registerEnvelopes(r *Router) {
	r.Add(Route{Pattern: "PUT /api/v1/envelopes/{digest}", Roles: writerRoles, Handler: s.putEnvelope})
	r.Add(Route{Pattern: "GET /api/v1/envelopes/{digest}", Handler: s.getEnvelope})
}

func envelopeRecord(digest string, h exchange.EnvelopeHeader) string {
	return "envelope/" + digest + " exchange/" + h.ExchangeID + " grant/" + h.GrantID + " consumer/" + h.Consumer + " provider/" + h.Provider
}

func (s *Server) putEnvelope(w http.ResponseWriter, r *http.Request) error {
	digest, err := pathHash(r, "digest")
	if err != nil {
		return err
	}
	audit(r, "envelope/"+digest)
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	e, err := exchange.ParseEnvelope(b)
	if err != nil {
		return badRequest("%s", codes.Message(err))
	}
	audit(r, envelopeRecord(digest, e.EnvelopeHeader))
	c := caller(r)
	if !s.policy().Envelope(c, e.Provider, "") {
		return forbidden("envelope for exchange %s is from %s: only the provider deposits it (your department %s)", e.ExchangeID, e.Provider, department(c))
	}
	g, err := s.fetchExchangeGrant(r, s.org(r), e.GrantID)
	if err != nil {
		return err
	}
	if g.Provider != e.Provider || g.Consumer != e.Consumer {
		return forbidden("grant %s is from %s to %s, the envelope names %s to %s", e.GrantID, g.Provider, g.Consumer, e.Provider, e.Consumer)
	}
	// Sealed for a key the consumer registered (the consumer could not open it otherwise).
	raw, err := s.ledger.Evaluate(r.Context(), s.org(r), "registry:GetKey", e.RecipientKeyID)
	if err != nil {
		return err
	}
	var key struct {
		DepartmentID string `json:"departmentId"`
	}
	if err := json.Unmarshal(raw, &key); err != nil {
		return fmt.Errorf("decoding key %s from ledger: %w", e.RecipientKeyID, err)
	}
	if key.DepartmentID != e.Consumer {
		return forbidden("the envelope is sealed for key %s of %s, not a key of the consumer %s", e.RecipientKeyID, key.DepartmentID, e.Consumer)
	}
	created, err := s.opts.Envelopes.Put(digest, b)
	switch {
	case errors.Is(err, envelope.ErrDigest):
		return badRequest("%v", err)
	case errors.Is(err, envelope.ErrFull):
		return errmap.New(http.StatusInsufficientStorage, errmap.Unavailable, err.Error())
	case err != nil:
		return fmt.Errorf("storing envelope %s: %w", digest, err)
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	return writeJSON(w, status, EnvelopeStored{Digest: digest, Size: len(b), ExchangeID: e.ExchangeID, GrantID: e.GrantID,
		Provider: e.Provider, Consumer: e.Consumer, Created: created})
}

func (s *Server) getEnvelope(w http.ResponseWriter, r *http.Request) error {
	digest, err := pathHash(r, "digest")
	if err != nil {
		return err
	}
	audit(r, "envelope/"+digest)
	b, err := s.opts.Envelopes.Get(digest)
	if errors.Is(err, envelope.ErrNotFound) {
		return errmap.New(http.StatusNotFound, codes.NotFound, "no envelope "+digest+" in this gateway's store")
	}
	if err != nil {
		return fmt.Errorf("reading envelope %s: %w", digest, err)
	}
	e, err := exchange.ParseEnvelope(b)
	if err != nil {
		return fmt.Errorf("stored envelope %s does not parse: %w", digest, err)
	}
	audit(r, envelopeRecord(digest, e.EnvelopeHeader))
	c := caller(r)
	if !s.policy().Envelope(c, e.Provider, e.Consumer) {
		return forbidden("envelope %s is between %s and %s; only they fetch it (your department %s)", digest, e.Provider, e.Consumer, department(c))
	}
	setJSONHeaders(w)
	w.Header().Set("Content-Length", itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}
