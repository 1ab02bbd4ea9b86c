//go:build unix

package process

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

func TestProcessCustomRuntime(t *testing.T) {
	testutil.NeedInterpreter(t, "curl")
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, testutil.Spec(testutil.Testdata(t, "custom"), "CustomRuntime", "whatever"))

	res, err := testutil.Invoke(t, in, "req-c1", `{"name":"frank"}`)
	got := testutil.DecodePayload(t, res, err)
	if got["version"] != "7" || got["request_id"] != "req-c1" {
		t.Errorf("payload = %v, want version 7 and request_id req-c1", got)
	}
	if !strings.Contains(res.Log, "custom runtime starting") || !strings.Contains(res.Log, `custom runtime got {"name":"frank"}`) {
		t.Errorf("first log = %q, want the init output and the invocation's", res.Log)
	}

	res, err = testutil.Invoke(t, in, "req-c2", `{"name":"fail"}`)
	testutil.WantStatus(t, err, scferr.ErrUserCode, "custom failure for req-c2")
	if strings.Contains(res.Log, "custom runtime starting") {
		t.Errorf("second log = %q repeats the init output", res.Log)
	}
}

func TestProcessCustomRuntimeScfBootstrap(t *testing.T) {
	testutil.NeedInterpreter(t, "curl")
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(testutil.Testdata(t, "custom"), "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	writeScript(t, dir, "scf_bootstrap", string(b))
	p := newProcTestRuntime(t, 0)
	in := procStart(t, p, testutil.Spec(dir, "CustomRuntime", ""))
	res, err := testutil.Invoke(t, in, "req-s", `{"n":1}`)
	testutil.DecodePayload(t, res, err)
}

func TestProcessCustomRuntimeNotExecutable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// bootstrap takes precedence even when only scf_bootstrap could run.
	writeScript(t, dir, "scf_bootstrap", "#!/bin/sh\nexit 1\n")
	p := newProcTestRuntime(t, 0)
	_, err := p.Start(t.Context(), testutil.Spec(dir, "CustomRuntime", ""))
	testutil.WantStatus(t, err, scferr.ErrContainerInit, "bootstrap file does not exist or is not executable", "bootstrap is not an executable file")
}

func TestProcessStopKillsProcessGroup(t *testing.T) {
	testutil.NeedInterpreter(t, "curl")
	p := newProcTestRuntime(t, 0)
	spec := testutil.Spec(testutil.Testdata(t, "custom"), "CustomRuntime", "")
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	spec.Env["PIDFILE"] = pidFile
	ctx, cancel := context.WithTimeout(t.Context(), procTestTimeout)
	defer cancel()
	in, err := p.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pidFile) // written before init/ready
	if err != nil {
		in.Stop(ctx)
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		in.Stop(ctx)
		t.Fatal(err)
	}
	if pidGone(pid) {
		in.Stop(ctx)
		t.Fatalf("background sleep %d is not running before Stop", pid)
	}
	if err := in.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	testutil.WaitClosed(t, in.Exited(), "Exited after Stop")
	deadline := time.Now().Add(2 * time.Second) // the kernel delivers the signal asynchronously
	for !pidGone(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !pidGone(pid) {
		t.Errorf("background sleep %d survived Stop", pid)
	}
	if err := in.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
