package certificate_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func goodRecord() certificate.Record {
	return certificate.Record{Fields: certificate.Fields{
		ID: "c-1", DocHash: gm.SM3Hex([]byte("doc")), Type: "business-licence", Issuer: "market",
		HolderCommitment: gm.SM3Hex([]byte("holder")), ValidFrom: "2026-01-01T00:00:00Z", ValidUntil: "2027-01-01T00:00:00Z",
		KeyID: gm.SM3Hex([]byte("key")), Supersedes: "",
	}, Signature: "MEUCIQ=="}
}

func TestRecordValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*certificate.Record)
		ok     bool
	}{
		{"good", func(*certificate.Record) {}, true},
		{"no end", func(r *certificate.Record) { r.ValidUntil = "" }, true},
		{"offset time refused (signed as written, so not normalised)", func(r *certificate.Record) { r.ValidFrom = "2026-01-01T08:00:00+08:00" }, false},
		{"zero offset written +00:00", func(r *certificate.Record) { r.ValidUntil = "2027-01-01T00:00:00+00:00" }, false},
		{"fractional UTC", func(r *certificate.Record) { r.ValidFrom = "2026-01-01T00:00:00.5Z" }, true},
		{"year 1", func(r *certificate.Record) { r.ValidFrom = "0001-01-01T00:00:00Z" }, false},
		{"a second before 1949-10-01", func(r *certificate.Record) { r.ValidFrom = "1949-09-30T23:59:59Z" }, false},
		{"from 1949-10-01", func(r *certificate.Record) { r.ValidFrom = "1949-10-01T00:00:00Z" }, true},
		{"supersedes", func(r *certificate.Record) { r.Supersedes = "c-0" }, true},
		{"empty id", func(r *certificate.Record) { r.ID = "" }, false},
		{"id with space", func(r *certificate.Record) { r.ID = "c 1" }, false},
		{"id too long", func(r *certificate.Record) { r.ID = strings.Repeat("c", 129) }, false},
		{"uppercase hash", func(r *certificate.Record) { r.DocHash = strings.ToUpper(r.DocHash) }, false},
		{"short hash", func(r *certificate.Record) { r.DocHash = r.DocHash[:63] }, false},
		{"empty type", func(r *certificate.Record) { r.Type = "" }, false},
		{"bad issuer", func(r *certificate.Record) { r.Issuer = "a/b" }, false},
		{"commitment not hex", func(r *certificate.Record) { r.HolderCommitment = "110101199001011234" }, false},
		{"empty commitment", func(r *certificate.Record) { r.HolderCommitment = "" }, false},
		{"validFrom missing", func(r *certificate.Record) { r.ValidFrom = "" }, false},
		{"validFrom not RFC 3339", func(r *certificate.Record) { r.ValidFrom = "2026-01-01" }, false},
		{"until before from", func(r *certificate.Record) { r.ValidUntil = "2025-01-01T00:00:00Z" }, false},
		{"until equals from", func(r *certificate.Record) { r.ValidUntil = r.ValidFrom }, false},
		{"bad key id", func(r *certificate.Record) { r.KeyID = "k1" }, false},
		{"supersedes itself", func(r *certificate.Record) { r.Supersedes = r.ID }, false},
		{"no signature", func(r *certificate.Record) { r.Signature = "" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := goodRecord()
			tc.change(&r)
			err := r.Validate()
			if (err == nil) != tc.ok || (err != nil && codes.Code(err) != codes.InvalidArgument) {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestValidateAt: the validity window reaches at most 100 years after the
// transaction time; New applies it.
func TestValidateAt(t *testing.T) {
	for _, tc := range []struct {
		name, from, until string
		ok                bool
	}{
		{"five years", "2026-01-01T00:00:00Z", "2031-01-01T00:00:00Z", true},
		{"exactly 100 years", "2026-01-01T00:00:00Z", "2126-11-28T12:00:00Z", true},
		{"100 years and a second", "2026-01-01T00:00:00Z", "2126-11-28T12:00:01Z", false},
		{"to 9999-12-31", "2026-01-01T00:00:00Z", "9999-12-31T23:59:59Z", false},
		{"open end, start too far", "2200-01-01T00:00:00Z", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := goodRecord()
			r.ValidFrom, r.ValidUntil = tc.from, tc.until
			err := r.ValidateAt(t0)
			if (err == nil) != tc.ok || (err != nil && codes.Code(err) != codes.InvalidArgument) {
				t.Fatalf("ValidateAt = %v, want ok=%v", err, tc.ok)
			}
			if _, err := certificate.New(r, t0, "tx1"); (err == nil) != tc.ok {
				t.Fatalf("New = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestNew(t *testing.T) {
	c, err := certificate.New(goodRecord(), t0, "tx1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != certificate.StatusValid || c.IssuedAt != "2026-11-28T12:00:00Z" || c.UpdatedAt != c.IssuedAt || c.TxID != "tx1" {
		t.Fatalf("certificate = %+v", c)
	}
}

func TestStatusRequestValidate(t *testing.T) {
	good := certificate.StatusRequest{CertificateID: "c-1", Action: "revoke", Reason: "fraud", KeyID: gm.SM3Hex(nil), PrevTxID: "tx1", Signature: "sig"}
	for _, tc := range []struct {
		name   string
		change func(*certificate.StatusRequest)
		ok     bool
	}{
		{"good", func(*certificate.StatusRequest) {}, true},
		{"bad action", func(s *certificate.StatusRequest) { s.Action = "delete" }, false},
		{"no reason", func(s *certificate.StatusRequest) { s.Reason = "" }, false},
		{"no prevTxId", func(s *certificate.StatusRequest) { s.PrevTxID = "" }, false},
		{"bad id", func(s *certificate.StatusRequest) { s.CertificateID = "" }, false},
		{"bad key", func(s *certificate.StatusRequest) { s.KeyID = "x" }, false},
		{"no signature", func(s *certificate.StatusRequest) { s.Signature = "" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.change(&s)
			if err := s.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		from, action string
		prev         string
		to, code     string
	}{
		{certificate.StatusValid, "revoke", "tx1", certificate.StatusRevoked, ""},
		{certificate.StatusSuspended, "revoke", "tx1", certificate.StatusRevoked, ""},
		{certificate.StatusRevoked, "revoke", "tx1", "", codes.IllegalTransition},
		{certificate.StatusSuperseded, "revoke", "tx1", "", codes.IllegalTransition},
		{certificate.StatusValid, "suspend", "tx1", certificate.StatusSuspended, ""},
		{certificate.StatusSuspended, "suspend", "tx1", "", codes.IllegalTransition},
		{certificate.StatusRevoked, "suspend", "tx1", "", codes.IllegalTransition},
		{certificate.StatusSuspended, "reinstate", "tx1", certificate.StatusValid, ""},
		{certificate.StatusValid, "reinstate", "tx1", "", codes.IllegalTransition},
		{certificate.StatusRevoked, "reinstate", "tx1", "", codes.IllegalTransition},
		{certificate.StatusSuperseded, "reinstate", "tx1", "", codes.IllegalTransition},
		{certificate.StatusValid, "revoke", "tx0", "", codes.Conflict}, // stale prevTxId: replay
	} {
		t.Run(tc.from+"/"+tc.action+"/"+tc.prev, func(t *testing.T) {
			c, _ := certificate.New(goodRecord(), t0, "tx1")
			c.Status = tc.from
			before := c
			err := c.Apply(certificate.StatusRequest{CertificateID: "c-1", Action: tc.action, Reason: "why", PrevTxID: tc.prev}, t0.Add(time.Hour), "tx2")
			if codes.Code(err) != tc.code {
				t.Fatalf("Apply = %v, want %q", err, tc.code)
			}
			if err != nil {
				if c != before {
					t.Fatal("a refused action changed the certificate")
				}
				return
			}
			if c.Status != tc.to || c.StatusReason != "why" || c.TxID != "tx2" || c.UpdatedAt != "2026-11-28T13:00:00Z" || c.IssuedAt != "2026-11-28T12:00:00Z" {
				t.Fatalf("after Apply: %+v", c)
			}
		})
	}
	c, _ := certificate.New(goodRecord(), t0, "tx1")
	if err := c.Apply(certificate.StatusRequest{CertificateID: "c-2", Action: "revoke", PrevTxID: "tx1"}, t0, "tx2"); codes.Code(err) != codes.InvalidArgument {
		t.Fatalf("other certificate: %v", err)
	}
}

func TestSupersede(t *testing.T) {
	for _, tc := range []struct {
		from string
		ok   bool
	}{
		{certificate.StatusValid, true},
		{certificate.StatusSuspended, true},
		{certificate.StatusRevoked, false},
		{certificate.StatusSuperseded, false},
	} {
		c, _ := certificate.New(goodRecord(), t0, "tx1")
		c.Status = tc.from
		err := c.Supersede("c-2", t0.Add(time.Hour), "tx2")
		if (err == nil) != tc.ok {
			t.Fatalf("Supersede from %s = %v", tc.from, err)
		}
		if err == nil && (c.Status != certificate.StatusSuperseded || c.SupersededBy != "c-2" || c.TxID != "tx2") {
			t.Fatalf("after Supersede: %+v", c)
		}
		if err != nil && codes.Code(err) != codes.IllegalTransition {
			t.Fatalf("code: %v", err)
		}
	}
}

// Validate reports every bad field at once, each named, as wire.FieldErrors.
func TestValidateListsEveryField(t *testing.T) {
	r := goodRecord()
	r.ID, r.DocHash, r.Signature, r.ValidUntil = "c/1", "ABC", "", "2025-01-01T00:00:00Z"
	err := r.Validate()
	fe, got := testkit.FieldErrors(t, err)
	if got != "id,docHash,validUntil,signature" {
		t.Fatalf("fields %s (%v)", got, err)
	}
	s := certificate.StatusRequest{CertificateID: "c-1", Action: "destroy", KeyID: "k"}
	if err := s.Validate(); !errors.As(err, &fe) || len(fe) != 5 {
		t.Fatalf("StatusRequest.Validate = %v", err)
	}
}

// TestRecordJSONIsFlat: the embedded Fields add no level to a record's JSON,
// and their Go name is not a key a body may use.
func TestRecordJSONIsFlat(t *testing.T) {
	r := goodRecord()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "docHash", "issuer", "keyId", "signature"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("key %q missing from %s", k, b)
		}
	}
	if _, ok := keys["Fields"]; ok {
		t.Errorf("JSON has a Fields level: %s", b)
	}
	var back certificate.Record
	if err := wire.DecodeBytes(b, &back); err != nil || back != r {
		t.Errorf("round trip: %v, %+v", err, back)
	}
	for _, in := range []string{`{"Fields":{"id":"a"}}`, `{"id":"a","Fields":{}}`} {
		var x certificate.Record
		if err := wire.DecodeBytes([]byte(in), &x); !errors.Is(err, wire.ErrUnknownField) {
			t.Errorf("%s: error %v, want an unknown field", in, err)
		}
	}
}
