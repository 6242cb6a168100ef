package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// The OpenAPI document is base.json plus every other openapi/*.json fragment. A
// fragment is {"paths": {...}, "components": {"schemas": {...}, ...}}; it may add
// paths, methods of a path and components, never redefine one.
//
//go:embed openapi/*.json
var openapiFS embed.FS

// OpenAPI returns the assembled document (for tools that write docs/openapi.json).
func OpenAPI(publicURL string) ([]byte, error) { return assembleOpenAPI(publicURL) }

func assembleOpenAPI(publicURL string) ([]byte, error) {
	names, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	doc, err := readJSONObject("openapi/base.json")
	if err != nil {
		return nil, err
	}
	paths := object(doc, "paths")
	components := object(doc, "components")
	for _, name := range names {
		if name == "openapi/base.json" {
			continue
		}
		frag, err := readJSONObject(name)
		if err != nil {
			return nil, err
		}
		for k := range frag {
			if k != "paths" && k != "components" {
				return nil, fmt.Errorf("openapi fragment %s: only paths and components allowed, found %q", path.Base(name), k)
			}
		}
		for p, ops := range object(frag, "paths") {
			opsMap, ok := ops.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("openapi fragment %s: path %s is not an object", path.Base(name), p)
			}
			dst := object(paths, p)
			for m, op := range opsMap {
				if _, dup := dst[m]; dup {
					return nil, fmt.Errorf("openapi fragment %s: %s %s defined twice", path.Base(name), m, p)
				}
				dst[m] = op
			}
		}
		for section, entries := range object(frag, "components") {
			em, ok := entries.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("openapi fragment %s: components.%s is not an object", path.Base(name), section)
			}
			dst := object(components, section)
			for k, v := range em {
				if _, dup := dst[k]; dup {
					return nil, fmt.Errorf("openapi fragment %s: components.%s.%s defined twice", path.Base(name), section, k)
				}
				dst[k] = v
			}
		}
	}
	if publicURL != "" {
		doc["servers"] = []any{map[string]any{"url": publicURL}}
	}
	return json.MarshalIndent(doc, "", "  ")
}

func readJSONObject(name string) (map[string]any, error) {
	b, err := openapiFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("openapi fragment %s: %w", path.Base(name), err)
	}
	return m, nil
}

// object returns m[key] as an object, creating it when absent.
func object(m map[string]any, key string) map[string]any {
	if v, ok := m[key].(map[string]any); ok {
		return v
	}
	v := map[string]any{}
	m[key] = v
	return v
}
