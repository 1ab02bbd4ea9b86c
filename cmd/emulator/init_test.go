package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/api"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// TestInitProjectsRun: every runtime and type `emulator init` offers gives a
// project that `up` serves as written: the gateway answers through the
// sample's route and an event function answers Invoke. A combination is
// skipped only when this machine lacks the tool the sample runs with.
func TestInitProjectsRun(t *testing.T) {
	tools := map[string][]string{
		"Python3.9/event": {"python3"}, "Python3.9/http": {"python3", "bash"},
		"Nodejs18.15/event": {"node"}, "Nodejs18.15/http": {"node", "bash"},
		"Go1/event": {"go"}, "Go1/http": {"go", "bash"},
		"CustomRuntime/event": {"bash", "curl"}, "CustomRuntime/http": {"bash", "python3"},
	}
	for _, rt := range initRuntimes {
		for _, kind := range []string{"event", "http"} {
			t.Run(rt.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				for _, tool := range tools[rt.name+"/"+kind] {
					if _, err := exec.LookPath(tool); err != nil {
						t.Skipf("%s is not on PATH: the %s %s sample needs it", tool, rt.name, kind)
					}
				}
				dir := filepath.Join(t.TempDir(), "proj")
				var out bytes.Buffer
				if code := run(t.Context(), []string{"init", dir, "--runtime", rt.name, "--type", kind}, &out, &out); code != 0 {
					t.Fatalf("init: exit %d\n%s", code, out.String())
				}
				if !strings.Contains(out.String(), "emulator up") {
					t.Errorf("init does not print the next command:\n%s", out.String())
				}
				if b, err := os.ReadFile(filepath.Join(dir, ".gitignore")); err != nil || !strings.Contains(string(b), ".emulator/") {
					t.Errorf(".gitignore = %q, %v; want the state dir in it", b, err)
				}
				app := runInitProject(t, dir)
				a := get(t, app.GatewayURL()+"/release/hello", nil)
				if a.Status != 200 || !strings.Contains(a.Raw, "hello from") {
					t.Fatalf("GET /release/hello = %d %s", a.Status, a.Raw)
				}
				if kind == "event" {
					req := scf.NewInvokeRequest()
					req.FunctionName, req.ClientContext = common.StringPtr("hello"), common.StringPtr(`{"path":"/x"}`)
					resp, err := sdkClient(t, app).Invoke(req)
					if err != nil || !strings.Contains(deref(resp.Response.Result.RetMsg), "hello from") {
						t.Fatalf("Invoke: %v %v", err, resp)
					}
				}
			})
		}
	}
}

// runInitProject starts `up` on the project in dir with the process runtime
// and the default state dir, as `cd dir && emulator up` would.
func runInitProject(t *testing.T, dir string) *App {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	app, err := NewApp(ctx, AppConfig{
		ConfigPath: filepath.Join(dir, "emulator.yaml"), Runtime: "process", GatewayAddr: "127.0.0.1:0",
		AdminAddr: "127.0.0.1:0", IdleTimeout: time.Minute, MaxInstances: 2,
	})
	if err != nil {
		cancel()
		t.Fatalf("up on the init project: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if _, err := os.Stat(filepath.Join(dir, ".emulator")); err != nil {
		t.Errorf("state dir beside the config: %v", err)
	}
	return app
}

// TestInitRefusesToOverwrite: init names every file that is in the way and
// writes nothing; an existing .gitignore is extended, not replaced.
func TestInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("node_modules/"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := cli2(t, "init", dir); code != 0 {
		t.Fatalf("first init: exit %d %s", code, out)
	}
	gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if !strings.HasPrefix(string(gi), "node_modules/\n") || strings.Count(string(gi), ".emulator/") != 1 {
		t.Errorf(".gitignore after init = %q", gi)
	}
	cfgBefore, _ := os.ReadFile(filepath.Join(dir, "emulator.yaml"))
	code, out := cli2(t, "init", dir)
	for _, name := range []string{"emulator.yaml", filepath.Join("hello", "index.py")} {
		if !strings.Contains(out, filepath.Join(dir, name)) {
			t.Errorf("refusal does not name %s: %s", name, out)
		}
	}
	if code != 1 {
		t.Errorf("second init: exit %d, want 1", code)
	}
	cfgAfter, _ := os.ReadFile(filepath.Join(dir, "emulator.yaml"))
	gi2, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if !bytes.Equal(cfgBefore, cfgAfter) || !bytes.Equal(gi, gi2) {
		t.Errorf("a refused init changed files")
	}
	// Another function beside the first: only the config is in the way.
	code, out = cli2(t, "init", dir, "--name", "other", "--runtime", "Nodejs18.15")
	if code != 1 || !strings.Contains(out, "emulator.yaml") || strings.Contains(out, "index.js") {
		t.Errorf("init --name other: exit %d %s", code, out)
	}
}

// TestHelpEverywhere: every command answers --help, -h and `help CMD` with
// its usage and examples on stdout, exit 0, without running.
func TestHelpEverywhere(t *testing.T) {
	t.Chdir(t.TempDir()) // `up --help` must not start anything here
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}, {c.name, "B", "--help"}} {
			code, out := cli2(t, args...)
			if code != 0 || !strings.Contains(out, "Usage:\n  emulator "+c.name) || !strings.Contains(out, "Examples:") {
				t.Errorf("emulator %s: exit %d\n%s", strings.Join(args, " "), code, out)
			}
		}
	}
	if entries, _ := filepath.Glob("*"); len(entries) > 0 {
		t.Errorf("help left files behind: %v", entries)
	}
	for _, args := range [][]string{{}, {"help"}, {"--help"}, {"-h"}} {
		code, out := cli2(t, args...)
		if code != 0 || !strings.Contains(out, "split-test") || !strings.Contains(out, "--endpoint URL") {
			t.Errorf("emulator %v: exit %d\n%s", args, code, out)
		}
	}
	code, out := cli2(t, "--version")
	if code != 0 || !strings.Contains(out, "commit") || !strings.Contains(out, "go1.") {
		t.Errorf("--version: exit %d\n%s", code, out)
	}
	if code, out := cli2(t, "alias", "--help"); code != 0 || !strings.Contains(out, "--weight VALUE") || !strings.Contains(out, "--endpoint URL") {
		t.Errorf("alias --help lacks its flags:\n%s", out)
	}
}

// TestGlobalEndpointBeforeCommand: --endpoint works before the command, and
// one after it wins.
func TestGlobalEndpointBeforeCommand(t *testing.T) {
	_, ep := aliasServer(t, api.Options{})
	if code, out := cli2(t, "--endpoint", ep, "versions", "B"); code != 0 || !strings.Contains(out, "VERSION") {
		t.Errorf("--endpoint URL versions B: exit %d %s", code, out)
	}
	if code, out := cli2(t, "--endpoint="+ep, "versions", "B"); code != 0 {
		t.Errorf("--endpoint=URL versions B: exit %d %s", code, out)
	}
	if code, out := cli2(t, "--endpoint", closedEndpoint(t), "versions", "B", "--endpoint", ep); code != 0 {
		t.Errorf("the --endpoint after the command must win: exit %d %s", code, out)
	}
}

// cli2 runs one emulator command with exactly these arguments.
func cli2(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(t.Context(), args, &out, &out)
	return code, out.String()
}

// The Node.js web scaffold runs the newest node of /var/lang, by version:
// node10 sorts before node16 and node8 as text.
func TestNodeHTTPScaffoldPicksNewestNode(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script, err := templates.ReadFile("templates/node-http/scf_bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	lang := t.TempDir()
	for _, v := range []string{"node10", "node16", "node8", "node12"} {
		bin := filepath.Join(lang, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, "node"), []byte("#!/bin/sh\necho "+v+" \"$@\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	boot := filepath.Join(dir, "scf_bootstrap")
	if err := os.WriteFile(boot, []byte(strings.ReplaceAll(string(script), "/var/lang/", lang+"/")), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bash, boot).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "node16 app.js" {
		t.Errorf("ran %q, want node16 app.js", got)
	}
}
