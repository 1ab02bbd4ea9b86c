package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestGatewayErrorsShowUserCodeRoot: a Python function that raises and a
// Node.js one that throws answer through the gateway with a stack trace
// that names /var/user, as the platform does, and no host path.
func TestGatewayErrorsShowUserCodeRoot(t *testing.T) {
	cfg := workspace(t)
	state := t.TempDir()
	app, _ := startApp(t, cfg, state)
	for path, file := range map[string]string{"/release/hello": "/var/user/index.py", "/release/node": "/var/user/index.js"} {
		t.Run(path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, app.GatewayURL()+path+"?fail=1", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body := string(b)
			if !strings.Contains(body, file) {
				t.Errorf("body %s lacks %s", body, file)
			}
			for _, host := range []string{state, filepath.Dir(cfg)} {
				if strings.Contains(body, host) {
					t.Errorf("body %s shows the host path %s", body, host)
				}
			}
		})
	}
}
