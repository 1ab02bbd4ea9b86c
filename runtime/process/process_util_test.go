//go:build unix

package process

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
)

// procTestTimeout bounds every blocking call of the process tests.
const procTestTimeout = time.Minute // a hang guard: a loaded machine must never reach it

// newProcTestRuntime returns a process runtime writing into a temp dir.
func newProcTestRuntime(t *testing.T, initTimeout time.Duration) *Process {
	t.Helper()
	p, err := NewProcess(ProcessOptions{WorkDir: t.TempDir(), InitTimeout: initTimeout})
	if err != nil {
		t.Fatalf("NewProcess: %v", err)
	}
	return p
}

// procStart starts spec and stops the instance when the test ends.
func procStart(t *testing.T, p *Process, spec runtime.Spec) runtime.Instance {
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
func instancePID(t *testing.T, in runtime.Instance) int {
	t.Helper()
	if c, ok := instance.RunnerOf(in).(*child); ok {
		return c.pid
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
