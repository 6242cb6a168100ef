package command

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// exchangeLocalCheck is the verification exchange verify runs here, on the records the
// gateway returned, with the parties' keys as the registry lists them: the gateway's
// verdict is not taken on trust (DESIGN "Identities and signatures").
type exchangeLocalCheck struct {
	Verdict     string          `json:"verdict"`
	Agrees      bool            `json:"agrees"` // the gateway's verdict is the same
	Departments []string        `json:"departments"`
	Steps       []exchange.Step `json:"steps"`
}

// verifyExchangeLocally re-runs exchange.Verify (the pure check the chaincode runs) on
// the exchange and grant of gw, verifying each SM2 signature here with the key of the
// signing department valid at the time. Only failures to reach the gateway are errors.
func verifyExchangeLocally(c *cli.Context, cl *client.Client, q exchange.Query, gw exchange.VerifyResult) (*exchangeLocalCheck, error) {
	var ids []string
	if e := gw.Exchange; e != nil {
		ids = append(ids, e.Provider, e.Consumer)
	}
	if g := gw.Grant; g != nil {
		ids = append(ids, g.Provider)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	depts := map[string]*client.Department{}
	for _, id := range ids {
		if id == "" {
			continue
		}
		d, err := cl.GetDepartment(c.Context, id)
		var ce *client.Error
		switch {
		case errors.As(err, &ce) && ce.Code == codes.NotFound:
			// no such department: its signatures fail as KEY_INVALID below
		case err != nil:
			return nil, fmt.Errorf("reading department %s for the local signature check: %w", id, err)
		default:
			depts[id] = d
		}
	}
	at := time.Now().UTC()
	if t, err := wire.ParseTime(gw.CheckedAt); err == nil {
		at = t
	}
	res := exchange.Verify(q, gw.Exchange, gw.Grant, at, registryVerifier(depts))
	return &exchangeLocalCheck{Verdict: res.Verdict, Agrees: res.Verdict == gw.Verdict, Departments: ids, Steps: res.Steps}, nil
}

// registryVerifier checks a department's signature with the department's registered
// key keyID: the key must be listed for that department, valid at the time, its id the
// SM3 of its public key, and the signature must verify over the canonical payload.
// A key that is unknown, not valid at the time or not parseable is the signer's
// fault (exchange.ErrKeyInvalid); a bad signature or record keeps its code.
func registryVerifier(depts map[string]*client.Department) exchange.Verifier {
	return exchange.VerifierFunc(func(kind canon.Kind, dept, keyID string, at time.Time, record any, sig string) error {
		d := depts[dept]
		if d == nil {
			return codes.Wrap(exchange.ErrKeyInvalid, "department %s is not registered", dept)
		}
		key, ok := d.Key(keyID)
		if !ok {
			return codes.Wrap(exchange.ErrKeyInvalid, "key %s is not a key of department %s", keyID, dept)
		}
		if err := key.ValidAt(at); err != nil {
			return codes.Wrap(exchange.ErrKeyInvalid, "%s", codes.Message(err))
		}
		err := registry.VerifyRecord(key, kind, record, sig)
		if errors.Is(err, codes.ErrInternal) { // the key's PEM does not parse or does not match its id
			return codes.Wrap(exchange.ErrKeyInvalid, "%s", codes.Message(err))
		}
		return err
	})
}

// printLocalCheck adds the local check's lines to the verify table.
func printLocalCheck(t *output.Tab, gw []exchange.Step, gwVerdict string, l *exchangeLocalCheck) {
	who := "the registered keys"
	if len(l.Departments) > 0 {
		who += " of " + strings.Join(l.Departments, ", ")
	}
	if l.Agrees {
		t.Line("signatures checked locally with " + who + ": " + l.Verdict + " (agrees with the gateway)")
		return
	}
	t.Line("LOCAL CHECK DISAGREES WITH THE GATEWAY: the gateway says " + gwVerdict + ", the signatures checked here with " +
		who + " say " + l.Verdict + ". Do not rely on this gateway's report.")
	t.Row("STEP", "CHECK", "LOCAL", "CODE", "DETAIL")
	for _, s := range l.Steps {
		j := slices.IndexFunc(gw, func(g exchange.Step) bool { return g.Step == s.Step })
		if j < 0 || gw[j].Status != s.Status || gw[j].Code != s.Code {
			t.Row(itoa(s.Step), s.Name, s.Status, s.Code, s.Detail)
		}
	}
}
