//go:build unix

package docker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
	"github.com/scf-emulator/emulator/statelock"
)

// fakeSpec is a CustomRuntime spec whose code directory has a bootstrap.
func fakeSpec(t *testing.T) runtime.Spec {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return runtime.Spec{Namespace: "default", Function: "fn", Version: "7", CodeHash: "h1abcdef99", CodeDir: dir,
		Runtime: "CustomRuntime", Type: "event", MemoryMB: 64, TimeoutSec: 3}
}

// fakeStart starts spec under the test timeout.
func fakeStart(t *testing.T, d *Docker, spec runtime.Spec) (runtime.Instance, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testutil.Timeout)
	defer cancel()
	return d.Start(ctx, spec)
}

func mustFakeStart(t *testing.T, d *Docker, spec runtime.Spec) runtime.Instance {
	t.Helper()
	in, err := fakeStart(t, d, spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = in.Stop(context.Background()) })
	return in
}

// echoAPI is a container that serves the runtime API and answers events,
// except "oom" (killed by the OOM killer) and "kill" (killed from outside).
func echoAPI(fc *fakeContainer) {
	fc.serveAPI(func(event string) bool {
		switch event {
		case `"oom"`:
			fc.write("allocating\n")
			fc.exit(137, true)
			return true
		case `"kill"`:
			fc.exit(137, false)
			return true
		}
		return false
	})
}

func fakeInvoke(t *testing.T, in runtime.Instance, event string) (runtime.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testutil.Timeout)
	defer cancel()
	return in.Invoke(ctx, runtime.Invocation{RequestID: "r1", Event: []byte(event)})
}

func TestDockerFakeInvokeAndConfig(t *testing.T) {
	f := newFakeDocker(t, echoAPI)
	d := newFakeRuntime(t, f, DockerOptions{})
	spec := fakeSpec(t)
	in := mustFakeStart(t, d, spec)
	res, err := fakeInvoke(t, in, `{"a":1}`)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if string(res.Payload) != `{"echo":{"a":1}}` {
		t.Errorf("payload %s", res.Payload)
	}
	// Start-up output belongs to the first invocation, as on the platform.
	for _, s := range []string{"fake runtime starting", `fake got {"a":1}`} {
		if !strings.Contains(res.Log, s) {
			t.Errorf("log %q lacks %q", res.Log, s)
		}
	}

	fc, err := f.get(containerOf(t, in).id)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fc.cfg
	if cfg.name != "scf-fn-7-h1abcdef-s1-1" || cfg.image != DebianRuntimeImage {
		t.Errorf("name %q image %q, want scf-fn-7-h1abcdef-s1-1 (session s1) from %s", cfg.name, cfg.image, DebianRuntimeImage)
	}
	if !slices.Equal(cfg.cmd, []string{"/var/user/bootstrap"}) || cfg.workDir != "/var/user" {
		t.Errorf("cmd %v in %s, want /var/user/bootstrap in /var/user", cfg.cmd, cfg.workDir)
	}
	for _, kv := range []string{"USER_CODE_ROOT=/var/user", "PWD=/var/user", "SCF_FUNCTIONVERSION=7", "SCF_RUNTIME_API=127.0.0.1"} {
		if !slices.Contains(cfg.env, kv) {
			t.Errorf("env lacks %s: %v", kv, cfg.env)
		}
	}
	if cfg.memoryBytes != 64<<20 || cfg.pidsLimit != containerPidsLimit || !cfg.readonlyRootfs ||
		!slices.Equal(cfg.capDrop, []string{"ALL"}) || cfg.publish != "" || cfg.network != DefaultNetwork {
		t.Errorf("limits: %+v", cfg)
	}
	wantMounts := []bindMount{{source: spec.CodeDir, target: "/var/user", readOnly: true}, {source: d.workDir, target: "/var/runtime", readOnly: true},
		{source: d.workDir + "/lang", target: "/var/lang", readOnly: true}}
	if !slices.Equal(cfg.mounts, wantMounts) {
		t.Errorf("mounts %+v, want %+v", cfg.mounts, wantMounts)
	}
	if cfg.labels[LabelSession] != "s1" || cfg.labels[LabelVersion] != "7" || cfg.labels[LabelManaged] != "true" {
		t.Errorf("labels %v", cfg.labels)
	}
}

func TestDockerFakeNameConflict(t *testing.T) {
	tests := []struct {
		name     string
		labels   map[string]string
		running  bool
		wantName string // of the new container
		kept     bool   // the old one survives
	}{
		{"stale container of an earlier run here is replaced", ownedBy(ThisHost(), "/state/here", "old"), false, "scf-fn-7-h1abcdef-s1-1", false},
		{"stale container of a dead emulator elsewhere is replaced", ownedBy(ThisHost(), "/state/free", "old"), false, "scf-fn-7-h1abcdef-s1-1", false},
		{"stopped container of a live emulator is skipped", ownedBy(ThisHost(), "/state/live", "l1"), false, "scf-fn-7-h1abcdef-s1-2", true},
		{"running container of another emulator is skipped", map[string]string{LabelManaged: "true", LabelSession: "other"}, true, "scf-fn-7-h1abcdef-s1-2", true},
		{"stopped container of an older version is skipped", map[string]string{LabelManaged: "true", LabelSession: "old"}, false, "scf-fn-7-h1abcdef-s1-2", true},
		{"container not made by the emulator is skipped", nil, false, "scf-fn-7-h1abcdef-s1-2", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDocker(t, echoAPI)
			d := newFakeRuntime(t, f, DockerOptions{StateDir: "/state/here"})
			d.probe = (&fakeProbe{calls: map[string]int{}, states: map[string]statelock.State{
				"/state/live": statelock.Held, "/state/free": statelock.Free,
			}}).probe
			old := f.add("scf-fn-7-h1abcdef-s1-1", tc.labels, tc.running)
			in := mustFakeStart(t, d, fakeSpec(t))
			if got := containerOf(t, in).name; got != tc.wantName {
				t.Errorf("new container %q, want %q", got, tc.wantName)
			}
			_, err := f.get(old.id)
			if kept := err == nil; kept != tc.kept {
				t.Errorf("old container kept = %v, want %v", kept, tc.kept)
			}
		})
	}
}

func TestDockerFakeNameConflictGivesUp(t *testing.T) {
	f := newFakeDocker(t, echoAPI)
	d := newFakeRuntime(t, f, DockerOptions{})
	for i := 1; i <= maxCreateAttempts; i++ {
		f.add("scf-fn-7-h1abcdef-s1-"+string(rune('0'+i)), map[string]string{LabelManaged: "true"}, true)
	}
	_, err := fakeStart(t, d, fakeSpec(t))
	testutil.WantStatus(t, err, scferr.ErrContainerInit, "cannot create container", "in use")
	if len(f.creates) != maxCreateAttempts {
		t.Errorf("%d creates, want %d", len(f.creates), maxCreateAttempts)
	}
}

func TestDockerFakeExitDuringStart(t *testing.T) {
	f := newFakeDocker(t, func(fc *fakeContainer) {
		fc.write("loading config\nfatal: config.yaml: no such file\n")
		fc.exit(1, false)
	})
	// "At once" is told from "at the init timeout" by a timeout no loaded
	// machine comes near, not by a guess at how fast a start is.
	d := newFakeRuntime(t, f, DockerOptions{InitTimeout: time.Minute})
	start := time.Now()
	_, err := fakeStart(t, d, fakeSpec(t))
	testutil.WantStatus(t, err, scferr.ErrContainerInit, "exited during initialization", "exit code 1", "fatal: config.yaml: no such file")
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("Start took %s, want it to give up at once", elapsed)
	}
	if names := f.liveNames(); len(names) != 0 {
		t.Errorf("containers left: %v", names)
	}
}

func TestDockerFakeNeverReady(t *testing.T) {
	f := newFakeDocker(t, func(fc *fakeContainer) {
		fc.write("waiting for a database\n")
		<-fc.killed
	})
	d := newFakeRuntime(t, f, DockerOptions{InitTimeout: 2 * time.Second}) // time for the output first, also on a loaded machine
	_, err := fakeStart(t, d, fakeSpec(t))
	testutil.WantStatus(t, err, scferr.ErrContainerInit, "did not call /runtime/init/ready", "waiting for a database")
	if names := f.liveNames(); len(names) != 0 {
		t.Errorf("containers left: %v", names)
	}
}

func TestDockerFakeExitDuringInvoke(t *testing.T) {
	tests := []struct {
		event string
		class *scferr.Error
		texts []string
	}{
		{`"oom"`, scferr.ErrMemory, []string{"64 MB", "OOM killed", "allocating"}},
		{`"kill"`, scferr.ErrProcessExit, []string{"user process exit when running", "exit code 137"}},
	}
	for _, tc := range tests {
		t.Run(tc.event, func(t *testing.T) {
			f := newFakeDocker(t, echoAPI)
			d := newFakeRuntime(t, f, DockerOptions{})
			in := mustFakeStart(t, d, fakeSpec(t))
			res, err := fakeInvoke(t, in, tc.event)
			testutil.WantStatus(t, err, tc.class, tc.texts...)
			testutil.WaitClosed(t, in.Exited(), "Exited")
			if !strings.Contains(res.Log, "fake got "+tc.event) {
				t.Errorf("log %q lacks the invocation's output", res.Log)
			}
			// 434 and 439 are classes the Manager discards (runtime's
			// discardReason), so the next request gets a fresh container.
		})
	}
}

func TestDockerFakeStopWhenGone(t *testing.T) {
	tests := []struct {
		name   string
		before func(f *fakeDocker, fc *fakeContainer)
	}{
		{"removed from outside", func(f *fakeDocker, fc *fakeContainer) { f.kill(fc) }},
		{"removal in progress elsewhere", func(f *fakeDocker, fc *fakeContainer) {
			f.mu.Lock()
			f.removing[fc.id] = 1
			f.mu.Unlock()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDocker(t, echoAPI)
			d := newFakeRuntime(t, f, DockerOptions{})
			in := mustFakeStart(t, d, fakeSpec(t))
			fc, err := f.get(containerOf(t, in).id)
			if err != nil {
				t.Fatal(err)
			}
			tc.before(f, fc)
			if err := in.Stop(t.Context()); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if err := in.Stop(t.Context()); err != nil {
				t.Fatalf("second Stop: %v", err)
			}
			testutil.WaitClosed(t, in.Exited(), "Exited")
			if names := f.liveNames(); len(names) != 0 {
				t.Errorf("containers left: %v", names)
			}
		})
	}
}

func TestDockerFakeStopOnCanceledContext(t *testing.T) {
	f := newFakeDocker(t, echoAPI)
	d := newFakeRuntime(t, f, DockerOptions{})
	in := mustFakeStart(t, d, fakeSpec(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the request is gone; the removal must still happen
	if err := in.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if names := f.liveNames(); len(names) != 0 {
		t.Errorf("containers left: %v", names)
	}
}

func TestDockerFakeRemoveOrphansAndClose(t *testing.T) {
	f := newFakeDocker(t, echoAPI)
	d := newFakeRuntime(t, f, DockerOptions{Session: "mine", StateDir: "/state/here"})
	in := mustFakeStart(t, d, fakeSpec(t))
	// An earlier run in this state dir crashed: its containers go.
	f.add("scf-x-1-a-1", ownedBy(ThisHost(), "/state/here", "crashed"), true)
	f.add("scf-x-1-a-2", ownedBy(ThisHost(), "/state/here", "crashed"), false)
	// An older emulator's, without owner labels, stays: nothing proves it dead.
	f.add("scf-x-1-a-3", map[string]string{LabelManaged: "true", LabelSession: "old"}, true)
	f.add("unrelated", map[string]string{"app": "db"}, true)

	n, err := d.RemoveOrphans(t.Context(), d.Session())
	if err != nil || n != 2 {
		t.Fatalf("RemoveOrphans = %d, %v; want 2", n, err)
	}
	want := []string{containerOf(t, in).name, "scf-x-1-a-3", "unrelated"}
	if got := f.liveNames(); !sameSet(got, want) {
		t.Errorf("after RemoveOrphans: %v, want %v", got, want)
	}

	// A container created but never handed out still belongs to the session.
	f.add("scf-y-1-a-1", map[string]string{LabelManaged: "true", LabelSession: "mine"}, false)
	if err := d.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := f.liveNames(); !sameSet(got, []string{"scf-x-1-a-3", "unrelated"}) {
		t.Errorf("after Close: %v, want only the older version's and unrelated", got)
	}
	testutil.WaitClosed(t, in.Exited(), "Exited after Close")
	if _, err := fakeStart(t, d, fakeSpec(t)); !errors.Is(err, runtime.ErrClosed) || !errors.Is(err, scferr.ErrContainerInit) {
		t.Errorf("Start after Close = %v, want a 445 matching runtime.ErrClosed", err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestDockerFakeCloseDuringStart(t *testing.T) {
	started := make(chan struct{})
	f := newFakeDocker(t, func(fc *fakeContainer) {
		close(started)
		<-fc.killed // never ready
	})
	d := newFakeRuntime(t, f, DockerOptions{InitTimeout: 10 * time.Second})
	errc := make(chan error, 1)
	go func() {
		_, err := fakeStart(t, d, fakeSpec(t))
		errc <- err
	}()
	testutil.WaitClosed(t, started, "container start")
	if err := d.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		testutil.WantStatus(t, err, scferr.ErrContainerInit)
	case <-time.After(testutil.Timeout):
		t.Fatal("Start still waiting after Close removed its container")
	}
	if names := f.liveNames(); len(names) != 0 {
		t.Errorf("containers left: %v", names)
	}
}
