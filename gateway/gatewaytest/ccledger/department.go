package ccledger

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
)

// Dept describes a department to register.
type Dept struct {
	ID string
	// Org is the organisation the department submits as (default: ID).
	Org string
	// MSP is its MSP ID (default: from ID, "dept-a" -> "DeptAMSP").
	MSP        string
	Name       string // default: ID
	Parent     string
	Categories []string
	// Key is the department's SM2 key (nil: a new one).
	Key *ledgertest.Signer
	// Unregistered adds the organisation only: nothing is written to the registry.
	Unregistered bool
}

// Department is a department known to the ledger, with one SM2 key registered.
type Department struct {
	ID, Org, MSP string
	ledgertest.Signer
	// TxID is the registration's transaction ("" when Unregistered).
	TxID string
}

// Sign returns the base64 SM2 signature of record's canonical payload of kind.
func (d Department) Sign(t testing.TB, kind canon.Kind, record any) string {
	t.Helper()
	return d.Signer.Sign(t, kind, record)
}

// MSPFor is the default MSP ID of a department id: "dept-a" -> "DeptAMSP".
func MSPFor(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "MSP"
}

// Department adds d's organisation and, unless d.Unregistered, registers d with a new
// SM2 key through registry:RegisterDepartment submitted by the governance organisation.
func (l *Ledger) Department(t testing.TB, d Dept) Department {
	t.Helper()
	if d.Org == "" {
		d.Org = d.ID
	}
	if d.MSP == "" {
		d.MSP = MSPFor(d.ID)
	}
	if d.Name == "" {
		d.Name = d.ID
	}
	if d.Categories == nil {
		d.Categories = []string{}
	}
	l.AddOrg(d.Org, d.MSP)
	out := Department{ID: d.ID, Org: d.Org, MSP: d.MSP}
	if d.Key != nil {
		out.Signer = *d.Key
	} else {
		out.Signer = ledgertest.NewSigner(t)
	}
	if d.Unregistered {
		return out
	}
	in, err := json.Marshal(map[string]any{"id": d.ID, "name": d.Name, "mspId": d.MSP, "parent": d.Parent,
		"categories": d.Categories, "publicKeys": []string{out.PublicPEM}})
	if err != nil {
		t.Fatal(err)
	}
	out.TxID = l.MustSubmit(GovOrg, "registry:RegisterDepartment", string(in)).TxID
	return out
}
