package exchange

import (
	"encoding/json"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/exchange"
)

// GrantView is a grant as reads return it: the stored grant plus its status as
// seen at the query's transaction time (active, revoked, expired, not-yet-valid).
type GrantView struct {
	exchange.Grant
	EffectiveStatus string `json:"effectiveStatus"`
}

// GrantQuery filters ListGrants. At most one of provider and consumer picks the
// index; the other fields filter.
type GrantQuery struct {
	Provider string `json:"provider"`
	Consumer string `json:"consumer"`
	Item     string `json:"item"`
	Status   string `json:"status"` // effective status; "" = any
	// Deletion: "missing" = ended (revoked or expired) without the consumer's
	// deletion attestation; "attested" = with one; "" = any.
	Deletion string `json:"deletion"`
	PageSize int    `json:"pageSize"`
	Bookmark string `json:"bookmark"`
}

// CreateGrant records a grant signed by the provider. Input: the signed grant
// {"id","provider","consumer","item","fields","purpose","legalBasis","validFrom",
// "validUntil","keyId","signature"}. The submitter must belong to the provider's
// MSP, the key must be the provider's and valid at the transaction time, the item
// must be in the provider's catalogue and the fields among its fields.
// Event GrantCreated with the Grant.
func (c *Contract) CreateGrant(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	var req exchange.GrantRequest
	if err := state.Decode("grant", input, &req); err != nil {
		return "", err
	}
	if err := req.Validate(); err != nil {
		return "", err
	}
	pol, err := policy(ctx)
	if err != nil {
		return "", err
	}
	if err := pol.CheckGrant(req); err != nil {
		return "", err
	}
	if _, err := registry.RequireSubmitterOf(ctx, req.Provider); err != nil {
		return "", err
	}
	actor, err := state.CheckOperator(ctx, req.Operator)
	if err != nil {
		return "", err
	}
	if _, err := registry.GetDepartment(ctx, req.Consumer); err != nil {
		return "", err
	}
	item, err := getItem(ctx, req.Provider, req.Item)
	if err != nil {
		return "", err
	}
	key, err := state.NewKey(ctx, codes.New(codes.Conflict, "grant %s already exists", req.ID), objGrant, req.ID)
	if err != nil {
		return "", err
	}
	g, err := exchange.NewGrant(req, item, at, state.TxID(ctx), verifier(ctx))
	if err != nil {
		return "", err
	}
	g.ActorID = actor
	if err := state.PutJSON(ctx, key, g); err != nil {
		return "", err
	}
	for _, idx := range []struct{ obj, dept string }{{objGrantProv, g.Provider}, {objGrantCons, g.Consumer}} {
		if err := state.AddIndex(ctx, idx.obj, idx.dept, g.ID); err != nil {
			return "", err
		}
	}
	return state.Respond(ctx, EventGrantCreated, g)
}

// RevokeGrant revokes a grant. Input: the provider's signed revocation
// {"grantId","reason","keyId","prevTxId","signature"}, prevTxId being the
// grant's txId. From the transaction time on the grant authorises nothing.
// Event GrantRevoked with the Grant.
func (c *Contract) RevokeGrant(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	var r exchange.Revocation
	if err := state.Decode("grant revocation", input, &r); err != nil {
		return "", err
	}
	if r.At != "" || r.TxID != "" || r.ActorID != "" {
		return "", codes.New(codes.InvalidArgument, "at, txId and actorId are set by the ledger, not the request")
	}
	if err := r.Validate(); err != nil {
		return "", err
	}
	pol, err := policy(ctx)
	if err != nil {
		return "", err
	}
	if err := pol.CheckRevocation(r); err != nil {
		return "", err
	}
	g, key, err := getGrant(ctx, r.GrantID)
	if err != nil {
		return "", err
	}
	if _, err := registry.RequireSubmitterOf(ctx, g.Provider); err != nil {
		return "", err
	}
	actor, err := state.CheckOperator(ctx, r.Operator)
	if err != nil {
		return "", err
	}
	g, err = g.Revoke(r, at, state.TxID(ctx), verifier(ctx))
	if err != nil {
		return "", err
	}
	g.Revocation.ActorID = actor
	if err := state.PutJSON(ctx, key, g); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventGrantRevoked, g)
}

// Values of GrantQuery.Deletion.
const (
	DeletionMissing  = "missing"
	DeletionAttested = "attested"
)

// AttestDeletion records the consumer's signed attestation that it deleted the
// data received under an ended grant. Input: {"grantId","consumer","prevTxId",
// "keyId","signature"}, prevTxId the grant's txId. Only the consumer's MSP and
// key; CONFLICT while the grant is still active, a second time, or on a stale
// prevTxId. Event GrantDeletionAttested with the Grant.
func (c *Contract) AttestDeletion(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	var d exchange.Deletion
	if err := state.Decode("deletion attestation", input, &d); err != nil {
		return "", err
	}
	if d.At != "" || d.TxID != "" || d.ActorID != "" {
		return "", codes.New(codes.InvalidArgument, "at, txId and actorId are set by the ledger, not the request")
	}
	if err := d.Validate(); err != nil {
		return "", err
	}
	g, key, err := getGrant(ctx, d.GrantID)
	if err != nil {
		return "", err
	}
	if _, err := registry.RequireSubmitterOf(ctx, g.Consumer); err != nil {
		return "", err
	}
	actor, err := state.CheckOperator(ctx, d.Operator)
	if err != nil {
		return "", err
	}
	g, err = g.AttestDeletion(d, at, state.TxID(ctx), verifier(ctx))
	if err != nil {
		return "", err
	}
	g.Deletion.ActorID = actor
	if err := state.PutJSON(ctx, key, g); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventGrantDeletionAttested, g)
}

// GetGrant returns grant id with its effective status at the query time.
func (c *Contract) GetGrant(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	now, err := state.TxTime(ctx)
	if err != nil {
		return "", err
	}
	g, _, err := getGrant(ctx, id)
	if err != nil {
		return "", err
	}
	return state.JSON(GrantView{Grant: g, EffectiveStatus: g.EffectiveStatus(now)})
}

// ListGrants returns a page of grants. Input: GrantQuery JSON ("" or "{}" = all).
// Output: {"records":[GrantView],"count","bookmark"}.
func (c *Contract) ListGrants(ctx contractapi.TransactionContextInterface, query string) (string, error) {
	now, err := state.TxTime(ctx)
	if err != nil {
		return "", err
	}
	var q GrantQuery
	if err := decodeQuery("grant query", query, &q); err != nil {
		return "", err
	}
	size, err := pageSize(q.PageSize)
	if err != nil {
		return "", err
	}
	switch q.Status {
	case "", exchange.GrantActive, exchange.GrantRevoked, exchange.GrantExpired, exchange.GrantPending:
	default:
		return "", codes.New(codes.InvalidArgument, "status %q must be active, revoked, expired or not-yet-valid", q.Status)
	}
	switch q.Deletion {
	case "", DeletionMissing, DeletionAttested:
	default:
		return "", codes.New(codes.InvalidArgument, "deletion %q must be missing or attested", q.Deletion)
	}
	obj, prefix := objGrant, []string(nil)
	switch {
	case q.Provider != "":
		obj, prefix = objGrantProv, []string{q.Provider}
	case q.Consumer != "":
		obj, prefix = objGrantCons, []string{q.Consumer}
	}
	page := Page[GrantView]{Records: []GrantView{}}
	page.Bookmark, err = scan(ctx, obj, prefix, nil, size, q.Bookmark, func(attrs []string) (bool, bool, error) {
		g, _, err := getGrant(ctx, attrs[len(attrs)-1])
		if err != nil {
			return false, false, err
		}
		v := GrantView{Grant: g, EffectiveStatus: g.EffectiveStatus(now)}
		if (q.Provider != "" && g.Provider != q.Provider) || (q.Consumer != "" && g.Consumer != q.Consumer) ||
			(q.Item != "" && g.Item != q.Item) || (q.Status != "" && v.EffectiveStatus != q.Status) ||
			(q.Deletion == DeletionMissing && (g.Deletion != nil || !g.Ended(now))) ||
			(q.Deletion == DeletionAttested && g.Deletion == nil) {
			return false, false, nil
		}
		page.Records = append(page.Records, v)
		return true, false, nil
	})
	if err != nil {
		return "", err
	}
	page.Count = len(page.Records)
	return state.JSON(page)
}

// History returns every committed version of a grant or an exchange, newest
// first: kind is "grant" or "exchange".
func (c *Contract) History(ctx contractapi.TransactionContextInterface, kind, id string) (string, error) {
	obj := map[string]string{"grant": objGrant, "exchange": objRecord}[kind]
	if obj == "" {
		return "", codes.New(codes.InvalidArgument, "kind %q must be grant or exchange", kind)
	}
	key, err := state.Key(ctx, obj, id)
	if err != nil {
		return "", err
	}
	h, err := state.History(ctx, key)
	if err != nil {
		return "", err
	}
	if len(h) == 0 {
		return "", codes.New(codes.NotFound, "%s %s", kind, id)
	}
	return state.JSON(h)
}

func getGrant(ctx state.Context, id string) (exchange.Grant, string, error) {
	return getRecord[exchange.Grant](ctx, "grant "+id, objGrant, id)
}

// decodeQuery decodes an optional JSON query: "" means the zero query.
func decodeQuery(what, s string, v any) error {
	if s == "" {
		return nil
	}
	return state.Decode(what, s, v)
}

func unmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return codes.New(codes.Internal, "decoding stored %T: %v", v, err)
	}
	return nil
}
