package httpapi

import (
	"context"

	"github.com/certledger/certledger/gateway/internal/coalesce"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
)

// submitCertificate submits a certificate write. A single issue goes through
// the coalescer when one is configured (Options.Coalesce): its answer is then
// the record's own — issued (the group's transaction), a replay (CONFLICT,
// which writeCertificate answers as a replay of the stored record, as for a
// single issue), or the refusal with the chaincode's code.
func (s *Server) submitCertificate(ctx context.Context, org, fn string, c CertificateRecord) (*ledgerclient.Result, error) {
	if s.coalescer == nil || fn != coalesce.FnIssue {
		return s.submit(ctx, org, fn, mustJSON(c))
	}
	out := s.coalescer.Issue(ctx, org, c)
	if out.Outcome == coalesce.OutcomeIssued {
		return out.Result, nil
	}
	return nil, out.Err
}
