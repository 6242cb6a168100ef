package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestHandlerRoutes(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	page := string(assets["index.html"].body)

	tests := []struct {
		method, path string
		status       int
		ctype        string
		body         string // substring of the body, "" = any
	}{
		{"GET", "/", 200, "text/html", "<title>"},
		{"GET", "/verify", 200, "text/html", "<title>"},
		{"GET", "/verify?id=c-1&hash=" + strings.Repeat("a", 64), 200, "text/html", "<title>"},
		{"HEAD", "/verify", 200, "text/html", ""},
		{"GET", "/static/app.js", 200, "text/javascript", "CertledgerSM3"},
		{"GET", "/static/sm3.js", 200, "text/javascript", "0x7380166f"},
		{"GET", "/static/style.css", 200, "text/css", ""},
		{"GET", "/static/index.html", 404, "", ""},
		{"GET", "/static/nope.js", 404, "", ""},
		{"GET", "/static/../web.go", 404, "", ""},
		{"GET", "/other", 404, "", ""},
		{"POST", "/verify", 405, "", ""},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		b := readAll(t, resp)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
			continue
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
			t.Errorf("%s %s: CSP %q", tc.method, tc.path, got)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no nosniff", tc.method, tc.path)
		}
		if tc.status != 200 {
			continue
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
			t.Errorf("%s %s: Content-Type %q, want %s", tc.method, tc.path, ct, tc.ctype)
		}
		if tc.body != "" && !strings.Contains(b, tc.body) {
			t.Errorf("%s %s: body lacks %q", tc.method, tc.path, tc.body)
		}
		if (tc.path == "/" || tc.path == "/verify") && tc.method == "GET" && b != page {
			t.Errorf("%s %s: not the page", tc.method, tc.path)
		}
	}
}

func TestHandlerETag(t *testing.T) {
	h := Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/static/sm3.js", nil))
	etag := rec.Header().Get("ETag")
	if rec.Code != 200 || etag == "" {
		t.Fatalf("status %d etag %q", rec.Code, etag)
	}
	req := httptest.NewRequest("GET", "/static/sm3.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("If-None-Match: status %d, want 304", rec.Code)
	}
}

// TestStaticCSPClean checks that the embedded files need nothing the policy forbids:
// no inline script or event handler, no inline style, nothing loaded from another origin.
func TestStaticCSPClean(t *testing.T) {
	inlineScript := regexp.MustCompile(`(?is)<script(?:\s[^>]*)?>\s*[^<\s]`)
	handlerAttr := regexp.MustCompile(`(?i)<[^>]+\son[a-z]+\s*=`)
	styleAttr := regexp.MustCompile(`(?i)<[^>]+\sstyle\s*=|<style[\s>]`)
	external := regexp.MustCompile(`(?i)(?:src|href|url\()\s*=?\s*["']?(?:https?:)?//`)
	jsURL := regexp.MustCompile(`(?i)javascript:`)
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(staticFS, p)
		s := string(b)
		if strings.HasSuffix(p, ".html") {
			for _, re := range []*regexp.Regexp{inlineScript, handlerAttr, styleAttr, jsURL} {
				if m := re.FindString(s); m != "" {
					t.Errorf("%s: %q is blocked by the CSP", p, m)
				}
			}
			for _, m := range regexp.MustCompile(`(?i)<script[^>]*>`).FindAllString(s, -1) {
				if !strings.Contains(m, `src="/static/`) {
					t.Errorf("%s: script %q not from /static/", p, m)
				}
			}
		}
		if m := external.FindString(s); m != "" {
			t.Errorf("%s: loads from another origin: %q (the page must work offline)", p, m)
		}
		if strings.Contains(s, "innerHTML") || strings.Contains(s, "eval(") || strings.Contains(s, "new Function") {
			t.Errorf("%s: uses innerHTML/eval", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
