package gateway

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHostGuard(t *testing.T) {
	tests := []struct {
		host  string
		names []string
		want  bool
	}{
		{"127.0.0.1:8080", nil, true},
		{"10.1.2.3", nil, true},
		{"[::1]:8080", nil, true},
		{"localhost:8080", nil, true},
		{"LOCALHOST.", nil, true},
		{"a.localhost:8080", nil, true},
		{"host.docker.internal:8080", nil, true},
		{"", nil, true}, // HTTP/1.0: no browser sends none
		{"rebind.test:8080", nil, false},
		{"localhost.evil.test", nil, false},
		{"127.0.0.1.nip.io", nil, false},
		{"dev.example:8080", []string{"dev.example"}, true},
		{"Dev.Example", []string{"dev.example:9000"}, true},
		{"other.example", []string{"dev.example"}, false},
		{"anything.test", []string{"*"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			var logs bytes.Buffer
			called := false
			next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { called = true })
			g := NewHostGuard(next, tt.names, slog.New(slog.NewTextHandler(&logs, nil)))
			for i := range 2 {
				r := httptest.NewRequest(http.MethodGet, "/release/hello", nil)
				r.Host = tt.host
				w := httptest.NewRecorder()
				g.ServeHTTP(w, r)
				if called != tt.want {
					t.Fatalf("Host %q: handler called %v, want %v", tt.host, called, tt.want)
				}
				if tt.want {
					continue
				}
				if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "--gateway-host") ||
					w.Header().Get("Content-Type") != "application/json" {
					t.Errorf("refusal: %d %s %q", w.Code, w.Header().Get("Content-Type"), w.Body)
				}
				if n := strings.Count(logs.String(), "gateway refused"); n != 1 {
					t.Errorf("after %d refusals the log has %d lines, want 1: %s", i+1, n, logs.String())
				}
			}
		})
	}
}

func TestHostGuardAllocatesNothingForAnAllowedHost(t *testing.T) {
	g := NewHostGuard(http.NotFoundHandler(), []string{"dev.example"}, nil)
	for _, h := range []string{"127.0.0.1:8080", "[::1]:8080", "localhost:8080", "a.localhost", "dev.example:8080"} {
		if n := testing.AllocsPerRun(100, func() { _ = g.Allowed(h) }); n != 0 {
			t.Errorf("Allowed(%q) allocates %.0f times", h, n)
		}
	}
}
