//go:build unix

package docker

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// These tests run containers on the local Docker daemon and skip when none
// answers. They never pull or build images: Go1, web and custom-runtime
// instances run testdata/dockerfn, a static binary, in StaticRuntimeImage;
// the Python/Node/bash test needs DebianRuntimeImage. A missing image skips
// the test with how to build both (`emulator images --build`).

func TestDockerGo1(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	dir := buildDockerFn(t)
	spec := dockerSpec(dir, "Go1", "event")
	in := dockerStart(t, d, spec)
	c := containerOf(t, in)

	res, err := invokeLogged(t, in, `{"name":"gopher"}`, "dockerfn handled gopher", "dockerfn stderr line")
	got := testutil.DecodePayload(t, res, err)
	wantDescribed(t, got)
	if res.MemUsage <= 0 {
		t.Errorf("MemUsage = %d, want the container's usage", res.MemUsage)
	}

	// A handler error is a 430 and the container stays.
	_, err = dockerInvoke(t, in, `{"mode":"error"}`)
	testutil.WantStatus(t, err, scferr.ErrUserCode, "dockerfn failed on request")

	info, err := inspectContainer(t, d, c.id)
	if err != nil {
		t.Fatal(err)
	}
	wantLabels := map[string]string{
		LabelManaged: "true", LabelSession: d.Session(), LabelFunction: "dfn",
		LabelVersion: "$LATEST", LabelCodeHash: "c0ffee1234", LabelNamespace: "default",
	}
	for k, v := range wantLabels {
		if info.labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, info.labels[k], v)
		}
	}
	if !strings.HasPrefix(info.name, "scf-dfn-latest-c0ffee12-") {
		t.Errorf("container name %q, want scf-dfn-latest-c0ffee12-<n>", info.name)
	}
	if info.memoryBytes != 64<<20 || info.memorySwapBytes != 64<<20 {
		t.Errorf("memory %d, memory+swap %d, want both %d", info.memoryBytes, info.memorySwapBytes, 64<<20)
	}
	if info.pidsLimit != containerPidsLimit || !info.readonlyRootfs || !slices.Contains(info.capDrop, "ALL") || !slices.Contains(info.securityOpt, "no-new-privileges") {
		t.Errorf("hardening: pids %d, read-only root %v, cap-drop %v, security-opt %v", info.pidsLimit, info.readonlyRootfs, info.capDrop, info.securityOpt)
	}
	if !slices.Contains(info.mounts, bindMount{source: dir, target: "/var/user", readOnly: true}) {
		t.Errorf("mounts %+v lack %s read-only at /var/user", info.mounts, dir)
	}

	if err := in.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.WaitClosed(t, in.Exited(), "Exited after Stop")
	if _, err := inspectContainer(t, d, c.id); !errors.Is(err, errDockerNotFound) {
		t.Errorf("inspect after Stop: %v, want not found", err)
	}
}

func TestDockerWeb(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	spec := dockerSpec(buildDockerFn(t), "Go1", "http")
	in := dockerStart(t, d, spec)
	host, _, err := net.SplitHostPort(in.Addr())
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("Addr = %q, want 127.0.0.1:<port>", in.Addr())
	}
	var got map[string]any
	testutil.GetJSON(t, "http://"+in.Addr()+"/hello", &got)
	wantDescribed(t, got)
	if ev, _ := got["event"].(map[string]any); ev["path"] != "/hello" {
		t.Errorf("path = %v, want /hello", got["event"])
	}
}

func TestDockerCustomRuntimeAPI(t *testing.T) {
	// The static binary speaks the runtime API, which listens on the
	// network's gateway: the path Python and Node.js take too.
	d := newDockerTestRuntime(t, map[string]string{"customruntime": StaticRuntimeImage})
	in := dockerStart(t, d, dockerSpec(buildDockerFn(t), "CustomRuntime", "event"))
	res, err := invokeLogged(t, in, `{"name":"api"}`, "dockerfn handled api", "dockerfn stderr line")
	wantDescribed(t, testutil.DecodePayload(t, res, err))
	_, err = dockerInvoke(t, in, `{"mode":"error"}`)
	testutil.WantStatus(t, err, scferr.ErrUserCode, "dockerfn failed on request")
}

func TestDockerExitDuringStart(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	spec := dockerSpec(buildDockerFn(t), "Go1", "event")
	spec.Env["DOCKERFN_START"] = "exit"
	ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
	defer cancel()
	start := time.Now()
	_, err := d.Start(ctx, spec)
	testutil.WantStatus(t, err, scferr.ErrContainerInit, "exited during initialization", "exit code 2", "cannot load configuration")
	if elapsed := time.Since(start); elapsed > d.initTimeout/2 { // ctx ends at the init timeout too
		t.Errorf("Start gave up after %s, want at once (well before the %s init timeout)", elapsed, d.initTimeout)
	}
	left, err := d.api.list(ctx, d.scope)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("containers left after a failed start: %+v", left)
	}
}

func TestDockerOOMKill(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	spec := dockerSpec(buildDockerFn(t), "Go1", "event")
	spec.MemoryMB = 32
	in := dockerStart(t, d, spec)
	_, err := dockerInvoke(t, in, `{"mode":"oom"}`)
	testutil.WantStatus(t, err, scferr.ErrMemory, "32 MB")
	testutil.WaitClosed(t, in.Exited(), "Exited after the OOM kill")
}

// A child process over the limit dies while the container lives on; the
// handler's error becomes a 434 because the cgroup counted an OOM kill.
func TestDockerOOMKilledChild(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	needDebianImage(t, d)
	spec := dockerSpec(testutil.Testdata(t, "custom"), "CustomRuntime", "event")
	spec.MemoryMB = 64
	in := dockerStart(t, d, spec)
	if c := containerOf(t, in); c.OOMKills() < 0 {
		t.Skip("the OOM kill counter of the container's memory cgroup is not readable here")
	}
	_, err := dockerInvoke(t, in, `{"mode":"fail"}`)
	testutil.WantStatus(t, err, scferr.ErrUserCode, "custom failure")
	_, err = dockerInvoke(t, in, `{"mode":"oom-child"}`)
	testutil.WantStatus(t, err, scferr.ErrMemory, "64 MB", "custom child failed")
	if instance.IsDone(containerOf(t, in)) {
		t.Error("the container exited: only the child should have been killed")
	}
}

func TestDockerKilledFromOutside(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	in := dockerStart(t, d, dockerSpec(buildDockerFn(t), "Go1", "event"))
	c := containerOf(t, in)
	// The sleep outlasts any removal: a busy shared daemon can take seconds
	// to remove a container, and a 5 s sleep then answered before the kill.
	go func() {
		time.Sleep(time.Second) // the invocation is under way
		ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
		defer cancel()
		_ = d.api.remove(ctx, c.id) // as `docker rm -f` would
	}()
	_, err := dockerInvoke(t, in, `{"mode":"sleep","ms":600000}`)
	testutil.WantStatus(t, err, scferr.ErrProcessExit, "user process exit when running")
	testutil.WaitClosed(t, in.Exited(), "Exited after the kill")
	// Stopping what is gone already is not an error.
	if err := in.Stop(context.Background()); err != nil {
		t.Errorf("Stop after the kill: %v", err)
	}
}

func TestDockerRemoveOrphansAndClose(t *testing.T) {
	dir := buildDockerFn(t)
	scope := testScope(t)
	ours := newOwnedTestRuntime(t, scope, lockedStateDir(t), DockerOptions{})
	crashedDir := lockedStateDir(t)
	theirs := newOwnedTestRuntime(t, scope, crashedDir, DockerOptions{})
	keep := containerOf(t, dockerStart(t, ours, dockerSpec(dir, "Go1", "event")))
	gone := containerOf(t, dockerStart(t, theirs, dockerSpec(dir, "Go1", "event")))
	unlockStateDir(t, crashedDir) // theirs "crashed": its lock is free

	ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
	defer cancel()
	n, err := ours.RemoveOrphans(ctx, ours.Session())
	if err != nil || n != 1 {
		t.Fatalf("RemoveOrphans = %d, %v; want 1 removed", n, err)
	}
	if _, err := inspectContainer(t, ours, gone.id); !errors.Is(err, errDockerNotFound) {
		t.Errorf("the crashed emulator's container: inspect = %v, want not found", err)
	}
	if info, err := inspectContainer(t, ours, keep.id); err != nil || !info.running {
		t.Errorf("our container: running %v, err %v; want it kept", info.running, err)
	}
	testutil.WaitClosed(t, gone.Done(), "the removed container's exit")

	// Close removes what is left of the session, even without Stop.
	if err := ours.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := inspectContainer(t, theirs, keep.id); !errors.Is(err, errDockerNotFound) {
		t.Errorf("after Close: inspect = %v, want not found", err)
	}
	if _, err := ours.Start(ctx, dockerSpec(dir, "Go1", "event")); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Start after Close = %v, want runtime.ErrClosed", err)
	}
}

func TestDockerInterpreters(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	needDebianImage(t, d)
	tests := []struct {
		name    string
		dir     string
		runtime string
		handler string
		want    string // in the payload
		log     string
	}{
		// python:3.9-slim and node:16-slim are absent offline: the Debian
		// image stands in for them.
		{"python", testutil.Testdata(t, "python"), "Python3.9", "index.main_handler", `/var/user`, "python handler got d"},
		{"node", testutil.Testdata(t, "node"), "Nodejs16.13", "index.main_handler", `sync`, "node sync got d"},
		{"bash custom runtime", testutil.Testdata(t, "custom"), "CustomRuntime", "", `$LATEST`, "custom runtime got"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := dockerSpec(tc.dir, tc.runtime, "event")
			spec.Handler = tc.handler
			in := dockerStart(t, d, spec)
			res, err := invokeLogged(t, in, `{"name":"d"}`, tc.log)
			if err != nil {
				t.Fatalf("Invoke: %v (log %q)", err, res.Log)
			}
			if !strings.Contains(string(res.Payload), tc.want) {
				t.Errorf("payload %s lacks %s", res.Payload, tc.want)
			}
		})
	}
}

func TestDockerWithManager(t *testing.T) {
	d := newDockerTestRuntime(t, nil)
	m := runtime.NewManager(d, runtime.Options{})
	spec := dockerSpec(buildDockerFn(t), "Go1", "event")
	ctx, cancel := context.WithTimeout(t.Context(), dockerTestTimeout)
	defer cancel()
	for i, wantCold := range []bool{true, false} {
		res, err := m.Invoke(ctx, spec, runtime.Invocation{RequestID: "m", Event: []byte(`{"name":"m"}`)})
		if err != nil {
			t.Fatalf("Invoke %d: %v", i, err)
		}
		if res.ColdStart != wantCold {
			t.Errorf("Invoke %d: ColdStart = %v, want %v", i, res.ColdStart, wantCold)
		}
	}
	// A crash discards the container; the next request gets a fresh one.
	_, err := m.Invoke(ctx, spec, runtime.Invocation{RequestID: "m", Event: []byte(`{"mode":"exit"}`)})
	testutil.WantStatus(t, err, scferr.ErrProcessExit, "exit code 3")
	res, err := m.Invoke(ctx, spec, runtime.Invocation{RequestID: "m", Event: []byte(`{"name":"again"}`)})
	if err != nil || !res.ColdStart {
		t.Errorf("after the crash: ColdStart %v, err %v; want a fresh container", res.ColdStart, err)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// What is left are the function's spares, until the runtime's Close.
	left, err := d.api.list(ctx, d.scope)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range left {
		if c.labels[LabelVersion] != "" {
			t.Errorf("instance container %s left after runtime.Manager.Close", c.name)
		}
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	noneLeft(t, d)
}
