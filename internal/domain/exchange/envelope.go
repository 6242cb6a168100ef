package exchange

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// The envelope: how a provider delivers a payload so that the consumer's
// acknowledgement proves what it received (docs/exchange.md, "Envelope").
//
// An envelope is one canonical JSON object (canon.Canonicalize: keys sorted, no
// whitespace), so it has exactly one byte form and one SM3 digest, the
// envelopeHash the ledger records:
//
//	{"ciphertext":"<base64>","consumer":"dept-b","exchangeId":"x-1","fields":["income"],
//	 "format":"certledger/v1/envelope","grantId":"g-1","nonce":"<base64 12 bytes>",
//	 "provider":"dept-a","recipientKeyId":"<sm3 hex>","wrappedKey":"<base64>"}
//
//   - wrappedKey: a fresh 16-byte SM4 key encrypted to the consumer's registered
//     SM2 public key recipientKeyId (GM/T 0003.4, ASN.1 C1C3C2, as OpenSSL 3).
//   - ciphertext: SM4-GCM(key, nonce, plaintext, aad) with the 16-byte tag
//     appended, where plaintext = salt (32 random bytes) ‖ payload and aad =
//     "certledger/v1/envelope\n" + the canonical JSON of every other member
//     (all but ciphertext and nonce): the header cannot be changed or moved to
//     another exchange without the consumer noticing.
//   - the salted payload digest is SM3(salt ‖ payload), lowercase hex: the
//     payloadHash of the exchange. The salt travels only inside the envelope,
//     so a small structured record cannot be guessed from its digest.
//
// The payload itself is JSON whose member names are the data item's fields: one
// object, an array of objects, or JSON Lines of objects. The fields received are
// the union of the objects' top-level member names (PayloadFields).

// EnvelopeFormat is the envelope's format marker.
const EnvelopeFormat = "certledger/v1/envelope"

// Limits of an envelope.
const (
	// MaxEnvelopeSize bounds an envelope's encoded size (and so a payload, about
	// three quarters of it).
	MaxEnvelopeSize = 32 << 20
	// EnvelopeSaltSize is the size of the payload salt in bytes.
	EnvelopeSaltSize = 32
	// MaxCertificates bounds the certificate ids one exchange may name.
	MaxCertificates = 256
)

// ErrBadEnvelope: an envelope that does not parse, or does not open with the
// given key (INVALID_ARGUMENT).
var ErrBadEnvelope = codes.Reason(codes.ErrInvalidArgument, "bad envelope")

// EnvelopeHeader is the plaintext, authenticated part of an envelope: which
// exchange it carries, between whom, to which key, with which declared fields.
type EnvelopeHeader struct {
	Format         string   `json:"format"`
	ExchangeID     string   `json:"exchangeId"`
	GrantID        string   `json:"grantId"`
	Provider       string   `json:"provider"`
	Consumer       string   `json:"consumer"`
	RecipientKeyID string   `json:"recipientKeyId"`
	Fields         []string `json:"fields"`
}

// Validate checks the header's format.
func (h EnvelopeHeader) Validate() error {
	var fe wire.FieldErrors
	if h.Format != EnvelopeFormat {
		fe.Add("format", "%q, want %q", h.Format, EnvelopeFormat)
	}
	fe.ID("exchangeId", h.ExchangeID)
	fe.ID("grantId", h.GrantID)
	fe.ID("provider", h.Provider)
	fe.ID("consumer", h.Consumer)
	fe.Hash("recipientKeyId", h.RecipientKeyID)
	checkFields(&fe, "fields", h.Fields)
	return fe.Err()
}

// Envelope is a parsed envelope.
type Envelope struct {
	EnvelopeHeader
	WrappedKey string `json:"wrappedKey"`
	Nonce      string `json:"nonce"`
	Ciphertext string `json:"ciphertext"`
}

// Sealed is what SealEnvelope returns: the envelope's bytes, their SM3 (the
// envelopeHash) and the salted payload digest (the payloadHash).
type Sealed struct {
	Bytes        []byte
	EnvelopeHash string
	PayloadHash  string
}

// Opened is what OpenEnvelope returns.
type Opened struct {
	Envelope
	EnvelopeHash string
	Salt         []byte
	Payload      []byte
	// PayloadHash is SM3(salt ‖ payload), recomputed from what was decrypted.
	PayloadHash string
}

// SaltedDigest returns SM3(salt ‖ payload) as lowercase hex.
func SaltedDigest(salt, payload []byte) string {
	h := sm3.New()
	h.Write(salt)
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil))
}

// aad is the associated data: the prefix and the canonical JSON of every member
// but the ciphertext and nonce.
func (e Envelope) aad() ([]byte, error) {
	m := map[string]any{
		"format": e.Format, "exchangeId": e.ExchangeID, "grantId": e.GrantID, "provider": e.Provider,
		"consumer": e.Consumer, "recipientKeyId": e.RecipientKeyID, "fields": e.Fields, "wrappedKey": e.WrappedKey,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	c, err := canon.Canonicalize(raw)
	if err != nil {
		return nil, err
	}
	return append([]byte(EnvelopeFormat+"\n"), c...), nil
}

// SealEnvelope encrypts payload for the consumer's public key pub under header h
// (RecipientKeyID is set from pub). The payload must be JSON whose fields are
// all among h.Fields (PayloadFields); a provider cannot seal more than it
// declares.
func SealEnvelope(h EnvelopeHeader, pub *ecdsa.PublicKey, payload []byte) (Sealed, error) {
	h.Format = EnvelopeFormat
	h.RecipientKeyID = gm.KeyID(pub)
	if h.RecipientKeyID == "" {
		return Sealed{}, codes.Wrap(ErrBadEnvelope, "the recipient key is not an SM2 public key")
	}
	if err := h.Validate(); err != nil {
		return Sealed{}, err
	}
	got, err := PayloadFields(payload)
	if err != nil {
		return Sealed{}, err
	}
	if out := outside(got, h.Fields); len(out) > 0 {
		return Sealed{}, codes.Wrap(ErrOutOfScope, "the payload holds fields %v that are not declared", out)
	}
	key, err := gm.NewSM4Key()
	if err != nil {
		return Sealed{}, err
	}
	wrapped, err := gm.EncryptSM2(pub, key)
	if err != nil {
		return Sealed{}, err
	}
	salt := make([]byte, EnvelopeSaltSize)
	if _, err := rand.Read(salt); err != nil {
		return Sealed{}, err
	}
	e := Envelope{EnvelopeHeader: h, WrappedKey: base64.StdEncoding.EncodeToString(wrapped)}
	aad, err := e.aad()
	if err != nil {
		return Sealed{}, err
	}
	plain := make([]byte, 0, len(salt)+len(payload))
	plain = append(append(plain, salt...), payload...)
	nonce, ct, err := gm.SealSM4GCM(key, plain, aad)
	if err != nil {
		return Sealed{}, err
	}
	e.Nonce = base64.StdEncoding.EncodeToString(nonce)
	e.Ciphertext = base64.StdEncoding.EncodeToString(ct)
	raw, err := json.Marshal(e)
	if err != nil {
		return Sealed{}, err
	}
	b, err := canon.Canonicalize(raw)
	if err != nil {
		return Sealed{}, err
	}
	if len(b) > MaxEnvelopeSize {
		return Sealed{}, codes.Wrap(ErrBadEnvelope, "envelope of %d bytes exceeds %d", len(b), MaxEnvelopeSize)
	}
	return Sealed{Bytes: b, EnvelopeHash: gm.SM3Hex(b), PayloadHash: SaltedDigest(salt, payload)}, nil
}

// ParseEnvelope parses an envelope strictly: at most MaxEnvelopeSize bytes, one
// JSON object with exactly the envelope's members, in canonical form (so the
// digest of what was parsed is the digest of what is stored), a valid header,
// and wrappedKey, nonce and ciphertext in standard base64 with the right shapes.
// It decrypts nothing.
func ParseEnvelope(b []byte) (Envelope, error) {
	var e Envelope
	if len(b) > MaxEnvelopeSize {
		return e, codes.Wrap(ErrBadEnvelope, "%d bytes exceeds %d", len(b), MaxEnvelopeSize)
	}
	c, err := canon.Canonicalize(b)
	if err != nil {
		return e, codes.Wrap(ErrBadEnvelope, "%v", err)
	}
	if !bytes.Equal(c, b) {
		return e, codes.Wrap(ErrBadEnvelope, "not in canonical form (sorted keys, no whitespace)")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Envelope{}, codes.Wrap(ErrBadEnvelope, "%v", err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil || len(members) != 10 {
		return Envelope{}, codes.Wrap(ErrBadEnvelope, "want exactly the 10 envelope members")
	}
	if err := e.Validate(); err != nil {
		return Envelope{}, codes.Wrap(ErrBadEnvelope, "%s", codes.Message(err))
	}
	wrapped, err := base64.StdEncoding.Strict().DecodeString(e.WrappedKey)
	if err != nil {
		return Envelope{}, codes.Wrap(ErrBadEnvelope, "wrappedKey: %v", err)
	}
	if err := gm.CheckSM2Ciphertext(wrapped); err != nil {
		return Envelope{}, codes.Wrap(ErrBadEnvelope, "wrappedKey: %v", err)
	}
	if n, err := base64.StdEncoding.Strict().DecodeString(e.Nonce); err != nil || len(n) != gm.GCMNonceSize {
		return Envelope{}, codes.Wrap(ErrBadEnvelope, "nonce: want %d bytes of standard base64", gm.GCMNonceSize)
	}
	if ct, err := base64.StdEncoding.Strict().DecodeString(e.Ciphertext); err != nil || len(ct) < gm.GCMTagSize+EnvelopeSaltSize {
		return Envelope{}, codes.Wrap(ErrBadEnvelope, "ciphertext: want standard base64 of at least salt and tag")
	}
	return e, nil
}

// OpenEnvelope parses b and decrypts it with the consumer's private key k. It
// refuses an envelope addressed to another key, and any envelope whose key,
// header or ciphertext was changed.
func OpenEnvelope(b []byte, k *sm2.PrivateKey) (Opened, error) {
	e, err := ParseEnvelope(b)
	if err != nil {
		return Opened{}, err
	}
	if id := gm.KeyID(&k.PublicKey); id != e.RecipientKeyID {
		return Opened{}, codes.Wrap(ErrBadEnvelope, "addressed to key %s, not %s", e.RecipientKeyID, id)
	}
	wrapped, _ := base64.StdEncoding.DecodeString(e.WrappedKey)
	nonce, _ := base64.StdEncoding.DecodeString(e.Nonce)
	ct, _ := base64.StdEncoding.DecodeString(e.Ciphertext)
	key, err := gm.DecryptSM2(k, wrapped)
	if err != nil || len(key) != gm.SM4KeySize {
		return Opened{}, codes.Wrap(ErrBadEnvelope, "the content key does not decrypt with this key")
	}
	aad, err := e.aad()
	if err != nil {
		return Opened{}, err
	}
	plain, err := gm.OpenSM4GCM(key, nonce, ct, aad)
	if err != nil {
		return Opened{}, codes.Wrap(ErrBadEnvelope, "the payload does not decrypt (changed ciphertext or header)")
	}
	salt, payload := plain[:EnvelopeSaltSize], plain[EnvelopeSaltSize:]
	return Opened{Envelope: e, EnvelopeHash: gm.SM3Hex(b), Salt: salt, Payload: payload,
		PayloadHash: SaltedDigest(salt, payload)}, nil
}

// PayloadFields returns the sorted field names a payload holds: the union of the
// top-level member names of its JSON objects (one object, an array of objects,
// or JSON Lines of objects). Every name must be a valid field name. Values are
// skipped, not decoded.
func PayloadFields(payload []byte) ([]string, error) {
	bad := func(format string, a ...any) ([]string, error) {
		return nil, codes.Wrap(ErrBadEnvelope, "payload: "+format, a...)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	seen := map[string]bool{}
	objects := 0
	// object reads the members of an object whose '{' was read, and its '}'.
	object := func() error {
		objects++
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := tok.(string)
			if !seen[k] {
				if !wire.ValidFieldName(k) {
					return fmt.Errorf("member %q is not a field name (%s)", k, wire.FieldNamePattern)
				}
				if len(seen) == MaxFields {
					return fmt.Errorf("more than %d fields", MaxFields)
				}
				seen[k] = true
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
		_, err := dec.Token() // '}'
		return err
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad("%v", err)
		}
		switch tok {
		case json.Delim('{'):
			if err := object(); err != nil {
				return bad("%v", err)
			}
		case json.Delim('['):
			for dec.More() {
				if t, err := dec.Token(); err != nil || t != json.Delim('{') {
					return bad("want JSON objects whose members are the fields")
				}
				if err := object(); err != nil {
					return bad("%v", err)
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return bad("%v", err)
			}
		default:
			return bad("want JSON objects whose members are the fields")
		}
	}
	if objects == 0 || len(seen) == 0 {
		return bad("no fields found")
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

// checkCertificates validates the certificate ids an exchange names: valid ids,
// sorted and unique, at most MaxCertificates.
func checkCertificates(fe *wire.FieldErrors, field string, ids []string) {
	if len(ids) > MaxCertificates {
		fe.Add(field, "more than %d certificates", MaxCertificates)
		return
	}
	for i, id := range ids {
		if !wire.ValidID(id) {
			fe.Add(field, "%q is not a certificate id", id)
			return
		}
		if i > 0 && ids[i-1] >= id {
			fe.Add(field, "must be sorted and unique (%q before %q)", ids[i-1], id)
			return
		}
	}
}

// SortIDs returns a sorted copy of ids without duplicates (the form an
// exchange's certificate list is signed in).
func SortIDs(ids []string) []string { return SortFields(ids) }
