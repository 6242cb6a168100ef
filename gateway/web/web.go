// Package web serves the certificate verify page: a static HTML page with vanilla
// JavaScript, embedded in the binary, that hashes a document with SM3 in the browser (the
// document never leaves the verifier's machine) and asks GET /api/v1/verify for the verdict.
//
// Handler serves GET / and GET /verify (the page; /verify?id=..&hash=.. is the QR-code link
// and verifies at once), the pages of Pages (/dashboard, /results, /progress) and
// GET /static/... (their scripts and style sheets). Every response carries
// a strict Content-Security-Policy: scripts only from this origin, no inline script.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"slices"
	"time"
)

//go:embed static
var staticFS embed.FS

// Pages are the other pages Handler serves (path → file under static/): the auditor's
// dashboard, the public results (结果公开) and the citizen's progress page. Like the
// verify page they are static; their scripts call the REST API with the same origin.
var Pages = map[string]string{
	"/dashboard": "dashboard.html",
	"/results":   "results.html",
	"/progress":  "progress.html",
}

// ContentSecurityPolicy is the policy sent with every response of Handler. The page uses no
// inline script or style, talks only to its own origin, and may not be framed.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; " +
	"frame-ancestors 'none'"

// asset is one embedded file with its validator.
type asset struct {
	name string // base name, for content type detection
	body []byte
	etag string
}

// assets maps a request path under /static/ (without the prefix) to its file.
var assets = mustLoadAssets()

func mustLoadAssets() map[string]asset {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	m := map[string]asset{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[p] = asset{name: path.Base(p), body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic(err)
	}
	for _, f := range append([]string{"index.html"}, slices.Collect(maps.Values(Pages))...) {
		if _, ok := m[f]; !ok {
			panic("web: static/" + f + " missing")
		}
	}
	return m
}

// Handler returns the handler of the pages: GET / and GET /verify serve the verify page,
// GET /dashboard, /results and /progress the other pages, GET /static/{file} their assets. HEAD works wherever GET does; other paths are 404.
func Handler() http.Handler {
	mux := http.NewServeMux()
	page := assets["index.html"]
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { serve(w, r, page) })
	mux.HandleFunc("GET /verify", func(w http.ResponseWriter, r *http.Request) { serve(w, r, page) })
	for route, file := range Pages {
		a := assets[file]
		mux.HandleFunc("GET "+route, func(w http.ResponseWriter, r *http.Request) { serve(w, r, a) })
	}
	mux.HandleFunc("GET /static/{file...}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.PathValue("file")]
		if !ok || path.Ext(a.name) == ".html" {
			http.NotFound(w, r)
			return
		}
		serve(w, r, a)
	})
	return securityHeaders(mux)
}

// serve writes an asset, answering If-None-Match with 304. Browsers revalidate every
// time (no-cache), so a new binary's page is picked up at once.
func serve(w http.ResponseWriter, r *http.Request, a asset) {
	h := w.Header()
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}
