package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"time"
)

//go:embed assets
var assetFS embed.FS

// contentTypes are set explicitly: the system's MIME table varies between
// machines, and a wrong type with nosniff breaks the page.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// csp allows only the page's own files: no inline script, no CDN.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type asset struct {
	body  []byte
	ctype string
	tag   string // short content hash: the ETag and the cache-busting query
}

// assets holds the embedded files, and the page with its references
// rewritten to carry each file's hash, so the files can be cached for good
// and a new build is still picked up at once.
type assets struct {
	files map[string]*asset // by file name, e.g. app.js
	index *asset
}

func loadAssets() *assets {
	a := &assets{files: map[string]*asset{}}
	entries, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		panic("dashboard: embedded assets missing: " + err.Error()) // a build defect, not a runtime condition
	}
	for _, e := range entries {
		b, err := assetFS.ReadFile("assets/" + e.Name())
		if err != nil {
			panic("dashboard: embedded asset unreadable: " + err.Error())
		}
		a.files[e.Name()] = newAsset(e.Name(), b)
	}
	page := a.files["index.html"]
	delete(a.files, "index.html")
	body := page.body
	for name, f := range a.files {
		body = bytes.ReplaceAll(body, []byte(`"/dashboard/`+name+`"`), []byte(`"/dashboard/`+name+`?v=`+f.tag+`"`))
	}
	a.index = newAsset("index.html", body)
	return a
}

func newAsset(name string, b []byte) *asset {
	sum := sha256.Sum256(b)
	ct := contentTypes[path.Ext(name)]
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &asset{body: b, ctype: ct, tag: hex.EncodeToString(sum[:6])}
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
	// Revalidate every time: the page names the current assets' hashes.
	serveAssetFile(w, r, h.assets.index, "no-cache")
}

func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	f, ok := h.assets.files[r.PathValue("file")]
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("no such dashboard file\n"))
		return
	}
	cache := "no-cache"
	if r.URL.Query().Get("v") == f.tag {
		cache = "public, max-age=31536000, immutable"
	}
	serveAssetFile(w, r, f, cache)
}

func serveAssetFile(w http.ResponseWriter, r *http.Request, f *asset, cache string) {
	etag := `"` + f.tag + `"`
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", cache)
	// ServeContent answers If-None-Match from this ETag with 304.
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
