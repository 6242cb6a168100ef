package exchange

import (
	"errors"
	"fmt"
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Verdicts of Verify that only exchanges have; the others (VALID, NOT_FOUND,
// BAD_FORMAT, HASH_MISMATCH, BAD_SIGNATURE, KEY_INVALID) are wire's. VALID
// means: both signatures good with keys valid at the time, the grant valid when
// the exchange was sent, the exchange within the grant's scope, and the
// consumer's signed acknowledgement on record.
const (
	VerdictGrantInvalid    = "GRANT_INVALID"
	VerdictOutOfScope      = "OUT_OF_SCOPE"
	VerdictNotAcknowledged = "NOT_ACKNOWLEDGED"
	VerdictRejected        = "REJECTED"
)

// The verification steps, numbered as every client shows them.
const (
	StepFormat = iota + 1
	StepHash
	StepLookup
	StepGrantSignature
	StepExchangeSignature
	StepGrantValidity
	StepScope
	StepAcknowledgement
)

var stepNames = map[int]string{
	StepFormat:            "format",
	StepHash:              "hash",
	StepLookup:            "lookup",
	StepGrantSignature:    "grant-signature",
	StepExchangeSignature: "exchange-signature",
	StepGrantValidity:     "grant-validity",
	StepScope:             "scope",
	StepAcknowledgement:   "acknowledgement",
}

// Step is one line of a verification report.
type Step struct {
	Step   int    `json:"step"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Code   string `json:"code,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// VerifyResult is the report of one verification.
type VerifyResult struct {
	Verdict   string    `json:"verdict"`
	CheckedAt string    `json:"checkedAt"`
	Exchange  *Exchange `json:"exchange,omitempty"`
	Grant     *Grant    `json:"grant,omitempty"`
	Matches   []string  `json:"matches,omitempty"`
	Steps     []Step    `json:"steps"`
}

// Query names the exchange to verify: by id, by payload hash, or both (then the
// recorded hash must equal the given one).
type Query struct {
	ID          string `json:"id"`
	PayloadHash string `json:"payloadHash"`
}

// Validate checks the query's format and returns every problem found as
// wire.FieldErrors.
func (q Query) Validate() error {
	var fe wire.FieldErrors
	if q.ID == "" && q.PayloadHash == "" {
		fe.Add("id", "give an exchange id, a payload hash or both")
	}
	if q.ID != "" {
		fe.ID("id", q.ID)
	}
	if q.PayloadHash != "" {
		fe.Hash("payloadHash", q.PayloadHash)
	}
	return fe.Err()
}

// Verify checks exchange e (nil when none was found for q) under its grant g (nil
// when missing) and returns the numbered report. Every step runs that can; the
// verdict is the code of the first failing step, or VALID. The hash step is
// skipped here: the client hashes the payload file and marks it.
func Verify(q Query, e *Exchange, g *Grant, checkedAt time.Time, v Verifier) VerifyResult {
	r := VerifyResult{CheckedAt: wire.FormatTime(checkedAt), Exchange: e, Grant: g}
	add := func(n int, status, code, detail string) {
		r.Steps = append(r.Steps, Step{Step: n, Name: stepNames[n], Status: status, Code: code, Detail: detail})
	}
	skipRest := func(from int, why string) {
		for n := from; n <= StepAcknowledgement; n++ {
			add(n, wire.StepSkipped, "", why)
		}
	}

	if err := q.Validate(); err != nil {
		add(StepFormat, wire.StepFail, wire.VerdictBadFormat, codes.Message(err))
		skipRest(StepHash, "bad query")
		return r.finish()
	}
	add(StepFormat, wire.StepPass, "", "")
	add(StepHash, wire.StepSkipped, "", "the client computes the payload's SM3")

	switch {
	case e == nil:
		add(StepLookup, wire.StepFail, wire.VerdictNotFound, "no exchange recorded for this query")
		skipRest(StepGrantSignature, "exchange not found")
		return r.finish()
	case q.ID != "" && e.ID != q.ID:
		add(StepLookup, wire.StepFail, wire.VerdictNotFound, fmt.Sprintf("found exchange %s, asked for %s", e.ID, q.ID))
		skipRest(StepGrantSignature, "exchange not found")
		return r.finish()
	case q.PayloadHash != "" && e.PayloadHash != q.PayloadHash:
		add(StepLookup, wire.StepFail, wire.VerdictHashMismatch, fmt.Sprintf("exchange %s recorded payload %s, not %s", e.ID, e.PayloadHash, q.PayloadHash))
		skipRest(StepGrantSignature, "payload does not match")
		return r.finish()
	case g == nil || g.ID != e.GrantID:
		add(StepLookup, wire.StepFail, wire.VerdictNotFound, fmt.Sprintf("grant %s of exchange %s not found", e.GrantID, e.ID))
		skipRest(StepGrantSignature, "grant not found")
		return r.finish()
	}
	add(StepLookup, wire.StepPass, "", fmt.Sprintf("exchange %s under grant %s", e.ID, g.ID))

	// 4. The grant's provider signature, with a key valid when the grant was created.
	gKind, gSigned := g.SignedForm()
	if created, err := wire.ParseTime(g.CreatedAt); err != nil {
		add(StepGrantSignature, wire.StepFail, wire.VerdictBadFormat, "grant createdAt: "+err.Error())
	} else if err := v.VerifySigned(gKind, g.Provider, g.KeyID, created, gSigned, g.Signature); err != nil {
		add(StepGrantSignature, wire.StepFail, sigCode(err), codes.Message(err))
	} else {
		add(StepGrantSignature, wire.StepPass, "", "signed by "+g.Provider+" key "+g.KeyID)
	}

	// 5. The exchange's provider signature, with a key valid when it was sent.
	sentAt, err := wire.ParseTime(e.SentAt)
	if err != nil {
		add(StepExchangeSignature, wire.StepFail, wire.VerdictBadFormat, "sentAt: "+err.Error())
		skipRest(StepGrantValidity, "no send time")
		return r.finish()
	}
	xKind, xSigned := e.SignedForm()
	if err := v.VerifySigned(xKind, e.Provider, e.KeyID, sentAt, xSigned, e.Signature); err != nil {
		add(StepExchangeSignature, wire.StepFail, sigCode(err), codes.Message(err))
	} else {
		add(StepExchangeSignature, wire.StepPass, "", "signed by "+e.Provider+" key "+e.KeyID)
	}

	// 6. The grant authorised exchanges when this one was sent.
	if err := g.ValidAt(sentAt); err != nil {
		add(StepGrantValidity, wire.StepFail, VerdictGrantInvalid, codes.Message(err))
	} else {
		add(StepGrantValidity, wire.StepPass, "", fmt.Sprintf("grant valid %s..%s, sent %s", g.ValidFrom, g.ValidUntil, e.SentAt))
	}

	// 7. Within the grant's scope; 8. the consumer's signed answer.
	status, code, detail := scopeStep(e, g)
	add(StepScope, status, code, detail)
	status, code, detail = ackStep(e, v)
	add(StepAcknowledgement, status, code, detail)
	return r.finish()
}

// scopeStep is step 7: the fields declared by the provider are within the
// grant and, for an envelope, so are the fields the consumer's receipt says it
// received.
func scopeStep(e *Exchange, g *Grant) (status, code, detail string) {
	switch err := CheckScope(e.SendRequest, *g); {
	case err != nil:
		return wire.StepFail, VerdictOutOfScope, codes.Message(err)
	case e.Ack != nil && e.Ack.Receipt() && len(outside(e.Ack.Fields, g.Fields)) > 0:
		return wire.StepFail, VerdictOutOfScope, fmt.Sprintf("the consumer's receipt shows fields %v received that grant %s does not name", outside(e.Ack.Fields, g.Fields), g.ID)
	case e.Ack != nil && e.Ack.Receipt():
		return wire.StepPass, "", fmt.Sprintf("proven: the consumer received fields %v, within grant", e.Ack.Fields)
	case e.Enveloped():
		return wire.StepPass, "", fmt.Sprintf("fields %v declared within grant; proven once the consumer's receipt is recorded", e.Fields)
	default:
		return wire.StepPass, "", fmt.Sprintf("fields %v declared within grant (no envelope: scope declared, not proven)", e.Fields)
	}
}

// ackStep is step 8: the consumer's signed answer (a receipt over the envelope
// for an enveloped exchange) names this exchange and accepts it.
func ackStep(e *Exchange, v Verifier) (status, code, detail string) {
	a := e.Ack
	switch {
	case a == nil || e.Status == StatusSent:
		return wire.StepFail, VerdictNotAcknowledged, "the consumer has not acknowledged receipt"
	case a.ExchangeID != e.ID || a.Consumer != e.Consumer || a.PayloadHash != e.PayloadHash:
		return wire.StepFail, wire.VerdictBadSignature, "the answer does not name this exchange, consumer and payload"
	}
	at, err := wire.ParseTime(a.At)
	if err != nil {
		return wire.StepFail, wire.VerdictBadFormat, "ack time: " + err.Error()
	}
	if (a.Receipt() && a.EnvelopeHash != e.EnvelopeHash) || a.Receipt() != e.Enveloped() {
		return wire.StepFail, wire.VerdictBadSignature, "the answer is not a receipt over this exchange's envelope"
	}
	kind, signed := a.SignedForm()
	if err := v.VerifySigned(kind, e.Consumer, a.KeyID, at, signed, a.Signature); err != nil {
		return wire.StepFail, sigCode(err), codes.Message(err)
	}
	if a.Decision == DecisionReject {
		return wire.StepFail, VerdictRejected, "rejected by " + e.Consumer + ": " + a.Reason
	}
	return wire.StepPass, "", "acknowledged by " + e.Consumer + " at " + a.At
}

func (r VerifyResult) finish() VerifyResult {
	r.Verdict = wire.VerdictValid
	for _, s := range r.Steps {
		if s.Status == wire.StepFail {
			r.Verdict = s.Code
			break
		}
	}
	return r
}

func sigCode(err error) string {
	if errors.Is(err, ErrKeyInvalid) {
		return wire.VerdictKeyInvalid
	}
	return wire.VerdictBadSignature
}
