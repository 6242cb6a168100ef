package certificate

import (
	"github.com/certledger/certledger/chaincode/contract/certtype"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	domaincerttype "github.com/certledger/certledger/internal/domain/certtype"
	domainregistry "github.com/certledger/certledger/internal/domain/registry"
)

// authorizeType decides whether dept may issue r, before anything is written:
// for a v2 record the type catalogue decides (certificate.Authorize). A v1 record
// (free-form type) is refused once the catalogue is in force (a type was ever
// registered); on a ledger without a catalogue the department's registered
// categories decide (certificate.CheckMayIssue), so an old ledger keeps working
// until its governance office registers types.
// The catalogue is read through reads (directReads, or a group's cached reads).
func authorizeType(ctx state.Context, r certificate.Record, dept domainregistry.Department, reads ledgerReads) error {
	if r.RecordVersion != certificate.RecordV2 {
		inForce, err := reads.inForce(ctx)
		if err != nil {
			return err
		}
		if inForce {
			return codes.Wrap(codes.ErrForbidden, "the certificate type catalogue is in force on this ledger: issue a v2 record (recordVersion 2, a GB/T 36904 identifier, a catalogue type code); %q is a free-form type", r.Type)
		}
		return certificate.CheckMayIssue(dept, r.Type)
	}
	t, err := reads.lookupType(ctx, r.Type)
	if err != nil {
		return err
	}
	return certificate.Authorize(r, t, dept)
}

// typeInfo returns what a verifier shows of the type of c (nil for a v1 record or
// a type missing from the catalogue).
func typeInfo(ctx state.Context, c certificate.Certificate) (*domaincerttype.Info, error) {
	if c.RecordVersion != certificate.RecordV2 {
		return nil, nil
	}
	t, err := certtype.Lookup(ctx, c.Type)
	if err != nil || t == nil {
		return nil, err
	}
	info := t.Info()
	return &info, nil
}
