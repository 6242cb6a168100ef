package certificate

import (
	"fmt"
	"time"

	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/merkle"
)

// Verdicts of the verification pipeline.
const (
	VerdictValid        = "VALID"
	VerdictNotFound     = "NOT_FOUND"
	VerdictBadFormat    = "BAD_FORMAT"
	VerdictHashMismatch = "HASH_MISMATCH"
	VerdictBadSignature = "BAD_SIGNATURE"
	VerdictKeyInvalid   = "KEY_INVALID"
	VerdictRevoked      = "REVOKED"
	VerdictSuspended    = "SUSPENDED"
	VerdictSuperseded   = "SUPERSEDED"
	VerdictExpired      = "EXPIRED"
	VerdictNotYetValid  = "NOT_YET_VALID"
)

// Step statuses.
const (
	Pass    = "pass"
	Fail    = "fail"
	Skipped = "skipped"
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
	res := Result{
		CheckedAt:   registry.FormatTime(in.Now),
		Certificate: in.Certificate,
		IssuerKey:   in.IssuerKey,
		Matches:     append([]string{}, in.Matches...),
		Steps:       make([]Step, 0, 8),
		CertType:    in.CertType,
	}
	verdict := ""
	add := func(status, code, detail, failVerdict string) {
		n := len(res.Steps) + 1
		res.Steps = append(res.Steps, Step{Step: n, Name: stepNames[n-1], Status: status, Code: code, Detail: detail})
		if status == Fail && verdict == "" {
			verdict = failVerdict
		}
	}
	skipRest := func(reason string) Result {
		for len(res.Steps) < 8 {
			add(Skipped, CodeNotReached, reason, "")
		}
		res.Verdict = verdict
		return res
	}

	// 1 format
	if err := checkQuery(in); err != nil {
		add(Fail, VerdictBadFormat, err.Error(), VerdictBadFormat)
		return skipRest("the input is malformed")
	}
	// A GB/T 36904 identifier's check character is verified here, before the lookup.
	if id, err := identifier.Parse(in.Query.ID); err == nil {
		res.Identifier = &id
		add(Pass, CodeOK, "well-formed query; GB/T 36904 identifier, check character "+id.Check+" verified (ISO/IEC 7064 MOD 37,36)", "")
	} else {
		add(Pass, CodeOK, "well-formed query", "")
	}

	c := in.Certificate
	// 2 hash
	claimed, source := in.FileHash, "file hash"
	if claimed == "" && in.Query.ID != "" && in.Query.DocHash != "" {
		claimed, source = in.Query.DocHash, "given docHash"
	}
	switch {
	case claimed == "":
		add(Skipped, CodeClientHashes, "the client computes the SM3 of the file", "")
	case c == nil:
		add(Skipped, CodeNotReached, "no record to compare with", "")
	case claimed != c.DocHash:
		add(Fail, VerdictHashMismatch, fmt.Sprintf("%s %s differs from the record's docHash %s", source, claimed, c.DocHash), VerdictHashMismatch)
	default:
		add(Pass, CodeOK, source+" equals the record's docHash", "")
	}

	// 3 lookup
	if c == nil {
		add(Fail, VerdictNotFound, "no certificate matches "+describeQuery(in.Query), VerdictNotFound)
		return skipRest("no record found")
	}
	if id, ok := c.Identifier(); ok {
		res.Identifier = &id
		add(Pass, CodeOK, "certificate "+c.ID+" found (GB/T 36904 identifier, check character "+id.Check+" verified)", "")
	} else {
		add(Pass, CodeOK, "certificate "+c.ID+" found", "")
	}

	// 4 merkle
	switch {
	case c.BatchID == "":
		add(Skipped, CodeNotBatched, "not anchored in a batch", "")
	case in.Inclusion == nil:
		add(Skipped, CodeNoProof, "batch "+c.BatchID+": no inclusion proof supplied", "")
	default:
		if err := checkInclusion(c, in.Inclusion); err != nil {
			add(Fail, CodeMerkleMismatch, err.Error(), VerdictBadSignature)
		} else {
			add(Pass, CodeOK, "included in batch "+c.BatchID, "")
		}
	}

	k := in.IssuerKey
	// 5 signature
	switch {
	case k == nil:
		add(Skipped, CodeKeyUnknown, "key "+c.KeyID+" is not in the registry", "")
	case k.KeyID != c.KeyID:
		add(Fail, VerdictBadSignature, "the key supplied is "+k.KeyID+", the record names "+c.KeyID, VerdictBadSignature)
	default:
		if err := verifyRecordMemo(k, c.Record, c.Signature); err != nil {
			add(Fail, VerdictBadSignature, err.Error(), VerdictBadSignature)
		} else {
			add(Pass, CodeOK, "SM2 signature verifies with key "+k.KeyID, "")
		}
	}

	// 6 key
	switch {
	case k == nil:
		add(Fail, CodeKeyUnknown, "key "+c.KeyID+" is not in the registry", VerdictKeyInvalid)
	case in.KeyOwner != c.Issuer:
		add(Fail, CodeKeyNotIssuers, fmt.Sprintf("key %s belongs to %q, not to the issuer %s", k.KeyID, in.KeyOwner, c.Issuer), VerdictKeyInvalid)
	default:
		issued, err := time.Parse(time.RFC3339Nano, c.IssuedAt)
		if err != nil {
			add(Fail, registry.KeyCorrupt, "the record has no valid issuedAt", VerdictKeyInvalid)
		} else if code, detail := k.StateAt(issued); code != "" {
			add(Fail, code, detail+" (issued at "+c.IssuedAt+")", VerdictKeyInvalid)
		} else {
			add(Pass, CodeOK, "key "+k.KeyID+" of "+c.Issuer+" was valid at issue time "+c.IssuedAt, "")
		}
	}

	// 7 status
	switch {
	case in.Offline:
		add(Skipped, CodeOffline, "offline: revocation and suspension need the online check", "")
	case c.Status == StatusValid:
		add(Pass, CodeOK, "status valid", "")
	case c.Status == StatusRevoked:
		add(Fail, VerdictRevoked, "revoked: "+c.StatusReason, VerdictRevoked)
	case c.Status == StatusSuspended:
		add(Fail, VerdictSuspended, "suspended: "+c.StatusReason, VerdictSuspended)
	case c.Status == StatusSuperseded:
		add(Fail, VerdictSuperseded, "superseded by "+c.SupersededBy, VerdictSuperseded)
	default:
		add(Fail, VerdictBadFormat, "unknown status "+c.Status, VerdictBadFormat)
	}

	// 8 validity
	from, errFrom := time.Parse(time.RFC3339Nano, c.ValidFrom)
	switch {
	case errFrom != nil:
		add(Fail, VerdictBadFormat, "validFrom is not an RFC 3339 time", VerdictBadFormat)
	case in.Now.Before(from):
		add(Fail, VerdictNotYetValid, "valid only from "+c.ValidFrom, VerdictNotYetValid)
	case c.ValidUntil != "":
		until, err := time.Parse(time.RFC3339Nano, c.ValidUntil)
		switch {
		case err != nil:
			add(Fail, VerdictBadFormat, "validUntil is not an RFC 3339 time", VerdictBadFormat)
		case !in.Now.Before(until):
			add(Fail, VerdictExpired, "expired at "+c.ValidUntil, VerdictExpired)
		default:
			add(Pass, CodeOK, "within "+c.ValidFrom+" .. "+c.ValidUntil, "")
		}
	default:
		add(Pass, CodeOK, "valid from "+c.ValidFrom+", no end", "")
	}

	if verdict == "" {
		verdict = VerdictValid
	}
	res.Verdict = verdict
	return res
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
		if r.Verdict == VerdictValid {
			return r
		}
		var at time.Time
		if r.Certificate != nil {
			at, _ = time.Parse(time.RFC3339Nano, r.Certificate.IssuedAt)
		}
		if i == 0 || at.After(bestAt) {
			best, bestAt = i, at
		}
	}
	return results[best]
}
