package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// versionServer answers version "1" to three requests out of four and "2" to
// the fourth, and counts what it received.
func versionServer(t *testing.T, seen *atomic.Int64, wantHeader string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := seen.Add(1)
		if wantHeader != "" && r.Header.Get("User") != wantHeader {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		v := "1"
		if n%4 == 0 {
			v = "2"
		}
		w.Header().Set("X-Scf-Version", v)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRunCountsVersionsAndStatus(t *testing.T) {
	var seen atomic.Int64
	srv := versionServer(t, &seen, "Bob")
	var out, errOut bytes.Buffer
	code := runMain(t.Context(), []string{"-url", srv.URL, "-n", "200", "-c", "8", "-H", "User: Bob", "-json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var s summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("-json output %q: %v", out.String(), err)
	}
	if got := seen.Load(); got != 200 {
		t.Errorf("server saw %d requests, want exactly 200", got)
	}
	if s.Completed != 200 || s.Errors != 0 || s.TimedOut {
		t.Errorf("completed %d errors %d timed out %v, want 200 0 false", s.Completed, s.Errors, s.TimedOut)
	}
	if s.Versions["1"] != 150 || s.Versions["2"] != 50 || s.Status["200"] != 200 {
		t.Errorf("versions %v status %v, want 1=150 2=50 and 200=200", s.Versions, s.Status)
	}
	if s.P50ms <= 0 || s.P50ms > s.P90ms || s.P90ms > s.P99ms || s.P99ms > s.MaxMs || s.RPS <= 0 {
		t.Errorf("inconsistent stats: %+v", s)
	}
}

func TestRunMainFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"missing url", []string{"-n", "1"}, 2},
		{"bad header", []string{"-url", "http://127.0.0.1:1", "-H", "nocolon"}, 2},
		{"zero requests", []string{"-url", "http://127.0.0.1:1", "-n", "0"}, 2},
		{"not http", []string{"-url", "ftp://x"}, 2},
		{"nothing answers", []string{"-url", "http://127.0.0.1:1", "-n", "3", "-c", "2"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if got := runMain(ctx, tc.args, &out, &errOut); got != tc.want {
				t.Errorf("exit %d, want %d; stderr %s", got, tc.want, errOut.String())
			}
		})
	}
}

func TestTextOutput(t *testing.T) {
	var seen atomic.Int64
	srv := versionServer(t, &seen, "")
	var out, errOut bytes.Buffer
	if code := runMain(t.Context(), []string{"-url", srv.URL, "-n", "8", "-c", "2"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"req/s", "p50", "p90", "p99", "max", "version    1=6 2=2", "status     200=8"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out.String())
		}
	}
}
