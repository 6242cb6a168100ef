// Package chanpolicy holds endorsement policies in the flat form certledger uses
// (at least N of the listed organisations): parsing MAJORITY, ANY, ALL and
// AND/OR/OutOf over MSP ids, and reading the policy a devnet channel states in its
// configuration. The devnet enforces it; the gateway reads it for trust bundles.
package chanpolicy

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrPolicy is returned (wrapped) for an endorsement policy that does not parse.
var ErrPolicy = errors.New("bad endorsement policy")

// Policy is an endorsement policy: at least N of the listed organisations' peers
// must endorse. MAJORITY, ANY, ALL and flat AND/OR/OutOf signature policies all
// reduce to this form.
type Policy struct {
	N    int
	MSPs []string
	Text string
}

// Parse parses a policy over the channel's organisations.
func Parse(s string, orgs []string) (*Policy, error) {
	t := strings.TrimSpace(s)
	switch strings.ToUpper(t) {
	case "", "MAJORITY":
		return &Policy{N: len(orgs)/2 + 1, MSPs: orgs, Text: "MAJORITY"}, nil
	case "ANY":
		return &Policy{N: 1, MSPs: orgs, Text: "ANY"}, nil
	case "ALL":
		return &Policy{N: len(orgs), MSPs: orgs, Text: "ALL"}, nil
	}
	open := strings.IndexByte(t, '(')
	if open < 0 || !strings.HasSuffix(t, ")") {
		return nil, fmt.Errorf("%w: %q: want MAJORITY, ANY, ALL, AND(...), OR(...) or OutOf(n, ...)", ErrPolicy, s)
	}
	op := strings.TrimSpace(t[:open])
	args := splitArgs(t[open+1 : len(t)-1])
	n := -1
	switch strings.ToUpper(op) {
	case "AND":
	case "OR":
		n = 1
	case "OUTOF":
		if len(args) < 2 {
			return nil, fmt.Errorf("%w: %q: OutOf needs a count and principals", ErrPolicy, s)
		}
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%w: %q: bad count %q", ErrPolicy, s, args[0])
		}
		n, args = v, args[1:]
	default:
		return nil, fmt.Errorf("%w: %q: unknown operator %q", ErrPolicy, s, op)
	}
	p := &Policy{Text: t}
	for _, a := range args {
		a = strings.Trim(a, `'"`)
		msp, role, ok := strings.Cut(a, ".")
		if !ok || (role != "peer" && role != "member") {
			return nil, fmt.Errorf("%w: %q: principal %q must be 'MSPID.peer' or 'MSPID.member'", ErrPolicy, s, a)
		}
		if !slices.Contains(orgs, msp) {
			return nil, fmt.Errorf("%w: %q: %s is not an organisation of the channel", ErrPolicy, s, msp)
		}
		if slices.Contains(p.MSPs, msp) {
			return nil, fmt.Errorf("%w: %q: %s listed twice", ErrPolicy, s, msp)
		}
		p.MSPs = append(p.MSPs, msp)
	}
	if len(p.MSPs) == 0 {
		return nil, fmt.Errorf("%w: %q: no principals", ErrPolicy, s)
	}
	if n < 0 {
		n = len(p.MSPs)
	}
	if n > len(p.MSPs) {
		return nil, fmt.Errorf("%w: %q: needs %d of %d principals", ErrPolicy, s, n, len(p.MSPs))
	}
	p.N = n
	return p, nil
}

func splitArgs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Satisfied reports whether endorsements from these MSPs meet the policy.
func (p *Policy) Satisfied(endorsers map[string]bool) bool {
	n := 0
	for _, m := range p.MSPs {
		if endorsers[m] {
			n++
		}
	}
	return n >= p.N
}

// Plan picks the organisations to endorse: first (the submitter's own, when it
// counts) and then the others in channel order, until the policy is met.
func (p *Policy) Plan(first string) []string {
	out := make([]string, 0, p.N)
	if slices.Contains(p.MSPs, first) {
		out = append(out, first)
	}
	for _, m := range p.MSPs {
		if len(out) >= p.N {
			break
		}
		if m != first {
			out = append(out, m)
		}
	}
	return out
}
