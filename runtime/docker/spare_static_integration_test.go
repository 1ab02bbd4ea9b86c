//go:build unix

package docker

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
)

// describeOf invokes dockerfn's describe and returns its answer.
func describeOf(t *testing.T, in runtime.Instance) map[string]any {
	t.Helper()
	res, err := dockerInvoke(t, in, `{"name":"describe"}`)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("answer: %v: %s", err, res.Payload)
	}
	return got
}

// noneLeft checks, after Close, that no container of d and no spare folder
// remain.
func noneLeft(t *testing.T, d *Docker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
	defer cancel()
	if left, err := d.api.list(ctx, d.scope); err != nil || len(left) != 0 {
		t.Errorf("after Close: %d containers left (%v)", len(left), err)
	}
	if _, err := os.Stat(d.spareRoot()); !os.IsNotExist(err) {
		t.Errorf("after Close: the spare root is still there (%v)", err)
	}
}

func TestSpareStaticRuntimes(t *testing.T) {
	for _, rt := range []string{"Go1", "CustomRuntime"} {
		t.Run(rt, func(t *testing.T) {
			var d *Docker
			t.Cleanup(func() { // after Close
				if d != nil {
					noneLeft(t, d)
				}
			})
			// CustomRuntime in the FROM-scratch image too: no shell anywhere.
			d = newDockerTestRuntime(t, map[string]string{"customruntime": StaticRuntimeImage})
			dir := buildDockerFn(t)
			specA := dockerSpec(dir, rt, "event")
			a := dockerStart(t, d, specA)
			sp := idleSpare(t, d)

			// A newly published version, with other environment: it runs in
			// the spare, with none of the spare's environment.
			specB := dockerSpec(dir, rt, "event")
			specB.Version, specB.CodeHash, specB.Env = "2", "b0b", map[string]string{}
			b := dockerStart(t, d, specB)
			if id := containerOf(t, b).id; id != sp.c.id {
				t.Errorf("version 2 runs in container %s, not in the spare %s", id, sp.c.id)
			}
			gotA, gotB := describeOf(t, a), describeOf(t, b)
			wantDescribed(t, gotA)
			for k, want := range map[string]any{"version": "2", "greeting": "", "cwd": "/var/user", "var_user_rw": false, "tmp_rw": true} {
				if gotB[k] != want {
					t.Errorf("in the spare: %s = %v, want %v", k, gotB[k], want)
				}
			}
			// The next spare is made in the background, for the next version.
			if next := idleSpare(t, d); next == sp {
				t.Error("the taken spare is idle again")
			}
		})
	}
}

func TestSpareFailingBeforeCodeFallsBack(t *testing.T) {
	for _, c := range []struct {
		name  string
		spoil func(t *testing.T, sp *spare)
	}{
		{"waiter gone", func(t *testing.T, sp *spare) {
			sp.ctl.Close() // as when the emulator dies: the waiter exits
			sp.ctl = nil
			select {
			case <-sp.c.Done():
			case <-time.After(dockerTestTimeout):
				t.Fatal("the spare's container did not exit when its FIFO closed")
			}
		}},
		{"code folder gone", func(t *testing.T, sp *spare) {
			if err := os.RemoveAll(filepath.Join(sp.dir, "code")); err != nil {
				t.Fatal(err)
			}
		}},
		{"order refused", func(t *testing.T, sp *spare) {
			sp.ctl.Close()
			sp.ctl, _ = os.Open(os.DevNull) // read-only: the order's write fails
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newDockerTestRuntime(t, nil)
			dir := buildDockerFn(t)
			dockerStart(t, d, dockerSpec(dir, "Go1", "event"))
			sp := idleSpare(t, d)
			c.spoil(t, sp)
			spec := dockerSpec(dir, "Go1", "event")
			spec.Version, spec.CodeHash = "2", "b0b"
			b := dockerStart(t, d, spec)
			if containerOf(t, b).id == sp.c.id {
				t.Error("version 2 runs in the spoilt spare")
			}
			if got := describeOf(t, b); got["version"] != "2" {
				t.Errorf("version = %v, want 2", got["version"])
			}
			if _, err := inspectContainer(t, d, sp.c.id); err == nil || !strings.Contains(err.Error(), "No such") && !strings.Contains(err.Error(), "not found") {
				t.Errorf("the spoilt spare is still there: inspect: %v", err)
			}
		})
	}
}

// spareChildEnv, when set, makes TestNoSpareOutlivesTheEmulator the
// emulator: it makes a spare, prints its id and waits to be killed.
const spareChildEnv = "SCF_TEST_SPARE_CHILD"

func TestNoSpareOutlivesTheEmulator(t *testing.T) { testNoSpareOutlivesTheEmulator(t, false) }

// testNoSpareOutlivesTheEmulator kills, with SIGKILL, a child emulator
// that made a spare (waiting in the image's shell when shell), and checks
// that the spare exits.
func testNoSpareOutlivesTheEmulator(t *testing.T, shell bool) {
	if os.Getenv(spareChildEnv) != "" {
		d := newDockerTestRuntimeWith(t, DockerOptions{scope: map[string]string{"dev.scf-emulator.test": os.Getenv(spareChildEnv)}})
		spec := dockerSpec(os.Getenv(spareChildEnv+"_CODE"), "Go1", "event")
		if shell {
			d.spares.noBinary = true
			spec = dockerSpec(os.Getenv(spareChildEnv+"_CODE"), "Python3.9", "event")
			spec.Handler = "index.main_handler"
		}
		dockerStart(t, d, spec)
		os.Stdout.WriteString("SPARE " + idleSpare(t, d).c.id + "\n")
		<-t.Context().Done() // until SIGKILL
		return
	}
	d := newDockerTestRuntime(t, nil) // the scope the child's containers carry
	dir := ""
	if shell {
		needImage(t, d, DebianRuntimeImage)
		dir = writePy(t, "v1")
	} else {
		dir = buildDockerFn(t)
	}
	scope := d.scope["dev.scf-emulator.test"]
	child := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+t.Name()+"$", "-test.timeout=5m")
	child.Env = append(os.Environ(), spareChildEnv+"="+scope, spareChildEnv+"_CODE="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	id := ""
	for sc := bufio.NewScanner(out); id == "" && sc.Scan(); {
		id, _ = strings.CutPrefix(sc.Text(), "SPARE ")
	}
	if err := child.Process.Kill(); err != nil { // SIGKILL: no Close
		t.Fatal(err)
	}
	_ = child.Wait()
	if id == "" {
		t.Fatal("the child emulator made no spare")
	}
	for deadline := time.Now().Add(dockerTestTimeout); ; time.Sleep(50 * time.Millisecond) {
		info, err := inspectContainer(t, d, id)
		if err != nil {
			t.Fatalf("inspect the spare: %v", err)
		}
		if !info.running {
			break // the kernel closed the FIFO (the daemon, stdin): the waiter exited
		}
		if time.Now().After(deadline) {
			t.Fatal("the spare still runs after its emulator was killed")
		}
	}
	// What the child left (its instance, the exited spare) carries d's
	// scope but the child's session, which d's Close would not remove.
	left, err := d.api.list(cleanupCtx(t), d.scope)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range left {
		if err := d.removeContainer(cleanupCtx(t), c.id); err != nil {
			t.Errorf("remove the child's container %s: %v", c.name, err)
		}
	}
	// And its presence volume, which only the next start would reap.
	if _, err := d.removeVolumes(cleanupCtx(t), func(map[string]string) bool { return true }); err != nil {
		t.Errorf("remove the child's volumes: %v", err)
	}
}

// cleanupCtx is a context of the test timeout for a cleanup step.
func cleanupCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), dockerTestTimeout)
	t.Cleanup(cancel)
	return c
}
