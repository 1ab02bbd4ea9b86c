//go:build unix

package docker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/statelock"
)

// testScope returns a label set that the runtimes of one test share, so
// that they see each other's containers (as emulators on one engine do) and
// nothing of the tests running beside them.
func testScope(t testing.TB) map[string]string {
	return map[string]string{"dev.scf-emulator.test": t.Name() + "-" + uuid.NewString()[:8]}
}

// stateLocks holds the release of every state dir a test locked.
var stateLocks sync.Map // dir -> func() error

// lockedStateDir returns a fresh state dir whose lock the test holds, as an
// emulator's registry does; the lock is released when the test ends.
func lockedStateDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	lockStateDir(t, dir)
	t.Cleanup(func() { unlockStateDir(t, dir) })
	return dir
}

func lockStateDir(t testing.TB, dir string) {
	t.Helper()
	release, err := statelock.Acquire(dir)
	if err != nil {
		t.Fatalf("lock %s: %v", dir, err)
	}
	stateLocks.Store(dir, release)
}

// unlockStateDir releases dir's lock, as the death of its emulator does.
func unlockStateDir(t testing.TB, dir string) {
	if r, ok := stateLocks.LoadAndDelete(dir); ok {
		if err := r.(func() error)(); err != nil {
			t.Errorf("unlock %s: %v", dir, err)
		}
	}
}

// newOwnedTestRuntime is a docker runtime of an emulator in stateDir whose
// containers carry scope; Close runs when the test ends.
func newOwnedTestRuntime(t testing.TB, scope map[string]string, stateDir string, opts DockerOptions) *Docker {
	t.Helper()
	opts.StateDir, opts.scope = stateDir, scope
	return newDockerTestRuntimeWith(t, opts)
}

// testJanitor is gc's view of the engine, limited to scope.
func testJanitor(d *Docker, scope map[string]string) *Janitor {
	j := newJanitor(d.api, Owner{Host: ThisHost()}, JanitorOptions{})
	j.scope = scope
	return j
}

// TestDockerTwoEmulatorsOneEngine: while emulator A serves under load,
// emulator B starts (removing orphans), serves, stops and closes, several
// times, and gc runs beside them. A loses no request and no container.
func TestDockerTwoEmulatorsOneEngine(t *testing.T) {
	dir := buildDockerFn(t)
	scope := testScope(t)
	a := newOwnedTestRuntime(t, scope, lockedStateDir(t), DockerOptions{})
	mgr := runtime.NewManager(a, runtime.Options{MaxInstances: 4, IdleTimeout: time.Hour})
	t.Cleanup(func() { _ = mgr.Close(context.Background()) })
	spec := dockerSpec(dir, "Go1", "event")

	const (
		workers    = 4
		maxPerWork = 5000             // bounds the load in count...
		maxLoad    = 90 * time.Second // ...and in time
		cycles     = 3
	)
	loadCtx, stopLoad := context.WithTimeout(t.Context(), maxLoad)
	defer stopLoad()
	var served, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	warm := make(chan struct{})
	var warmOnce sync.Once
	for w := range workers {
		wg.Go(func() {
			for i := 0; i < maxPerWork && loadCtx.Err() == nil; i++ {
				ctx, cancel := context.WithTimeout(loadCtx, dockerTestTimeout)
				_, err := mgr.Invoke(ctx, spec, runtime.Invocation{RequestID: "a", Event: []byte(`{"name":"a"}`)})
				cancel()
				switch {
				case err == nil:
					served.Add(1)
				case loadCtx.Err() != nil:
					return // the load ended during this request
				default:
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				if i == 20 && w == 0 {
					warmOnce.Do(func() { close(warm) })
				}
			}
		})
	}
	select {
	case <-warm:
	case <-loadCtx.Done():
		t.Fatal("emulator A did not serve 20 requests")
	}
	listA := func() map[string]bool {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
		defer cancel()
		filter := map[string]string{LabelSession: a.Session()}
		for k, v := range scope {
			filter[k] = v
		}
		list, err := a.api.list(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, c := range list {
			ids[c.id] = c.running
		}
		return ids
	}
	before := listA()

	var orphans int
	var startTook, closeTook time.Duration
	stateB := t.TempDir()
	for cycle := range cycles {
		lockStateDir(t, stateB)
		began := time.Now()
		b := newOwnedTestRuntime(t, scope, stateB, DockerOptions{})
		ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
		n, err := b.RemoveOrphans(ctx, b.Session())
		startTook += time.Since(began)
		if err != nil {
			t.Fatalf("cycle %d: RemoveOrphans: %v", cycle, err)
		}
		orphans += n
		in, err := b.Start(ctx, spec)
		if err != nil {
			t.Fatalf("cycle %d: B Start: %v", cycle, err)
		}
		if _, err := in.Invoke(ctx, runtime.Invocation{RequestID: "b", Event: []byte(`{"name":"b"}`)}); err != nil {
			t.Errorf("cycle %d: B Invoke: %v", cycle, err)
		}
		if cycle%2 == 0 {
			if err := in.Stop(ctx); err != nil {
				t.Errorf("cycle %d: B Stop: %v", cycle, err)
			}
		} // else Close finds the instance still running
		// gc beside them: what it may remove is nobody's live work.
		items, err := testJanitor(b, scope).List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ab := Abandoned(items); len(ab) != 0 {
			t.Errorf("cycle %d: gc would remove %+v", cycle, ab)
		}
		began = time.Now()
		if err := b.Close(ctx); err != nil {
			t.Errorf("cycle %d: B Close: %v", cycle, err)
		}
		closeTook += time.Since(began)
		cancel()
		unlockStateDir(t, stateB)
	}
	stopLoad()
	wg.Wait()
	after := listA()
	lost := 0
	for id := range before {
		if !after[id] {
			lost++
		}
	}
	t.Logf("A served %d requests, %d failed; A containers before %d, lost %d; B: %d cycles, orphans removed %d, start+RemoveOrphans %v avg, Close %v avg",
		served.Load(), failed.Load(), len(before), lost, cycles, orphans, startTook/cycles, closeTook/cycles)
	if failed.Load() != 0 {
		t.Errorf("%d of A's requests failed, first: %v", failed.Load(), firstErr.Load())
	}
	if lost != 0 {
		t.Errorf("%d of A's %d containers are gone or stopped", lost, len(before))
	}
	if orphans != 0 {
		t.Errorf("B's start-ups removed %d containers, want none", orphans)
	}
}

// TestDockerKilledEmulatorLeftovers: an emulator killed without Close
// leaves containers; another project's start leaves them alone while the
// lock is held; the next start in the same state dir reaps them, and gc
// reaps those of a state dir that was deleted.
func TestDockerKilledEmulatorLeftovers(t *testing.T) {
	dir := buildDockerFn(t)
	scope := testScope(t)
	stateX := lockedStateDir(t)
	killed := newOwnedTestRuntime(t, scope, stateX, DockerOptions{})
	killed.noSpares = true // the leftovers counted are the instances
	var ids []string
	for _, typ := range []string{"event", "http"} {
		ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
		in, err := killed.Start(ctx, dockerSpec(dir, "Go1", typ))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, containerOf(t, in).id) // dropped: no Stop, no Close
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*dockerTestTimeout)
	defer cancel()
	alive := func(when string) {
		t.Helper()
		for _, id := range ids {
			if info, err := killed.api.inspect(ctx, id); err != nil || !info.running {
				t.Errorf("%s: container %.12s running %v, err %v; want it left alone", when, id, info.running, err)
			}
		}
	}

	// Another project starts while X's emulator holds its lock.
	other := newOwnedTestRuntime(t, scope, lockedStateDir(t), DockerOptions{})
	if n, err := other.RemoveOrphans(ctx, other.Session()); err != nil || n != 0 {
		t.Errorf("another project's RemoveOrphans = %d, %v; want 0", n, err)
	}
	alive("after another project's start")

	// The emulator dies: the kernel releases its lock.
	unlockStateDir(t, stateX)
	items, err := testJanitor(other, scope).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range items {
		if l.Owner.StateDir == stateX && l.Status != StatusUnlocked {
			t.Errorf("gc lists %s %s as %v, want abandoned: unlocked", l.Kind, l.Name, l.Status)
		}
	}
	alive("after gc --dry-run")

	lockStateDir(t, stateX)
	began := time.Now()
	next := newOwnedTestRuntime(t, scope, stateX, DockerOptions{})
	n, err := next.RemoveOrphans(ctx, next.Session())
	t.Logf("restart in the same state dir: NewDocker + RemoveOrphans of %d containers took %v", n, time.Since(began))
	if err != nil || n != len(ids) {
		t.Errorf("the next start's RemoveOrphans = %d, %v; want %d", n, err, len(ids))
	}
	for _, id := range ids {
		if _, err := next.api.inspect(ctx, id); !errors.Is(err, errDockerNotFound) {
			t.Errorf("container %.12s: inspect = %v, want removed", id, err)
		}
	}
	if vs, err := next.api.listVolumes(ctx, map[string]string{LabelSession: killed.Session()}); err != nil || len(vs) != 0 {
		t.Errorf("the killed emulator's volumes: %d left (%v), want none", len(vs), err)
	}

	// gc: a killed emulator in copy mode (volumes too) whose state dir
	// was deleted afterwards.
	stateZ := filepath.Join(t.TempDir(), "project", ".emulator")
	if err := os.MkdirAll(stateZ, 0o755); err != nil {
		t.Fatal(err)
	}
	lockStateDir(t, stateZ)
	copyMode := newOwnedTestRuntime(t, scope, stateZ, DockerOptions{Remote: &RemoteEngine{Host: "127.0.0.1"}})
	if _, err := copyMode.Start(ctx, dockerSpec(dir, "Go1", "http")); err != nil {
		t.Fatal(err)
	}
	unlockStateDir(t, stateZ)
	if err := os.RemoveAll(filepath.Dir(stateZ)); err != nil {
		t.Fatal(err)
	}
	j := testJanitor(other, scope)
	items, err = j.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ab := Abandoned(items)
	for _, l := range ab {
		if l.Owner.StateDir != stateZ || l.Status != StatusDirGone {
			t.Errorf("gc would remove %s %s (%v, %s)", l.Kind, l.Name, l.Status, l.Owner.StateDir)
		}
	}
	began = time.Now()
	got, err := j.Remove(ctx, ab)
	t.Logf("gc removed %v in %v", got, time.Since(began))
	// Volumes: the code, the bootstraps and /var/lang.
	want := Removed{KindContainer: 1, KindVolume: 3, KindEmulator: 1, KindNetwork: 0}
	if err != nil || got[KindContainer] != 1 || got[KindVolume] != 3 || got[KindEmulator] != 1 {
		t.Errorf("gc Remove = %v, %v; want %v", got, err, want)
	}
	if left, err := j.List(ctx); err != nil || len(Abandoned(left)) != 0 {
		t.Errorf("after gc: %+v abandoned (%v), want none", Abandoned(left), err)
	}
}
