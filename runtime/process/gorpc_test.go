//go:build unix

package process

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// buildGo1Fixture compiles testdata/go1fn into a fresh code directory.
func buildGo1Fixture(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go toolchain not found: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), goBin, "build", "-o", filepath.Join(dir, "main"), testutil.Testdata(t, "go1fn"))
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/go1fn: %v\n%s", err, out)
	}
	return dir
}

func TestProcessGo1(t *testing.T) {
	dir := buildGo1Fixture(t)
	p := newProcTestRuntime(t, 0)
	spec := testutil.Spec(dir, "Go1", "main")
	in := procStart(t, p, spec)

	res, err := testutil.Invoke(t, in, "req-g1", `{"name":"gina"}`)
	got := testutil.DecodePayload(t, res, err)
	want := map[string]any{
		"version":     "7",
		"env_version": "7",
		"request_id":  "req-g1",
		"function":    "fn",
		"namespace":   "default",
		"memory":      float64(256),
		"time_limit":  float64(4000),
		"deadline_ok": true,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("payload[%s] = %v, want %v", k, got[k], w)
		}
	}
	if env, _ := got["environment"].(map[string]any); env["GREETING"] != "hello" {
		t.Errorf("Environment = %v, want the user variables", got["environment"])
	}
	if !strings.Contains(res.Log, "go1 handler got gina") {
		t.Errorf("log = %q", res.Log)
	}

	_, err = testutil.Invoke(t, in, "req-g2", `{"mode":"error"}`)
	testutil.WantStatus(t, err, scferr.ErrUserCode, "errorString: go boom")

	_, err = testutil.Invoke(t, in, "req-g3", `{"mode":"panic"}`)
	testutil.WantStatus(t, err, scferr.ErrProcessExit, "boundsError: runtime error: index out of range", "main.handler\n\t/src/main.go:42")
}

func TestProcessGo1ExitDuringInvoke(t *testing.T) {
	dir := buildGo1Fixture(t)
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, testutil.Spec(dir, "Go1", ""))
	_, err := testutil.Invoke(t, in, "req-x", `{"mode":"exit"}`)
	testutil.WantStatus(t, err, scferr.ErrProcessExit, "exit status 3")
	testutil.WaitClosed(t, in.Exited(), "Exited")
}

func TestProcessGo1StartFailure(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "main", "#!/bin/sh\necho go1 cannot start >&2\nexit 2\n")
	p := newProcTestRuntime(t, 0)
	_, err := p.Start(t.Context(), testutil.Spec(dir, "Go1", "main"))
	testutil.WantStatus(t, err, scferr.ErrContainerInit, "exit status 2", "go1 cannot start")
}
