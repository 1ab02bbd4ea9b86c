//go:build linux

package process

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// startFailChildEnv, set, makes the test binary the child process of
// TestStartFailureKeepsTheEmulatorAlive, running the start in that
// isolation mode.
const startFailChildEnv = "SCF_TEST_START_FAIL_MODE"

// TestStartFailureKeepsTheEmulatorAlive: a function whose bootstrap the
// kernel refuses to execute (text without #!, or a #! line naming an
// interpreter that does not exist) fails its start, and only its start.
// Releasing the instance's never-started tree once signalled process group
// 0, the emulator's own, which killed the emulator and whatever shared its
// group (a shell pipeline, `go test`). The start runs in a child process
// leading a group of its own, so a regression kills only the child.
func TestStartFailureKeepsTheEmulatorAlive(t *testing.T) {
	if mode, ok := strings.CutPrefix(os.Getenv(startFailChildEnv), "mode:"); ok {
		startFailChild(t, mode) // IsolationAuto is ""
		return
	}
	for _, mode := range isolationModes(t) {
		name := mode
		if name == IsolationAuto {
			name = "auto"
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestStartFailureKeepsTheEmulatorAlive$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), startFailChildEnv+"=mode:"+mode)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a kill of its own group stays in it
			out, err := cmd.CombinedOutput()
			if err != nil || strings.Count(string(out), "still here") != 2 {
				t.Fatalf("the process whose function failed to start: %v\n%s", err, out)
			}
		})
	}
}

// startFailChild starts web functions whose scf_bootstrap cannot be
// executed and says it is still here after each refused start.
func startFailChild(t *testing.T, mode string) {
	bootstraps := map[string]string{
		"no #!":       "python3 -m http.server $PORT\n",
		"missing #! ": "#!/nonexistent/interpreter\npython3 -m http.server $PORT\n",
	}
	p := newIsoRuntime(t, t.TempDir(), mode)
	for name, script := range bootstraps {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "scf_bootstrap"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		spec := testutil.Spec(dir, "Python3.9", "")
		spec.Type = "http"
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		in, err := p.Start(ctx, spec)
		cancel()
		if err == nil {
			_ = in.Stop(t.Context())
			t.Fatalf("%s: the start succeeded", name)
		}
		fmt.Printf("%s: still here after %v\n", name, err)
	}
}

// TestStartErrorNamesTheMissingInterpreter: a bootstrap whose #! line names
// an interpreter this machine lacks fails with a 445 naming it (the exec
// says only "no such file or directory", of a file that exists); other
// failures keep their cause.
func TestStartErrorNamesTheMissingInterpreter(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "scf_bootstrap")
	if err := os.WriteFile(script, []byte("#!/opt/python3.13/bin/python3 -u\nprint(1)\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	enoent := &fs.PathError{Op: "fork/exec", Path: script, Err: syscall.ENOENT}
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"missing interpreter", enoent, []string{"scf_bootstrap", "/opt/python3.13/bin/python3", "#!"}},
		{"other failure", &fs.PathError{Op: "fork/exec", Path: script, Err: syscall.EACCES}, []string{"cannot start"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := startError(script, tc.err)
			if !errors.Is(err, scferr.ErrContainerInit) {
				t.Fatalf("startError = %v, want a 445", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(scferr.As(err).Message, w) {
					t.Errorf("message %q lacks %q", scferr.As(err).Message, w)
				}
			}
		})
	}
}
