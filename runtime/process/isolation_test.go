//go:build linux

package process

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
	"github.com/scf-emulator/emulator/runtime/internal/instance"
	"github.com/scf-emulator/emulator/runtime/internal/testutil"
	"github.com/scf-emulator/emulator/scferr"
)

// Issue 12, attacks 6 and 7 (memory): the security rows of the process
// runtime. Each would fail without its defence: process-group kills miss a
// child in a new session, nothing reaped a crashed emulator's instances,
// and nothing limited or measured a function's memory.

// isolationModes are the modes this machine can run: the subreaper always,
// a cgroup when the machine allows one.
func isolationModes(t *testing.T) []string {
	modes := []string{IsolationSubreaper}
	if findCgroupRoot(slog.New(slog.DiscardHandler)) != nil {
		modes = append(modes, IsolationAuto)
	} else {
		t.Log("no cgroup for instances here (not root, or no memory controller): testing the subreaper only")
	}
	return modes
}

func newIsoRuntime(t *testing.T, dir, mode string) *Process {
	t.Helper()
	p, err := NewProcess(ProcessOptions{WorkDir: dir, Isolation: mode})
	if err != nil {
		t.Fatalf("NewProcess: %v", err)
	}
	return p
}

func isoSpec(t *testing.T, memMB int) runtime.Spec {
	s := testutil.Spec(testutil.Testdata(t, "isolation"), "Python3.9", "index.spawn")
	s.MemoryMB = memMB
	return s
}

// invokeHandler runs handler on in and returns its decoded answer.
func invokeHandler(t *testing.T, in runtime.Instance, handler string, event string) (map[string]any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), procTestTimeout)
	defer cancel()
	res, err := in.Invoke(ctx, runtime.Invocation{RequestID: "req-" + handler, Event: []byte(event)})
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatalf("payload %q: %v", res.Payload, err)
	}
	out["_mem"] = float64(res.MemUsage)
	return out, nil
}

// alive reports whether pid, started at start, still runs (a zombie does
// not: it waits only for its parent to read its status).
func alive(pid int, start uint64) bool {
	p, ok := readProc(pid)
	return ok && p.start == start && p.state != 'Z'
}

// spawned starts an instance whose handler starts a detached sleep, and
// returns the instance and that sleep.
func spawned(t *testing.T, p *Process, handler string) (runtime.Instance, int, uint64) {
	t.Helper()
	spec := isoSpec(t, 128)
	spec.Handler = "index." + handler
	in := procStart(t, p, spec)
	out, err := invokeHandler(t, in, handler, `{}`)
	if err != nil {
		t.Fatalf("invoke %s: %v", handler, err)
	}
	pid := int(out["pid"].(float64))
	start := startTime(pid)
	if !alive(pid, start) {
		t.Fatalf("the detached child %d is not running", pid)
	}
	return in, pid, start
}

func TestIsolationStopEndsDetachedChildren(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	for _, mode := range isolationModes(t) {
		for _, handler := range []string{"spawn", "spawn_orphan"} {
			t.Run(modeName(mode)+"/"+handler, func(t *testing.T) {
				p := newIsoRuntime(t, t.TempDir(), mode)
				in, pid, start := spawned(t, p, handler)
				time.Sleep(2 * sampleEvery) // the subreaper's sampler adopts the orphan
				if err := in.Stop(context.Background()); err != nil {
					t.Fatalf("Stop: %v", err)
				}
				if alive(pid, start) {
					t.Errorf("process %d (start_new_session=True) survived Stop", pid)
				}
			})
		}
	}
}

func TestIsolationManagerCloseEndsDetachedChildren(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	p := newIsoRuntime(t, t.TempDir(), IsolationAuto)
	m := runtime.NewManager(p, runtime.Options{})
	spec := isoSpec(t, 128)
	res, err := m.Invoke(context.Background(), spec, runtime.Invocation{RequestID: "r1", Event: []byte(`{}`)})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var out struct{ PID int }
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatal(err)
	}
	start := startTime(out.PID)
	if err := m.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if alive(out.PID, start) {
		t.Errorf("process %d (start_new_session=True) survived runtime.Manager.Close", out.PID)
	}
}

// TestIsolationReapAfterCrash drops a runtime without stopping anything,
// as a kill -9 of the emulator does, and starts another on the same state
// dir: it must kill what the first one left.
func TestIsolationReapAfterCrash(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	for _, mode := range isolationModes(t) {
		t.Run(modeName(mode), func(t *testing.T) {
			dir := t.TempDir()
			p := newIsoRuntime(t, dir, mode)
			in, pid, start := spawned(t, p, "spawn")
			main := instance.RunnerOf(in).(*child)
			mainPID, mainStart := main.pid, startTime(main.pid)
			time.Sleep(2 * sampleEvery)
			b, err := os.ReadFile(filepath.Join(dir, recordsFile))
			if err != nil || !strings.Contains(string(b), fmt.Sprintf(`"pid":%d`, mainPID)) {
				t.Fatalf("records %s (%v) lack the instance %d", b, err, mainPID)
			}
			// The crash: the runtime is dropped; its processes keep running.
			p = nil
			_ = newIsoRuntime(t, dir, mode)
			if alive(pid, start) || alive(mainPID, mainStart) {
				t.Errorf("after the next start: detached child alive %v, bootstrap alive %v; want both gone",
					alive(pid, start), alive(mainPID, mainStart))
			}
			_ = in.Stop(context.Background()) // the goroutines of the dropped runtime end
		})
	}
}

// TestIsolationReapSkipsReusedPID records a pid whose start time does not
// match: a process the kernel gave that pid since must survive.
func TestIsolationReapSkipsReusedPID(t *testing.T) {
	dir := t.TempDir()
	self := os.Getpid()
	recs := fmt.Sprintf(`[{"pid":%d,"start":%d,"children":[{"pid":%d,"start":%d}]}]`, self, startTime(self)+1, self, 1)
	if err := os.WriteFile(filepath.Join(dir, recordsFile), []byte(recs), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = newIsoRuntime(t, dir, IsolationSubreaper) // would kill this test if it trusted the pid
	b, _ := os.ReadFile(filepath.Join(dir, recordsFile))
	if strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("records after reaping: %s, want []", b)
	}
}

// TestIsolationMemory: a 128 MB function holding 400 MB answers 434 under a
// cgroup; without one it answers, and its memory is measured.
func TestIsolationMemory(t *testing.T) {
	testutil.NeedInterpreter(t, "python3")
	for _, mode := range isolationModes(t) {
		t.Run(modeName(mode), func(t *testing.T) {
			p := newIsoRuntime(t, t.TempDir(), mode)
			spec := isoSpec(t, 128)
			spec.Handler = "index.hog"
			in := procStart(t, p, spec)
			defer in.Stop(context.Background())
			out, err := invokeHandler(t, in, "hog", `{"mb":400}`)
			if mode == IsolationAuto {
				if got := scferr.Status(err); got != 434 {
					t.Fatalf("status %d (%v), want 434 from the cgroup's memory limit", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			if mem := out["_mem"].(float64); mem < 400<<20 {
				t.Errorf("MemUsage %.0f MB, want the peak of at least 400 MB", mem/(1<<20))
			}
		})
	}
}

func modeName(mode string) string {
	if mode == IsolationAuto {
		return "cgroup"
	}
	return mode
}
