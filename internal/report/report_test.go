package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/report"
	"github.com/certledger/certledger/internal/trust"
)

var at = time.Date(2026, 12, 3, 6, 0, 0, 123456789, time.UTC)

const result = `{"verdict":"CONFLICTING","message":"2 certificates anchor this document and disagree","checkedAt":"2026-12-03T06:00:00Z",` +
	`"certificate":{"id":"lic-a","type":"business-licence","issuer":"dept-a","status":"revoked","validFrom":"2026-01-01T00:00:00Z","validUntil":""},"issuerName":"市场监督管理局",` +
	`"steps":[{"step":1,"name":"format","status":"pass","code":"OK","detail":"well-formed query"},{"step":7,"name":"status","status":"fail","code":"REVOKED","detail":"revoked: fraud"}],` +
	`"results":[{"verdict":"REVOKED","issuerName":"市场监督管理局","certificate":{"id":"lic-a","issuer":"dept-a","status":"revoked"}},{"verdict":"VALID","issuerName":"住建局","certificate":{"id":"house-b","issuer":"dept-b","status":"valid"}}]}`

func signed(t *testing.T) (*report.Signed, trust.GatewayKey) {
	t.Helper()
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.New(report.Query{DocHash: gm.SM3Hex([]byte("doc"))}, "certledger", 12, at, []byte(result))
	if err != nil {
		t.Fatal(err)
	}
	s, err := report.Sign(r, "gw-1", k)
	if err != nil {
		t.Fatal(err)
	}
	g, err := trust.NewGatewayKey("gw-1", &k.PublicKey, at.Add(-time.Hour), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return s, g
}

func TestSignParseVerify(t *testing.T) {
	s, g := signed(t)
	raw, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p, err := report.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(); err != nil {
		t.Fatal(err)
	}
	if p.Report.Verdict != "CONFLICTING" || p.Report.Height != 12 || p.Report.CreatedAt != "2026-12-03T06:00:00.123456789Z" {
		t.Fatalf("report %+v", p.Report)
	}
	h1, _ := s.Hash()
	h2, _ := p.Hash()
	if h1 != h2 || !gmHash(h1) {
		t.Fatalf("hash %s vs %s", h1, h2)
	}
	b := &trust.Bundle{Height: 10, Gateways: []trust.GatewayKey{g}}
	if _, err := p.Trusted(b); err != nil {
		t.Fatal(err)
	}
	// Not listed, listed under another id, or not yet valid: untrusted.
	for name, gw := range map[string][]trust.GatewayKey{
		"absent":        {},
		"another id":    {{ID: "gw-2", KeyID: g.KeyID, PublicKey: g.PublicKey, ValidFrom: g.ValidFrom}},
		"not yet valid": {{ID: "gw-1", KeyID: g.KeyID, PublicKey: g.PublicKey, ValidFrom: "2027-01-01T00:00:00Z"}},
		"expired":       {{ID: "gw-1", KeyID: g.KeyID, PublicKey: g.PublicKey, ValidFrom: g.ValidFrom, ValidUntil: "2026-12-03T05:00:00Z"}},
	} {
		if _, err := p.Trusted(&trust.Bundle{Gateways: gw}); !errors.Is(err, report.ErrUntrusted) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func gmHash(s string) bool { return gm.CheckHash(s) == nil }

// Every edit of a signed report is refused: by Parse (format) or Verify (signature).
func TestTampered(t *testing.T) {
	s, _ := signed(t)
	raw, _ := s.Marshal()
	other, _ := gm.GenerateKey()
	otherPEM, _ := gm.MarshalPublicKeyPEM(&other.PublicKey)
	for _, tc := range []struct{ name, from, to string }{
		{"verdict", `"verdict": "CONFLICTING"`, `"verdict": "VALID"`},
		{"height", `"height": 12`, `"height": 13`},
		{"time", `06:00:00.123456789Z`, `07:00:00.123456789Z`},
		{"result step", `revoked: fraud`, `revoked: none`},
		{"gateway id", `"id": "gw-1"`, `"id": "gw-9"`},
		{"unknown field", `"channel": "certledger"`, `"channel": "certledger", "x": 1`},
		{"duplicate key", `"channel": "certledger"`, `"channel": "certledger", "channel": "x"`},
		{"signature", `"signature": "M`, `"signature": "N`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(raw, []byte(tc.from)) {
				t.Skipf("%q not in %s", tc.from, raw) // the table names text the report holds
			}
			edited := bytes.Replace(raw, []byte(tc.from), []byte(tc.to), 1)
			p, err := report.Parse(edited)
			if err == nil {
				err = p.Verify()
			}
			if err == nil {
				t.Fatalf("edited report accepted")
			}
		})
	}
	// Only the result's verdict edited (the last occurrence): Validate refuses the disagreement.
	i := bytes.LastIndex(raw, []byte(`"verdict": "CONFLICTING"`))
	edited := append(append(append([]byte{}, raw[:i]...), `"verdict": "VALID"`...), raw[i+len(`"verdict": "CONFLICTING"`):]...)
	if _, err := report.Parse(edited); !errors.Is(err, report.ErrMalformed) {
		t.Fatalf("result verdict edited: %v", err)
	}
	// Another key swapped in: the key id no longer matches, or the signature fails.
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	m["report"].(map[string]any)["gateway"].(map[string]any)["publicKey"] = string(otherPEM)
	edited, _ = json.Marshal(m)
	if _, err := report.Parse(edited); !errors.Is(err, report.ErrMalformed) {
		t.Fatalf("key swap: %v", err)
	}
	if _, err := report.Parse(append(raw, '{')); !errors.Is(err, report.ErrMalformed) {
		t.Fatalf("trailing data: %v", err)
	}
}

func TestNewRefusesAnswerWithoutVerdict(t *testing.T) {
	if _, err := report.New(report.Query{ID: "c-1"}, "ch", 1, at, []byte(`{"steps":[]}`)); !errors.Is(err, report.ErrMalformed) {
		t.Fatal(err)
	}
	if _, err := report.New(report.Query{ID: "c-1"}, "ch", 1, at, []byte(`{"verdict":"VALID","x":1.5}`)); !errors.Is(err, report.ErrMalformed) {
		t.Fatal(err)
	}
}

func TestHTML(t *testing.T) {
	s, _ := signed(t)
	page, err := report.HTML(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := s.Hash()
	for _, want := range []string{"CONFLICTING", h, "data:image/png;base64,", "2026-12-03 14:00:00 CST (Asia/Shanghai)",
		"住建局 (dept-b)", "revoked: fraud", "blocks 0…11"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(string(page), ".123456789") {
		t.Error("page shows nanoseconds")
	}
}
