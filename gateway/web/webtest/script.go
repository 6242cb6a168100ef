package webtest

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"
)

// PageResult opens pageURL — a test page whose own script sets
// document.body.dataset.state to "running", then to "done" (or "error") with its
// answer in window.__result — and returns that answer as JSON together with the
// problems seen meanwhile (uncaught exceptions, console errors, CSP violations).
func (b *Browser) PageResult(t testing.TB, pageURL string) (json.RawMessage, []string) {
	t.Helper()
	ctx, problems, cancel := b.tab(t, pageURL)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](waitDone, chromedp.WithPollingTimeout(3*Timeout))); err != nil {
		t.Fatalf("%s: the page script did not finish: %v (problems: %q)", pageURL, err, problems())
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.__result === undefined ? null : window.__result)`))
	if err != nil {
		t.Fatalf("%s: reading window.__result: %v", pageURL, err)
	}
	return json.RawMessage(raw), problems()
}
