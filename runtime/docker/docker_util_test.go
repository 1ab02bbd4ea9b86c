//go:build unix

package docker

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/runtime/process"
	"github.com/scf-emulator/emulator/scferr"
)

// dockerTestTimeout bounds every blocking call of the docker tests.
const dockerTestTimeout = time.Minute // a hang guard: the daemon is shared and may be busy

// newDockerTestRuntime returns a docker runtime whose containers carry a
// label unique to the test, so that RemoveOrphans and Close never reach
// containers of anything running beside it. It is closed when the test ends.
func newDockerTestRuntime(t testing.TB, images map[string]string) *Docker {
	t.Helper()
	return newDockerTestRuntimeWith(t, DockerOptions{Images: images})
}

// newDockerTestRuntimeWith is newDockerTestRuntime with more options.
func newDockerTestRuntimeWith(t testing.TB, opts DockerOptions) *Docker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
	defer cancel()
	if !DockerAvailable(ctx) {
		t.Skip("no docker daemon answers: the docker runtime tests need one (sudo systemctl start docker)")
	}
	// The init timeout is a hang guard here: the daemon is shared, and a
	// container start on a busy one can take many seconds.
	opts.WorkDir, opts.Session, opts.InitTimeout = t.TempDir(), "test-"+uuid.NewString()[:8], time.Minute
	if opts.Pull == "" {
		opts.Pull = PullNever // nothing is ever pulled by a test
	}
	if opts.scope == nil {
		// Before NewDocker: its presence volume carries the scope too.
		opts.scope = map[string]string{"dev.scf-emulator.test": t.Name() + "-" + opts.Session}
	}
	d, err := NewDocker(ctx, opts)
	if err != nil {
		t.Fatalf("NewDocker: %v", err)
	}
	d.noStatic = true // tests never make images: a missing one skips the test
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	needImage(t, d, StaticRuntimeImage) // dockerfn runs in it
	return d
}

// buildDockerFn compiles testdata/dockerfn, static, into a fresh code
// directory under the names each protocol looks for.
func buildDockerFn(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go toolchain not found: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "main")
	cmd := exec.Command(goBin, "build", "-o", bin, testutil.Testdata(t, "dockerfn"))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/dockerfn: %v\n%s", err, out)
	}
	for _, name := range []string{"bootstrap", "scf_bootstrap"} {
		if err := os.Link(bin, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// dockerSpec is a spec for code in dir.
func dockerSpec(dir, rt, typ string) runtime.Spec {
	return runtime.Spec{
		Namespace:  "default",
		Function:   "dfn",
		Version:    "$LATEST",
		CodeHash:   "c0ffee1234",
		CodeDir:    dir,
		Runtime:    rt,
		Type:       typ,
		Handler:    "main",
		MemoryMB:   64,
		TimeoutSec: 5,
		Env:        map[string]string{"GREETING": "hello"},
	}
}

// dockerStart starts spec and stops the instance when the test ends.
func dockerStart(t testing.TB, d *Docker, spec runtime.Spec) runtime.Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
	defer cancel()
	in, err := d.Start(ctx, spec)
	if err != nil {
		t.Fatalf("Start(%s %s): %v", spec.Runtime, spec.Type, err)
	}
	t.Cleanup(func() {
		if err := in.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return in
}

// dockerInvoke invokes in with event under the test timeout.
func dockerInvoke(t testing.TB, in runtime.Instance, event string) (runtime.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
	defer cancel()
	return in.Invoke(ctx, runtime.Invocation{RequestID: "req-d", Event: []byte(event)})
}

// invokeLogged invokes in with event and checks that Result.Log holds
// every one of wants: end markers make the capture exact (see
// output_marker.go), so one invocation must do.
func invokeLogged(t testing.TB, in runtime.Instance, event string, wants ...string) (runtime.Result, error) {
	t.Helper()
	res, err := dockerInvoke(t, in, event)
	if err != nil && !errors.Is(err, scferr.ErrUserCode) {
		return res, err
	}
	if slices.ContainsFunc(wants, func(s string) bool { return !strings.Contains(res.Log, s) }) {
		t.Errorf("log %q lacks one of %q", res.Log, wants)
	}
	return res, err
}

// containerOf returns the container behind a docker instance.
func containerOf(t testing.TB, in runtime.Instance) *container {
	t.Helper()
	c, ok := instance.RunnerOf(in).(*container)
	if !ok {
		t.Fatalf("instance %T does not run in a container", in)
	}
	return c
}

// inspectContainer reads a container back from the daemon.
func inspectContainer(t testing.TB, d *Docker, id string) (containerInfo, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
	defer cancel()
	return d.api.inspect(ctx, id)
}

// wantDescribed checks what dockerfn reports of its container.
func wantDescribed(t *testing.T, got map[string]any) {
	t.Helper()
	want := map[string]any{
		"cwd":            "/var/user",
		"user_code_root": "/var/user",
		"version":        "$LATEST",
		"function":       "dfn",
		"greeting":       "hello",
		"var_user_rw":    false, // the code is mounted read-only
		"tmp_rw":         true,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

// needImage skips the test when image is missing: tests never build or
// pull images, `emulator images --build` (or scripts/build-runtime-images.sh,
// which .ci/run calls first) does.
func needImage(t testing.TB, d *Docker, image string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
	defer cancel()
	ok, err := d.api.imageExists(ctx, image)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Skipf("%s is missing: build it with `go run ./cmd/emulator images --build` (or scripts/build-runtime-images.sh)", image)
	}
}

// needDebianImage skips the test when DebianRuntimeImage is missing.
func needDebianImage(t *testing.T, d *Docker) {
	t.Helper()
	needImage(t, d, DebianRuntimeImage)
}

// newProcessRuntime returns a process runtime writing into a temp dir: the
// fallback of Mixed and the comparison of the benchmarks.
func newProcessRuntime(t testing.TB) *process.Process {
	t.Helper()
	p, err := process.NewProcess(process.ProcessOptions{WorkDir: t.TempDir()})
	if err != nil {
		t.Fatalf("NewProcess: %v", err)
	}
	return p
}
