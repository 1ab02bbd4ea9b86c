package instance

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/scferr"
)

// DebugListenEnv tells the Python bootstrap to start debugpy on host:port
// before it imports the user's code, so breakpoints at import time bind too.
const DebugListenEnv = "_SCF_DEBUG_LISTEN"

// DelveModule is what `go install` needs to provide dlv; the version is the
// one the tests ran with.
const DelveModule = "github.com/go-delve/delve/cmd/dlv@v1.27.2"

// portFreeWait bounds the wait for a debug port that the instance of older
// code still holds: stopping it takes well under this.
const portFreeWait = 20 * time.Second

// DebugListen is host:port for spec's debugger.
func DebugListen(spec runtime.Spec, host string) string {
	return net.JoinHostPort(host, strconv.Itoa(spec.DebugPort))
}

// AddDebugEnv sets DebugListenEnv in env when spec is debugged.
func AddDebugEnv(spec runtime.Spec, host string, env map[string]string) map[string]string {
	if spec.DebugPort > 0 {
		env[DebugListenEnv] = DebugListen(spec, host)
	}
	return env
}

// NodeArgs puts --inspect in front of args when spec is debugged.
func NodeArgs(spec runtime.Spec, host string, args []string) []string {
	if spec.DebugPort <= 0 {
		return args
	}
	return append([]string{"--inspect=" + DebugListen(spec, host)}, args...)
}

// DelveArgs runs bin under a headless Delve that lets the program run until a
// client sets a breakpoint, and takes more than one client so that an IDE can
// re-attach.
func DelveArgs(spec runtime.Spec, host, bin string) []string {
	return []string{"exec", "--headless", "--listen=" + DebugListen(spec, host), "--api-version=2",
		"--accept-multiclient", "--continue", bin}
}

// FindDelve finds dlv in PATH or where `go install` puts it.
func FindDelve() (string, error) {
	if p, err := exec.LookPath("dlv"); err == nil {
		return p, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if gopath := os.Getenv("GOPATH"); gopath != "" {
		dirs = append(dirs, filepath.Join(filepath.SplitList(gopath)[0], "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "dlv")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", scferr.Newf(scferr.ErrContainerInit, nil,
		"cannot debug a Go1 function: dlv not found in PATH, $GOBIN, $GOPATH/bin or ~/go/bin: install it with `go install %s`", DelveModule)
}

// AwaitPortFree waits until host:port can be bound, for a debugged instance
// that takes over the port from the instance of the code before a reload.
func AwaitPortFree(ctx context.Context, host string, port int) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	deadline := time.Now().Add(portFreeWait)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln.Close()
		}
		if time.Now().After(deadline) {
			return scferr.Newf(scferr.ErrContainerInit, err, "debug port %d is in use: stop what listens on %s or pick another port", port, addr)
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// CheckDebugpy reports a clear error when python cannot import debugpy.
func CheckDebugpy(ctx context.Context, python string) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, python, "-c", "import debugpy").CombinedOutput()
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return scferr.Newf(scferr.ErrContainerInit, err, "cannot debug a Python function: run %s", python)
	}
	return scferr.Newf(scferr.ErrContainerInit, nil,
		"cannot debug a Python function: interpreter %s cannot import debugpy (%s): install it (apt-get install python3-debugpy, or %s -m pip install debugpy) or put a python3 that has it first in PATH",
		python, lastLine(out), python)
}

func lastLine(b []byte) string {
	s := string(b)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return s[i+1:]
		}
	}
	return s
}
