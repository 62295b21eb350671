package central

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed web
var webFS embed.FS

// RegisterPage serves the figures page at / and its assets under /web/:
// everything embedded, no CDN.
func RegisterPage(mux *http.ServeMux) {
	sub, _ := fs.Sub(webFS, "web")
	files := http.FileServerFS(sub)
	mux.Handle("GET /web/", http.StripPrefix("/web/", files))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, sub, "index.html")
	})
}
