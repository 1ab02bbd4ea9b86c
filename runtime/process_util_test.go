//go:build unix

package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/scferr"
)

// procTestTimeout bounds every blocking call of the process tests.
const procTestTimeout = 10 * time.Second

// newProcTestRuntime returns a process runtime writing into a temp dir.
func newProcTestRuntime(t *testing.T, initTimeout time.Duration) *Process {
	t.Helper()
	p, err := NewProcess(ProcessOptions{WorkDir: t.TempDir(), InitTimeout: initTimeout})
	if err != nil {
		t.Fatalf("NewProcess: %v", err)
	}
	return p
}

// procTestdata returns the absolute path of testdata/name.
func procTestdata(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// procSpec is a spec for fixture dir with the given runtime and handler.
func procSpec(dir, rt, handler string) Spec {
	return Spec{
		Namespace:  "default",
		Function:   "fn",
		Version:    "7",
		CodeHash:   "h1",
		CodeDir:    dir,
		Runtime:    rt,
		Type:       "event",
		Handler:    handler,
		MemoryMB:   256,
		TimeoutSec: 4,
		Env:        map[string]string{"GREETING": "hello"},
	}
}

// needInterpreter skips the test when name is not installed.
func needInterpreter(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed: %v", name, err)
	}
}

// procStart starts spec and stops the instance when the test ends.
func procStart(t *testing.T, p *Process, spec Spec) Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), procTestTimeout)
	defer cancel()
	in, err := p.Start(ctx, spec)
	if err != nil {
		t.Fatalf("Start(%s %s): %v", spec.Runtime, spec.Handler, err)
	}
	t.Cleanup(func() {
		if err := in.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return in
}

// procInvoke invokes in with event under the test timeout.
func procInvoke(t *testing.T, in Instance, requestID, event string) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), procTestTimeout)
	defer cancel()
	return in.Invoke(ctx, Invocation{RequestID: requestID, Event: []byte(event)})
}

// decodePayload unmarshals a successful result's payload.
func decodePayload(t *testing.T, res Result, err error) map[string]any {
	t.Helper()
	if err != nil {
		t.Fatalf("Invoke: %v (log %q)", err, res.Log)
	}
	var m map[string]any
	if err := json.Unmarshal(res.Payload, &m); err != nil {
		t.Fatalf("payload %q is not a JSON object: %v", res.Payload, err)
	}
	return m
}

// wantStatus fails unless err is an scferr error of class want whose text
// (message and stack trace) contains every one of texts.
func wantStatus(t *testing.T, err error, want *scferr.Error, texts ...string) *scferr.Error {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v (status %d), want status %d", err, scferr.Status(err), want.Status)
	}
	e := scferr.As(err)
	for _, s := range texts {
		if !strings.Contains(e.Message+"\n"+e.StackTrace, s) {
			t.Errorf("error %q / stack %q does not contain %q", e.Message, e.StackTrace, s)
		}
	}
	return e
}

// waitClosed fails unless ch closes within procTestTimeout.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(procTestTimeout):
		t.Fatalf("%s did not happen within %s", what, procTestTimeout)
	}
}

// pidGone reports whether pid no longer runs. Zombies count as gone: in a
// container without an init process nobody may reap them.
func pidGone(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return syscall.Kill(pid, 0) != nil // no /proc outside Linux
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

// instancePID returns the pid of a process instance.
func instancePID(t *testing.T, in Instance) int {
	t.Helper()
	switch v := in.(type) {
	case *apiInstance:
		return v.run.(*child).pid
	case *goInstance:
		return v.run.(*child).pid
	case *webInstance:
		return v.run.(*child).pid
	}
	t.Fatalf("unexpected instance type %T", in)
	return 0
}

// writeScript writes an executable file into dir.
func writeScript(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// killPID kills one process, as something outside the emulator might.
func killPID(pid int) error {
	return syscall.Kill(pid, syscall.SIGKILL)
}
