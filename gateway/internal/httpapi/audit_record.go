package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// requestRecord names the record a request aimed at, for the access log of a
// request refused before its handler ran (a role refusal): the path's ids, each
// after the collection it belongs to ("exchange/x-1", "catalog/dept-a/item"),
// and for a create with no id in the path the body's id and parties
// ("exchange/x-1 grant/g-1 consumer/dept-b provider/dept-a"). The body is read
// within the route's size limit and only to name the record; nothing else is
// done with it.
func requestRecord(pattern string, r *http.Request) string {
	_, path, _ := strings.Cut(pattern, " ")
	var parts []string
	last := ""
	prevWild := false
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			v := r.PathValue(strings.Trim(seg, "{}."))
			if prevWild && len(parts) > 0 {
				parts[len(parts)-1] += "/" + v
			} else {
				parts = append(parts, singular(last)+"/"+v)
			}
			prevWild = true
			continue
		}
		last, prevWild = seg, false
	}
	if len(parts) > 0 || r.Body == nil || r.Method == http.MethodGet {
		return strings.Join(parts, " ")
	}
	b, err := io.ReadAll(r.Body)
	if err != nil || len(b) == 0 {
		return ""
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	var body map[string]any
	if json.Unmarshal(b, &body) != nil {
		return ""
	}
	str := func(k string) string { s, _ := body[k].(string); return s }
	kind := singular(last)
	if kind == "catalog" && str("provider") != "" && str("id") != "" {
		return "catalog/" + str("provider") + "/" + str("id")
	}
	var out []string
	if id := str("id"); id != "" {
		out = append(out, kind+"/"+id)
	}
	for _, k := range []string{"grantId", "exchangeId", "ticketId", "certificateId"} {
		if v := str(k); v != "" {
			out = append(out, strings.TrimSuffix(k, "Id")+"/"+v)
		}
	}
	for _, k := range []string{"issuer", "consumer", "provider"} {
		if v := str(k); v != "" {
			out = append(out, k+"/"+v)
		}
	}
	return strings.Join(out, " ")
}

// singular is a collection's record kind: "exchanges" -> "exchange".
func singular(collection string) string {
	switch collection {
	case "catalog", "lineage", "trust":
		return collection
	}
	return strings.TrimSuffix(collection, "s")
}
