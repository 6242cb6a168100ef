package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/gateway/internal/trustsvc"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/trust"
)

// registerTrust: the channel description a bundle is built from, the served trust
// bundle, how current it is, and its publication by the governance office.
func (s *Server) registerTrust(r *Router) {
	r.Add(Route{Pattern: "GET /api/v1/ledger/channel", Public: true, Handler: s.getChannel})
	r.Add(Route{Pattern: "GET /api/v1/trust", Public: true, Handler: s.getTrust})
	r.Add(Route{Pattern: "GET /api/v1/trust/status", Public: true, Handler: s.getTrustStatus})
	r.Add(Route{Pattern: "PUT /api/v1/trust", Roles: adminRoles, Handler: s.putTrust})
}

// channelLedger is the ledger with ChannelInfo (Fabric has it; a fake may not).
func (s *Server) channelLedger() (trustsvc.Ledger, error) {
	type both interface {
		ledgerclient.Ledger
		ledgerclient.ChannelInfoReader
	}
	l, ok := s.opts.Ledger.(both)
	if !ok {
		return nil, errmap.New(http.StatusNotImplemented, codes.Internal, "this gateway's ledger cannot describe its channel")
	}
	return l, nil
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) error {
	audit(r, "ledger/channel")
	l, err := s.channelLedger()
	if err != nil {
		return err
	}
	ci, err := l.ChannelInfo(r.Context(), s.org(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ci)
}

func (s *Server) trustStore() (*trustsvc.Store, error) {
	if s.opts.Trust == nil {
		return nil, errmap.New(http.StatusNotFound, codes.NotFound, "this gateway serves no trust bundle (trust.pin is not configured)")
	}
	return s.opts.Trust, nil
}

// getTrust serves the bundle file exactly as governance signed and published it.
func (s *Server) getTrust(w http.ResponseWriter, r *http.Request) error {
	audit(r, "trust")
	st, err := s.trustStore()
	if err != nil {
		return err
	}
	raw, b, err := st.Current()
	if err != nil {
		return trustError(err)
	}
	setJSONHeaders(w)
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Trust-Fingerprint", b.Bundle.Fingerprint())
	h.Set("X-Trust-Height", strconv.FormatUint(b.Bundle.Height, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(raw)
	return nil
}

func (s *Server) getTrustStatus(w http.ResponseWriter, r *http.Request) error {
	audit(r, "trust/status")
	st, err := s.trustStore()
	if err != nil {
		return err
	}
	l, err := s.channelLedger()
	if err != nil {
		return err
	}
	f, err := st.Check(r.Context(), l, s.org(r))
	if err != nil {
		return trustError(err)
	}
	return writeJSON(w, http.StatusOK, f)
}

// putTrust publishes a bundle: governance administrators only; the gateway checks
// it against its pinned fingerprint and refuses an older one.
func (s *Server) putTrust(w http.ResponseWriter, r *http.Request) error {
	p := info(r).principal
	audit(r, "trust")
	if err := s.governanceOnly(p, "publish the trust bundle"); err != nil {
		return err
	}
	st, err := s.trustStore()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	b, err := st.Publish(data)
	if err != nil {
		return trustError(err)
	}
	s.log.Info("trust bundle published", "fingerprint", b.Bundle.Fingerprint(), "height", b.Bundle.Height,
		"departments", len(b.Bundle.Departments), "by", p.Department)
	return writeJSON(w, http.StatusOK, map[string]any{
		"fingerprint": b.Bundle.Fingerprint(), "height": b.Bundle.Height, "issuedAt": b.Bundle.IssuedAt,
		"departments": len(b.Bundle.Departments),
	})
}

// trustError maps trust and trustsvc errors; anything else goes to errmap as is.
func trustError(err error) error {
	switch {
	case errors.Is(err, trustsvc.ErrNoBundle):
		return errmap.New(http.StatusNotFound, codes.NotFound, err.Error())
	case errors.Is(err, trustsvc.ErrRollback):
		return errmap.New(http.StatusConflict, codes.Conflict, err.Error())
	case errors.Is(err, trustsvc.ErrNoPin), errors.Is(err, trust.ErrUntrusted):
		return errmap.New(http.StatusForbidden, codes.Forbidden, err.Error())
	case errors.Is(err, trust.ErrBadSignature):
		return errmap.New(http.StatusBadRequest, codes.BadSignature, err.Error())
	case errors.Is(err, trust.ErrMalformed), errors.Is(err, trust.ErrBadPin):
		return errmap.New(http.StatusBadRequest, codes.InvalidArgument, err.Error())
	}
	return err
}
