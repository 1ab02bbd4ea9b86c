package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/api"
	"github.com/scf-emulator/emulator/registry"
)

// aliasServer serves the cloud API over a real registry holding function B
// with versions 1 and 2, on loopback, without any runtime: the alias
// commands need nothing else. It returns the registry and the endpoint.
func aliasServer(t *testing.T, opts api.Options) (*registry.Registry, string) {
	t.Helper()
	return adminServer(t, opts, nil)
}

// adminServer is aliasServer that also answers GET /emulator/routes with
// routes, when given.
func adminServer(t *testing.T, opts api.Options, routes *admin.RoutesAnswer) (*registry.Registry, string) {
	t.Helper()
	reg, err := registry.Open(registry.Options{Dir: t.TempDir(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	src := t.TempDir()
	ctx := context.Background()
	if err := os.WriteFile(filepath.Join(src, "index.py"), []byte("x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := reg.Define(ctx, registry.FunctionSpec{Name: "B", Source: src, Config: registry.FunctionConfig{
		Runtime: "Python3.9", Type: registry.TypeEvent, Handler: "index.main_handler", MemorySize: 128, Timeout: 3}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := reg.Publish(ctx, "B", ""); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", api.New(apiBackend{Registry: reg}, opts))
	if routes != nil {
		mux.HandleFunc("GET /emulator/routes", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(routes)
		})
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return reg, "http://" + ln.Addr().String()
}

// cli runs one emulator command and returns its exit code and output.
func cli(t *testing.T, endpoint string, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), append(args, "--endpoint", endpoint), &out, &errOut)
	return code, out.String() + errOut.String()
}

func TestAliasStickyAndShadowFlags(t *testing.T) {
	reg, ep := aliasServer(t, api.Options{})
	steps := []struct {
		args       []string
		wantOut    string
		wantSticky string
		wantShadow *registry.Shadow
		wantWeight int // number of weighted versions
	}{
		{[]string{"alias", "create", "B", "canary", "--version", "1", "--weight", "2=0.1", "--sticky", "User", "--shadow", "2=0.5"},
			"1 (2:10%), sticky on User, shadow 50% to 2", "User", &registry.Shadow{Version: "2", Weight: 0.5}, 1},
		// Not giving --sticky or --shadow keeps them; the weights are replaced.
		{[]string{"alias", "update", "B", "canary", "--version", "1", "--weight", "V2=0.25"},
			"1 (2:25%), sticky on User, shadow 50% to 2", "User", &registry.Shadow{Version: "2", Weight: 0.5}, 1},
		{[]string{"alias", "update", "B", "canary", "--version", "1", "--shadow", "2=1"},
			"1, sticky on User, shadow 100% to 2", "User", &registry.Shadow{Version: "2", Weight: 1}, 0},
		{[]string{"alias", "update", "B", "canary", "--version", "1", "--sticky", "", "--shadow", ""},
			"-> 1\n", "", nil, 0},
	}
	for _, st := range steps {
		code, out := cli(t, ep, st.args...)
		if code != 0 || !strings.Contains(out, st.wantOut) {
			t.Fatalf("%v: exit %d, output %q; want 0 and %q", st.args, code, out, st.wantOut)
		}
		a, err := reg.Alias("B", "canary")
		if err != nil {
			t.Fatal(err)
		}
		if a.StickyHeader != st.wantSticky || len(a.Weights) != st.wantWeight ||
			(a.Shadow == nil) != (st.wantShadow == nil) || (a.Shadow != nil && *a.Shadow != *st.wantShadow) {
			t.Fatalf("%v: stored %+v (shadow %+v), want sticky %q, shadow %+v, %d weights",
				st.args, a, a.Shadow, st.wantSticky, st.wantShadow, st.wantWeight)
		}
	}

	if code, out := cli(t, ep, "alias", "update", "B", "canary", "--version", "1", "--weight", "2=0.1", "--sticky", "X-User"); code != 0 {
		t.Fatalf("update: %s", out)
	}
	code, out := cli(t, ep, "alias", "get", "B", "canary")
	if code != 0 || !strings.Contains(out, `"StickyHeader": "X-User"`) || strings.Contains(out, "Shadow") {
		t.Errorf("alias get: exit %d\n%s", code, out)
	}
	code, out = cli(t, ep, "alias", "list", "B")
	if code != 0 || !strings.Contains(out, "canary    1 (2:10%), sticky on X-User") || !strings.Contains(out, "$DEFAULT  $LATEST") {
		t.Errorf("alias list: exit %d\n%s", code, out)
	}
}

func TestAliasFlagErrors(t *testing.T) {
	_, ep := aliasServer(t, api.Options{})
	tests := []struct {
		args     []string
		wantCode int
		wantMsg  string
	}{
		{[]string{"--shadow", "2=0"}, 2, "a fraction above 0 and at most 1"},
		{[]string{"--shadow", "2"}, 2, "want VERSION=FRACTION"},
		{[]string{"--shadow", "1=0.1"}, 1, "InvalidParameterValue.RoutingConfig: "},
		{[]string{"--shadow", "7=0.1"}, 1, "shadow version 7"},
		{[]string{"--sticky", "Two Words"}, 1, "is not a header name"},
	}
	for _, tc := range tests {
		args := append([]string{"alias", "create", "B", "bad", "--version", "1"}, tc.args...)
		code, out := cli(t, ep, args...)
		if code != tc.wantCode || !strings.Contains(out, tc.wantMsg) {
			t.Errorf("%v: exit %d %q, want %d and %q", tc.args, code, out, tc.wantCode, tc.wantMsg)
		}
	}
}

// With signature checks on, the requests of our own type are signed like
// the SDK's.
func TestAliasExtensionsSigned(t *testing.T) {
	reg, ep := aliasServer(t, api.Options{SecretID: "AKIDtest", SecretKey: "test-key"})
	t.Setenv("TENCENTCLOUD_SECRET_ID", "AKIDtest")
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "test-key")
	if code, out := cli(t, ep, "alias", "create", "B", "canary", "--version", "1", "--sticky", "User"); code != 0 {
		t.Fatalf("signed create: exit %d %s", code, out)
	}
	if a, _ := reg.Alias("B", "canary"); a.StickyHeader != "User" {
		t.Errorf("sticky = %q", a.StickyHeader)
	}
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "wrong")
	if code, out := cli(t, ep, "alias", "list", "B"); code != 1 || !strings.Contains(out, "AuthFailure.SignatureFailure") {
		t.Errorf("wrong key: exit %d %s, want a signature failure", code, out)
	}
}

// TestAliasUpdateKeepsDescription: a description set elsewhere (emulator.yaml,
// another client) survives an update without -d; -d "" clears it.
func TestAliasUpdateKeepsDescription(t *testing.T) {
	reg, ep := aliasServer(t, api.Options{})
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"alias", "create", "B", "canary", "--version", "1", "-d", "from emulator.yaml"}, "from emulator.yaml"},
		{[]string{"alias", "update", "B", "canary", "--version", "2", "--weight", "1=0.5"}, "from emulator.yaml"},
		{[]string{"alias", "update", "B", "canary", "--version", "2", "-d", "moved"}, "moved"},
		{[]string{"alias", "update", "B", "canary", "--version", "2", "-d", ""}, ""},
	}
	for _, st := range steps {
		if code, out := cli(t, ep, st.args...); code != 0 {
			t.Fatalf("%v: exit %d %s", st.args, code, out)
		}
		a, err := reg.Alias("B", "canary")
		if err != nil {
			t.Fatal(err)
		}
		if a.Description != st.want {
			t.Errorf("after %v: description %q, want %q", st.args, a.Description, st.want)
		}
	}
}
