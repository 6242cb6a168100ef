package certificate

import (
	"slices"
	"strings"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/registry"
)

// CheckMayIssue decides whether department d may issue (or anchor in a batch)
// a certificate of type typ: FORBIDDEN when it may not. It is the one place
// that decides; every issuing path calls it before anything is written.
//
// It decides for v1 records (free-form types) on a ledger whose type
// catalogue is not in force: the department's registered categories — a
// department that lists categories issues only those types; one registered
// with none is not restricted by this rule. v2 records are decided by the
// catalogue instead (Authorize: the type is registered and names the
// department among its issuers), and once the catalogue is in force v1
// records are refused (chaincode/contract/certificate authorizeType).
func CheckMayIssue(d registry.Department, typ string) error {
	if len(d.Categories) == 0 || slices.Contains(d.Categories, typ) {
		return nil
	}
	return codes.New(codes.Forbidden, "department %s may not issue certificates of type %q: its registered categories are %s",
		d.ID, typ, strings.Join(d.Categories, ", "))
}
