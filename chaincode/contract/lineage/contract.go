// Package lineage is the "lineage" contract: the graph of a certificate, the
// exchanges that carried it and the tickets that refer to either, read from the
// lineage index the exchange and workorder contracts write (chaincode/internal/lineage)
// and the records themselves. Read-only.
package lineage

import (
	"encoding/json"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/chaincode/contract/exchange"
	"github.com/certledger/certledger/chaincode/contract/workorder"
	idx "github.com/certledger/certledger/chaincode/internal/lineage"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	dom "github.com/certledger/certledger/internal/domain/lineage"
)

// Name is the contract name ("lineage:Graph").
const Name = "lineage"

// Contract is the lineage contract.
type Contract struct {
	contractapi.Contract
}

// New returns the lineage contract.
func New() *Contract {
	c := &Contract{}
	c.Name = Name
	c.Info.Title = "certledger lineage: certificates, the exchanges that carried them, the tickets that refer to them"
	c.Info.Version = "1"
	return c
}

// GetEvaluateTransactions marks the read-only functions for the metadata.
func (c *Contract) GetEvaluateTransactions() []string { return []string{"Graph"} }

// Graph returns the lineage graph around record kind/id (kind certificate,
// exchange or ticket) up to depth links away ("" = 3, at most 6), both
// directions: {"root","depth","nodes":[Node],"edges":[Edge],"truncated","hidden"}.
// NOT_FOUND when the root record does not exist.
func (c *Contract) Graph(ctx contractapi.TransactionContextInterface, kind, id, depth string) (string, error) {
	root, err := dom.ParseRef(kind + ":" + id)
	if err != nil {
		return "", err
	}
	d := 0
	if depth != "" {
		if d, err = strconv.Atoi(depth); err != nil || d < 1 {
			return "", codes.New(codes.InvalidArgument, "depth %q: want a number from 1 to %d", depth, dom.MaxDepth)
		}
	}
	n, err := describe(ctx, root)
	if err != nil {
		return "", err
	}
	if n.Missing {
		return "", codes.New(codes.NotFound, "%s %s", kind, id)
	}
	g, err := dom.Walk(root, d,
		func(r dom.Ref) ([]dom.Ref, bool, error) { return idx.Neighbours(ctx, r, dom.MaxNodes) },
		func(r dom.Ref) (dom.Node, error) { return describe(ctx, r) })
	if err != nil {
		return "", err
	}
	return state.JSON(g)
}

// describe reads record r through its own contract's read (so a record's
// storage stays that contract's business) into a node; Missing when absent.
func describe(ctx contractapi.TransactionContextInterface, r dom.Ref) (dom.Node, error) {
	var (
		raw string
		err error
	)
	switch r.Kind {
	case dom.KindCertificate:
		raw, err = certificate.New().Get(ctx, r.ID)
	case dom.KindExchange:
		raw, err = exchange.New().GetExchange(ctx, r.ID)
	case dom.KindTicket:
		raw, err = workorder.New().Get(ctx, r.ID)
	}
	if codes.Code(err) == codes.NotFound {
		return dom.Node{Kind: r.Kind, ID: r.ID, Missing: true}, nil
	}
	if err != nil {
		return dom.Node{}, err
	}
	var rec struct {
		Status     string `json:"status"`
		State      string `json:"state"`
		Type       string `json:"type"`
		Category   string `json:"category"`
		Issuer     string `json:"issuer"`
		IssuedAt   string `json:"issuedAt"`
		Provider   string `json:"provider"`
		Consumer   string `json:"consumer"`
		GrantID    string `json:"grantId"`
		SentAt     string `json:"sentAt"`
		SentTxID   string `json:"sentTxId"`
		CreatedAt  string `json:"createdAt"`
		Department string `json:"department"`
		Episodes   []struct {
			Department string `json:"department"`
		} `json:"episodes"`
		TxID string `json:"txId"`
	}
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return dom.Node{}, codes.New(codes.Internal, "decoding %s: %v", r, err)
	}
	n := dom.Node{Kind: r.Kind, ID: r.ID, TxID: rec.TxID}
	switch r.Kind {
	case dom.KindCertificate:
		n.Status, n.Type, n.Issuer, n.Time = rec.Status, rec.Type, rec.Issuer, rec.IssuedAt
	case dom.KindExchange:
		n.Status, n.Provider, n.Consumer, n.GrantID, n.Time, n.TxID = rec.Status, rec.Provider, rec.Consumer, rec.GrantID, rec.SentAt, rec.SentTxID
	case dom.KindTicket:
		n.Status, n.Type, n.Time = rec.State, rec.Category, rec.CreatedAt
		seen := map[string]bool{}
		for _, d := range append([]string{rec.Department}, episodeDepts(rec.Episodes)...) {
			if d != "" && !seen[d] {
				seen[d] = true
				n.Departments = append(n.Departments, d)
			}
		}
	}
	return n, nil
}

func episodeDepts(eps []struct {
	Department string `json:"department"`
}) []string {
	out := make([]string, len(eps))
	for i, e := range eps {
		out[i] = e.Department
	}
	return out
}
