package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/gateway/web"
	"github.com/certledger/certledger/gateway/web/webtest"
)

const offlineTestPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>offline.js</title></head><body>
<script src="/static/vendor/sm-crypto-v2.js"></script>
<script src="/static/offline.js"></script>
<script src="/offline-test.js"></script>
</body></html>`

// The test script: verify the example bundle and a tampered copy against the pin,
// ask for a key's validity, and time bundle verification.
const offlineTestJS = `'use strict';
document.body.dataset.state = 'running';
(async function () {
  try {
    const pin = new URLSearchParams(location.search).get('pin');
    const get = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const good = await get('/bundle.json'), bad = await get('/tampered.json');
    const r = CertledgerOffline.verifyTrustBundle(good, pin);
    const t = CertledgerOffline.verifyTrustBundle(bad, pin);
    const w = CertledgerOffline.verifyTrustBundle(good, '00'.repeat(32));
    const d = r.bundle.departments[0];
    const a = CertledgerOffline.keyValidAt(r.bundle, d.id, d.keys[0].keyId, '2026-11-20T00:00:00Z');
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) CertledgerOffline.verifyTrustBundle(good, pin);
    window.__result = { ok: r.ok, error: r.error || '', fingerprint: r.fingerprint, tampered: t.code, wrongPin: w.code,
      keyCode: a.code, keyHeight: a.asOfHeight, ms: (performance.now() - t0) / 10, ua: navigator.userAgent };
    document.body.dataset.state = 'done';
  } catch (e) {
    window.__result = { exception: String(e && e.stack || e) };
    document.body.dataset.state = 'error';
  }
})();
`

// TestOfflineJSInChromium loads the vendored library and offline.js in headless
// Chromium under the page's Content-Security-Policy (no eval, scripts from the
// origin only) and checks a trust bundle made by the Go code.
func TestOfflineJSInChromium(t *testing.T) {
	b := webtest.New(t)
	dir := filepath.Join("..", "..", "internal", "trust", "testdata")
	bundle, err := os.ReadFile(filepath.Join(dir, "example-bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	pinRaw, err := os.ReadFile(filepath.Join(dir, "example-bundle.pin"))
	if err != nil {
		t.Fatal(err)
	}
	pin := strings.TrimSpace(string(pinRaw))
	tampered := bytes.Replace(bundle, []byte(`"height": 7`), []byte(`"height": 8`), 1)

	mux := http.NewServeMux()
	mux.Handle("/static/", web.Handler())
	serve := func(path, ctype string, body []byte) {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Security-Policy", web.ContentSecurityPolicy)
			w.Header().Set("Content-Type", ctype)
			_, _ = w.Write(body)
		})
	}
	serve("/offline-test.html", "text/html; charset=utf-8", []byte(offlineTestPage))
	serve("/offline-test.js", "text/javascript; charset=utf-8", []byte(offlineTestJS))
	serve("/bundle.json", "application/json", bundle)
	serve("/tampered.json", "application/json", tampered)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	raw, problems := b.PageResult(t, srv.URL+"/offline-test.html?pin="+pin)
	if len(problems) > 0 {
		t.Fatalf("problems in the page: %q", problems)
	}
	var r struct {
		OK          bool    `json:"ok"`
		Error       string  `json:"error"`
		Fingerprint string  `json:"fingerprint"`
		Tampered    string  `json:"tampered"`
		WrongPin    string  `json:"wrongPin"`
		KeyCode     string  `json:"keyCode"`
		KeyHeight   uint64  `json:"keyHeight"`
		MS          float64 `json:"ms"`
		UA          string  `json:"ua"`
		Exception   string  `json:"exception"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if !r.OK || r.Fingerprint != pin || r.Tampered != "BAD_SIGNATURE" || r.WrongPin != "UNTRUSTED" ||
		r.KeyCode != "KEY_VALID" || r.KeyHeight != 7 {
		t.Fatalf("in Chromium: %s", raw)
	}
	t.Logf("Chromium (%s): example trust bundle verified in %.1f ms", r.UA, r.MS)
}
