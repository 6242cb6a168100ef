package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"time"
	_ "time/tzdata" // the display time zone is found on machines without a zoneinfo database

	qrcode "github.com/skip2/go-qrcode"
)

// DefaultZone is the time zone times are shown in unless told otherwise.
const DefaultZone = "Asia/Shanghai"

// view is what the printable page shows, decoded leniently from the result.
type view struct {
	Verdict    string     `json:"verdict"`
	Message    string     `json:"message"`
	IssuerName string     `json:"issuerName"`
	Cert       *viewCert  `json:"certificate"`
	Steps      []viewStep `json:"steps"`
	Results    []struct {
		Verdict    string    `json:"verdict"`
		IssuerName string    `json:"issuerName"`
		Cert       *viewCert `json:"certificate"`
	} `json:"results"`
}

type viewCert struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Issuer     string `json:"issuer"`
	DocHash    string `json:"docHash"`
	Status     string `json:"status"`
	ValidFrom  string `json:"validFrom"`
	ValidUntil string `json:"validUntil"`
}

type viewStep struct {
	Step   int    `json:"step"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

var page = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>核验报告 Verification report — {{.R.Verdict}}</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:52rem;margin:1.5rem auto;padding:0 1rem;color:#111}
h1{font-size:1.4rem}.verdict{font-size:1.6rem;font-weight:700;padding:.6rem 1rem;border-radius:.4rem}
.ok{background:#e6f4ea;color:#0b6b2b}.bad{background:#fde8e8;color:#a40e0e}
table{border-collapse:collapse;width:100%;margin:.8rem 0}td,th{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
code{word-break:break-all}.qr{float:right;margin-left:1rem;text-align:center;font-size:.7rem;max-width:11rem}
@media print{body{margin:0}}
</style></head><body>
<div class="qr"><img alt="QR: SM3 of the report" width="160" height="160" src="{{.QR}}"><br>SM3 <code>{{.Hash}}</code></div>
<h1>证照核验报告 · Certificate verification report</h1>
<p class="verdict {{if eq .R.Verdict "VALID"}}ok{{else}}bad{{end}}">{{.R.Verdict}}</p>
{{with .V.Message}}<p>{{.}}</p>{{end}}
<table>
<tr><th>查询 Query</th><td>{{with .R.Query.ID}}id <code>{{.}}</code> {{end}}{{with .R.Query.DocHash}}SM3 <code>{{.}}</code>{{end}}</td></tr>
<tr><th>时间 Time</th><td>{{.Created}}</td></tr>
<tr><th>账本 Ledger</th><td>channel {{.R.Channel}}, height {{.R.Height}} (blocks 0…{{.Last}} at least)</td></tr>
<tr><th>网关 Gateway</th><td>{{.R.Gateway.ID}}, key <code>{{.R.Gateway.KeyID}}</code></td></tr>
</table>
{{with .V.Cert}}<table><tr><th>证照 Certificate</th><td><code>{{.ID}}</code> ({{.Type}})</td></tr>
<tr><th>签发 Issuer</th><td>{{$.V.IssuerName}} ({{.Issuer}})</td></tr>
<tr><th>有效期 Validity</th><td>{{.ValidFrom}} … {{if .ValidUntil}}{{.ValidUntil}}{{else}}—{{end}}</td></tr></table>{{end}}
{{if gt (len .V.Results) 1}}<h2>全部匹配 All certificates for this document</h2><table><tr><th>id</th><th>issuer</th><th>status</th><th>verdict</th></tr>
{{range .V.Results}}<tr><td><code>{{with .Cert}}{{.ID}}{{end}}</code></td><td>{{.IssuerName}} ({{with .Cert}}{{.Issuer}}{{end}})</td><td>{{with .Cert}}{{.Status}}{{end}}</td><td>{{.Verdict}}</td></tr>
{{end}}</table>{{end}}
<h2>步骤 Steps</h2><table><tr><th>#</th><th>check</th><th>result</th><th>code</th><th>detail</th></tr>
{{range .V.Steps}}<tr><td>{{.Step}}</td><td>{{.Name}}</td><td>{{.Status}}</td><td>{{.Code}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
<p style="font-size:.8rem">签名 Signed by the gateway's SM2 key. Check offline:
<code>certledger report verify REPORT.json --bundle bundle.json --pin FINGERPRINT</code>; the hash it prints must equal the one above.</p>
</body></html>
`))

// HTML renders s as a printable page (times in zone, DefaultZone if nil) with a
// QR code of s.Hash().
func HTML(s *Signed, zone *time.Location) ([]byte, error) {
	if zone == nil {
		var err error
		if zone, err = time.LoadLocation(DefaultZone); err != nil {
			return nil, err
		}
	}
	h, err := s.Hash()
	if err != nil {
		return nil, err
	}
	png, err := qrcode.Encode(h, qrcode.Medium, 320)
	if err != nil {
		return nil, fmt.Errorf("encoding the report's QR code: %w", err)
	}
	var v view
	if err := json.Unmarshal(s.Report.Result, &v); err != nil {
		return nil, fmt.Errorf("%w: result: %w", ErrMalformed, err)
	}
	created, err := time.Parse(time.RFC3339Nano, s.Report.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("%w: createdAt: %w", ErrMalformed, err)
	}
	last := "—"
	if s.Report.Height > 0 {
		last = fmt.Sprint(s.Report.Height - 1)
	}
	var buf bytes.Buffer
	err = page.Execute(&buf, map[string]any{
		"R": s.Report, "V": v, "Hash": h, "Last": last,
		"Created": created.In(zone).Format("2006-01-02 15:04:05 MST") + " (" + zone.String() + ")",
		"QR":      template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
