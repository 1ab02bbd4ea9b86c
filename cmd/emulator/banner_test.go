package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fatih/color"
)

// TestBannerRoutesWork: every route URL the banner prints answers. With
// several services the gateway tells them apart by Host <service>.localhost,
// so their URLs carry that host (curl and browsers resolve *.localhost to
// loopback); a bare address would answer 404 "no service match host".
func TestBannerRoutesWork(t *testing.T) {
	tests := []struct {
		name, services string
		want           []string // route URLs, with GW for the gateway's host:port
	}{
		{"one service", "", []string{"http://GW/release/hello"}},
		{"two services", "  Web:\n    stages: {release: release}\n    apis:\n      - {path: /w, method: ANY, function: B}\n",
			[]string{"http://a.localhost:PORT/release/hello", "http://web.localhost:PORT/release/w"}},
		{"an exact and a prefix path", "  Web:\n    stages: {release: release}\n    apis:\n      - {path: =/w, method: ANY, function: B}\n      - {path: ^~/p, method: ANY, function: B}\n",
			[]string{"http://a.localhost:PORT/release/hello", "http://web.localhost:PORT/release/w", "http://web.localhost:PORT/release/p"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := workspace(t)
			if err := os.WriteFile(cfg, []byte(oneFunctionConfig+tc.services), 0o644); err != nil {
				t.Fatal(err)
			}
			app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
			gw, err := url.Parse(app.GatewayURL())
			if err != nil {
				t.Fatal(err)
			}
			color.NoColor = true
			var banner bytes.Buffer
			(&console{out: &banner}).banner(app, "process")
			printed := regexp.MustCompile(`http://\S+/release/\S+`).FindAllString(banner.String(), -1)
			var want []string
			for _, w := range tc.want {
				want = append(want, strings.NewReplacer("GW", gw.Host, "PORT", gw.Port()).Replace(w))
			}
			if strings.Join(printed, " ") != strings.Join(want, " ") {
				t.Fatalf("banner routes %q, want %q:\n%s", printed, want, banner.String())
			}
			for _, u := range printed {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.URL.Host = gw.Host // *.localhost, resolved as curl and browsers do
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s: %s", u, resp.Status)
				}
			}
		})
	}
}
