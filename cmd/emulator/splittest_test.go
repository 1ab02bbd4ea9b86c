package main

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/api"
	"github.com/scf-emulator/emulator/registry"
)

// fakeGateway answers /release/hello and /direct/hello like the emulator's
// gateway would with alias truth (and version 2 for /direct): routing with
// the registry's Decide and a seeded random source, so the counts are the
// same on every run. Only X-Scf-Version matters to split-test.
func fakeGateway(t *testing.T, truth registry.Alias) string {
	t.Helper()
	compiled := mustCompileAlias(t, truth)
	var mu sync.Mutex // guards src
	src := rand.New(rand.NewPCG(6, 4))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/release/hello":
			mu.Lock()
			p := src.Float64()
			mu.Unlock()
			w.Header().Set("X-Scf-Version", registry.Decide(compiled, headerKeys(r.Header), p).Version)
		case "/direct/hello":
			w.Header().Set("X-Scf-Version", "2")
		default:
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func mustCompileAlias(t *testing.T, a registry.Alias) *registry.CompiledAlias {
	t.Helper()
	c, err := registry.Compile(a)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var splitRoutes = admin.RoutesAnswer{Function: "B", Services: 1, Routes: []splitRoute{
	{Service: "A", Host: "a.localhost", Stage: "release", Path: "/hello", Method: "ANY", Qualifier: "canary"},
	{Service: "A", Host: "a.localhost", Stage: "direct", Path: "/hello", Method: "GET", Qualifier: "2"},
}}

func TestSplitTestCommand(t *testing.T) {
	bob := []registry.VersionMatch{{Version: "2", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"}}
	w := func(x float64) []registry.VersionWeight { return []registry.VersionWeight{{Version: "2", Weight: x}} }
	tests := []struct {
		name     string
		config   registry.Alias // what the server says
		truth    registry.Alias // what the gateway does
		args     []string
		wantCode int
		wantOut  []string
	}{
		{"weights as configured", registry.Alias{FunctionVersion: "1", Weights: w(0.1)}, registry.Alias{FunctionVersion: "1", Weights: w(0.1)},
			nil, 0, []string{"-> canary; weights", "2        10.00%", "OK"}},
		{"gateway sends twice the weight", registry.Alias{FunctionVersion: "1", Weights: w(0.1)}, registry.Alias{FunctionVersion: "1", Weights: w(0.2)},
			nil, 1, []string{"OFF", "split is off: version 1: configured 90.00% is outside"}},
		{"50/50", registry.Alias{FunctionVersion: "1", Weights: w(0.5)}, registry.Alias{FunctionVersion: "1", Weights: w(0.5)},
			nil, 0, []string{"50.00%"}},
		{"header hits a rule", registry.Alias{FunctionVersion: "1", Weights: w(0.1), Matches: bob}, registry.Alias{FunctionVersion: "1", Weights: w(0.1), Matches: bob},
			[]string{"--header", "User=Bob"}, 0, []string{"the headers hit a rule: 100% 2", "100.00%"}},
		{"gateway ignores the rule", registry.Alias{FunctionVersion: "1", Weights: w(0.1), Matches: bob}, registry.Alias{FunctionVersion: "1", Weights: w(0.1)},
			[]string{"--header", "User: Bob"}, 1, []string{"version 1: should get no traffic", "version 2: should get all traffic"}},
		{"sticky, generated users", registry.Alias{FunctionVersion: "1", Weights: w(0.3), StickyHeader: "User"}, registry.Alias{FunctionVersion: "1", Weights: w(0.3), StickyHeader: "User"},
			[]string{"--users", "500"}, 0, []string{"sticky on User: each request carries one of 500 generated users", "intervals count 500 independent users"}},
		{"sticky, one user", registry.Alias{FunctionVersion: "1", Weights: w(0.3), StickyHeader: "User"}, registry.Alias{FunctionVersion: "1", Weights: w(0.3), StickyHeader: "User"},
			[]string{"--header", "User=alice"}, 0, []string{"one user: 100%"}},
		{"sticky ignored by the gateway", registry.Alias{FunctionVersion: "1", Weights: w(0.3), StickyHeader: "User"}, registry.Alias{FunctionVersion: "1", Weights: w(0.3)},
			[]string{"--header", "User=alice"}, 1, []string{"should get no traffic"}},
		{"direct version", registry.Alias{FunctionVersion: "1"}, registry.Alias{FunctionVersion: "1"},
			[]string{"--stage", "direct"}, 0, []string{"-> 2; a version: 100% 2"}},
		{"no such route", registry.Alias{FunctionVersion: "1"}, registry.Alias{FunctionVersion: "1"},
			[]string{"--path", "/nope"}, 1, []string{`no route of the function matches stage "release", path "/nope"`, "A /release/hello ANY -> canary"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg, ep := adminServer(t, api.Options{}, &splitRoutes)
			tc.config.Name = "canary"
			if err := reg.CreateAlias("B", tc.config); err != nil {
				t.Fatal(err)
			}
			tc.truth.Name = "canary"
			gw := fakeGateway(t, tc.truth)
			args := append([]string{"split-test", "B", "--gateway", gw, "-n", "2000", "--concurrency", "8"}, tc.args...)
			if !contains(tc.args, "--stage") {
				args = append(args, "--stage", "release")
			}
			code, out := cli(t, ep, args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tc.wantCode, out)
			}
			for _, want := range tc.wantOut {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q\n%s", want, out)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSplitTestUsage(t *testing.T) {
	_, ep := adminServer(t, api.Options{}, &splitRoutes)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"split-test"}, "usage: emulator split-test FUNCTION"},
		{[]string{"split-test", "B", "--gateway", "http://10.1.2.3:8080"}, "only sends over loopback"},
		{[]string{"split-test", "B", "-n", "0"}, "must be positive"},
		{[]string{"split-test", "B", "--header", "NoValue"}, "want NAME=VALUE"},
	}
	for _, tc := range tests {
		code, out := cli(t, ep, tc.args...)
		if code != 2 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", tc.args, code, out, tc.want)
		}
	}
}
