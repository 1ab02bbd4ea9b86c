//go:build unix

package docker

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// A function that exits on every invocation, started again and again at
// once, as a crash storm through the gateway replaces its instances: each
// Start gets a container of its own (one of them the spare being made,
// handed over), each invocation the platform's 439, and nothing is left.
func TestCrashStormStartsGetTheirOwnContainers(t *testing.T) {
	const starts = 4
	var d *Docker
	t.Cleanup(func() {
		// Runs after Close.
		if d == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
		defer cancel()
		if left, err := d.api.list(ctx, d.scope); err != nil || len(left) != 0 {
			t.Errorf("after Close: %d containers left (%v)", len(left), err)
		}
	})
	d = newDockerTestRuntime(t, nil)
	needImage(t, d, DebianRuntimeImage)
	dir := t.TempDir()
	src := "import os\n\ndef main_handler(event, context):\n    os._exit(1)\n"
	if err := os.WriteFile(filepath.Join(dir, "index.py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := dockerSpec(dir, "Python3.9", "event")
	spec.Handler = "index.main_handler"

	crash := func(in runtime.Instance) {
		_, err := dockerInvoke(t, in, `{}`)
		testutil.WantStatus(t, err, scferr.ErrProcessExit, "exit code 1")
		if err := in.Stop(t.Context()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}
	// The first start leaves a spare being made behind it.
	crash(dockerStart(t, d, spec))

	ins := make([]runtime.Instance, starts)
	errs := make([]error, starts)
	var wg sync.WaitGroup
	for i := range starts {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
			defer cancel()
			ins[i], errs[i] = d.Start(ctx, spec)
		})
	}
	wg.Wait()
	names := map[string]bool{}
	for i, in := range ins {
		if errs[i] != nil {
			t.Errorf("start %d: %v", i, errs[i])
			continue
		}
		name := containerOf(t, in).name
		if names[name] {
			t.Errorf("container %s handed to two starts", name)
		}
		names[name] = true
		crash(in)
	}
	d.spares.mu.Lock()
	n := 0
	for _, making := range d.spares.making {
		n += len(making)
	}
	for _, idle := range d.spares.idle {
		n += len(idle)
	}
	if n != d.spares.count {
		t.Errorf("%d spares idle or being made, counted %d", n, d.spares.count)
	}
	d.spares.mu.Unlock()
}
