package issue

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/internal/codes"
)

// DefaultGroup is how many records bulk issue sends per grouped transaction
// (the chaincode's default limit is 500; docs/batches.md).
const DefaultGroup = 200

// ErrNoGroups is returned when the gateway has no grouped issue route.
var ErrNoGroups = errors.New("the gateway does not offer grouped issue")

// IssueGroup issues reqs in one transaction (certificate:IssueGroup): each
// record is prepared (and saved as pending) as Issue does, the group is sent
// once, and each answer is settled: issued → receipt; replay or a CONFLICT
// (the id exists) → resolved through the single-issue path, which knows a
// retried record from another one; refused → its error, pending receipt
// dropped. results[i] / errs[i] answer reqs[i]. When the group cannot be sent
// at all, every record gets that error and keeps its pending receipt, so a
// rerun resends the same signed records and they come back as replays.
func (is *Issuer) IssueGroup(ctx context.Context, reqs []Request) ([]*Result, []error) {
	results := make([]*Result, len(reqs))
	errs := make([]error, len(reqs))
	rcs := make([]*receipt.Receipt, 0, len(reqs))
	recs := make([]client.CertificateRecord, 0, len(reqs))
	pos := make([]int, 0, len(reqs))
	for i, req := range reqs {
		if req.Supersedes != "" {
			results[i], errs[i] = is.Issue(ctx, req)
			continue
		}
		rc, err := is.prepare(req)
		if err != nil {
			errs[i] = err
			continue
		}
		rcs = append(rcs, rc)
		recs = append(recs, rc.Record)
		pos = append(pos, i)
	}
	if len(recs) == 0 {
		return results, errs
	}
	wr, err := is.Client.IssueGroup(ctx, recs)
	var ce *client.Error
	if errors.As(err, &ce) && (ce.Status == http.StatusNotFound || ce.Status == http.StatusMethodNotAllowed) && ce.Code != codes.NotFound {
		err = fmt.Errorf("%w: %w", ErrNoGroups, err)
	}
	if err != nil {
		for _, i := range pos {
			errs[i] = err
		}
		return results, errs
	}
	if len(wr.Record.Results) != len(recs) {
		err := fmt.Errorf("the ledger answered %d results for %d records", len(wr.Record.Results), len(recs))
		for _, i := range pos {
			errs[i] = err
		}
		return results, errs
	}
	for k, res := range wr.Record.Results {
		i, rc := pos[k], rcs[k]
		switch {
		case res.ID != rc.Record.ID:
			errs[i] = fmt.Errorf("the ledger answered for %s, expected %s", res.ID, rc.Record.ID)
		case res.Outcome == "issued":
			results[i], errs[i] = is.finish(ctx, rc, res.TxID, wr.BlockNumber, wr.Channel, wr.Record.IssuedAt)
		case res.Outcome == "replay" || res.Code == codes.Conflict:
			results[i], errs[i] = is.submit(ctx, rc)
		default:
			_, _, pending := is.Paths(rc.Record.ID)
			_ = os.Remove(pending) // refused for good: nothing written, the salt is not needed
			errs[i] = &client.Error{Status: http.StatusBadRequest, Code: res.Code, Message: res.Message, Method: http.MethodPost, Path: "/api/v1/certificates/groups"}
		}
	}
	return results, errs
}
