package main

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/reqlog"
)

// testConfig wires every sample function; B has a 1 s timeout so the timeout
// path is quick to exercise.
const testConfig = `functions:
  B:
    source: ./sample-functions/python-event
    runtime: Python3.9
    handler: index.main_handler
    timeout: 1
    environment: {variables: {GREETING: hello}}
    aliases:
      release: {version: $LATEST}
      prepub: {version: $LATEST}
  hello-node:
    source: ./sample-functions/node-event
    runtime: Nodejs16.13
    handler: index.main_handler
  hello-go:
    source: ./sample-functions/go-event
    runtime: Go1
    handler: main
    build: CGO_ENABLED=0 go build -o main .
  hello-custom:
    source: ./sample-functions/custom-runtime
    runtime: CustomRuntime
  hello-web:
    source: ./sample-functions/web-function
    runtime: Python3.9
    type: http
services:
  A:
    stages: {release: release, prepub: prepub, dev: $DEFAULT}
    apis:
      - {path: /hello, method: ANY, function: B}
      - {path: /node, method: ANY, function: hello-node, stages: {release: $DEFAULT, prepub: $DEFAULT}}
      - {path: /go, method: ANY, function: hello-go, stages: {release: $DEFAULT, prepub: $DEFAULT}}
      - {path: /custom, method: ANY, function: hello-custom, stages: {release: $DEFAULT, prepub: $DEFAULT}}
      - {path: /web, method: ANY, function: hello-web, stages: {release: $DEFAULT, prepub: $DEFAULT}}
`

// workspace copies the sample functions into a temp dir (hot-reload tests edit
// them) with the test config beside them, and returns the config path.
func workspace(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	src, err := filepath.Abs("../../sample-functions")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(dir, "sample-functions", rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if d.Name() == "main" && strings.Contains(p, "go-event") {
			return nil // a stale local build; the config's build makes a fresh one
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	// Outside the repository the Go sample needs a module of its own.
	goMod := filepath.Join(dir, "sample-functions", "go-event", "go.mod")
	if _, err := os.Stat(goMod); os.IsNotExist(err) {
		if err := os.WriteFile(goMod, []byte("module goevent\n\ngo 1.26\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "emulator.yaml")
	if err := os.WriteFile(cfg, []byte(testConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startApp runs an App on loopback :0 ports until the test ends or stop is
// called (restart tests stop early).
func startApp(t testing.TB, cfgPath, stateDir string) (app *App, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var err error
	app, err = NewApp(ctx, AppConfig{
		ConfigPath: cfgPath, Runtime: testRuntime(), GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		StateDir: stateDir, Seed: 7, IdleTimeout: time.Minute, MaxInstances: 8,
		RecordRequests: reqlog.DefaultPerFunction, // as emulator up records by default
	})
	if err != nil {
		cancel()
		t.Fatalf("NewApp: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)
	return app, stop
}

func sdkClient(t testing.TB, app *App) *scf.Client {
	t.Helper()
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = strings.TrimPrefix(app.AdminURL(), "http://")
	cpf.HttpProfile.Scheme = "http"
	cpf.HttpProfile.ReqTimeout = 120 // seconds, a hang guard
	c, err := scf.NewClient(common.NewCredential("id", "key"), "ap-guangzhou", cpf)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// answer is a gateway response reduced to what the tests check.
type answer struct {
	Status    int
	Version   string // X-Scf-Version
	Route     string // X-Scf-Route
	SCFStatus string // X-Scf-Status
	Body      map[string]any
	Raw       string
}

func get(t testing.TB, url string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Version: resp.Header.Get("X-Scf-Version"), Route: resp.Header.Get("X-Scf-Route"),
		SCFStatus: resp.Header.Get("X-Scf-Status"), Raw: string(raw)}
	_ = json.Unmarshal(raw, &a.Body)
	return a
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", within, what)
}

// testRuntime is the runtime the in-process apps use: process, unless
// EMULATOR_TEST_RUNTIME says docker (benchmarks of the docker mode).
func testRuntime() string {
	if rt := os.Getenv("EMULATOR_TEST_RUNTIME"); rt != "" {
		return rt
	}
	return "process"
}

// oneFunctionConfig is python function B alone behind stage release of
// service A, so the app starts fast: the config of the rollout and
// dashboard tests.
const oneFunctionConfig = `functions:
  B:
    source: ./sample-functions/python-event
    runtime: Python3.9
    handler: index.main_handler
    aliases:
      release: {version: $LATEST}
services:
  A:
    stages: {release: release}
    apis:
      - {path: /hello, method: ANY, function: B}
`
