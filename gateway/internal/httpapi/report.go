package httpapi

import (
	"net/http"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/report"
)

// ReportKey is the gateway's own SM2 key for signed verification reports and
// the id under which the trust bundle lists it (docs/trust.md, "gateways").
type ReportKey struct {
	ID  string
	Key *sm2.PrivateKey
}

// reportRequest is the body of POST /api/v1/verify/report: the same query as
// GET /api/v1/verify.
type reportRequest struct {
	ID   string `json:"id"`
	Hash string `json:"hash"`
}

func (s *Server) reportSigner() (*ReportKey, error) {
	if s.opts.ReportKey == nil {
		return nil, errmap.New(http.StatusNotFound, codes.NotFound, "this gateway signs no verification reports (trust.reportKey is not configured)")
	}
	return s.opts.ReportKey, nil
}

// verifyReport runs the verification and answers with a report of it signed by
// the gateway's report key: JSON, or with ?format=html a printable page (times
// in ?tz=ZONE, else the deployment's time zone) with a QR code of the report's hash.
// The ledger height is read before the query, so the answer reflects at least
// the blocks below it.
func (s *Server) verifyReport(w http.ResponseWriter, r *http.Request) error {
	format, zone, err := reportFormat(r)
	if err != nil {
		return err
	}
	var body reportRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	in := verifyInput{ID: body.ID, DocHash: body.Hash}
	if err := in.check(); err != nil {
		return err
	}
	in.audit(r)
	key, err := s.reportSigner()
	if err != nil {
		return err
	}
	ci, err := s.reportChannel(r)
	if err != nil {
		return err
	}
	raw, err := s.ledger.Evaluate(r.Context(), s.org(r), "certificate:Verify", mustJSON(in))
	if err != nil {
		return err
	}
	rep, err := report.New(report.Query{ID: in.ID, DocHash: in.DocHash}, ci.Channel, ci.Height, time.Now(), raw)
	if err != nil {
		return err
	}
	signed, err := report.Sign(rep, key.ID, key.Key)
	if err != nil {
		return err
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if h, err := signed.Hash(); err == nil {
		w.Header().Set("X-Report-Hash", h)
	}
	if format == "html" {
		if zone == nil {
			zone = s.opts.TimeZone // the deployment's (nil: report.DefaultZone)
		}
		page, err := report.HTML(signed, zone)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(page)
		return nil
	}
	out, err := signed.Marshal()
	if err != nil {
		return err
	}
	setJSONHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}

// heightCache keeps the channel description (name, height) for heightTTL. A
// report states a height read before its query; one read a moment earlier
// still is, so public report requests share one Deliver read per second.
type heightCache struct {
	mu sync.Mutex
	at time.Time
	ci *ledgerclient.ChannelInfo
}

const heightTTL = time.Second

func (s *Server) reportChannel(r *http.Request) (*ledgerclient.ChannelInfo, error) {
	s.heights.mu.Lock()
	defer s.heights.mu.Unlock()
	if s.heights.ci != nil && time.Since(s.heights.at) < heightTTL {
		return s.heights.ci, nil
	}
	l, err := s.channelLedger()
	if err != nil {
		return nil, err
	}
	at := time.Now()
	ci, err := l.ChannelInfo(r.Context(), s.org(r))
	if err != nil {
		return nil, err
	}
	s.heights.at, s.heights.ci = at, ci
	return ci, nil
}

func reportFormat(r *http.Request) (string, *time.Location, error) {
	var c checks
	q := r.URL.Query()
	format := q.Get("format")
	c.oneOf("format", format, "", "json", "html")
	var zone *time.Location
	if tz := q.Get("tz"); tz != "" {
		z, err := time.LoadLocation(tz)
		if err != nil {
			c.add("tz", "unknown time zone %q (want an IANA name such as Asia/Shanghai)", tz)
		}
		zone = z
	}
	return format, zone, c.err()
}

// reportKey answers the report key's id, key id and PEM public key, what
// governance lists in the trust bundle (certledger trust export --gateway-key).
func (s *Server) reportKey(w http.ResponseWriter, r *http.Request) error {
	audit(r, "verify/report-key")
	key, err := s.reportSigner()
	if err != nil {
		return err
	}
	p, err := gm.MarshalPublicKeyPEM(&key.Key.PublicKey)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, report.Gateway{ID: key.ID, KeyID: gm.KeyID(&key.Key.PublicKey), PublicKey: string(p)})
}

// Anchor is where a certificate was first written: the transaction that
// created it and its block (blockKnown false when the ledger cannot place the
// transaction). A receipt's ledger coordinates are compared with it.
type Anchor struct {
	ID          string `json:"id"`
	TxID        string `json:"txId"`
	BlockNumber uint64 `json:"blockNumber"`
	BlockKnown  bool   `json:"blockKnown"`
}

func (s *Server) certificateAnchor(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	audit(r, "certificate/"+id)
	txID, err := s.creationTx(r, id)
	if err != nil {
		return err
	}
	a := Anchor{ID: id, TxID: txID}
	a.BlockNumber, a.BlockKnown = s.ledger.TxBlock(r.Context(), s.org(r), a.TxID)
	return writePublicJSON(w, a)
}
