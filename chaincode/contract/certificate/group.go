package certificate

import (
	"crypto/ecdsa"
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	domainregistry "github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// EventGroupIssued is the event of a grouped issue: Fabric keeps one chaincode
// event per transaction, so a group sends one event listing every certificate
// it wrote (GroupEvent).
const EventGroupIssued = "CertificatesIssued"

// Outcomes of one record of a grouped issue.
const (
	OutcomeIssued  = "issued"  // written by this transaction
	OutcomeReplay  = "replay"  // the same signed record is already on the ledger: nothing written
	OutcomeRefused = "refused" // checked as a single issue and refused: nothing written
)

// MaxGroupEnv names the environment variable that sets the largest group
// (records per certificate:IssueGroup transaction). Unset means DefaultMaxGroup.
const MaxGroupEnv = "CERTLEDGER_MAX_GROUP"

// DefaultMaxGroup keeps a full group's transaction near 1.1 MB, about half of
// the PreferredMaxBytes (2 MB) of network/fabric's orderer and a ninth of its
// AbsoluteMaxBytes (10 MB). Measured per record: 0.51 kB of input, 0.87 kB
// written (record + hash index), 0.72 kB of event, 0.13 kB of answer.
// docs/batches.md shows the arithmetic.
const DefaultMaxGroup = 500

// MaxGroup returns the configured largest group. Like the clock-skew setting it
// decides only whether to endorse; a malformed value refuses every group.
func MaxGroup() (int, error) {
	v := os.Getenv(MaxGroupEnv)
	if v == "" {
		return DefaultMaxGroup, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 10000 {
		return 0, codes.New(codes.Internal, "%s=%q is not a group size between 1 and 10000", MaxGroupEnv, v)
	}
	return n, nil
}

// Group is the input of IssueGroup.
type Group struct {
	Records []certificate.Record `json:"records"`
}

// GroupResult is the answer for one record of a group, in input order.
type GroupResult struct {
	ID      string `json:"id"`
	Outcome string `json:"outcome"`
	Code    string `json:"code,omitempty"`    // the refusal's code (as a single issue would give)
	Message string `json:"message,omitempty"` // the refusal's message
	TxID    string `json:"txId,omitempty"`    // the transaction that wrote the record (this one, or the original for a replay)
}

// GroupAnswer is IssueGroup's result.
type GroupAnswer struct {
	TxID     string        `json:"txId"`
	IssuedAt string        `json:"issuedAt"` // the issuedAt of every certificate issued here
	Issued   int           `json:"issued"`
	Replay   int           `json:"replay"`
	Refused  int           `json:"refused"`
	Results  []GroupResult `json:"results"`
}

// GroupEvent is the payload of CertificatesIssued: every certificate written.
type GroupEvent struct {
	TxID         string                    `json:"txId"`
	Certificates []certificate.Certificate `json:"certificates"`
}

// IssueGroup issues up to MaxGroup individually signed records {"records":[...]}
// in one transaction. Each record is checked exactly as certificate:Issue checks
// it (format, new id, submitter in the issuer's MSP, signature by a key of the
// issuer valid at the transaction time); a record whose id is already on the
// ledger with the same signed record is a replay (its original txId answered,
// nothing written), one that fails is refused with its code and writes nothing,
// the others are written. An id twice in one group: the second is refused.
// Event CertificatesIssued (GroupEvent) when at least one record was issued.
func (c *Contract) IssueGroup(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	max, err := MaxGroup()
	if err != nil {
		return "", err
	}
	var g Group
	if err := state.Decode("group", input, &g); err != nil {
		return "", err
	}
	if len(g.Records) == 0 || len(g.Records) > max {
		return "", codes.New(codes.InvalidArgument, "a group holds 1 to %d records, not %d", max, len(g.Records))
	}
	type deptResult struct {
		d   domainregistry.Department
		err error
	}
	depts := map[string]deptResult{}
	submitterOf := func(ctx state.Context, id string) (domainregistry.Department, error) {
		if r, ok := depts[id]; ok {
			return r.d, r.err
		}
		d, err := registry.RequireSubmitterOf(ctx, id)
		if err != nil && codes.Code(err) == codes.Internal {
			return d, err
		}
		depts[id] = deptResult{d, err}
		return d, err
	}
	verify := groupVerifier(at)
	txID := state.TxID(ctx)
	ans := GroupAnswer{TxID: txID, IssuedAt: wire.FormatTime(at), Results: make([]GroupResult, len(g.Records))}
	ev := GroupEvent{TxID: txID, Certificates: []certificate.Certificate{}}
	written := map[string]bool{} // Fabric reads do not see this transaction's writes
	for i, r := range g.Records {
		res := &ans.Results[i]
		res.ID = r.ID
		if r.Supersedes != "" {
			refuse(res, codes.New(codes.InvalidArgument, "supersedes is set: use certificate:Supersede"))
			continue
		}
		if written[r.ID] {
			refuse(res, codes.New(codes.Conflict, "certificate %s appears twice in the group", r.ID))
			continue
		}
		b, err := issueWith(ctx, r, at, submitterOf, verify)
		switch {
		case err == nil:
			var cert certificate.Certificate
			if err := json.Unmarshal(b, &cert); err != nil {
				return "", codes.New(codes.Internal, "decoding written certificate: %v", err)
			}
			written[r.ID] = true
			res.Outcome, res.TxID = OutcomeIssued, txID
			ev.Certificates = append(ev.Certificates, cert)
		case codes.Code(err) == codes.Internal:
			return "", err // the ledger failed: the whole transaction fails, nothing is written
		case codes.Code(err) == codes.Conflict:
			if old, found, lerr := lookup(ctx, r.ID); lerr == nil && found && reflect.DeepEqual(old.Record, r) {
				res.Outcome, res.TxID = OutcomeReplay, old.TxID
				// A later status change moves txId; the issuing transaction is in the history.
				continue
			}
			refuse(res, err)
		default:
			refuse(res, err)
		}
	}
	for _, r := range ans.Results {
		switch r.Outcome {
		case OutcomeIssued:
			ans.Issued++
		case OutcomeReplay:
			ans.Replay++
		default:
			ans.Refused++
		}
	}
	if ans.Issued > 0 {
		if err := state.Emit(ctx, EventGroupIssued, ev); err != nil {
			return "", err
		}
	}
	return state.JSON(ans)
}

// GroupLimit returns the largest group this endorser accepts: {"maxGroup":N}.
func (c *Contract) GroupLimit(ctx contractapi.TransactionContextInterface) (string, error) {
	max, err := MaxGroup()
	if err != nil {
		return "", err
	}
	return state.JSON(map[string]int{"maxGroup": max})
}

func refuse(res *GroupResult, err error) {
	code, msg, ok := codes.Parse(err.Error())
	if !ok {
		code, msg = codes.Internal, err.Error()
	}
	res.Outcome, res.Code, res.Message = OutcomeRefused, code, msg
}

// groupVerifier checks record signatures as verifyBy does — the key must be
// the department's and valid at the transaction time, the SM2 signature over
// the canonical payload must verify — with each public key parsed once per
// transaction and the v1 payload built without reflection
// (batch.CertificatePayload, equal to canon.Payload: tests compare them).
func groupVerifier(at time.Time) func(domainregistry.Department, certificate.Certificate) error {
	pubs := map[string]*ecdsa.PublicKey{}
	return func(dept domainregistry.Department, c certificate.Certificate) error {
		key, ok := dept.Key(c.KeyID)
		if !ok {
			return codes.New(codes.Forbidden, "key %s is not a key of department %s", c.KeyID, dept.ID)
		}
		if err := key.ValidAt(at); err != nil {
			return err
		}
		pub, ok := pubs[key.KeyID]
		if !ok {
			var err error
			if pub, err = key.Public(); err != nil {
				return err
			}
			pubs[key.KeyID] = pub
		}
		payload, err := batch.CertificatePayload(c.Record)
		if err != nil {
			return codes.New(codes.InvalidArgument, "certificate record: %v", err)
		}
		if err := gm.VerifyBase64(pub, payload, c.Signature); err != nil {
			return codes.New(codes.BadSignature, "certificate signature does not verify with key %s: %v", key.KeyID, err)
		}
		return nil
	}
}
