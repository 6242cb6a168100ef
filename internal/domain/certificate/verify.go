package certificate

import (
	"fmt"
	"time"

	"github.com/certledger/certledger/internal/codes"
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
	CodeNoBatchHeader  = "NO_BATCH_HEADER" // step 5: batched, but the signed batch header was not supplied
	CodeKeyUnknown     = "KEY_UNKNOWN"     // steps 5, 6: the key is not in the registry
	CodeKeyNotIssuers  = "KEY_NOT_ISSUERS"
	// CodeNotAuthorized: step 6, a batched v2 record whose issuerCode, issuerName
	// or holderCodeType a single issue would refuse (AuthorizeFields).
	CodeNotAuthorized = "NOT_AUTHORIZED"
	CodeOffline       = "OFFLINE" // step 7 offline: revocation needs the online check
)

// Step names, indexed by step number - 1.
var stepNames = [8]string{"format", "hash", "lookup", "merkle", "signature", "key", "status", "validity"}

// Query is what a verifier asks about: a certificate id, a document hash, or both.
type Query struct {
	ID      string `json:"id"`
	DocHash string `json:"docHash"`
}

// Inclusion is a Merkle inclusion proof of a batched certificate: the leaf is
// the certificate record's canonical payload (Record.Payload: v1 or v2).
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
	FormatError string        // a decoding error of the query, reported by step 1
	FileHash    string        // SM3 of the file computed by the verifier; "" = not hashed here
	Certificate *Certificate  // the record found (nil = not found)
	Matches     []string      // ids found for the query
	IssuerKey   *registry.Key // the registry key named by Certificate.KeyID (nil = unknown)
	KeyOwner    string        // id of the department holding IssuerKey
	IssuerName  string        // the issuer department's full name ("" = unknown)
	// IssuerCode is the issuer department's unified social credit code ("" =
	// unknown or none); with IssuerName and CertType, step 6 checks a batched v2
	// record's issuerCode, issuerName and holderCodeType (AuthorizeFields).
	IssuerCode string
	Inclusion  *Inclusion // proof for a batched certificate (nil = none supplied)
	// BatchCheck, for a batched certificate, checks the SM2 signature of its
	// batch's header with the issuer key (nil = the header is not at hand).
	BatchCheck func(k *registry.Key) error
	Offline    bool      // no ledger: the status step is skipped
	Now        time.Time // the checking time (validity window)
	// CertType is the catalogue's entry for Certificate.Type (nil = none, or a v1 record).
	CertType *certtype.Info
}

// Step is the outcome of one pipeline step.
type Step struct {
	Step   int    `json:"step"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Result is the verification outcome. Evaluate fills it for one certificate;
// Summarize for all the certificates a query found, with one Result per
// certificate in Results and the headline (Verdict, Message, Certificate,
// Steps) naming any disagreement between them.
type Result struct {
	Verdict     string        `json:"verdict"`
	Message     string        `json:"message,omitempty"`
	CheckedAt   string        `json:"checkedAt"`
	Certificate *Certificate  `json:"certificate"`
	IssuerKey   *registry.Key `json:"issuerKey"`
	IssuerName  string        `json:"issuerName,omitempty"`
	Matches     []string      `json:"matches"`
	Steps       []Step        `json:"steps"`
	Results     []Result      `json:"results,omitempty"`
	// Identifier is the GB/T 36904 identifier of the certificate (or of the query),
	// split into its parts, when it is one.
	Identifier *identifier.Identifier `json:"identifier,omitempty"`
	// CertType is the catalogue's entry for the certificate's type (v2 records).
	CertType *certtype.Info `json:"certType,omitempty"`
}

// Evaluate runs the numbered verification pipeline of DESIGN.md over in:
// 1 format, 2 hash, 3 lookup, 4 merkle, 5 signature, 6 key, 7 status, 8 validity,
// one function per step (pipeline). The verdict is VALID when no step fails,
// else the verdict of the first failing step (VerdictOf). A failure of step 1
// or 3 ends the pipeline (the rest is NOT_REACHED). It is pure: same input,
// same result.
func Evaluate(in Input) Result {
	res := Result{
		CheckedAt:   wire.FormatTime(in.Now),
		Certificate: in.Certificate,
		IssuerKey:   in.IssuerKey,
		IssuerName:  in.IssuerName,
		Matches:     append([]string{}, in.Matches...),
		Steps:       make([]Step, 0, len(pipeline)),
		CertType:    in.CertType,
	}
	for i, check := range pipeline {
		o := check(in)
		res.Steps = append(res.Steps, Step{Step: i + 1, Name: StepName(i + 1), Status: o.status, Code: o.code, Detail: o.detail})
		if o.stop != "" {
			for n := i + 2; n <= len(pipeline); n++ {
				res.Steps = append(res.Steps, Step{Step: n, Name: StepName(n), Status: wire.StepSkipped, Code: CodeNotReached, Detail: o.stop})
			}
			break
		}
	}
	res.Verdict = VerdictOf(res.Steps, wire.VerdictValid)
	res.Identifier = identifierOf(in, res.Steps)
	return res
}

// identifierOf is the GB/T 36904 identifier a run shows: the certificate's when
// its id is one, else the query's when step 1 passed and it is one, else nil.
func identifierOf(in Input, steps []Step) *identifier.Identifier {
	if c := in.Certificate; c != nil && steps[0].Status == wire.StepPass {
		if id, ok := c.Identifier(); ok {
			return &id
		}
	}
	if steps[0].Status != wire.StepPass {
		return nil
	}
	if id, err := identifier.Parse(in.Query.ID); err == nil {
		return &id
	}
	return nil
}

// outcome is what one step decides: its status, code and detail and, when
// the pipeline ends here, why.
type outcome struct {
	status, code, detail, stop string
}

func pass(detail string) outcome { return outcome{status: wire.StepPass, code: CodeOK, detail: detail} }
func skip(code, detail string) outcome {
	return outcome{status: wire.StepSkipped, code: code, detail: detail}
}
func fail(code, detail string) outcome {
	return outcome{status: wire.StepFail, code: code, detail: detail}
}
func failStop(code, detail, why string) outcome { o := fail(code, detail); o.stop = why; return o }

// pipeline holds the steps in order; each reads only in.
var pipeline = [8]func(Input) outcome{checkFormat, checkHash, checkLookup, checkMerkle, checkSignature, checkKey, checkStatus, checkValidity}

// 1 format
func checkFormat(in Input) outcome {
	if err := checkQuery(in); err != nil {
		return failStop(wire.VerdictBadFormat, err.Error(), "the input is malformed")
	}
	// A GB/T 36904 identifier's check character is verified here, before the
	// lookup (checkQuery refuses a wrong one, naming the expected character).
	if id, err := identifier.Parse(in.Query.ID); err == nil {
		return pass("well-formed query; GB/T 36904 identifier, check character " + id.Check + " verified (ISO/IEC 7064 MOD 37,36)")
	}
	return pass("well-formed query")
}

// 2 hash: the file's SM3 (or, for a query by id and hash, the given hash)
// against the record's docHash.
func checkHash(in Input) outcome {
	c := in.Certificate
	claimed, source := in.FileHash, "file hash"
	if claimed == "" && in.Query.ID != "" && in.Query.DocHash != "" {
		claimed, source = in.Query.DocHash, "given docHash"
	}
	switch {
	case claimed == "":
		return skip(CodeClientHashes, "the client computes the SM3 of the file")
	case c == nil:
		return skip(CodeNotReached, "no record to compare with")
	case claimed != c.DocHash:
		return fail(wire.VerdictHashMismatch, fmt.Sprintf("%s %s differs from the record's docHash %s", source, claimed, c.DocHash))
	}
	return pass(source + " equals the record's docHash")
}

// 3 lookup
func checkLookup(in Input) outcome {
	if in.Certificate == nil {
		return failStop(wire.VerdictNotFound, "no certificate matches "+describeQuery(in.Query), "no record found")
	}
	if id, ok := in.Certificate.Identifier(); ok {
		return pass("certificate " + in.Certificate.ID + " found (GB/T 36904 identifier, check character " + id.Check + " verified)")
	}
	return pass("certificate " + in.Certificate.ID + " found")
}

// 4 merkle: inclusion of a batched certificate in its batch.
func checkMerkle(in Input) outcome {
	c := in.Certificate
	switch {
	case c.BatchID == "":
		return skip(CodeNotBatched, "not anchored in a batch")
	case in.Inclusion == nil:
		return skip(CodeNoProof, "batch "+c.BatchID+": no inclusion proof supplied")
	}
	if err := checkInclusion(c, in.Inclusion); err != nil {
		return fail(CodeMerkleMismatch, err.Error())
	}
	return pass("included in batch " + c.BatchID)
}

// 5 signature: the record's SM2 signature with the key it names.
func checkSignature(in Input) outcome {
	c, k := in.Certificate, in.IssuerKey
	switch {
	case k == nil:
		return skip(CodeKeyUnknown, "key "+c.KeyID+" is not in the registry")
	case k.KeyID != c.KeyID:
		return fail(wire.VerdictBadSignature, "the key supplied is "+k.KeyID+", the record names "+c.KeyID)
	case c.BatchID != "" && c.Signature == "":
		// A batched record has no signature of its own: the batch header's vouches for it.
		return checkBatchHeader(in)
	}
	if err := verifyRecordMemo(k, c.Record, c.Signature); err != nil {
		return fail(wire.VerdictBadSignature, err.Error())
	}
	return pass("SM2 signature verifies with key " + k.KeyID)
}

// checkBatchHeader is step 5 for a batched record without a signature of its
// own: the SM2 signature of its batch's header (in.BatchCheck), which vouches
// for every leaf.
func checkBatchHeader(in Input) outcome {
	c, k := in.Certificate, in.IssuerKey
	if in.BatchCheck == nil {
		return skip(CodeNoBatchHeader, "batch "+c.BatchID+": its signed header was not supplied")
	}
	if err := in.BatchCheck(k); err != nil {
		return fail(wire.VerdictBadSignature, "batch "+c.BatchID+" header: "+err.Error())
	}
	return pass("SM2 signature over the header of batch " + c.BatchID + " verifies with key " + k.KeyID)
}

// 6 key: the key belonged to the issuer and was valid at the issue time.
func checkKey(in Input) outcome {
	c, k := in.Certificate, in.IssuerKey
	switch {
	case k == nil:
		return fail(CodeKeyUnknown, "key "+c.KeyID+" is not in the registry")
	case in.KeyOwner != c.Issuer:
		return fail(CodeKeyNotIssuers, fmt.Sprintf("key %s belongs to %q, not to the issuer %s", k.KeyID, in.KeyOwner, c.Issuer))
	}
	issued, err := time.Parse(wire.TimeLayout, c.IssuedAt)
	if err != nil {
		return fail(registry.KeyCorrupt, "the record has no valid issuedAt")
	}
	if code, detail := k.StateAt(issued); code != "" {
		return fail(code, detail+" (issued at "+c.IssuedAt+")")
	}
	detail := "key " + k.KeyID + " of " + c.Issuer + " was valid at issue time " + c.IssuedAt
	if c.BatchID == "" || c.RecordVersion != RecordV2 {
		return pass(detail)
	}
	checked, err := batchedFields(in)
	if err != nil {
		return fail(CodeNotAuthorized, "this record of batch "+c.BatchID+" does not agree with the registry and the type catalogue as a single issue must: "+err.Error())
	}
	return pass(detail + "; the batched record's " + checked)
}

// batchedFields is step 6's check of a batched v2 record, which the chaincode
// anchored without seeing it (batch:Anchor checks the header's types only):
// its issuerCode and issuerName are the issuer department's as the registry
// gives them, its holderCodeType the one the catalogue gives its type
// (AuthorizeFields, what a single v2 issue of the record would be refused by).
// Who may issue the type is not asked again: the anchoring decided it, and a
// grant revoked since does not undo certificates. Offline (no catalogue at
// hand, in.CertType nil) holderCodeType is left unchecked; online a type that
// is not in the catalogue fails. It returns what was checked.
func batchedFields(in Input) (string, error) {
	c := in.Certificate
	switch {
	case in.IssuerCode == "":
		return "", fmt.Errorf("issuerCode %s cannot be confirmed: the registry at hand gives department %s no unified social credit code", c.IssuerCode, c.Issuer)
	case in.IssuerName == "":
		return "", fmt.Errorf("issuerName %q cannot be confirmed: the registry at hand gives no name for department %s", c.IssuerName, c.Issuer)
	case in.CertType == nil && !in.Offline:
		return "", fmt.Errorf("holderCodeType %s cannot be confirmed: certificate type %s is not in the type catalogue", c.HolderCodeType, c.Type)
	}
	dept := registry.Department{ID: c.Issuer, Name: in.IssuerName, Code: in.IssuerCode}
	if err := authorizeFields(c.Record, in.CertType, dept); err != nil {
		return "", fmt.Errorf("%s", codes.Message(err))
	}
	if in.CertType == nil {
		return "issuerCode and issuerName are the department's (holderCodeType not checked: no type catalogue at hand)", nil
	}
	return "issuerCode, issuerName and holderCodeType are the department's and the type's", nil
}

// 7 status (the ledger's; skipped offline).
func checkStatus(in Input) outcome {
	c := in.Certificate
	switch {
	case in.Offline:
		return skip(CodeOffline, "offline: revocation and suspension need the online check")
	case c.Status == StatusValid:
		return pass("status valid")
	case c.Status == StatusRevoked:
		return fail(wire.VerdictRevoked, "revoked: "+c.StatusReason)
	case c.Status == StatusSuspended:
		return fail(wire.VerdictSuspended, "suspended: "+c.StatusReason)
	case c.Status == StatusSuperseded:
		return fail(wire.VerdictSuperseded, "superseded by "+c.SupersededBy)
	}
	return fail(wire.VerdictBadFormat, "unknown status "+c.Status)
}

// 8 validity window at in.Now.
func checkValidity(in Input) outcome {
	c := in.Certificate
	from, err := time.Parse(wire.TimeLayout, c.ValidFrom)
	switch {
	case err != nil:
		return fail(wire.VerdictBadFormat, "validFrom is not an RFC 3339 time")
	case in.Now.Before(from):
		return fail(wire.VerdictNotYetValid, "valid only from "+c.ValidFrom)
	case c.ValidUntil == "":
		return pass("valid from " + c.ValidFrom + ", no end")
	}
	until, err := time.Parse(wire.TimeLayout, c.ValidUntil)
	switch {
	case err != nil:
		return fail(wire.VerdictBadFormat, "validUntil is not an RFC 3339 time")
	case !in.Now.Before(until):
		return fail(wire.VerdictExpired, "expired at "+c.ValidUntil)
	}
	return pass("within " + c.ValidFrom + " .. " + c.ValidUntil)
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
	leaf, err := c.Payload() // v1 or v2, as signed
	if err != nil {
		return err
	}
	return merkle.VerifyInclusion(leaf, p.Index, p.Size, p.Proof, p.Root)
}
