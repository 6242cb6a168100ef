package canon

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/certledger/certledger/internal/gm"
)

type vector struct {
	Name    string          `json:"name"`
	Kind    Kind            `json:"kind"`
	Record  json.RawMessage `json:"record"`
	Payload string          `json:"payload"`
}

func TestVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		got, err := Payload(v.Kind, v.Record)
		if err != nil {
			t.Errorf("%s: %v", v.Name, err)
			continue
		}
		if string(got) != v.Payload {
			t.Errorf("%s:\n got %q\nwant %q", v.Name, got, v.Payload)
		}
	}
}

func TestStructAndMapAgree(t *testing.T) {
	type rec struct {
		ID         string   `json:"id"`
		GrantID    string   `json:"grantId"`
		Provider   string   `json:"provider"`
		Consumer   string   `json:"consumer"`
		Fields     []string `json:"fields"`
		Payload    string   `json:"payloadHash"`
		KeyID      string   `json:"keyId"`
		Signature  string   `json:"signature"`
		Irrelevant int      `json:"n"`
	}
	r := rec{"x", "g", "a", "b", []string{"f"}, "h", "k", "sig", 7}
	m := map[string]any{"id": "x", "grantId": "g", "provider": "a", "consumer": "b", "fields": []string{"f"}, "payloadHash": "h", "keyId": "k"}
	p1, err1 := Payload(KindExchange, r)
	p2, err2 := Payload(KindExchange, m)
	if err1 != nil || err2 != nil || string(p1) != string(p2) {
		t.Fatalf("%s / %s (%v %v)", p1, p2, err1, err2)
	}
}

func TestPayloadErrors(t *testing.T) {
	if _, err := Payload("nope", map[string]any{}); !errors.Is(err, ErrUnknownKind) {
		t.Fatal(err)
	}
	if _, err := Payload(KindGrantRevoke, map[string]any{"grantId": "g"}); !errors.Is(err, ErrMissingField) {
		t.Fatal(err)
	}
	if _, err := Payload(KindBatch, map[string]any{"id": "", "issuer": "", "root": "", "count": 1.5, "keyId": ""}); !errors.Is(err, ErrNotCanonical) {
		t.Fatalf("float accepted: %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	k, _ := gm.GenerateKey()
	rec := map[string]any{"certificateId": "c", "action": "revoke", "reason": "fraud", "keyId": gm.KeyID(&k.PublicKey), "prevTxId": "t"}
	sig, err := Sign(k, KindCertificateStatus, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(&k.PublicKey, KindCertificateStatus, rec, sig); err != nil {
		t.Fatal(err)
	}
	rec["reason"] = "other"
	if err := Verify(&k.PublicKey, KindCertificateStatus, rec, sig); !errors.Is(err, gm.ErrBadSignature) {
		t.Fatalf("changed field verified: %v", err)
	}
	rec["reason"] = "fraud"
	// Same fields under another kind never verify (domain separation).
	if err := Verify(&k.PublicKey, KindGrantRevoke, map[string]any{"grantId": "c", "reason": "fraud", "keyId": rec["keyId"], "prevTxId": "t"}, sig); err == nil {
		t.Fatal("signature crossed kinds")
	}
	if err := Verify(&k.PublicKey, KindCertificateStatus, rec, "@@@"); !errors.Is(err, gm.ErrBadSignature) {
		t.Fatalf("bad base64: %v", err)
	}
}

func TestCanonicalize(t *testing.T) {
	cases := map[string]string{
		`{ "b" : 1, "a" : [true, false, null, "x"] }`:                 `{"a":[true,false,null,"x"],"b":1}`,
		`"\u00e9\u2028<>&"`:                                           "\"é\u2028<>&\"",
		`{"\u20ac":1,"\r":2,"1":3,"\ud83d\ude00":4,"\u0080":5,"ö":6}`: "{\"\\r\":2,\"1\":3,\"\u0080\":5,\"ö\":6,\"\u20ac\":1,\"\U0001F600\":4}",
		`-0`:  `0`,
		`1e2`: ``,
	}
	for in, want := range cases {
		got, err := Canonicalize([]byte(in))
		if want == "" {
			if err == nil {
				t.Errorf("Canonicalize(%s) = %s, want error", in, got)
			}
			continue
		}
		if err != nil || string(got) != want {
			t.Errorf("Canonicalize(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`{"a":1,"a":2}`, `{"a":1} x`, "\"\xff\"", `9007199254740992`, `{`, ``} {
		if _, err := Canonicalize([]byte(bad)); err == nil {
			t.Errorf("Canonicalize(%q) accepted", bad)
		}
	}
}

func FuzzCanonicalize(f *testing.F) {
	f.Add([]byte(`{"b":[1,2,{"z":"\u0000"}],"a":"x"}`))
	f.Add([]byte(`"营业执照"`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Canonicalize(in)
		if err != nil {
			return
		}
		// Canonical output is a fixed point and valid JSON.
		again, err := Canonicalize(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, err)
		}
		if !json.Valid(out) || strings.ContainsAny(string(out), "\n ") && !json.Valid(out) {
			t.Fatalf("invalid JSON out: %q", out)
		}
	})
}

func FuzzAppendString(f *testing.F) {
	f.Add("plain")
	f.Add("a\"b\\c\n\x01é")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := AppendString(nil, s)
		if !utf8.ValidString(s) {
			if err == nil {
				t.Fatalf("%q: invalid UTF-8 accepted", s)
			}
			return
		}
		want, werr := Canonicalize(append(append([]byte{'"'}, jsonEscape(s)...), '"'))
		if (err == nil) != (werr == nil) || (err == nil && string(got) != string(want)) {
			t.Fatalf("%q: %s %v, canonical %s %v", s, got, err, want, werr)
		}
	})
}

// jsonEscape is encoding/json's escaping of s without HTML escapes.
func jsonEscape(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := bytes.TrimSpace(b.Bytes())
	return out[1 : len(out)-1]
}

// TestOptionalOperator: the operator field is signed when present, so a signature
// made without it does not verify for a record that names one, nor the other way
// round; a non-string operator is refused.
func TestOptionalOperator(t *testing.T) {
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	without := map[string]any{"grantId": "g-1", "reason": "ended", "keyId": "k", "prevTxId": "t"}
	with := map[string]any{"grantId": "g-1", "reason": "ended", "keyId": "k", "prevTxId": "t", "operator": "clerk1@dept-a"}
	sigWithout, err := Sign(k, KindGrantRevoke, without)
	if err != nil {
		t.Fatal(err)
	}
	sigWith, err := Sign(k, KindGrantRevoke, with)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(&k.PublicKey, KindGrantRevoke, without, sigWithout); err != nil {
		t.Errorf("record without operator: %v", err)
	}
	if err := Verify(&k.PublicKey, KindGrantRevoke, with, sigWith); err != nil {
		t.Errorf("record with operator: %v", err)
	}
	if Verify(&k.PublicKey, KindGrantRevoke, with, sigWithout) == nil {
		t.Error("an operator added after signing verified")
	}
	if Verify(&k.PublicKey, KindGrantRevoke, without, sigWith) == nil {
		t.Error("a signed operator removed after signing verified")
	}
	bad := map[string]any{"grantId": "g-1", "reason": "ended", "keyId": "k", "prevTxId": "t", "operator": 7}
	if _, err := Payload(KindGrantRevoke, bad); !errors.Is(err, ErrNotCanonical) {
		t.Errorf("numeric operator: got %v, want ErrNotCanonical", err)
	}
	for kind := range OptionalFields {
		if _, ok := SignedFields[kind]; !ok {
			t.Errorf("optional fields for unknown kind %s", kind)
		}
	}
}
