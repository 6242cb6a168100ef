package trust

import (
	"errors"
	"fmt"
	"slices"
)

// Policy is the chaincode's endorsement policy in the form every Fabric signature
// policy of this network reduces to: at least N of the listed organisations' peers
// must endorse (MAJORITY of n organisations is N = n/2+1).
type Policy struct {
	// Rule is the policy as the channel states it ("MAJORITY", "OutOf(2, ...)").
	Rule string   `json:"rule"`
	N    int      `json:"n"`
	MSPs []string `json:"msps"`
}

func (p *Policy) validate(b *Bundle) error {
	if p.Rule == "" {
		return errors.New("rule is empty")
	}
	if len(p.MSPs) == 0 {
		return errors.New("no organisations")
	}
	if p.N < 1 || p.N > len(p.MSPs) {
		return fmt.Errorf("n = %d is not between 1 and %d", p.N, len(p.MSPs))
	}
	for i, m := range p.MSPs {
		if slices.Contains(p.MSPs[:i], m) {
			return fmt.Errorf("%s listed twice", m)
		}
		if _, ok := b.Org(m); !ok {
			return fmt.Errorf("%s is not one of the bundle's organisations", m)
		}
	}
	return nil
}

// Satisfied reports whether endorsements by peers of these MSPs meet the policy;
// an MSP outside the policy and a repeated MSP count for nothing.
func (p *Policy) Satisfied(endorsers []string) bool {
	n := 0
	for _, m := range p.MSPs {
		if slices.Contains(endorsers, m) {
			n++
		}
	}
	return n >= p.N
}

// String is "2 of [GovMSP DeptAMSP DeptBMSP] (MAJORITY)".
func (p Policy) String() string {
	return fmt.Sprintf("%d of %v (%s)", p.N, p.MSPs, p.Rule)
}
