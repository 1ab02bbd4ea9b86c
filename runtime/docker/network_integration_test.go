//go:build unix

package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/runtime"
)

// testNetwork returns a network name of the test's own, removed (every
// network of that name) when the test ends: the shared scf-emulator network
// is other emulators', and must never be created or removed by a test.
func testNetwork(t *testing.T) string {
	t.Helper()
	name := "scf-emulator-test-" + uuid.NewString()[:8]
	t.Cleanup(func() {
		// The name is the test's own: nobody else takes its lock.
		_ = os.Remove(filepath.Join(os.TempDir(), "scf-emulator-network-"+name+".lock"))
		ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
		defer cancel()
		api, err := newDockerClient(dockerEndpointForTest(t))
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer api.close()
		ns, err := api.networksNamed(ctx, name)
		if err != nil {
			t.Errorf("cleanup: %v", err)
		}
		for _, n := range ns {
			if err := api.removeNetwork(ctx, n.id); err != nil {
				t.Errorf("cleanup: remove network %s (%.12s): %v", name, n.id, err)
			}
		}
	})
	return name
}

func dockerEndpointForTest(t *testing.T) dockerEndpoint {
	t.Helper()
	ep, err := resolveDockerEndpoint(os.Getenv, os.UserHomeDir)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// TestDockerSimultaneousStartsShareOneNetwork: emulators of several
// projects started at the same instant on an engine without the network
// (a fresh engine) all start, on one network of that name, and run
// functions. The daemon itself does not stop two creations of one name
// racing each other (Docker 20.10 makes both); a name held by two networks
// is ambiguous, and no container can join it.
func TestDockerSimultaneousStartsShareOneNetwork(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*dockerTestTimeout)
	defer cancel()
	if !DockerAvailable(ctx) {
		t.Skip("no docker daemon answers: the docker runtime tests need one (sudo systemctl start docker)")
	}
	dir := buildDockerFn(t)
	scope := testScope(t)
	network := testNetwork(t)
	const emulators = 4
	runtimes := make([]*Docker, emulators)
	errs := make([]error, emulators)
	var wg sync.WaitGroup
	for i := range emulators {
		stateDir := lockedStateDir(t)
		workDir := t.TempDir()
		wg.Go(func() {
			runtimes[i], errs[i] = NewDocker(ctx, DockerOptions{WorkDir: workDir, StateDir: stateDir,
				Session: fmt.Sprintf("test-%s-%d", uuid.NewString()[:8], i), Network: network,
				Pull: PullNever, scope: scope})
		})
	}
	wg.Wait()
	for i, d := range runtimes {
		if d == nil {
			continue
		}
		d.noStatic = true
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
			defer cancel()
			if err := d.Close(ctx); err != nil {
				t.Errorf("emulator %d: Close: %v", i, err)
			}
		})
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("emulator %d: NewDocker: %v", i, err)
		}
	}
	if t.Failed() {
		return
	}
	ns, err := runtimes[0].api.networksNamed(ctx, network)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 {
		t.Fatalf("%d networks named %s, want 1", len(ns), network)
	}
	needImage(t, runtimes[0], StaticRuntimeImage)
	for i, d := range runtimes {
		if d.gateway != runtimes[0].gateway {
			t.Errorf("emulator %d listens on %s, emulator 0 on %s: one network has one gateway", i, d.gateway, runtimes[0].gateway)
		}
		in, err := d.Start(ctx, dockerSpec(dir, "Go1", "event"))
		if err != nil {
			t.Errorf("emulator %d: Start: %v", i, err)
			continue
		}
		if _, err := in.Invoke(ctx, runtime.Invocation{RequestID: "r", Event: []byte(`{"name":"x"}`)}); err != nil {
			t.Errorf("emulator %d: Invoke: %v", i, err)
		}
	}
}

// TestDockerRepairsADuplicatedNetwork: a network name that an earlier race
// (another machine's emulator, or an older version) left to two networks is
// repaired at start-up: the unused duplicate goes, the runtime starts.
func TestDockerRepairsADuplicatedNetwork(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*dockerTestTimeout)
	defer cancel()
	if !DockerAvailable(ctx) {
		t.Skip("no docker daemon answers: the docker runtime tests need one (sudo systemctl start docker)")
	}
	network := testNetwork(t)
	api, err := newDockerClient(dockerEndpointForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	defer api.close()
	labels := map[string]string{LabelManaged: "true"}
	for attempt := 0; attempt < 10; attempt++ {
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() { _ = api.createNetwork(ctx, network, labels) })
		}
		wg.Wait()
		if ns, err := api.networksNamed(ctx, network); err != nil {
			t.Fatal(err)
		} else if len(ns) > 1 {
			break
		}
	}
	if ns, _ := api.networksNamed(ctx, network); len(ns) < 2 {
		t.Skip("this daemon never creates one network name twice: nothing to repair")
	}
	d := newOwnedTestRuntime(t, testScope(t), lockedStateDir(t), DockerOptions{Network: network})
	ns, err := api.networksNamed(ctx, network)
	if err != nil || len(ns) != 1 {
		t.Fatalf("after start-up: %d networks named %s (%v), want 1", len(ns), network, err)
	}
	in := dockerStart(t, d, dockerSpec(buildDockerFn(t), "Go1", "event"))
	if _, err := dockerInvoke(t, in, `{"name":"x"}`); err != nil {
		t.Errorf("Invoke: %v", err)
	}
}
