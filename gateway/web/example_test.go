package web_test

import (
	"net/http"

	"github.com/certledger/certledger/gateway/web"
)

// The gateway mounts the page beside its API; the more specific API patterns win.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("GET /", web.Handler()) // GET /, GET /verify?id=..&hash=.., GET /static/...
	mux.HandleFunc("GET /api/v1/verify", func(w http.ResponseWriter, r *http.Request) {
		// ... the gateway's verify handler
	})
	_ = http.ListenAndServe // http.ListenAndServe("127.0.0.1:8080", mux)
}
