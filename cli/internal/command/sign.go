package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/certledger/certledger/cli/internal/keyfile"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
	"github.com/urfave/cli/v2"
)

// maxRecord bounds a record file.
const maxRecord = 4 << 20

func sigFieldFlag() cli.Flag {
	return &cli.StringFlag{Name: "signature-field", Usage: "JSON `NAME` of the signature field", Value: "signature"}
}

func kindFlag() cli.Flag {
	return &cli.StringFlag{Name: "kind", Usage: "record `KIND`: " + strings.Join(kindNames(), ", "), Value: string(canon.KindCertificate)}
}

func kindNames() []string {
	var ks []string
	for k := range canon.SignedFields {
		ks = append(ks, string(k))
	}
	sort.Strings(ks)
	return ks
}

func kindOf(c *cli.Context) (canon.Kind, error) {
	k := canon.Kind(c.String("kind"))
	if _, ok := canon.SignedFields[k]; !ok {
		return "", Usagef("unknown --kind %q (known: %s)", k, strings.Join(kindNames(), ", "))
	}
	return k, nil
}

func signCommand() *cli.Command {
	return &cli.Command{
		Name:      "sign",
		Usage:     "sign a record offline and print it with \"signature\" added",
		ArgsUsage: "RECORD.json (or - for standard input)",
		Description: "Signs the record's canonical payload (certledger/v1/<kind>\\n + sorted compact JSON of the kind's signed\n" +
			"fields) with SM2. A missing or empty keyId is filled with the key's id. --explain prints the payload on stderr.",
		Flags: []cli.Flag{
			kindFlag(),
			keyFlag("private key `FILE` (PKCS#8 PEM)"),
			passwordFlag(),
			&cli.BoolFlag{Name: "explain", Usage: "print the canonical payload that is signed on stderr"},
			sigFieldFlag(),
		},
		Action: signAction,
	}
}

func verifySignatureCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify-signature",
		Usage:     "check a signed record's SM2 signature offline (exit 0 valid, 1 invalid)",
		ArgsUsage: "RECORD.json (or - for standard input)",
		Flags: []cli.Flag{
			kindFlag(),
			&cli.StringFlag{Name: "pub", Usage: "public key `FILE` (PKIX PEM; a private key file works too)", Required: true},
			passwordFlag(),
			&cli.BoolFlag{Name: "explain", Usage: "print the canonical payload that is checked on stderr"},
			sigFieldFlag(),
		},
		Action: verifySignatureAction,
	}
}

// readRecord reads one JSON object, keeping numbers exact.
func readRecord(c *cli.Context) (map[string]any, error) {
	if c.NArg() != 1 {
		return nil, Usagef("give one RECORD.json (or -)")
	}
	name := c.Args().First()
	var r io.Reader
	if name == "-" {
		r = c.App.Reader
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, inputErr(fmt.Errorf("reading record: %w", err))
		}
		defer func() { _ = f.Close() }() // read-only file
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxRecord+1))
	if err != nil {
		return nil, inputErr(fmt.Errorf("reading record: %w", err))
	}
	if len(b) > maxRecord {
		return nil, Usagef("record %s is larger than %d bytes", name, maxRecord)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil || rec == nil {
		return nil, Usagef("record %s is not a JSON object: %v", name, err)
	}
	if dec.More() {
		return nil, Usagef("record %s has data after the JSON object", name)
	}
	return rec, nil
}

func explain(c *cli.Context, kind canon.Kind, rec map[string]any) error {
	if !c.Bool("explain") {
		return nil
	}
	payload, err := canon.Payload(kind, rec)
	if err != nil {
		return err
	}
	w := stderrOf(c)
	fmt.Fprintf(w, "canonical payload (%d bytes, SM3 %s, signed with SM2 user id %s):\n", len(payload), gm.SM3Hex(payload), gm.DefaultUID)
	_, _ = w.Write(payload) // diagnostic output on stderr
	fmt.Fprintln(w)
	return nil
}

func signAction(c *cli.Context) error {
	kind, err := kindOf(c)
	if err != nil {
		return err
	}
	k, err := loadPrivate(c, "key")
	if err != nil {
		return err
	}
	rec, err := readRecord(c)
	if err != nil {
		return err
	}
	keyID := gm.KeyID(&k.PublicKey)
	if hasField(kind, "keyId") {
		switch v := rec["keyId"].(type) {
		case nil:
			rec["keyId"] = keyID
		case string:
			if v == "" {
				rec["keyId"] = keyID
			} else if v != keyID {
				return Invalidf("the record's keyId %s is not the id of key %s (%s)", v, c.String("key"), keyID)
			}
		default:
			return Usagef("the record's keyId is not a string")
		}
	}
	field := c.String("signature-field")
	if hasField(kind, field) {
		return Usagef("--signature-field %q is a signed field of %s", field, kind)
	}
	delete(rec, field)
	if err := explain(c, kind, rec); err != nil {
		return Usagef("%v", err)
	}
	sig, err := canon.Sign(k, kind, rec)
	if err != nil {
		return Usagef("%v", err)
	}
	rec[field] = sig
	return output.Printer{W: stdoutOf(c)}.JSON(rec)
}

func hasField(kind canon.Kind, name string) bool {
	return slices.Contains(canon.SignedFields[kind], name)
}

type sigView struct {
	Valid bool   `json:"valid"`
	Kind  string `json:"kind"`
	KeyID string `json:"keyId"`
	Error string `json:"error,omitempty"`
}

func verifySignatureAction(c *cli.Context) error {
	kind, err := kindOf(c)
	if err != nil {
		return err
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	rec, err := readRecord(c)
	if err != nil {
		return err
	}
	pub, _, err := keyfile.LoadPublic(c.String("pub"), c.String("password-file"))
	if err != nil {
		return inputErr(err)
	}
	v := sigView{Kind: string(kind), KeyID: gm.KeyID(pub)}
	check := func() error {
		field := c.String("signature-field")
		sig, ok := rec[field].(string)
		if !ok || sig == "" {
			return fmt.Errorf("the record has no %q", field)
		}
		if hasField(kind, "keyId") {
			if id, _ := rec["keyId"].(string); id != v.KeyID {
				return fmt.Errorf("the record's keyId %q is not the id of this public key (%s)", id, v.KeyID)
			}
		}
		delete(rec, field)
		if err := explain(c, kind, rec); err != nil {
			return err
		}
		return canon.Verify(pub, kind, rec, sig)
	}
	if err := check(); err != nil {
		v.Error = err.Error()
	} else {
		v.Valid = true
	}
	if err := p.Print(v, func(t *output.Tab) {
		if v.Valid {
			t.Line(fmt.Sprintf("signature VALID (%s record, key %s)", v.Kind, v.KeyID))
		} else {
			t.Line(fmt.Sprintf("signature INVALID (%s record, key %s): %s", v.Kind, v.KeyID, v.Error))
		}
	}); err != nil {
		return err
	}
	if !v.Valid {
		return Silent(ExitInvalid)
	}
	return nil
}
