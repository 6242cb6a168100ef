package command

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/gm"
)

// Exchanges delivered as SM2/SM4 envelopes (docs/exchange.md, "Envelope"): the
// provider seals the payload here for the consumer's registered SM2 key and
// deposits the envelope in the gateway's store (or writes it to a file for
// another channel); only the envelope's SM3, the salted payload digest and the
// field names go on the ledger. The consumer opens it here with its private
// key and signs a receipt over what it decrypted: the salted digest and the
// field names it actually received.

// readPayload reads a payload file ("-": standard input) whole: an envelope is
// encrypted in one piece, up to the envelope limit.
func readPayload(c *cli.Context, name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = ctxReader{c, c.App.Reader}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, inputErr(err)
		}
		defer func() { _ = f.Close() }() // read-only file
		r = ctxReader{c, f}
	}
	max := int64(exchange.MaxEnvelopeSize/4*3 - 1024)
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, inputErr(err)
	}
	if int64(len(b)) > max {
		return nil, Usagef("%s: payload larger than %d bytes; split it into several exchanges", name, max)
	}
	return b, nil
}

// recipientKey picks the consumer's SM2 key to seal for: the one named, or its
// newest key valid now.
func recipientKey(d *client.Department, keyID string) (*ecdsa.PublicKey, string, error) {
	now := time.Now()
	var best *registry.Key
	for i, k := range d.Keys {
		if keyID != "" && k.KeyID != keyID {
			continue
		}
		if k.ValidAt(now) != nil {
			continue
		}
		if best == nil || k.ValidFrom > best.ValidFrom {
			best = &d.Keys[i]
		}
	}
	if best == nil {
		if keyID != "" {
			return nil, "", Invalidf("key %s is not a valid key of %s now", keyID, d.ID)
		}
		return nil, "", Invalidf("department %s has no key valid now to encrypt for", d.ID)
	}
	pub, err := best.Public()
	if err != nil {
		return nil, "", err
	}
	return pub, best.KeyID, nil
}

// sendOutcome is what exchange send prints.
type sendOutcome struct {
	client.WriteResult[exchange.Exchange]
	EnvelopeHash string `json:"envelopeHash"`
	EnvelopeSize int    `json:"envelopeSize"`
	EnvelopeFile string `json:"envelopeFile,omitempty"`
	Stored       bool   `json:"storedInGateway"`
	RecipientKey string `json:"recipientKeyId"`
}

func exchangeSend(c *cli.Context) error {
	p, fields, err := fieldsCommand(c)
	if err != nil {
		return err
	}
	certs := exCertificates(c.String("certificates"))
	if c.Bool("no-upload") && c.String("envelope-out") == "" {
		return Usagef("--no-upload needs --envelope-out FILE: the envelope must reach the consumer somehow")
	}
	k, err := loadPrivate(c, "key")
	if err != nil {
		return err
	}
	payload, err := readPayload(c, c.String("file"))
	if err != nil {
		return err
	}
	got, err := exchange.PayloadFields(payload)
	if err != nil {
		return Usagef("--file: %v (want JSON objects whose members are the fields)", err)
	}
	if extra := outsideOf(got, fields); len(extra) > 0 {
		return Usagef("--file holds fields %v that --fields does not declare", extra)
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	g, err := exFetchGrant(c, cl, c.String("grant"))
	if err != nil {
		return fmt.Errorf("reading grant %s: %w", c.String("grant"), err)
	}
	id := c.String("id")
	if id == "" {
		if id, err = issue.NewID(g.ID); err != nil {
			return err
		}
	}
	cons, err := cl.GetDepartment(c.Context, g.Consumer)
	if err != nil {
		return fmt.Errorf("reading consumer %s: %w", g.Consumer, err)
	}
	pub, recipient, err := recipientKey(cons, c.String("recipient-key"))
	if err != nil {
		return err
	}
	sealed, err := exchange.SealEnvelope(exchange.EnvelopeHeader{ExchangeID: id, GrantID: g.ID, Provider: g.Provider,
		Consumer: g.Consumer, Fields: fields}, pub, payload)
	if err != nil {
		return InvalidInput("envelope", err)
	}
	out := sendOutcome{EnvelopeHash: sealed.EnvelopeHash, EnvelopeSize: len(sealed.Bytes), RecipientKey: recipient}
	if f := c.String("envelope-out"); f != "" {
		if err := os.WriteFile(f, sealed.Bytes, 0o600); err != nil {
			return inputErr(err)
		}
		out.EnvelopeFile = f
	}
	if !c.Bool("no-upload") {
		if err := cl.Do(c.Context, http.MethodPut, exAPI+"/envelopes/"+sealed.EnvelopeHash, sealed.Bytes, nil); err != nil {
			return fmt.Errorf("depositing the envelope: %w", err)
		}
		out.Stored = true
	}
	op, err := operatorOf(c, cl)
	if err != nil {
		return err
	}
	req := exchange.SendRequest{ID: id, GrantID: g.ID, Provider: g.Provider, Consumer: g.Consumer, Fields: fields,
		PayloadHash: sealed.PayloadHash, EnvelopeHash: sealed.EnvelopeHash, Certificates: certs, KeyID: gm.KeyID(&k.PublicKey), Operator: op}
	if req.Signature, err = signForm(k, req.SignedForm); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return InvalidInput("exchange", err)
	}
	if err := cl.Do(c.Context, http.MethodPost, exAPI+"/exchanges", req, &out.WriteResult); err != nil {
		return err
	}
	return p.Print(out, func(t *output.Tab) { printSent(t, out, req) })
}

// exCertificates parses --certificates (comma-separated ids) into a sorted set.
func exCertificates(v string) []string {
	var certs []string
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id != "" {
			certs = append(certs, id)
		}
	}
	if len(certs) == 0 {
		return nil
	}
	return exchange.SortIDs(certs)
}

// printSent is exchange send's table.
func printSent(t *output.Tab, out sendOutcome, req exchange.SendRequest) {
	t.Line(fmt.Sprintf("recorded exchange %s to %s under grant %s (tx %s, block %d)", req.ID, req.Consumer, req.GrantID, out.TxID, out.BlockNumber))
	t.KV("fields", strings.Join(req.Fields, ","))
	if len(req.Certificates) > 0 {
		t.KV("certificates", strings.Join(req.Certificates, ","))
	}
	t.KV("envelope sm3", out.EnvelopeHash+fmt.Sprintf(" (%d bytes, for key %s)", out.EnvelopeSize, out.RecipientKey))
	t.KV("payload digest", req.PayloadHash+" (salted; the salt travels inside the envelope)")
	switch {
	case out.Stored && out.EnvelopeFile != "":
		t.KV("envelope", "deposited in the gateway's store and written to "+out.EnvelopeFile)
	case out.Stored:
		t.KV("envelope", "deposited in the gateway's store")
	default:
		t.KV("envelope", "written to "+out.EnvelopeFile+": deliver it to "+req.Consumer+" yourself")
	}
	t.KV("sent at", out.Record.SentAt)
	t.KV("next", "the consumer runs: certledger exchange ack "+req.ID+" --key KEY [--out FILE]")
}

// signForm signs a record's canonical form (kind and fields from its SignedForm).
func signForm(k *sm2.PrivateKey, form func() (canon.Kind, any)) (string, error) {
	kind, rec := form()
	return canon.Sign(k, kind, rec)
}

// outsideOf returns the members of sub not in set (both sorted).
func outsideOf(sub, set []string) []string {
	in := map[string]bool{}
	for _, s := range set {
		in[s] = true
	}
	var out []string
	for _, s := range sub {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

// fetchEnvelope reads the exchange's envelope from file, or else from the
// gateway's store, and checks that its SM3 is the one recorded.
func fetchEnvelope(c *cli.Context, cl *client.Client, e *exchange.Exchange, file string) ([]byte, error) {
	var b []byte
	if file != "" {
		var err error
		if b, err = os.ReadFile(file); err != nil {
			return nil, inputErr(err)
		}
	} else {
		var raw json.RawMessage
		if err := cl.Do(c.Context, http.MethodGet, exAPI+"/envelopes/"+url.PathEscape(e.EnvelopeHash), nil, &raw); err != nil {
			return nil, fmt.Errorf("fetching envelope %s from the gateway (or give --envelope FILE): %w", e.EnvelopeHash, err)
		}
		b = raw
	}
	if h := gm.SM3Hex(b); h != e.EnvelopeHash {
		return nil, Invalidf("the envelope's SM3 %s is not the recorded %s", h, e.EnvelopeHash)
	}
	return b, nil
}

// answerOutcome is what exchange ack / reject print.
type answerOutcome struct {
	client.WriteResult[exchange.Exchange]
	Received []string `json:"fieldsReceived,omitempty"`
	Salt     string   `json:"salt,omitempty"`
	Out      string   `json:"payloadFile,omitempty"`
	Note     string   `json:"note,omitempty"`
}

// exchangeAnswer acknowledges or rejects exchange X. For an enveloped exchange
// it opens the envelope with --key, checks the salted digest against the
// record, lists the fields received, refuses (before the ledger does) to
// acknowledge fields outside the grant, writes the payload to --out and signs
// the receipt; reasons stay here (their SM3 is signed). For a declared exchange
// it signs the declared acknowledgement, checking --file against the recorded
// SM3 when given.
func exchangeAnswer(c *cli.Context, decision string) error {
	id, err := oneArg(c, "EXCHANGE id")
	if err != nil {
		return err
	}
	p, k, cl, err := signerSession(c)
	if err != nil {
		return err
	}
	e, err := exFetchExchange(c, cl, id)
	if err != nil {
		return fmt.Errorf("reading exchange %s: %w", id, err)
	}
	reason := c.String("reason")
	if decision == exchange.DecisionAck {
		reason = c.String("note")
	}
	op, err := operatorOf(c, cl)
	if err != nil {
		return err
	}
	var out answerOutcome
	a := exchange.AckRequest{ExchangeID: id, Consumer: e.Consumer, PayloadHash: e.PayloadHash, Decision: decision, KeyID: gm.KeyID(&k.PublicKey), Operator: op}
	if e.Enveloped() {
		err = openForAnswer(c, cl, k, e, reason, &a, &out)
	} else {
		a.Reason = reason
		err = checkDeclared(c, e)
	}
	if err != nil {
		return err
	}
	if a.Signature, err = signForm(k, a.SignedForm); err != nil {
		return err
	}
	if err := cl.Do(c.Context, http.MethodPost, exAPI+"/exchanges/"+url.PathEscape(id)+"/"+decision, a, &out.WriteResult); err != nil {
		return err
	}
	return p.Print(out, func(t *output.Tab) { printAnswer(t, out, e, a) })
}

// openForAnswer fills the answer a to the enveloped exchange e: it opens the
// envelope with k, checks the salted digest against the record, lists the
// fields received, refuses (before the ledger does) to acknowledge fields
// outside the grant and writes the payload to --out. The reason stays here;
// its SM3 is signed. A rejection may leave the envelope unopened.
func openForAnswer(c *cli.Context, cl *client.Client, k *sm2.PrivateKey, e *exchange.Exchange, reason string, a *exchange.AckRequest, out *answerOutcome) error {
	a.EnvelopeHash = e.EnvelopeHash
	if reason != "" {
		a.ReasonHash, out.Note = gm.SM3Hex([]byte(reason)), reason
	}
	b, err := fetchEnvelope(c, cl, e, c.String("envelope"))
	if err != nil {
		return err
	}
	ack := a.Decision == exchange.DecisionAck
	o, err := exchange.OpenEnvelope(b, k)
	switch {
	case err != nil && ack:
		return Invalidf("the envelope does not open with this key: %v (reject it with: certledger exchange reject %s --reason ...)", err, e.ID)
	case err != nil:
		return nil // rejected unopened: no fields received, over the recorded digest
	case o.PayloadHash != e.PayloadHash && ack:
		return Invalidf("the decrypted payload's digest %s is not the recorded %s: not acknowledged (reject it)", o.PayloadHash, e.PayloadHash)
	case o.PayloadHash != e.PayloadHash:
		return nil
	}
	fields, ferr := exchange.PayloadFields(o.Payload)
	if ferr != nil && ack {
		return Invalidf("the payload does not list its fields: %v (reject it)", ferr)
	}
	a.Fields, out.Received, out.Salt = fields, fields, hex.EncodeToString(o.Salt)
	if f := c.String("out"); f != "" {
		if err := os.WriteFile(f, o.Payload, 0o600); err != nil {
			return inputErr(err)
		}
		out.Out = f
	}
	if !ack {
		return nil
	}
	g, err := exFetchGrant(c, cl, e.GrantID)
	if err != nil {
		return fmt.Errorf("reading grant %s: %w", e.GrantID, err)
	}
	if extra := outsideOf(fields, g.Fields); len(extra) > 0 {
		return Invalidf("received fields %v that grant %s does not name: not acknowledged (reject it: certledger exchange reject %s --reason ...)", extra, g.ID, e.ID)
	}
	return nil
}

// checkDeclared checks --file, when given, against the declared exchange's
// recorded SM3 before it is acknowledged.
func checkDeclared(c *cli.Context, e *exchange.Exchange) error {
	f := c.String("file")
	if f == "" {
		return nil
	}
	h, err := fileHash(c, f)
	if err != nil {
		return err
	}
	if h != e.PayloadHash {
		return Invalidf("the payload's SM3 %s is not the recorded %s: not acknowledged (use exchange reject %s --reason ...)", h, e.PayloadHash, e.ID)
	}
	return nil
}

// printAnswer is exchange ack / reject's table.
func printAnswer(t *output.Tab, out answerOutcome, e *exchange.Exchange, a exchange.AckRequest) {
	t.Line(fmt.Sprintf("%s: exchange %s is now %s (tx %s, block %d)", a.Decision, e.ID, out.Record.Status, out.TxID, out.BlockNumber))
	if !e.Enveloped() {
		t.KV("payload sm3", e.PayloadHash)
		if a.Reason != "" {
			t.KV("reason", a.Reason)
		}
		return
	}
	t.KV("envelope sm3", e.EnvelopeHash)
	t.KV("payload digest", e.PayloadHash+" (salted)")
	if len(out.Received) > 0 {
		t.KV("fields received", strings.Join(out.Received, ","))
	}
	if out.Out != "" {
		t.KV("payload", "written to "+out.Out)
	}
	if out.Note != "" {
		t.KV("reason", out.Note+" (kept here; the ledger has its SM3 "+a.ReasonHash+")")
	}
}

// saltedFileHash is SM3(salt ‖ file) in constant memory.
func saltedFileHash(c *cli.Context, name, saltHex string) (string, error) {
	salt, err := hex.DecodeString(saltHex)
	if err != nil || len(salt) != exchange.EnvelopeSaltSize {
		return "", Usagef("--salt: want %d bytes of hex", exchange.EnvelopeSaltSize)
	}
	f, err := os.Open(name)
	if err != nil {
		return "", inputErr(err)
	}
	defer func() { _ = f.Close() }() // read-only file
	h, _, err := gm.SM3Reader(io.MultiReader(bytes.NewReader(salt), ctxReader{c, f}))
	if err != nil {
		return "", inputErr(err)
	}
	return h, nil
}
