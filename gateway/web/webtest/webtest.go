// Package webtest drives the certledger verify page (package web) in a real headless
// Chromium through the Chrome DevTools Protocol (github.com/chromedp/chromedp), for tests.
// It reads what the page shows, not its internals.
//
// The same driver runs against the fake API of the web package's own tests and against a
// real gateway: call RunSuite with the gateway's base URL and files it issued certificates
// for. Chromium is Debian's package chromium (/usr/bin/chromium); New skips the test with
// the reason when it is missing, or fails it when CERTLEDGER_REQUIRE_BROWSER=1 (set it in CI).
package webtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Environment variables read by this package.
const (
	// EnvChromium names the browser binary; default: chromium from Debian, then PATH.
	EnvChromium = "CERTLEDGER_CHROMIUM"
	// EnvRequire, when "1", turns a missing browser into a test failure instead of a skip.
	EnvRequire = "CERTLEDGER_REQUIRE_BROWSER"
	// EnvScreenshots, when set to a folder, saves a PNG of the page after each verification.
	EnvScreenshots = "CERTLEDGER_WEB_SCREENSHOTS"
)

// Timeout bounds one page action (load, hash, verify, read).
const Timeout = 20 * time.Second

// Chromium returns the path of a Chromium binary: $CERTLEDGER_CHROMIUM, /usr/bin/chromium,
// or chromium, chromium-browser, google-chrome found in PATH.
func Chromium() (string, bool) {
	if p := os.Getenv(EnvChromium); p != "" {
		if lp, err := exec.LookPath(p); err == nil {
			return lp, true
		}
		return p, false
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Browser is one headless Chromium; each verification runs in a fresh tab.
type Browser struct {
	ctx    context.Context // browser context
	shots  string
	nshots int
	mu     sync.Mutex
}

// New starts headless Chromium for t and stops it when t ends. Without a browser it skips
// t with the reason (or fails it when CERTLEDGER_REQUIRE_BROWSER=1).
func New(t testing.TB) *Browser {
	t.Helper()
	path, ok := Chromium()
	if !ok {
		msg := "SKIP: no Chromium (looked for $" + EnvChromium + ", /usr/bin/chromium, chromium, chromium-browser, google-chrome in PATH); " +
			"install it with: apt-get update && apt-get install -y chromium"
		if os.Getenv(EnvRequire) == "1" {
			t.Fatal(msg + " (" + EnvRequire + "=1: a browser is required)")
		}
		t.Skip(msg)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// Start the browser now so a broken install fails here, with its own message.
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("starting %s: %v", path, err)
	}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	return &Browser{ctx: bctx, shots: os.Getenv(EnvScreenshots)}
}

// Step is one numbered pipeline step as the page shows it.
type Step struct {
	Step   int    `json:"step"`
	Name   string `json:"name"`
	Status string `json:"status"` // pass | fail | skipped
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Result is what the page shows after a verification.
type Result struct {
	State        string            `json:"state"`        // done | error
	Verdict      string            `json:"verdict"`      // e.g. VALID, NOT_FOUND, REVOKED ("" on error)
	Headline     string            `json:"headline"`     // the big verdict text
	Text         string            `json:"text"`         // the sentence under it
	ComputedHash string            `json:"computedHash"` // SM3 computed in the browser ("" without a file)
	FileStatus   string            `json:"fileStatus"`
	Certificate  map[string]string `json:"certificate"` // field name → shown value
	Steps        []Step            `json:"steps"`
	Error        string            `json:"error"`    // the error shown, if any
	Problems     []string          `json:"-"`        // uncaught exceptions, console errors, CSP violations
	PageText     string            `json:"pageText"` // all visible text of the page
	HashInput    string            `json:"hashInput"`
	IDInput      string            `json:"idInput"`
	NextLink     string            `json:"nextLink"` // href of "verify the certificate that replaces it"
	Message      string            `json:"message"`  // why the headline is what it is (several certificates)
	Matches      []Match           `json:"matches"`  // every certificate for the document, as listed
	Holder       string            `json:"holder"`   // holder proof: MATCH | MISMATCH | ERROR ("" = not run)
	HolderText   string            `json:"holderText"`
	Fingerprint  string            `json:"fingerprint"` // the governance fingerprint shown ("" = none)
	// The offline receipt check: its status line (VALID, ..., ERROR), the time it
	// took in the browser (ms, as the page measured it) and what it says is not known.
	Offline     string   `json:"offline"`
	OfflineText string   `json:"offlineText"`
	OfflineMS   float64  `json:"offlineMs"`
	Unknown     []string `json:"unknown"`
	Layout      Layout   `json:"layout"`
}

// Match is one certificate of the matches list.
type Match struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Verdict string `json:"verdict"`
	Text    string `json:"text"`
}

// Layout is where the verdict, the form and the title are, in CSS pixels from the top
// of the viewport, and the viewport's size.
type Layout struct {
	VerdictTop     float64 `json:"verdictTop"`
	VerdictBottom  float64 `json:"verdictBottom"`
	FormTop        float64 `json:"formTop"`
	HeaderTop      float64 `json:"headerTop"`
	ViewportWidth  float64 `json:"viewportWidth"`
	ViewportHeight float64 `json:"viewportHeight"`
	ScrollWidth    float64 `json:"scrollWidth"` // wider than the viewport = horizontal scrolling
}

// StepByNumber returns step n, or false.
func (r Result) StepByNumber(n int) (Step, bool) {
	for _, s := range r.Steps {
		if s.Step == n {
			return s, true
		}
	}
	return Step{}, false
}

const readJS = `(() => {
  const q = (s) => document.querySelector(s);
  const txt = (s) => { const e = q(s); return e && !e.closest('[hidden]') ? e.textContent.replace(/\s+/g, ' ').trim() : ''; };
  const cert = {};
  document.querySelectorAll('#cert-fields dd').forEach((dd) => { if (!dd.closest('[hidden]')) cert[dd.dataset.field] = dd.textContent; });
  const steps = [...document.querySelectorAll('#steps li')].filter((li) => !li.closest('[hidden]')).map((li) => ({
    step: Number(li.dataset.step), name: (li.querySelector('.name').firstChild || {}).textContent || '',
    status: li.dataset.status, code: (li.querySelector('.code') || {}).textContent || '',
    detail: (li.querySelector('.detail') || {}).textContent || '' }));
  const res = q('#result');
  return {
    state: document.body.dataset.state || '',
    verdict: res.hidden ? '' : (res.dataset.verdict || ''),
    headline: txt('#verdict'), text: txt('#verdict-text'), computedHash: txt('#computed-hash'),
    fileStatus: txt('#file-status'), certificate: cert, steps, error: txt('#form-error'),
    pageText: document.body.innerText, hashInput: q('#hash').value, idInput: q('#cert-id').value,
    nextLink: (q('#superseded-link') || {}).href || '',
    message: txt('#verdict-message'),
    matches: [...document.querySelectorAll('#matches li')].filter((li) => !li.closest('[hidden]')).map((li) => ({
      id: li.dataset.id || li.textContent, status: li.dataset.status || '', verdict: li.dataset.verdict || '',
      text: li.textContent.replace(/\s+/g, ' ').trim() })),
    holder: q('#holder-result') && !q('#holder-result').hidden ? (q('#holder-result').dataset.result || '') : '',
    holderText: txt('#holder-result'),
    fingerprint: (q('#trust-pin') || { dataset: {} }).dataset.fingerprint || '',
    offline: q('#offline-status') && !q('#offline-status').hidden ? (q('#offline-status').dataset.result || '') : '',
    offlineText: txt('#offline-status'),
    offlineMs: Number((q('#offline-status') || { dataset: {} }).dataset.ms || 0),
    unknown: [...document.querySelectorAll('#offline-unknown li')].filter((li) => !li.closest('[hidden]')).map((li) => li.textContent),
    layout: (() => {
      const top = (s) => { const e = q(s); return e ? e.getBoundingClientRect().top : -1; };
      const v = q('#verdict-heading').getBoundingClientRect();
      return { verdictTop: v.top, verdictBottom: v.bottom, formTop: top('#verify-form'), headerTop: top('header.top'),
        viewportWidth: window.innerWidth, viewportHeight: window.innerHeight, scrollWidth: document.documentElement.scrollWidth };
    })(),
  };
})()`

// pending marks the page before an action so the wait below sees that action's outcome.
const markPending = `document.body.dataset.state = 'test-pending'`

const waitDone = `['done', 'error'].includes(document.body.dataset.state)`

// tab opens pageURL in a new tab and returns its context with problems collected.
func (b *Browser) tab(t testing.TB, pageURL string, before ...chromedp.Action[chromedp.Void]) (context.Context, func() []string, context.CancelFunc) {
	t.Helper()
	tctx, cancelTab := chromedp.NewContext(b.ctx)
	ctx, cancelTime := context.WithTimeout(tctx, 3*Timeout)
	var mu sync.Mutex
	var problems []string
	add := func(s string) { mu.Lock(); problems = append(problems, s); mu.Unlock() }
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			add("exception: " + msg)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == "error" || ev.Type == "assert" {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				add("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		case *log.EventEntryAdded:
			// CSP violations come from "security"; a 4xx answer of the API is a "network"
			// error the page handles, not a problem.
			if ev.Entry.Source == "security" || (ev.Entry.Level == "error" && ev.Entry.Source != "network") {
				add("log " + string(ev.Entry.Source) + ": " + ev.Entry.Text + " " + ev.Entry.URL)
			}
		}
	}); err != nil {
		cancelTime()
		cancelTab()
		t.Fatalf("opening a tab: %v", err)
	}
	if err := chromedp.Do(ctx, append(before, chromedp.Navigate(pageURL))...); err != nil {
		cancelTime()
		cancelTab()
		t.Fatalf("loading %s: %v", pageURL, err)
	}
	// Wait until app.js has run (it sets the state) before anything is typed or chosen.
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`!!document.body.dataset.state`,
		chromedp.WithPollingTimeout(Timeout))); err != nil {
		cancelTime()
		cancelTab()
		t.Fatalf("%s: page script did not start: %v", pageURL, err)
	}
	get := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), problems...) }
	return ctx, get, func() { cancelTime(); cancelTab() }
}

func (b *Browser) read(t testing.TB, ctx context.Context, problems func() []string, label string) Result {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](waitDone, chromedp.WithPollingTimeout(Timeout))); err != nil {
		t.Fatalf("%s: the page did not finish verifying: %v", label, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](readJS))
	if err != nil {
		t.Fatalf("%s: reading the page: %v", label, err)
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s: decoding the page: %v (%s)", label, err, raw)
	}
	r.Problems = problems()
	b.screenshot(t, ctx, label)
	return r
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (b *Browser) screenshot(t testing.TB, ctx context.Context, label string) {
	if b.shots == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", label, err)
		return
	}
	b.mu.Lock()
	b.nshots++
	n := b.nshots
	b.mu.Unlock()
	p := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", n, unsafeName.ReplaceAllString(label, "_")))
	if err := os.MkdirAll(b.shots, 0o755); err == nil {
		err = os.WriteFile(p, png, 0o644)
		if err != nil {
			t.Logf("screenshot %s: %v", label, err)
		}
	}
}

// act marks the page's answer pending, runs acts and returns what the page then
// shows (label names its screenshot); what names the step in a failure.
func (b *Browser) act(t testing.TB, ctx context.Context, problems func() []string, label, what string, acts ...chromedp.Action[chromedp.Void]) Result {
	t.Helper()
	pending := []chromedp.Action[chromedp.Void]{chromedp.Evaluate[chromedp.Void](markPending)}
	if err := chromedp.Do(ctx, append(pending, acts...)...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return b.read(t, ctx, problems, label)
}

// typeInto adds typing text into the input with id to acts (nothing when text is "").
func typeInto(acts []chromedp.Action[chromedp.Void], id, text string) []chromedp.Action[chromedp.Void] {
	if text == "" {
		return acts
	}
	return append(acts, chromedp.SendKeys(chromedp.ID(id), text))
}

// upload adds choosing the file at path in the file input with id to acts
// (nothing when path is "").
func upload(t testing.TB, acts []chromedp.Action[chromedp.Void], id, path string) []chromedp.Action[chromedp.Void] {
	t.Helper()
	if path == "" {
		return acts
	}
	return append(acts, chromedp.SetUploadFiles(chromedp.ID(id), []string{abs(t, path)}))
}

func abs(t testing.TB, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// VerifyFile opens pageURL (the page: base URL + "/", or a QR link /verify?id=..&hash=..),
// waits for the link's own verification if it has one, then chooses file in the file
// input (CDP DOM.setFileInputFiles) and returns what the page shows.
func (b *Browser) VerifyFile(t testing.TB, pageURL, file string) Result {
	t.Helper()
	ctx, problems, cancel := b.tab(t, pageURL)
	defer cancel()
	if u, err := url.Parse(pageURL); err == nil && (u.Query().Has("id") || u.Query().Has("hash")) {
		b.read(t, ctx, problems, "link-before-file")
	}
	return b.act(t, ctx, problems, "file-"+filepath.Base(file), "choosing "+file,
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{abs(t, file)}))
}

// OpenLink opens a URL such as a QR link (/verify?id=..&hash=..), which verifies by
// itself, and returns what the page shows.
func (b *Browser) OpenLink(t testing.TB, link string) Result {
	t.Helper()
	ctx, problems, cancel := b.tab(t, link)
	defer cancel()
	return b.read(t, ctx, problems, "link")
}

// OpenLinkOn opens link in a viewport of width × height CSS pixels as a phone does
// (mobile emulation, touch) and returns what the page shows, with its layout.
func (b *Browser) OpenLinkOn(t testing.TB, link string, width, height int64) Result {
	t.Helper()
	ctx, problems, cancel := b.tab(t, link, chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateScale(3)))
	defer cancel()
	return b.read(t, ctx, problems, fmt.Sprintf("link-%dx%d", width, height))
}

// CheckHolder opens pageURL, chooses receipt in the holder proof's file input, types
// holderID, presses "Check holder" and returns what the page shows.
func (b *Browser) CheckHolder(t testing.TB, pageURL, receipt, holderID string) Result {
	t.Helper()
	ctx, problems, cancel := b.tab(t, pageURL)
	defer cancel()
	acts := typeInto(upload(t, nil, "receipt-file", receipt), "holder-id", holderID)
	acts = append(acts, chromedp.Click(chromedp.ID("holder-btn")))
	return b.act(t, ctx, problems, "holder", "holder proof with "+receipt, acts...)
}

// Offline is what VerifyOffline gives the page.
type Offline struct {
	Receipt  string // path of the receipt file
	Document string // path of the document ("" = none)
	Bundle   string // path of a trust bundle file ("" = the one the page loaded)
	Pin      string // typed into the pin field ("" = leave what the page filled in)
}

// VerifyOffline opens pageURL, waits until the page has loaded what it loads
// (the gateway's trust bundle), calls cut — which takes the server away — and
// then runs the offline receipt check with o's files, and returns what the page shows.
func (b *Browser) VerifyOffline(t testing.TB, pageURL string, o Offline, cut func()) Result {
	t.Helper()
	ctx, problems, cancel := b.tab(t, pageURL)
	defer cancel()
	// The page keeps the gateway's bundle for offline checks; wait for that fetch to settle.
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`!!document.body.dataset.bundle`, chromedp.WithPollingTimeout(Timeout))); err != nil {
		t.Fatalf("the page did not finish loading the trust bundle: %v", err)
	}
	if cut != nil {
		cut()
	}
	acts := []chromedp.Action[chromedp.Void]{chromedp.SetUploadFiles(chromedp.ID("offline-receipt"), []string{abs(t, o.Receipt)})}
	acts = upload(t, acts, "offline-doc", o.Document)
	acts = upload(t, acts, "offline-bundle", o.Bundle)
	if o.Pin != "" {
		acts = append(acts, chromedp.Evaluate[chromedp.Void](`document.getElementById('offline-pin').value = ''`),
			chromedp.SendKeys(chromedp.ID("offline-pin"), o.Pin))
	}
	acts = append(acts, chromedp.Click(chromedp.ID("offline-btn")))
	return b.act(t, ctx, problems, "offline-"+filepath.Base(o.Receipt), "offline check of "+o.Receipt, acts...)
}

// VerifyInput opens the page at pageURL, types a certificate id and/or a hash, presses
// Verify and returns what the page shows.
func (b *Browser) VerifyInput(t testing.TB, pageURL, id, hash string) Result {
	t.Helper()
	ctx, problems, cancel := b.tab(t, pageURL)
	defer cancel()
	acts := typeInto(typeInto(nil, "cert-id", id), "hash", hash)
	acts = append(acts, chromedp.Click(chromedp.ID("verify-btn")))
	return b.act(t, ctx, problems, "input", fmt.Sprintf("typing id %q hash %q", id, hash), acts...)
}

// DropFile opens pageURL and drops a file named name holding data onto the page, as a
// drag and drop from the desktop does (a DragEvent whose DataTransfer holds the file), and
// returns what the page shows.
func (b *Browser) DropFile(t testing.TB, pageURL, name string, data []byte) Result {
	t.Helper()
	ctx, problems, cancel := b.tab(t, pageURL)
	defer cancel()
	js := fmt.Sprintf(`(() => {
  const bin = atob(%q), bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], %q, { type: 'application/octet-stream' }));
  const target = document.getElementById('drop');
  for (const type of ['dragenter', 'dragover', 'drop']) {
    target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }
})()`, base64.StdEncoding.EncodeToString(data), name)
	return b.act(t, ctx, problems, "drop-"+name, "dropping "+name, chromedp.Evaluate[chromedp.Void](js))
}
