package exchange

import (
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/chaincode/contract/registry"
	idx "github.com/certledger/certledger/chaincode/internal/lineage"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/lineage"
	"github.com/certledger/certledger/internal/domain/wire"
)

// ExchangeQuery filters ListExchanges. grantId, else provider, else consumer
// picks the index (the others filter); from (inclusive) and to (exclusive) bound
// sentAt; status filters.
type ExchangeQuery struct {
	GrantID  string `json:"grantId"`
	Provider string `json:"provider"`
	Consumer string `json:"consumer"`
	Status   string `json:"status"`
	From     string `json:"from"`
	To       string `json:"to"`
	PageSize int    `json:"pageSize"`
	Bookmark string `json:"bookmark"`
}

// maxMonths bounds the month buckets one period query walks; longer periods
// scan the whole index and filter.
const maxMonths = 600

// Send records an exchange under a grant. Input: the provider's signed record
// {"id","grantId","provider","consumer","fields","payloadHash","keyId","signature"},
// with "envelopeHash" (and optionally "certificates") when the payload went as
// an envelope (canon kind exchange-envelope). NOT_FOUND when a certificate it
// names is not on the ledger.
// FORBIDDEN, and nothing written, when the submitter is not the provider's MSP,
// the grant is not valid at the transaction time (expired, revoked, not yet
// valid), the consumer or provider differs from the grant's, or a field is
// outside the grant; BAD_SIGNATURE when the signature does not verify.
// Event ExchangeSent with the Exchange.
func (c *Contract) Send(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	var req exchange.SendRequest
	if err := state.Decode("exchange", input, &req); err != nil {
		return "", err
	}
	if err := req.Validate(); err != nil {
		return "", err
	}
	pol, err := policy(ctx)
	if err != nil {
		return "", err
	}
	if err := pol.CheckSend(req); err != nil {
		return "", err
	}
	g, _, err := getGrant(ctx, req.GrantID)
	if err != nil {
		return "", err
	}
	// The grant's provider, whatever the request claims, must be the submitter.
	if _, err := registry.RequireSubmitterOf(ctx, g.Provider); err != nil {
		return "", err
	}
	actor, err := state.CheckOperator(ctx, req.Operator)
	if err != nil {
		return "", err
	}
	key, err := state.NewKey(ctx, codes.New(codes.Conflict, "exchange %s already recorded", req.ID), objRecord, req.ID)
	if err != nil {
		return "", err
	}
	e, err := exchange.NewExchange(req, g, at, state.TxID(ctx), verifier(ctx))
	if err != nil {
		return "", err
	}
	// The certificates it carries must be on the ledger; each is linked both
	// ways in the lineage index.
	for _, cid := range e.Certificates {
		if _, err := certificate.New().Get(ctx, cid); err != nil {
			return "", codes.Prefix(err, "exchange %s carries", e.ID)
		}
	}
	e.ActorID = actor
	if err := state.PutJSON(ctx, key, e); err != nil {
		return "", err
	}
	for _, cid := range e.Certificates {
		if err := idx.Put(ctx, lineage.Carries(e.ID, cid)); err != nil {
			return "", err
		}
	}
	m, st := month(e.SentAt), sortTime(e.SentAt)
	for _, idx := range []struct {
		obj   string
		attrs []string
	}{
		{objRecGrant, []string{e.GrantID, m, st, e.ID}},
		{objRecProv, []string{e.Provider, m, st, e.ID}},
		{objRecCons, []string{e.Consumer, m, st, e.ID}},
		{objRecTime, []string{m, st, e.ID}},
		{objRecHash, []string{e.PayloadHash, e.ID}},
	} {
		if err := state.AddIndex(ctx, idx.obj, idx.attrs...); err != nil {
			return "", err
		}
	}
	return state.Respond(ctx, EventExchangeSent, e)
}

// Ack records the consumer's signed acknowledgement of receipt. Input:
// {"exchangeId","consumer","payloadHash","decision":"ack","reason","keyId","signature"},
// or for an enveloped exchange the receipt {"exchangeId","consumer","envelopeHash",
// "payloadHash","fields","decision","reasonHash","keyId","signature"}: FORBIDDEN
// when the fields received exceed the grant's (reject instead).
// Only the exchange's consumer (its MSP and its key), only once.
// Event ExchangeAcknowledged with the Exchange.
func (c *Contract) Ack(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.answer(ctx, input, exchange.DecisionAck, EventExchangeAcknowledged)
}

// Reject records the consumer's signed rejection, with a reason. Input as Ack
// with "decision":"reject". Event ExchangeRejected with the Exchange.
func (c *Contract) Reject(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.answer(ctx, input, exchange.DecisionReject, EventExchangeRejected)
}

func (c *Contract) answer(ctx state.Context, input, decision, event string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	var a exchange.Ack
	if err := state.Decode("exchange answer", input, &a); err != nil {
		return "", err
	}
	if a.At != "" || a.TxID != "" || a.ActorID != "" {
		return "", codes.New(codes.InvalidArgument, "at, txId and actorId are set by the ledger, not the request")
	}
	if a.Decision != decision {
		return "", codes.New(codes.InvalidArgument, "decision %q: this function records %q", a.Decision, decision)
	}
	if err := a.Validate(); err != nil {
		return "", err
	}
	e, key, err := getExchange(ctx, a.ExchangeID)
	if err != nil {
		return "", err
	}
	if _, err := registry.RequireSubmitterOf(ctx, e.Consumer); err != nil {
		return "", err
	}
	actor, err := state.CheckOperator(ctx, a.Operator)
	if err != nil {
		return "", err
	}
	g, _, err := getGrant(ctx, e.GrantID)
	if err != nil {
		return "", err
	}
	e, err = e.Answer(a, g, at, state.TxID(ctx), verifier(ctx))
	if err != nil {
		return "", err
	}
	e.Ack.ActorID = actor
	if err := state.PutJSON(ctx, key, e); err != nil {
		return "", err
	}
	return state.Respond(ctx, event, e)
}

// GetExchange returns exchange id.
func (c *Contract) GetExchange(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	e, _, err := getExchange(ctx, id)
	if err != nil {
		return "", err
	}
	return state.JSON(e)
}

// ListExchanges returns a page of exchanges in sending order. Input:
// ExchangeQuery JSON ("" = all). Output: {"records":[Exchange],"count","bookmark"}.
func (c *Contract) ListExchanges(ctx contractapi.TransactionContextInterface, query string) (string, error) {
	var q ExchangeQuery
	if err := decodeQuery("exchange query", query, &q); err != nil {
		return "", err
	}
	size, err := pageSize(q.PageSize)
	if err != nil {
		return "", err
	}
	switch q.Status {
	case "", exchange.StatusSent, exchange.StatusAcknowledged, exchange.StatusRejected:
	default:
		return "", codes.New(codes.InvalidArgument, "status %q must be sent, acknowledged or rejected", q.Status)
	}
	var from, to time.Time
	if q.From != "" {
		if from, err = state.ParseTime("from", q.From); err != nil {
			return "", err
		}
	}
	if q.To != "" {
		if to, err = state.ParseTime("to", q.To); err != nil {
			return "", err
		}
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return "", codes.New(codes.InvalidArgument, "from %s is not before to %s", q.From, q.To)
	}

	obj, prefix := objRecTime, []string(nil)
	switch {
	case q.GrantID != "":
		obj, prefix = objRecGrant, []string{q.GrantID}
	case q.Provider != "":
		obj, prefix = objRecProv, []string{q.Provider}
	case q.Consumer != "":
		obj, prefix = objRecCons, []string{q.Consumer}
	}
	buckets := monthBuckets(from, to)
	fromKey, toKey := "", ""
	if !from.IsZero() {
		fromKey = from.Format(wire.SortLayout)
	}
	if !to.IsZero() {
		toKey = to.Format(wire.SortLayout)
	}
	page := Page[exchange.Exchange]{Records: []exchange.Exchange{}}
	page.Bookmark, err = scan(ctx, obj, prefix, buckets, size, q.Bookmark, func(attrs []string) (bool, bool, error) {
		// attrs: [prefix..., month, sortTime, id]
		n := len(attrs)
		st, id := attrs[n-2], attrs[n-1]
		if fromKey != "" && st < fromKey {
			return false, false, nil
		}
		if toKey != "" && st >= toKey {
			// Within one prefix the index is in time order: nothing later matches.
			return false, true, nil
		}
		e, _, err := getExchange(ctx, id)
		if err != nil {
			return false, false, err
		}
		if (q.GrantID != "" && e.GrantID != q.GrantID) || (q.Provider != "" && e.Provider != q.Provider) ||
			(q.Consumer != "" && e.Consumer != q.Consumer) || (q.Status != "" && e.Status != q.Status) {
			return false, false, nil
		}
		page.Records = append(page.Records, e)
		return true, false, nil
	})
	if err != nil {
		return "", err
	}
	page.Count = len(page.Records)
	return state.JSON(page)
}

// monthBuckets lists the months from..to (to exclusive) when both are set and
// the span is short, else nil (scan the whole prefix).
func monthBuckets(from, to time.Time) [][]string {
	if from.IsZero() || to.IsZero() {
		return nil
	}
	var out [][]string
	m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	for m.Before(to) {
		if len(out) == maxMonths {
			return nil
		}
		out = append(out, []string{m.Format(monthLayout)})
		m = m.AddDate(0, 1, 0)
	}
	return out
}

// Verify checks an exchange. Input: {"id"} or {"payloadHash"} or both. Output: a
// VerifyResult (steps 1 format, 2 hash (skipped: the client hashes), 3 lookup,
// 4 grant signature, 5 exchange signature, 6 grant valid at send time, 7 scope,
// 8 acknowledgement). By payload hash, every exchange of that payload is a match;
// the first VALID one is reported, else the most recent.
func (c *Contract) Verify(ctx contractapi.TransactionContextInterface, query string) (string, error) {
	now, err := state.TxTime(ctx)
	if err != nil {
		return "", err
	}
	var q exchange.Query
	if err := state.Decode("verify query", query, &q); err != nil {
		return "", err
	}
	v := verifier(ctx)
	if q.Validate() != nil {
		return state.JSON(exchange.Verify(q, nil, nil, now, v))
	}
	var ids []string
	if q.ID != "" {
		ids = []string{q.ID}
	} else {
		entries, err := state.Scan(ctx, objRecHash, q.PayloadHash)
		if err != nil {
			return "", err
		}
		for _, e := range entries {
			ids = append(ids, e.Attrs[len(e.Attrs)-1])
		}
		if len(ids) > maxMatches {
			return "", codes.New(codes.InvalidArgument, "%d exchanges carry payload %s; verify by id", len(ids), q.PayloadHash)
		}
	}
	var result *exchange.VerifyResult
	for _, id := range ids {
		e, _, err := getExchange(ctx, id)
		if codes.Code(err) == codes.NotFound {
			continue
		}
		if err != nil {
			return "", err
		}
		var g *exchange.Grant
		if gr, _, err := getGrant(ctx, e.GrantID); err == nil {
			g = &gr
		} else if codes.Code(err) != codes.NotFound {
			return "", err
		}
		r := exchange.Verify(q, &e, g, now, v)
		if better(r, result) {
			result = &r
		}
	}
	if result == nil {
		r := exchange.Verify(q, nil, nil, now, v)
		result = &r
	}
	if len(ids) > 1 {
		result.Matches = ids
	}
	return state.JSON(result)
}

// maxMatches bounds how many exchanges of one payload Verify checks.
const maxMatches = 100

// better reports whether r should replace the current result: a VALID result
// wins, else the most recently sent exchange.
func better(r exchange.VerifyResult, cur *exchange.VerifyResult) bool {
	switch {
	case cur == nil:
		return true
	case cur.Verdict == wire.VerdictValid:
		return false
	case r.Verdict == wire.VerdictValid:
		return true
	}
	a, errA := time.Parse(wire.TimeLayout, r.Exchange.SentAt)
	b, errB := time.Parse(wire.TimeLayout, cur.Exchange.SentAt)
	return errA == nil && (errB != nil || !a.Before(b))
}

func getExchange(ctx state.Context, id string) (exchange.Exchange, string, error) {
	return getRecord[exchange.Exchange](ctx, "exchange "+id, objRecord, id)
}
