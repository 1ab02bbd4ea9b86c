//go:build unix

package docker

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// newShellSpareRuntime is a test runtime whose spares wait in the image's
// shell, as where the emulator binary cannot run in the engine's
// containers (macOS, Windows, another architecture).
func newShellSpareRuntime(t *testing.T, images map[string]string) *Docker {
	t.Helper()
	var d *Docker
	t.Cleanup(func() { // after Close
		if d != nil {
			noneLeft(t, d)
		}
	})
	d = newDockerTestRuntime(t, images)
	d.spares.noBinary = true
	return d
}

func TestShellSpareTakesNewCode(t *testing.T) {
	d := newShellSpareRuntime(t, nil)
	needImage(t, d, DebianRuntimeImage)
	specA := dockerSpec(writePy(t, "v1"), "Python3.9", "event")
	specA.Handler, specA.Env = "index.main_handler", map[string]string{"GREETING": "hello", "OLD": "it's set"}
	a := dockerStart(t, d, specA)
	sp := idleSpare(t, d)
	if !sp.shell {
		t.Fatal("the spare waits in the binary waiter, not in the shell")
	}
	if _, err := os.Stat(filepath.Join(d.spareRoot(), "bin")); err == nil {
		t.Error("the binary waiter was staged though it is off")
	}

	// A hot reload or a new version, with values a shell would expand,
	// split or run if they were not quoted.
	for i, greeting := range []string{
		"bye 'quoted' \"$HOME\" `touch /tmp/PWNED` $(touch /tmp/PWNED)\nsecond line",
		"'; touch /tmp/PWNED; echo '",
	} {
		specB := dockerSpec(writePy(t, "v2"), "Python3.9", "event")
		specB.Handler, specB.Version, specB.CodeHash = "index.main_handler", "2", "b0b"+string(rune('0'+i))
		specB.Env = map[string]string{"GREETING": greeting}
		b := dockerStart(t, d, specB)
		if id := containerOf(t, b).id; id != sp.c.id {
			t.Errorf("reload %d runs in container %s, not in the spare %s", i, id, sp.c.id)
		}
		checkAnswer(t, b, "v2", map[string]string{"tag": "v2", "greeting": greeting, "old": "", "version": "2"})
		if err := b.Stop(context.WithoutCancel(t.Context())); err != nil {
			t.Errorf("stop: %v", err)
		}
		sp = idleSpare(t, d) // the next one, made while this one ran
	}
	checkAnswer(t, a, "v1", map[string]string{"tag": "v1", "greeting": "hello", "old": "it's set", "version": "$LATEST"})
}

func TestShellSpareDiesWhenLetGo(t *testing.T) {
	d := newShellSpareRuntime(t, nil)
	needImage(t, d, DebianRuntimeImage)
	spec := dockerSpec(writePy(t, "v1"), "Python3.9", "event")
	spec.Handler = "index.main_handler"
	dockerStart(t, d, spec)
	sp := idleSpare(t, d)
	// What the daemon does when the emulator dies: the attach connection,
	// and with it the container's stdin, goes.
	sp.c.mu.Lock()
	sp.c.stream.Close()
	sp.c.mu.Unlock()
	select {
	case <-sp.c.Done():
	case <-time.After(dockerTestTimeout):
		t.Fatal("the shell spare still runs after its stdin closed")
	}
	// The next Start does not take it.
	spec.Version, spec.CodeHash = "2", "b0b"
	b := dockerStart(t, d, spec)
	if containerOf(t, b).id == sp.c.id {
		t.Error("version 2 runs in the dead spare")
	}
	checkAnswer(t, b, "v1", map[string]string{"version": "2"})
}

func TestNoShellSpareInAnImageWithoutAShell(t *testing.T) {
	// CustomRuntime in the FROM-scratch image: no shell, no binary waiter.
	d := newShellSpareRuntime(t, map[string]string{"customruntime": StaticRuntimeImage})
	dir := buildDockerFn(t)
	a := dockerStart(t, d, dockerSpec(dir, "CustomRuntime", "event"))
	wantDescribed(t, describeOf(t, a))
	spec := dockerSpec(dir, "CustomRuntime", "event")
	spec.Version, spec.CodeHash = "2", "b0b"
	b := dockerStart(t, d, spec) // a cold start, as without spares
	if got := describeOf(t, b); got["version"] != "2" {
		t.Errorf("version = %v, want 2", got["version"])
	}
	d.spares.mu.Lock()
	defer d.spares.mu.Unlock()
	if d.spares.count != 0 || len(d.spares.making) != 0 {
		t.Errorf("%d spares made or being made for an image without a shell", d.spares.count)
	}
	if !d.spares.waiterKnown || !d.spares.waiter.shell {
		t.Error("the waiter is not the shell one")
	}
}

func TestNoSpareOutlivesTheEmulatorInShellMode(t *testing.T) {
	testNoSpareOutlivesTheEmulator(t, true)
}
