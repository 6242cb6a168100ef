package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPagesRoutes: the dashboard, results and progress pages are served with the
// same headers as the verify page; their HTML files are not served as static files.
func TestPagesRoutes(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for route, file := range Pages {
		for _, p := range []string{route, route + "?year=2026", route + "?ticket=t-1"} {
			resp, err := http.Get(srv.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
				resp.Header.Get("Content-Security-Policy") != ContentSecurityPolicy || body != string(assets[file].body) {
				t.Errorf("GET %s: %d %q", p, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
		resp, err := http.Get(srv.URL + "/static/" + file)
		if err != nil {
			t.Fatal(err)
		}
		_ = readAll(t, resp)
		if resp.StatusCode != 404 {
			t.Errorf("GET /static/%s: %d, want 404", file, resp.StatusCode)
		}
		if !strings.Contains(string(assets[file].body), `src="/static/pages.js"`) {
			t.Errorf("%s does not load pages.js", file)
		}
	}
	for _, f := range []string{"pages.js", "pages.css", "dashboard.js", "results.js", "progress.js"} {
		resp, err := http.Get(srv.URL + "/static/" + f)
		if err != nil {
			t.Fatal(err)
		}
		_ = readAll(t, resp)
		if resp.StatusCode != 200 {
			t.Errorf("GET /static/%s: %d", f, resp.StatusCode)
		}
	}
}
