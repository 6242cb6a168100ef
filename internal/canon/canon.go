// Package canon builds the canonical payloads that departments sign with SM2.
//
// A payload is the ASCII prefix "certledger/v1/<kind>\n" (for a kind that names its
// version, such as "v2/certificate": "certledger/<kind>\n") followed by the record's
// signed fields as canonical JSON: object keys sorted (by UTF-16 code units, as
// RFC 8785 says), no insignificant whitespace, strings escaped only where JSON
// requires it, UTF-8. Numbers must be integers within ±(2^53-1), so every
// implementation prints them the same way. Which fields of a record are signed is
// written once, in SignedFields.
package canon

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/certledger/certledger/internal/gm"
	"github.com/emmansun/gmsm/sm2"
)

// Kind names a kind of signed record.
type Kind string

// The record kinds.
const (
	KindCertificate Kind = "certificate"
	// KindCertificateV2 is the certificate with GB/T 36903 metadata and a GB/T 36904
	// identifier; its prefix is "certledger/v2/certificate".
	KindCertificateV2     Kind = "v2/certificate"
	KindCertificateStatus Kind = "certificate-status"
	KindBatch             Kind = "batch"
	KindBatchHeader       Kind = "batch-header"
	KindGrant             Kind = "grant"
	KindGrantRevoke       Kind = "grant-revoke"
	KindExchange          Kind = "exchange"
	KindExchangeAck       Kind = "exchange-ack"
	KindTicketAction      Kind = "ticket-action"

	// Exchange kinds with salted digests and hashed free text (docs/exchange.md):
	// a grant whose purpose is kept off-chain (purposeHash), a revocation whose
	// reason is (reasonHash), an exchange delivered as an SM2/SM4 envelope
	// (envelopeHash, salted payloadHash, the certificates it carries), the
	// consumer's receipt over what it decrypted (fields actually received), and
	// the consumer's attestation that it deleted a grant's data once it ended.
	KindGrantSealed       Kind = "grant-sealed"
	KindGrantRevokeSealed Kind = "grant-revoke-sealed"
	KindExchangeEnvelope  Kind = "exchange-envelope"
	KindExchangeReceipt   Kind = "exchange-receipt"
	KindGrantDeletion     Kind = "grant-deletion"
)

// SignedFields lists, per kind, the JSON names of the fields its signature covers.
// This table is the only place that says so.
var SignedFields = map[Kind][]string{
	KindCertificate: {"id", "docHash", "type", "issuer", "holderCommitment", "validFrom", "validUntil", "keyId", "supersedes"},
	KindCertificateV2: {"id", "docHash", "type", "name", "issuer", "issuerName", "issuerCode", "issueDate",
		"validFrom", "validUntil", "holderCodeType", "holderNameCommitment", "holderCodeCommitment",
		"extensions", "keyId", "supersedes"},
	KindCertificateStatus: {"certificateId", "action", "reason", "keyId", "prevTxId"},
	KindBatch:             {"id", "issuer", "root", "count", "keyId"},
	KindBatchHeader:       {"id", "issuer", "keyId", "root", "count", "fileHash", "previous", "windowFrom", "windowUntil", "recordKind", "types"},
	KindGrant:             {"id", "provider", "consumer", "item", "fields", "purpose", "legalBasis", "validFrom", "validUntil", "keyId"},
	KindGrantRevoke:       {"grantId", "reason", "keyId", "prevTxId"},
	KindExchange:          {"id", "grantId", "provider", "consumer", "fields", "payloadHash", "keyId"},
	KindExchangeAck:       {"exchangeId", "consumer", "payloadHash", "decision", "reason", "keyId"},
	KindTicketAction:      {"ticketId", "action", "department", "noteHash", "target", "prevTxId", "keyId"},
	KindGrantSealed:       {"id", "provider", "consumer", "item", "fields", "purposeHash", "legalBasis", "validFrom", "validUntil", "keyId"},
	KindGrantRevokeSealed: {"grantId", "reasonHash", "keyId", "prevTxId"},
	KindExchangeEnvelope:  {"id", "grantId", "provider", "consumer", "fields", "payloadHash", "envelopeHash", "certificates", "keyId"},
	KindExchangeReceipt:   {"exchangeId", "consumer", "envelopeHash", "payloadHash", "fields", "decision", "reasonHash", "keyId"},
	KindGrantDeletion:     {"grantId", "consumer", "prevTxId", "keyId"},
}

// OptionalFields lists, per kind, signed fields that a record may leave out: such a
// field is signed when the record holds it as a non-empty string, and is absent
// from the payload otherwise. A field added to a kind after records of it were
// signed goes here, so the old records' payloads, and their signatures, stay the
// same. "operator" is the operator id of the person the department vouches acted
// (docs/people.md): the chaincode refuses one that is not the submitting identity's.
var OptionalFields = map[Kind][]string{
	KindCertificateStatus: {FieldOperator},
	KindGrant:             {FieldOperator},
	KindGrantRevoke:       {FieldOperator},
	KindExchange:          {FieldOperator},
	KindExchangeAck:       {FieldOperator},
	KindTicketAction:      {FieldOperator},
	KindGrantSealed:       {FieldOperator},
	KindGrantRevokeSealed: {FieldOperator},
	KindExchangeEnvelope:  {FieldOperator},
	KindExchangeReceipt:   {FieldOperator},
	KindGrantDeletion:     {FieldOperator},
}

// FieldOperator is the optional signed field naming the person who acted.
const FieldOperator = "operator"

// Errors returned (wrapped) by this package.
var (
	ErrUnknownKind  = errors.New("unknown record kind")
	ErrMissingField = errors.New("signed field missing")
	ErrNotCanonical = errors.New("cannot canonicalize JSON")
)

// Prefix returns the domain-separation prefix of kind: "certledger/v1/<kind>\n",
// or "certledger/<kind>\n" for a kind that names its version ("v2/certificate").
func Prefix(kind Kind) string {
	if strings.Contains(string(kind), "/") {
		return "certledger/" + string(kind) + "\n"
	}
	return "certledger/v1/" + string(kind) + "\n"
}

// Payload returns the bytes a department signs for record of the given kind.
// record is anything that marshals to a JSON object holding every signed field;
// an optional field (OptionalFields) is signed only when it is a non-empty string.
func Payload(kind Kind, record any) ([]byte, error) {
	fields, ok := SignedFields[kind]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKind, kind)
	}
	raw, err := json.Marshal(record)
	if err != nil {
		return nil, fmt.Errorf("encoding %s record: %w", kind, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("%w: %s record is not a JSON object: %w", ErrNotCanonical, kind, err)
	}
	signed := make(map[string]any, len(fields))
	for _, f := range fields {
		v, ok := obj[f]
		if !ok {
			return nil, fmt.Errorf("%w: %s.%s", ErrMissingField, kind, f)
		}
		signed[f] = v
	}
	for _, f := range OptionalFields[kind] {
		switch v := obj[f].(type) {
		case nil:
		case string:
			if v != "" {
				signed[f] = v
			}
		default:
			return nil, fmt.Errorf("%w: %s.%s must be a string", ErrNotCanonical, kind, f)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(Prefix(kind))
	if err := writeValue(&buf, signed); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Sign returns the base64 SM2 signature of record's payload.
func Sign(k *sm2.PrivateKey, kind Kind, record any) (string, error) {
	p, err := Payload(kind, record)
	if err != nil {
		return "", err
	}
	return gm.SignBase64(k, p)
}

// Verify checks a base64 SM2 signature over record's payload.
func Verify(pub *ecdsa.PublicKey, kind Kind, record any, sigB64 string) error {
	p, err := Payload(kind, record)
	if err != nil {
		return err
	}
	return gm.VerifyBase64(pub, p, sigB64)
}

// Canonicalize re-encodes one JSON document canonically. It refuses duplicate keys,
// non-integer or out-of-range numbers, invalid UTF-8 and trailing data.
func Canonicalize(doc []byte) ([]byte, error) {
	if !utf8.Valid(doc) {
		return nil, fmt.Errorf("%w: invalid UTF-8", ErrNotCanonical)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	v, err := readValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON value", ErrNotCanonical)
	}
	var buf bytes.Buffer
	if err := writeValue(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readValue decodes one value token by token so that duplicate keys are caught.
func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotCanonical, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("%w: %w", ErrNotCanonical, err)
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("%w: object key is not a string", ErrNotCanonical)
				}
				if _, dup := obj[k]; dup {
					return nil, fmt.Errorf("%w: duplicate key %q", ErrNotCanonical, k)
				}
				v, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				obj[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrNotCanonical, err)
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrNotCanonical, err)
			}
			return arr, nil
		}
		return nil, fmt.Errorf("%w: unexpected %v", ErrNotCanonical, t)
	default:
		return t, nil
	}
}

const maxSafeInt = 1<<53 - 1

func writeValue(buf *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if t {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case string:
		return writeString(buf, t)
	case json.Number:
		return writeNumber(buf, string(t))
	case float64:
		return writeNumber(buf, strconv.FormatFloat(t, 'g', -1, 64))
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return lessUTF16(keys[i], keys[j]) })
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeString(buf, k); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := writeValue(buf, t[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeValue(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		return fmt.Errorf("%w: unsupported value %T", ErrNotCanonical, v)
	}
	return nil
}

func writeNumber(buf *bytes.Buffer, s string) error {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return fmt.Errorf("%w: number %s is not an integer", ErrNotCanonical, s)
	}
	if n.IsInt64() && n.Int64() <= maxSafeInt && n.Int64() >= -maxSafeInt {
		buf.WriteString(strconv.FormatInt(n.Int64(), 10))
		return nil
	}
	return fmt.Errorf("%w: integer %s is outside ±(2^53-1)", ErrNotCanonical, s)
}

func writeString(buf *bytes.Buffer, s string) error {
	b, err := AppendString(buf.AvailableBuffer(), s)
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

func lessUTF16(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}
