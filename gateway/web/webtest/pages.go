package webtest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// Tab is one open page (the dashboard, the results or the progress page), for tests
// that drive it step by step: type, click, wait for body[data-state], read with a
// script, save a screenshot.
type Tab struct {
	t        testing.TB
	ctx      context.Context
	problems func() []string
	cancel   context.CancelFunc
}

// Open loads pageURL in a new tab and waits until the page's script has started
// (body[data-state] set). Close it when done (t's cleanup also does).
func (b *Browser) Open(t testing.TB, pageURL string) *Tab {
	t.Helper()
	ctx, problems, cancel := b.tab(t, pageURL)
	tab := &Tab{t: t, ctx: ctx, problems: problems, cancel: cancel}
	t.Cleanup(cancel)
	return tab
}

// Close closes the tab.
func (tb *Tab) Close() { tb.cancel() }

// Problems are the uncaught exceptions, console errors and CSP violations seen so far.
func (tb *Tab) Problems() []string { return tb.problems() }

// ExpectNoProblems fails the test on any problem seen so far.
func (tb *Tab) ExpectNoProblems() {
	tb.t.Helper()
	for _, p := range tb.problems() {
		tb.t.Errorf("page problem: %s", p)
	}
}

// Do runs chromedp actions in the tab (SendKeys, Click, SetValue...).
func (tb *Tab) Do(what string, acts ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, acts...); err != nil {
		tb.t.Fatalf("%s: %v (problems: %q)", what, err, tb.problems())
	}
}

// MarkPending sets body[data-state] to test-pending, so that WaitFor sees the outcome
// of the next action rather than the state before it.
func (tb *Tab) MarkPending() {
	tb.t.Helper()
	tb.Do("marking the page", chromedp.Evaluate[chromedp.Void](markPending))
}

// WaitFor polls the JavaScript condition cond until it is true (Timeout).
func (tb *Tab) WaitFor(what, cond string) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(Timeout))); err != nil {
		text, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		tb.t.Fatalf("waiting for %s (%s): %v\nproblems: %q\npage: %s", what, cond, err, tb.problems(), text)
	}
}

// WaitState waits until body[data-state] is one of states ("done", "error", ...).
func (tb *Tab) WaitState(states ...string) string {
	tb.t.Helper()
	js, _ := json.Marshal(states)
	tb.WaitFor("page state "+string(js), string(js)+`.includes(document.body.dataset.state)`)
	var s string
	tb.Eval(`document.body.dataset.state`, &s)
	return s
}

// Eval evaluates a JavaScript expression and decodes its value into out.
func (tb *Tab) Eval(expr string, out any) {
	tb.t.Helper()
	raw, err := chromedp.Run(tb.ctx, chromedp.Evaluate[json.RawMessage](expr))
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", expr, err)
	}
}

// Text returns the visible text of the element selected by the CSS selector sel ("" if none).
func (tb *Tab) Text(sel string) string {
	tb.t.Helper()
	js, _ := json.Marshal(sel)
	var s string
	tb.Eval(`(() => { const e = document.querySelector(`+string(js)+`); return e && !e.closest('[hidden]') ? e.innerText.replace(/\s+/g, ' ').trim() : ''; })()`, &s)
	return s
}

// Screenshot saves a PNG of the whole page as dir/name.png and returns its path.
func (tb *Tab) Screenshot(dir, name string) string {
	tb.t.Helper()
	return tb.saveShot(dir, name, chromedp.FullScreenshot(100)) // 100: PNG (lower is JPEG)
}

// ScreenshotView saves a PNG of what the window shows (the top of the page, or where
// it was scrolled to) as dir/name.png and returns its path.
func (tb *Tab) ScreenshotView(dir, name string) string {
	tb.t.Helper()
	return tb.saveShot(dir, name, chromedp.CaptureScreenshot())
}

// saveShot runs capture and writes the PNG it returns as dir/name.png.
func (tb *Tab) saveShot(dir, name string, capture chromedp.Action[[]byte]) string {
	tb.t.Helper()
	png, err := chromedp.Run(tb.ctx, capture)
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	p := filepath.Join(dir, unsafeName.ReplaceAllString(name, "_")+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	return p
}

// ShotDir is where a test saves its screenshots: $CERTLEDGER_WEB_SCREENSHOTS when set
// (to keep them), else a folder of t's temporary directory.
func ShotDir(t testing.TB) string {
	if d := os.Getenv(EnvScreenshots); d != "" {
		return d
	}
	return filepath.Join(t.TempDir(), "screenshots")
}
