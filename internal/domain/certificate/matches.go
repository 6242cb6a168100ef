package certificate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certledger/certledger/internal/domain/wire"
)

// disagreeing are the verdicts of a certificate that contradicts a VALID one
// for the same document: its issuer (or the ledger) says "do not rely on this
// document", or the record is forged. EXPIRED and NOT_YET_VALID are not among
// them: another term of the same document is no contradiction.
var disagreeing = []string{wire.VerdictRevoked, wire.VerdictSuspended, wire.VerdictSuperseded, wire.VerdictBadSignature, wire.VerdictKeyInvalid}

// Summarize combines the results of evaluating every certificate a query found
// (each with its own verdict and issuer) into one answer that hides none of
// them. Results holds them all, newest first. The headline is:
//
//   - one certificate: its own result;
//   - CONFLICTING when one is VALID and another is revoked, suspended,
//     superseded (other than by a VALID one of the list: that is the ordinary
//     replacement), or fails its signature or key check; Message names both
//     sides, Certificate and Steps are the first disagreeing one's;
//   - VALID when at least one is VALID and none disagrees (the newest VALID one
//     is the headline; Message counts the others, e.g. an expired earlier term);
//   - otherwise the newest certificate's verdict, with a Message when there are
//     several.
//
// It is pure; an empty slice gives the zero Result.
func Summarize(results []Result) Result {
	if len(results) == 0 {
		return Result{}
	}
	all := append([]Result(nil), results...)
	slices.SortStableFunc(all, func(a, b Result) int { return issuedAt(b).Compare(issuedAt(a)) })
	for i := range all {
		all[i].Results = nil
	}
	if len(all) == 1 {
		out := all[0]
		out.Results = all
		return out
	}
	var valid, against []Result
	validIDs := map[string]bool{}
	for _, r := range all {
		if r.Verdict == wire.VerdictValid {
			valid = append(valid, r)
			validIDs[r.Certificate.ID] = true
		}
	}
	for _, r := range all {
		if slices.Contains(disagreeing, r.Verdict) && (r.Verdict != wire.VerdictSuperseded || !validIDs[r.Certificate.SupersededBy]) {
			against = append(against, r)
		}
	}
	var out Result
	switch {
	case len(valid) > 0 && len(against) > 0:
		out = against[0]
		out.Verdict = wire.VerdictConflicting
		out.Message = fmt.Sprintf("%d certificates anchor this document and disagree: %s %s; %s %s",
			len(all), describeAll(valid), isOrAre(valid, "VALID"), describeAll(against), verdictsOf(against))
	case len(valid) > 0:
		out = valid[0]
		out.Message = fmt.Sprintf("%d certificates anchor this document: %s %s; none contradicts it (%s)",
			len(all), describeAll(valid), isOrAre(valid, "VALID"), others(all, valid[0]))
	default:
		out = all[0]
		out.Message = fmt.Sprintf("%d certificates anchor this document and none is valid (%s)", len(all), others(all, Result{}))
	}
	out.Results = all
	return out
}

func issuedAt(r Result) time.Time {
	if r.Certificate == nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, r.Certificate.IssuedAt)
	return t
}

// Describe names a result's certificate and issuer: "lic-1 of dept-a (市场监督管理局)".
func Describe(r Result) string {
	if r.Certificate == nil {
		return "no certificate"
	}
	s := r.Certificate.ID + " of " + r.Certificate.Issuer
	if r.IssuerName != "" {
		s += " (" + r.IssuerName + ")"
	}
	return s
}

func describeAll(rs []Result) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = Describe(r)
	}
	return strings.Join(parts, ", ")
}

func isOrAre(rs []Result, what string) string {
	if len(rs) == 1 {
		return "is " + what
	}
	return "are " + what
}

func verdictsOf(rs []Result) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Verdict
		if r.Certificate != nil && r.Certificate.StatusReason != "" && r.Verdict != wire.VerdictBadSignature && r.Verdict != wire.VerdictKeyInvalid {
			parts[i] += " (" + r.Certificate.StatusReason + ")"
		}
	}
	if len(rs) == 1 {
		return "is " + parts[0]
	}
	return "are " + strings.Join(parts, ", ")
}

// others lists every result but skip as "id: VERDICT".
func others(all []Result, skip Result) string {
	var parts []string
	for _, r := range all {
		if r.Certificate != nil && (skip.Certificate == nil || r.Certificate.ID != skip.Certificate.ID) {
			parts = append(parts, r.Certificate.ID+": "+r.Verdict)
		}
	}
	return strings.Join(parts, ", ")
}
