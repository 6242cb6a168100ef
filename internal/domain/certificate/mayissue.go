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
// Until the type catalogue of the standard-identity issue replaces it, the
// rule is the department's registered categories: a department that lists
// categories issues only those types. A department registered with none is
// not restricted by this rule (departments registered before the rule, and
// ones that handle no ticket categories); the catalogue will close that.
func CheckMayIssue(d registry.Department, typ string) error {
	if len(d.Categories) == 0 || slices.Contains(d.Categories, typ) {
		return nil
	}
	return codes.New(codes.Forbidden, "department %s may not issue certificates of type %q: its registered categories are %s",
		d.ID, typ, strings.Join(d.Categories, ", "))
}
