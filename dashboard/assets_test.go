package dashboard

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestAssets(t *testing.T) {
	src := newFake()
	page := serve(t, src, Options{}, http.MethodGet, "/", nil)
	if page.Code != http.StatusOK {
		t.Fatalf("GET / = %d", page.Code)
	}
	for k, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-cache",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := page.Header().Get(k); got != want {
			t.Errorf("GET / %s = %q, want %q", k, got, want)
		}
	}
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q: want own scripts only", csp)
	}
	html := page.Body.String()
	refs := regexp.MustCompile(`"(/dashboard/([a-z]+\.(?:js|css|svg))\?v=([0-9a-f]{12}))"`).FindAllStringSubmatch(html, -1)
	if len(refs) < 3 {
		t.Fatalf("the page references %d hashed assets, want app.js, style.css and icon.svg: %s", len(refs), html)
	}
	if strings.Contains(html, "http://") || strings.Contains(html, "https://") {
		t.Errorf("the page loads something from another origin; it must work offline")
	}

	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	for _, ref := range refs {
		url, name, tag := ref[1], ref[2], ref[3]
		t.Run(name, func(t *testing.T) {
			rec := serve(t, src, Options{}, http.MethodGet, url, nil)
			if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
				t.Fatalf("GET %s = %d, %d bytes", url, rec.Code, rec.Body.Len())
			}
			if ct := rec.Header().Get("Content-Type"); ct != types[filepath.Ext(name)] {
				t.Errorf("Content-Type = %q", ct)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
				t.Errorf("hashed URL Cache-Control = %q, want immutable", cc)
			}
			etag := rec.Header().Get("ETag")
			if etag != `"`+tag+`"` {
				t.Errorf("ETag = %q, want the hash %q", etag, tag)
			}
			// Without the current hash the file may have changed: revalidate.
			for _, u := range []string{"/dashboard/" + name, "/dashboard/" + name + "?v=000000000000"} {
				if cc := serve(t, src, Options{}, http.MethodGet, u, nil).Header().Get("Cache-Control"); cc != "no-cache" {
					t.Errorf("GET %s Cache-Control = %q, want no-cache", u, cc)
				}
			}
			nm := serve(t, src, Options{}, http.MethodGet, url, http.Header{"If-None-Match": {etag}})
			if nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
				t.Errorf("If-None-Match: %d with %d bytes, want 304 and no body", nm.Code, nm.Body.Len())
			}
		})
	}

	// The modules app.js imports are served too, as JavaScript; without a
	// hash in their URL they are revalidated rather than cached for good.
	var app string
	for _, ref := range refs {
		if ref[2] == "app.js" {
			app = serve(t, src, Options{}, http.MethodGet, ref[1], nil).Body.String()
		}
	}
	imports := regexp.MustCompile(`from '\./([a-z]+\.js)'`).FindAllStringSubmatch(app, -1)
	if len(imports) < 3 {
		t.Errorf("app.js imports %d modules, want its util, chart, aliases and panels modules", len(imports))
	}
	for _, m := range imports {
		rec := serve(t, src, Options{}, http.MethodGet, "/dashboard/"+m[1], nil)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != types[".js"] || rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET /dashboard/%s = %d %q %q", m[1], rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
		}
	}

	for _, tc := range []struct {
		method, target string
		status         int
	}{
		{http.MethodGet, "/dashboard/nope.js", http.StatusNotFound},
		{http.MethodGet, "/dashboard/..%2fgo.mod", http.StatusNotFound}, // files are looked up by name, never on disk
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodPost, "/", http.StatusTeapot},     // the cloud API keeps POST /
		{http.MethodPut, "/", http.StatusTeapot},      // and whatever else / serves
		{http.MethodGet, "/other", http.StatusTeapot}, // the page is at / exactly
		{http.MethodPost, "/emulator/overview", http.StatusTeapot},
	} {
		if rec := serve(t, src, Options{}, tc.method, tc.target, nil); rec.Code != tc.status {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.target, rec.Code, tc.status)
		}
	}
}

// TestScriptParses checks every module with node, which the emulator needs
// anyway for its sample functions; the browser test runs them for real.
func TestScriptParses(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: the browser test still runs the scripts")
	}
	files, err := filepath.Glob(filepath.Join("assets", "*.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in assets: %v", err)
	}
	for _, f := range files {
		src, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(t.Context(), node, "--input-type=module", "--check")
		cmd.Stdin = src
		out, err := cmd.CombinedOutput()
		src.Close()
		if err != nil {
			t.Errorf("node --check %s: %v\n%s", f, err, out)
		}
	}
}
