package canon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/internal/gm"
)

// Document describes one kind of signed JSON file,
//
//	{"<Body>": {...}, "signature": "<base64 DER SM2>"}
//
// whose signature covers Prefix followed by the canonical JSON of the body.
// The trust bundle and the verification report are such files.
type Document struct {
	Prefix    string // starts the signed payload, e.g. "certledger/v1/trust-bundle\n"
	Name      string // what errors call the body: "trust bundle"
	Body      string // the file's key that holds the body: "bundle"
	MaxSize   int    // the largest file Parse accepts
	Malformed error  // what every format error of Parse and Payload wraps
	Unknown   string // said when the body as written is not what its decoded struct says
}

// Payload is what is signed for body: Prefix and the canonical JSON of body.
func (d *Document) Payload(body any) ([]byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", d.Name, err)
	}
	return d.payloadOf(raw)
}

func (d *Document) payloadOf(raw []byte) ([]byte, error) {
	c, err := Canonicalize(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", d.Malformed, err)
	}
	return append([]byte(d.Prefix), c...), nil
}

// Sign signs body's payload with key: base64 DER SM2, default user id.
func (d *Document) Sign(key *sm2.PrivateKey, body any) (string, error) {
	p, err := d.Payload(body)
	if err != nil {
		return "", err
	}
	return gm.SignBase64(key, p)
}

// MarshalFile writes a signed file as indented JSON ending in a newline.
func MarshalFile(file any) ([]byte, error) {
	out, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Parse decodes a signed file strictly into body and returns its signature,
// without checking it: at most MaxSize bytes, one JSON object with no
// duplicate keys, invalid UTF-8, fractions or trailing data (Canonicalize),
// no unknown keys, and a body whose decoded struct encodes to exactly the
// payload of the body as written (no field lost, none defaulted). body's own
// rules (Validate) are the caller's.
func (d *Document) Parse(data []byte, body any) (string, error) {
	if len(data) > d.MaxSize {
		return "", fmt.Errorf("%w: %d bytes, the limit is %d", d.Malformed, len(data), d.MaxSize)
	}
	if _, err := Canonicalize(data); err != nil {
		return "", fmt.Errorf("%w: %w", d.Malformed, err)
	}
	rawBody, sig, err := d.envelope(data)
	if err != nil {
		return "", err
	}
	if err := d.strictDecode(rawBody, body); err != nil {
		return "", err
	}
	written, err := d.payloadOf(rawBody)
	if err != nil {
		return "", err
	}
	decoded, err := d.Payload(body)
	if err != nil {
		return "", err
	}
	if !bytes.Equal(written, decoded) {
		return "", fmt.Errorf("%w: %s", d.Malformed, d.Unknown)
	}
	return sig, nil
}

// envelope splits a file into the raw body and the signature. The envelope is
// a struct built for d.Body, so keys are matched as encoding/json matches
// struct tags, exactly as a literal struct with those tags would be.
func (d *Document) envelope(data []byte) (json.RawMessage, string, error) {
	t := reflect.StructOf([]reflect.StructField{
		{Name: "Body", Type: reflect.TypeFor[json.RawMessage](), Tag: reflect.StructTag(`json:"` + d.Body + `"`)},
		{Name: "Signature", Type: reflect.TypeFor[*string](), Tag: `json:"signature"`},
	})
	env := reflect.New(t)
	if err := d.strictDecode(data, env.Interface()); err != nil {
		return nil, "", err
	}
	rawBody := env.Elem().Field(0).Interface().(json.RawMessage)
	sig := env.Elem().Field(1).Interface().(*string)
	if rawBody == nil || sig == nil {
		return nil, "", fmt.Errorf("%w: want {%q: {...}, \"signature\": \"...\"}", d.Malformed, d.Body)
	}
	return rawBody, *sig, nil
}

func (d *Document) strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", d.Malformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: data after the JSON object", d.Malformed)
	}
	return nil
}
