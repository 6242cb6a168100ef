package httpapi

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

type openapiDoc struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components"`
}

func loadDoc(t *testing.T) (openapiDoc, []byte) {
	t.Helper()
	e := newEnv(t, nil)
	r := e.do("GET", "/api/v1/openapi.json", "", nil)
	if r.status != 200 {
		t.Fatal(r.status)
	}
	return parseDoc(t, r.body), r.body
}

// parseDoc decodes an OpenAPI document or one of its fragments.
func parseDoc(t *testing.T, raw []byte) openapiDoc {
	t.Helper()
	var d openapiDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// operations lists "METHOD /path" of every operation the document describes.
func (d openapiDoc) operations() map[string]bool {
	out := map[string]bool{}
	for path, ops := range d.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			out[strings.ToUpper(method)+" "+path] = true
		}
	}
	return out
}

// checkFragment compares the operations of fragment name with the patterns of
// the routes it documents.
func checkFragment(t *testing.T, name string, frag openapiDoc, patterns []string) {
	t.Helper()
	inDoc := frag.operations()
	for _, p := range patterns {
		if !inDoc[p] {
			t.Errorf("route %s is not in %s", p, name)
		}
		delete(inDoc, p)
	}
	for d := range inDoc {
		t.Errorf("%s documents %s, which no route serves", name, d)
	}
}

// documented lists "METHOD /path" of every registered route meant for the document.
func documented(t *testing.T) map[string]bool {
	e := newEnv(t, func(o *Options) { o.Web = http404{} })
	out := map[string]bool{}
	for _, r := range e.srv.Routes() {
		if r.Undocumented {
			continue
		}
		method, path, ok := strings.Cut(r.Pattern, " ")
		if !ok {
			t.Fatalf("route %q has no method", r.Pattern)
		}
		out[method+" "+path] = true
	}
	return out
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, _ := loadDoc(t)
	routes := documented(t)
	inDoc := doc.operations()
	for r := range routes {
		if !inDoc[r] {
			t.Errorf("route %s is not in the OpenAPI document (add it to an openapi/*.json fragment)", r)
		}
	}
	for d := range inDoc {
		if !routes[d] {
			t.Errorf("OpenAPI documents %s, which no route serves", d)
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc, raw := loadDoc(t)
	for _, m := range regexp.MustCompile(`"\$ref": "#/components/([^/]+)/([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := doc.Components[m[1]][m[2]]; !ok {
			t.Errorf("dangling $ref %s/%s", m[1], m[2])
		}
	}
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			var o struct {
				OperationID string                     `json:"operationId"`
				Responses   map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(op, &o); err != nil || o.OperationID == "" || len(o.Responses) == 0 {
				t.Errorf("%s %s: needs operationId and responses", method, path)
			}
			if ids[o.OperationID] {
				t.Errorf("duplicate operationId %s", o.OperationID)
			}
			ids[o.OperationID] = true
		}
	}
}

// TestAPIDocCoversOpenAPI keeps the API reference in step with the document:
// every "METHOD /path" of the OpenAPI document appears in docs/api.md or in the
// docs/*.md of the resource (docs/exchange.md, docs/workorders.md, ...).
func TestAPIDocCoversOpenAPI(t *testing.T) {
	doc, _ := loadDoc(t)
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "docs", "*.md"))
	if len(files) == 0 {
		t.Skip("docs/*.md not found")
	}
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	var missing []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if s := strings.ToUpper(method) + " " + path; !strings.Contains(all.String(), s) {
				missing = append(missing, s)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no docs/*.md documents:\n  %s", strings.Join(missing, "\n  "))
	}
}

func TestOpenAPIFragmentsMerge(t *testing.T) {
	if _, err := assembleOpenAPI("https://verify.example.gov"); err != nil {
		t.Fatal(err)
	}
}

type http404 struct{}

func (http404) ServeHTTP(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }
