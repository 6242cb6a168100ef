package certificate

import (
	"fmt"
	"time"

	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/merkle"
)

// Step codes besides the verdicts and registry.Key* codes.
const (
	CodeOK             = "OK"
	CodeNotReached     = "NOT_REACHED"     // an earlier step failed
	CodeClientHashes   = "CLIENT_HASHES"   // step 2 on chain: the client hashes the file
	CodeNotBatched     = "NOT_BATCHED"     // step 4: the certificate is not in a batch
	CodeNoProof        = "NO_PROOF"        // step 4: batched, but no proof was supplied
	CodeMerkleMismatch = "MERKLE_MISMATCH" // step 4 failed
	CodeKeyUnknown     = "KEY_UNKNOWN"     // steps 5, 6: the key is not in the registry
	CodeKeyNotIssuers  = "KEY_NOT_ISSUERS"
	CodeOffline        = "OFFLINE" // step 7 offline: revocation needs the online check
)

// Step names, indexed by step number - 1.
var stepNames = [8]string{"format", "hash", "lookup", "merkle", "signature", "key", "status", "validity"}

// Query is what a verifier asks about: a certificate id, a document hash, or both.
type Query struct {
	ID      string `json:"id"`
	DocHash string `json:"docHash"`
}

// Inclusion is a Merkle inclusion proof of a batched certificate: the leaf is
// the certificate's canonical payload (canon kind "certificate").
type Inclusion struct {
	Index int      `json:"index"`
	Size  int      `json:"size"`
	Proof [][]byte `json:"proof"`
	Root  []byte   `json:"root"`
}

// Input is everything Evaluate needs; the caller does the lookups (the
// chaincode from world state, the CLI from a receipt and a trust bundle).
type Input struct {
	Query       Query
	FormatError string         // a decoding error of the query, reported by step 1
	FileHash    string         // SM3 of the file computed by the verifier; "" = not hashed here
	Certificate *Certificate   // the record found (nil = not found)
	Matches     []string       // ids found for the query
	IssuerKey   *registry.Key  // the registry key named by Certificate.KeyID (nil = unknown)
	KeyOwner    string         // id of the department holding IssuerKey
	Inclusion   *Inclusion     // proof for a batched certificate (nil = none supplied)
	Offline     bool           // no ledger: the status step is skipped
	Now         time.Time      // the checking time (validity window)
	CertType    *certtype.Info // the catalogue's entry for Certificate.Type (nil = none, or a v1 record)
}

// Step is the outcome of one pipeline step.
type Step struct {
	Step   int    `json:"step"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Result is the verification outcome.
type Result struct {
	Verdict     string        `json:"verdict"`
	CheckedAt   string        `json:"checkedAt"`
	Certificate *Certificate  `json:"certificate"`
	IssuerKey   *registry.Key `json:"issuerKey"`
	Matches     []string      `json:"matches"`
	Steps       []Step        `json:"steps"`
	// Identifier is the GB/T 36904 identifier of the certificate (or of the query),
	// split into its parts, when it is one.
	Identifier *identifier.Identifier `json:"identifier,omitempty"`
	// CertType is the catalogue's entry for the certificate's type (v2 records).
	CertType *certtype.Info `json:"certType,omitempty"`
}

// Evaluate runs the numbered verification pipeline of DESIGN.md over in:
// 1 format, 2 hash, 3 lookup, 4 merkle, 5 signature, 6 key, 7 status, 8 validity.
// The verdict is VALID when no step fails, else the verdict of the first failing
// step. It is pure: same input, same result.
func Evaluate(in Input) Result {
	p := &pipeline{in: in, res: Result{
		CheckedAt:   wire.FormatTime(in.Now),
		Certificate: in.Certificate,
		IssuerKey:   in.IssuerKey,
		Matches:     append([]string{}, in.Matches...),
		Steps:       make([]Step, 0, 8),
		CertType:    in.CertType,
	}}
	if !p.format() {
		return p.skipRest("the input is malformed")
	}
	p.hash()
	if !p.lookup() {
		return p.skipRest("no record found")
	}
	p.merkle()
	p.signature()
	p.key()
	p.status()
	p.validity()
	p.res.Verdict = VerdictOf(p.res.Steps, wire.VerdictValid)
	return p.res
}

// pipeline is one run of Evaluate: each method is one numbered step and adds
// exactly one Step.
type pipeline struct {
	in  Input
	res Result
}

func (p *pipeline) add(status, code, detail string) {
	n := len(p.res.Steps) + 1
	p.res.Steps = append(p.res.Steps, Step{Step: n, Name: StepName(n), Status: status, Code: code, Detail: detail})
}

func (p *pipeline) skipRest(reason string) Result {
	for len(p.res.Steps) < 8 {
		p.add(wire.StepSkipped, CodeNotReached, reason)
	}
	p.res.Verdict = VerdictOf(p.res.Steps, wire.VerdictValid)
	return p.res
}

// format is step 1. A GB/T 36904 identifier's check character is verified
// here, before the lookup (checkQuery refuses a wrong one, naming the expected
// character).
func (p *pipeline) format() bool {
	if err := checkQuery(p.in); err != nil {
		p.add(wire.StepFail, wire.VerdictBadFormat, err.Error())
		return false
	}
	if id, err := identifier.Parse(p.in.Query.ID); err == nil {
		p.res.Identifier = &id
		p.add(wire.StepPass, CodeOK, "well-formed query; GB/T 36904 identifier, check character "+id.Check+" verified (ISO/IEC 7064 MOD 37,36)")
	} else {
		p.add(wire.StepPass, CodeOK, "well-formed query")
	}
	return true
}

// hash is step 2: the file's hash (or the docHash given with an id) against the record's.
func (p *pipeline) hash() {
	c := p.in.Certificate
	claimed, source := p.in.FileHash, "file hash"
	if claimed == "" && p.in.Query.ID != "" && p.in.Query.DocHash != "" {
		claimed, source = p.in.Query.DocHash, "given docHash"
	}
	switch {
	case claimed == "":
		p.add(wire.StepSkipped, CodeClientHashes, "the client computes the SM3 of the file")
	case c == nil:
		p.add(wire.StepSkipped, CodeNotReached, "no record to compare with")
	case claimed != c.DocHash:
		p.add(wire.StepFail, wire.VerdictHashMismatch, fmt.Sprintf("%s %s differs from the record's docHash %s", source, claimed, c.DocHash))
	default:
		p.add(wire.StepPass, CodeOK, source+" equals the record's docHash")
	}
}

// lookup is step 3: a record was found.
func (p *pipeline) lookup() bool {
	c := p.in.Certificate
	if c == nil {
		p.add(wire.StepFail, wire.VerdictNotFound, "no certificate matches "+describeQuery(p.in.Query))
		return false
	}
	if id, ok := c.Identifier(); ok {
		p.res.Identifier = &id
		p.add(wire.StepPass, CodeOK, "certificate "+c.ID+" found (GB/T 36904 identifier, check character "+id.Check+" verified)")
	} else {
		p.add(wire.StepPass, CodeOK, "certificate "+c.ID+" found")
	}
	return true
}

// merkle is step 4: a batched record's inclusion proof.
func (p *pipeline) merkle() {
	c := p.in.Certificate
	switch {
	case c.BatchID == "":
		p.add(wire.StepSkipped, CodeNotBatched, "not anchored in a batch")
	case p.in.Inclusion == nil:
		p.add(wire.StepSkipped, CodeNoProof, "batch "+c.BatchID+": no inclusion proof supplied")
	default:
		if err := checkInclusion(c, p.in.Inclusion); err != nil {
			p.add(wire.StepFail, CodeMerkleMismatch, err.Error())
		} else {
			p.add(wire.StepPass, CodeOK, "included in batch "+c.BatchID)
		}
	}
}

// signature is step 5: the SM2 signature over the record's payload.
func (p *pipeline) signature() {
	c, k := p.in.Certificate, p.in.IssuerKey
	switch {
	case k == nil:
		p.add(wire.StepSkipped, CodeKeyUnknown, "key "+c.KeyID+" is not in the registry")
	case k.KeyID != c.KeyID:
		p.add(wire.StepFail, wire.VerdictBadSignature, "the key supplied is "+k.KeyID+", the record names "+c.KeyID)
	default:
		if err := verifyRecordMemo(k, c.Record, c.Signature); err != nil {
			p.add(wire.StepFail, wire.VerdictBadSignature, err.Error())
		} else {
			p.add(wire.StepPass, CodeOK, "SM2 signature verifies with key "+k.KeyID)
		}
	}
}

// key is step 6: the key is the issuer's and was valid at issue time.
func (p *pipeline) key() {
	c, k := p.in.Certificate, p.in.IssuerKey
	switch {
	case k == nil:
		p.add(wire.StepFail, CodeKeyUnknown, "key "+c.KeyID+" is not in the registry")
	case p.in.KeyOwner != c.Issuer:
		p.add(wire.StepFail, CodeKeyNotIssuers, fmt.Sprintf("key %s belongs to %q, not to the issuer %s", k.KeyID, p.in.KeyOwner, c.Issuer))
	default:
		issued, err := time.Parse(wire.TimeLayout, c.IssuedAt)
		if err != nil {
			p.add(wire.StepFail, registry.KeyCorrupt, "the record has no valid issuedAt")
		} else if code, detail := k.StateAt(issued); code != "" {
			p.add(wire.StepFail, code, detail+" (issued at "+c.IssuedAt+")")
		} else {
			p.add(wire.StepPass, CodeOK, "key "+k.KeyID+" of "+c.Issuer+" was valid at issue time "+c.IssuedAt)
		}
	}
}

// status is step 7: valid, not revoked, suspended or superseded.
func (p *pipeline) status() {
	c := p.in.Certificate
	switch {
	case p.in.Offline:
		p.add(wire.StepSkipped, CodeOffline, "offline: revocation and suspension need the online check")
	case c.Status == StatusValid:
		p.add(wire.StepPass, CodeOK, "status valid")
	case c.Status == StatusRevoked:
		p.add(wire.StepFail, wire.VerdictRevoked, "revoked: "+c.StatusReason)
	case c.Status == StatusSuspended:
		p.add(wire.StepFail, wire.VerdictSuspended, "suspended: "+c.StatusReason)
	case c.Status == StatusSuperseded:
		p.add(wire.StepFail, wire.VerdictSuperseded, "superseded by "+c.SupersededBy)
	default:
		p.add(wire.StepFail, wire.VerdictBadFormat, "unknown status "+c.Status)
	}
}

// validity is step 8: the checking time is within the validity window.
func (p *pipeline) validity() {
	c, now := p.in.Certificate, p.in.Now
	from, errFrom := time.Parse(wire.TimeLayout, c.ValidFrom)
	switch {
	case errFrom != nil:
		p.add(wire.StepFail, wire.VerdictBadFormat, "validFrom is not an RFC 3339 time")
	case now.Before(from):
		p.add(wire.StepFail, wire.VerdictNotYetValid, "valid only from "+c.ValidFrom)
	case c.ValidUntil != "":
		until, err := time.Parse(wire.TimeLayout, c.ValidUntil)
		switch {
		case err != nil:
			p.add(wire.StepFail, wire.VerdictBadFormat, "validUntil is not an RFC 3339 time")
		case !now.Before(until):
			p.add(wire.StepFail, wire.VerdictExpired, "expired at "+c.ValidUntil)
		default:
			p.add(wire.StepPass, CodeOK, "within "+c.ValidFrom+" .. "+c.ValidUntil)
		}
	default:
		p.add(wire.StepPass, CodeOK, "valid from "+c.ValidFrom+", no end")
	}
}

// StepName returns the name of pipeline step n (1..8), "" for any other n.
func StepName(n int) string {
	if n < 1 || n > len(stepNames) {
		return ""
	}
	return stepNames[n-1]
}

// failVerdicts is the verdict each step gives when it fails without a code
// that is itself a verdict.
var failVerdicts = [8]string{wire.VerdictBadFormat, wire.VerdictHashMismatch, wire.VerdictNotFound, wire.VerdictBadSignature,
	wire.VerdictBadSignature, wire.VerdictKeyInvalid, wire.VerdictBadFormat, wire.VerdictExpired}

// StepVerdict is the verdict a failed step gives: its code, except for steps
// 4 (merkle) and 6 (key), whose codes are details (MERKLE_MISMATCH,
// KEY_REVOKED, ...) of BAD_SIGNATURE and KEY_INVALID; a step without a code
// gives its step's verdict.
func StepVerdict(s Step) string {
	if s.Step < 1 || s.Step > len(failVerdicts) {
		return wire.VerdictBadFormat
	}
	if s.Code == "" || s.Step == 4 || s.Step == 6 {
		return failVerdicts[s.Step-1]
	}
	return s.Code
}

// VerdictOf returns the verdict of the first failed step (StepVerdict), else
// fallback: the verdict of a pipeline run, or of steps merged from an offline
// and an online run.
func VerdictOf(steps []Step, fallback string) string {
	for _, s := range steps {
		if s.Status == wire.StepFail {
			return StepVerdict(s)
		}
	}
	return fallback
}

func checkQuery(in Input) error {
	if in.FormatError != "" {
		return fmt.Errorf("%s", in.FormatError)
	}
	q := in.Query
	if q.ID == "" && q.DocHash == "" {
		return fmt.Errorf("give an id or a docHash")
	}
	if q.ID != "" {
		if err := CheckID("id", q.ID); err != nil {
			return err
		}
	}
	if q.DocHash != "" {
		if err := CheckHash("docHash", q.DocHash); err != nil {
			return err
		}
	}
	if in.FileHash != "" {
		if err := CheckHash("file hash", in.FileHash); err != nil {
			return err
		}
	}
	return nil
}

func describeQuery(q Query) string {
	switch {
	case q.ID != "" && q.DocHash != "":
		return "id " + q.ID + " and docHash " + q.DocHash
	case q.ID != "":
		return "id " + q.ID
	default:
		return "docHash " + q.DocHash
	}
}

func checkInclusion(c *Certificate, p *Inclusion) error {
	leaf, err := c.Record.Payload()
	if err != nil {
		return err
	}
	return merkle.VerifyInclusion(leaf, p.Index, p.Size, p.Proof, p.Root)
}

// Best picks, among the results of evaluating every certificate matching one
// document hash, the one to report: the first VALID, else the one issued last
// (ties keep the earlier). It returns the zero Result for an empty slice.
func Best(results []Result) Result {
	if len(results) == 0 {
		return Result{}
	}
	best := 0
	var bestAt time.Time
	for i, r := range results {
		if r.Verdict == wire.VerdictValid {
			return r
		}
		var at time.Time
		if r.Certificate != nil {
			at, _ = time.Parse(wire.TimeLayout, r.Certificate.IssuedAt)
		}
		if i == 0 || at.After(bestAt) {
			best, bestAt = i, at
		}
	}
	return results[best]
}
