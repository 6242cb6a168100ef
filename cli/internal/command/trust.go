package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/keyfile"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/trust"
)

func trustCommand() *cli.Command {
	pinFlag := func(required bool) cli.Flag {
		return &cli.StringFlag{Name: "pin", Usage: "governance key `FINGERPRINT` (64 hex digits, SM3 of its public key)", EnvVars: []string{"CERTLEDGER_TRUST_PIN"}, Required: required}
	}
	exportFlags := func(keyRequired bool) []cli.Flag {
		return []cli.Flag{
			&cli.StringFlag{Name: "key", Usage: "governance office's SM2 private key `FILE` (signs the bundle)", Required: keyRequired, EnvVars: []string{"CERTLEDGER_KEY"}},
			passwordFlag(),
			&cli.StringFlag{Name: "governance-dept", Value: "gov", Usage: "registry `ID` of the governance office (\"\" if none)"},
			&cli.StringSliceFlag{Name: "gateway-key", Usage: "a gateway's report key: `ID=PUBFILE` (repeat)"},
		}
	}
	return &cli.Command{
		Name:  "trust",
		Usage: "the governance-signed trust bundle that offline verifiers pin (docs/trust.md)",
		Subcommands: []*cli.Command{
			{
				Name:      "export",
				Usage:     "read the registry and the channel through the gateway and write a signed bundle",
				ArgsUsage: " ",
				Flags: append(exportFlags(true),
					&cli.StringFlag{Name: "out", Value: "trust-bundle.json", Usage: "bundle `FILE` to write (\"-\": standard output)"},
					&cli.BoolFlag{Name: "force", Usage: "overwrite --out"},
					&cli.BoolFlag{Name: "publish", Usage: "also publish it to the gateway (governance administrator token)"},
				),
				Action: trustExport,
			},
			{
				Name:      "publish",
				Usage:     "publish a bundle to the gateway; with --follow, re-export and publish whenever the registry changes",
				ArgsUsage: "[FILE]",
				Flags: append(exportFlags(false),
					&cli.BoolFlag{Name: "follow", Usage: "keep running: check the gateway's /api/v1/trust/status every --interval and publish a fresh bundle when it is not current"},
					&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "`DURATION` between checks with --follow"},
				),
				Action: trustPublish,
			},
			{
				Name:      "show",
				Usage:     "print a bundle (FILE, or the gateway's current one) without checking its signature",
				ArgsUsage: "[FILE]",
				Action:    trustShow,
			},
			{
				Name:      "verify",
				Usage:     "check a bundle (FILE, or the gateway's current one) against the pinned governance key; optionally ask whether a key was valid at a time",
				ArgsUsage: "[FILE]",
				Flags: []cli.Flag{
					pinFlag(true),
					&cli.StringFlag{Name: "dept", Usage: "department `ID` whose key to check (with --key-id)"},
					&cli.StringFlag{Name: "key-id", Usage: "`KEYID` to check"},
					&cli.StringFlag{Name: "at", Usage: "`TIME` (RFC 3339) of the check (default: now)"},
				},
				Action: trustVerify,
			},
			{
				Name:      "fingerprint",
				Usage:     "print the fingerprint verifiers pin for a governance key file (public or private)",
				ArgsUsage: "KEYFILE",
				Flags:     []cli.Flag{passwordFlag()},
				Action:    trustFingerprint,
			},
		},
	}
}

// exportBundle reads the channel, then the registry (so the bundle's height is a
// lower bound of what it reflects), and signs the bundle.
func exportBundle(c *cli.Context, cl *client.Client) (*trust.Signed, []byte, error) {
	k, err := loadPrivate(c, "key")
	if err != nil {
		return nil, nil, err
	}
	var gateways []trust.GatewayKey
	for _, spec := range c.StringSlice("gateway-key") {
		id, path, ok := strings.Cut(spec, "=")
		if !ok || !wire.ValidID(id) {
			return nil, nil, Usagef("--gateway-key %q: want ID=PUBFILE", spec)
		}
		pub, _, err := keyfile.LoadPublic(path, c.String("password-file"))
		if err != nil {
			return nil, nil, inputErr(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			return nil, nil, inputErr(err)
		}
		g, err := trust.NewGatewayKey(id, pub, st.ModTime().UTC().Truncate(time.Second), time.Time{})
		if err != nil {
			return nil, nil, inputErr(err)
		}
		gateways = append(gateways, g)
	}
	var ci trust.ChannelInfo
	if err := cl.Do(c.Context, http.MethodGet, "/api/v1/ledger/channel", nil, &ci); err != nil {
		return nil, nil, err
	}
	var raw json.RawMessage
	if err := cl.Do(c.Context, http.MethodGet, "/api/v1/departments", nil, &raw); err != nil {
		return nil, nil, err
	}
	depts, err := trust.DecodeDepartments(raw)
	if err != nil {
		return nil, nil, err
	}
	s, err := trust.Sign(trust.Build(trust.SourceFrom(&ci, depts, c.String("governance-dept"), gateways), time.Now()), k)
	if err != nil {
		return nil, nil, fmt.Errorf("building the bundle from what the gateway returned: %w", err)
	}
	out, err := s.Marshal()
	if err != nil {
		return nil, nil, err
	}
	return s, out, nil
}

type trustSummary struct {
	Fingerprint string `json:"fingerprint"`
	Channel     string `json:"channel"`
	Height      uint64 `json:"height"`
	BlockTime   string `json:"blockTime"`
	IssuedAt    string `json:"issuedAt"`
	Departments int    `json:"departments"`
	Keys        int    `json:"keys"`
	Orgs        int    `json:"orgs"`
	Policy      string `json:"endorsementPolicy"`
	Bytes       int    `json:"bytes"`
	File        string `json:"file,omitempty"`
	Published   bool   `json:"published,omitempty"`
	Verified    bool   `json:"verified,omitempty"`
}

func summarize(s *trust.Signed, size int) trustSummary {
	b := &s.Bundle
	keys := 0
	for _, d := range b.Departments {
		keys += len(d.Keys)
	}
	return trustSummary{Fingerprint: b.Fingerprint(), Channel: b.Channel, Height: b.Height, BlockTime: b.BlockTime,
		IssuedAt: b.IssuedAt, Departments: len(b.Departments), Keys: keys, Orgs: len(b.Orgs), Policy: b.Policy.String(), Bytes: size}
}

func printSummary(p output.Printer, sum trustSummary) error {
	return p.Print(sum, func(t *output.Tab) {
		t.KV("fingerprint", trust.GroupPin(sum.Fingerprint))
		t.KV("channel", sum.Channel)
		t.KV("height", strconv.FormatUint(sum.Height, 10)+" (block time "+sum.BlockTime+")")
		t.KV("issued", sum.IssuedAt)
		t.KV("departments", fmt.Sprintf("%d (%d keys)", sum.Departments, sum.Keys))
		t.KV("organisations", strconv.Itoa(sum.Orgs))
		t.KV("endorsement", sum.Policy)
		t.KV("size", fmt.Sprintf("%d bytes", sum.Bytes))
		if sum.File != "" {
			t.KV("written", sum.File)
		}
		if sum.Published {
			t.KV("published", "yes")
		}
		if sum.Verified {
			t.KV("signature", "valid (pinned governance key)")
		}
	})
}

func trustExport(c *cli.Context) error {
	if c.NArg() > 0 {
		return Usagef("trust export takes no arguments")
	}
	p, cl, err := session(c)
	if err != nil {
		return err
	}
	s, out, err := exportBundle(c, cl)
	if err != nil {
		return err
	}
	sum := summarize(s, len(out))
	dest := c.String("out")
	if dest == "-" {
		if _, err := stdoutOf(c).Write(out); err != nil {
			return err
		}
	} else {
		if err := keyfile.WriteNew(dest, out, 0o644, c.Bool("force")); err != nil {
			return inputErr(err)
		}
		sum.File = dest
	}
	if c.Bool("publish") {
		if err := cl.Do(c.Context, http.MethodPut, "/api/v1/trust", out, nil); err != nil {
			return err
		}
		sum.Published = true
	}
	if dest == "-" {
		return nil
	}
	return printSummary(p, sum)
}

func trustPublish(c *cli.Context) error {
	p, cl, err := session(c)
	if err != nil {
		return err
	}
	if c.Bool("follow") {
		if c.NArg() > 0 {
			return Usagef("trust publish --follow exports its own bundles; give no FILE")
		}
		return followTrust(c, p, cl)
	}
	if c.NArg() != 1 {
		return Usagef("give the bundle FILE to publish (or --follow)")
	}
	data, err := os.ReadFile(c.Args().First())
	if err != nil {
		return inputErr(err)
	}
	s, err := trust.Parse(data)
	if err != nil {
		return inputErr(err)
	}
	if err := cl.Do(c.Context, http.MethodPut, "/api/v1/trust", data, nil); err != nil {
		return err
	}
	sum := summarize(s, len(data))
	sum.Published = true
	return printSummary(p, sum)
}

// followTrust publishes a fresh bundle whenever the gateway says its bundle is
// missing or no longer current, until the context ends (Ctrl-C).
func followTrust(c *cli.Context, p output.Printer, cl *client.Client) error {
	if c.String("key") == "" {
		return Usagef("trust publish --follow needs --key (the governance key signs each new bundle)")
	}
	if _, err := loadPrivate(c, "key"); err != nil { // fail early on a bad key
		return err
	}
	for {
		var f struct {
			Current bool     `json:"current"`
			Changes []string `json:"changes"`
		}
		err := cl.Do(c.Context, http.MethodGet, "/api/v1/trust/status", nil, &f)
		stale := err == nil && !f.Current
		if err != nil && client.StatusOf(err) == http.StatusNotFound && client.HasCode(err, "NOT_FOUND") {
			stale, f.Changes = true, []string{"no bundle published"}
			err = nil
		}
		if err != nil {
			fmt.Fprintf(stderrOf(c), "trust status: %v\n", err)
		} else if stale {
			s, out, err := exportBundle(c, cl)
			if err == nil {
				err = cl.Do(c.Context, http.MethodPut, "/api/v1/trust", out, nil)
			}
			if err != nil {
				fmt.Fprintf(stderrOf(c), "publishing: %v\n", err)
			} else {
				sum := summarize(s, len(out))
				sum.Published = true
				fmt.Fprintf(stderrOf(c), "%s published height %d (%s)\n", time.Now().Format(time.RFC3339), s.Bundle.Height, strings.Join(f.Changes, "; "))
				if p.Format == output.JSON {
					_ = p.JSON(sum)
				}
			}
		}
		select {
		case <-c.Done():
			if errors.Is(c.Err(), context.Canceled) {
				return nil
			}
			return c.Err()
		case <-time.After(c.Duration("interval")):
		}
	}
}

// bundleBytes reads FILE, or the gateway's current bundle when no FILE is given.
func bundleBytes(c *cli.Context) ([]byte, string, error) {
	switch c.NArg() {
	case 0:
		cl, err := NewClient(c)
		if err != nil {
			return nil, "", err
		}
		var raw json.RawMessage
		if err := cl.Do(c.Context, http.MethodGet, "/api/v1/trust", nil, &raw); err != nil {
			return nil, "", err
		}
		return raw, cl.BaseURL() + "/api/v1/trust", nil
	case 1:
		data, err := os.ReadFile(c.Args().First())
		if err != nil {
			return nil, "", inputErr(err)
		}
		return data, c.Args().First(), nil
	}
	return nil, "", Usagef("give at most one bundle FILE")
}

func trustShow(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	data, from, err := bundleBytes(c)
	if err != nil {
		return err
	}
	s, err := trust.Parse(data)
	if err != nil {
		return Invalid(fmt.Errorf("%s: %w", from, err))
	}
	if p.Format == output.JSON {
		return p.JSON(s)
	}
	b := &s.Bundle
	sum := summarize(s, len(data))
	if err := printSummary(p, sum); err != nil {
		return err
	}
	t := output.NewTab(p.W)
	t.Line("")
	t.Row("DEPARTMENT", "NAME", "MSP", "STATUS", "CATEGORIES", "KEYS (valid now / all)")
	now := time.Now()
	for _, d := range b.Departments {
		valid := 0
		for _, k := range d.Keys {
			if code, _ := k.StateAt(now); code == "" {
				valid++
			}
		}
		name := d.Name
		if d.NameEn != "" {
			name += " / " + d.NameEn
		}
		t.Row(d.ID, name, d.MSPID, d.Status, strings.Join(d.Categories, ","), fmt.Sprintf("%d / %d", valid, len(d.Keys)))
	}
	t.Line("")
	t.Row("ORGANISATION", "ROOT CA", "VALID UNTIL")
	for _, o := range b.Orgs {
		for _, r := range o.RootCerts {
			cert, err := trust.ParseCertPEM(r)
			if err != nil {
				return Invalid(err)
			}
			t.Row(o.MSPID, cert.Subject.String(), cert.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	if len(b.Gateways) > 0 {
		t.Line("")
		t.Row("GATEWAY", "REPORT KEY", "VALID FROM", "UNTIL")
		for _, g := range b.Gateways {
			t.Row(g.ID, g.KeyID, g.ValidFrom, g.ValidUntil)
		}
	}
	return t.Flush()
}

func trustVerify(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	pin, err := trust.NormalizePin(c.String("pin"))
	if err != nil {
		return Usagef("--pin: %v", err)
	}
	dept, keyID := c.String("dept"), c.String("key-id")
	if (dept == "") != (keyID == "") {
		return Usagef("--dept and --key-id go together")
	}
	at := time.Now().UTC()
	if v := c.String("at"); v != "" {
		if at, err = wire.ParseTime(v); err != nil {
			return Usagef("--at %q is not an RFC 3339 time", v)
		}
	}
	data, from, err := bundleBytes(c)
	if err != nil {
		return err
	}
	s, err := trust.Verify(data, pin)
	if err != nil {
		return Invalid(fmt.Errorf("%s: %w", from, err))
	}
	sum := summarize(s, len(data))
	sum.Verified = true
	if dept == "" {
		return printSummary(p, sum)
	}
	a := s.Bundle.KeyValidAt(dept, keyID, at)
	res := struct {
		Bundle trustSummary    `json:"bundle"`
		Key    trust.KeyAnswer `json:"key"`
	}{sum, a}
	if err := p.Print(res, func(t *output.Tab) {
		t.KV("bundle", fmt.Sprintf("valid, height %d, fingerprint %s", sum.Height, trust.GroupPin(sum.Fingerprint)))
		t.KV("key", keyID)
		t.KV("department", dept)
		t.KV("at", wire.FormatTime(at))
		t.KV("answer", a.Code)
		t.KV("detail", a.Detail)
	}); err != nil {
		return err
	}
	if !a.Valid {
		return Silent(ExitInvalid)
	}
	return nil
}

func trustFingerprint(c *cli.Context) error {
	path, p, err := argCommand(c, "governance key FILE")
	if err != nil {
		return err
	}
	pub, _, err := keyfile.LoadPublic(path, c.String("password-file"))
	if err != nil {
		return inputErr(err)
	}
	fp := trust.Fingerprint(pub)
	return p.Print(map[string]string{"fingerprint": fp}, func(t *output.Tab) {
		t.KV("fingerprint", fp)
		t.KV("grouped", trust.GroupPin(fp))
	})
}
