package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/rollout"
)

// waitRollout waits until E's canary rollout is in state and returns it.
func waitRollout(t *testing.T, app *App, state rollout.State) rollout.Status {
	t.Helper()
	var st rollout.Status
	eventually(t, 30*time.Second, "E's rollout "+string(state), func() bool {
		st, _ = app.rollouts.Get("E", "canary")
		return st.State == state
	})
	return st
}

// TestParkedRolloutIsHeldAndGCWhileUp: a rollout on an alias of E is held,
// not failed, while E is parked (its step kept, shown as held with the
// reason), stays held across a restart, goes on from the same step when E
// comes back, and ends with the reason when `emulator gc --parked` deletes
// E while the emulator runs (through the running emulator, which it finds
// at --endpoint and checks is the one on this state folder).
func TestParkedRolloutIsHeldAndGCWhileUp(t *testing.T) {
	cfg := echoWorkspace(t)
	state := filepath.Join(t.TempDir(), "state")
	write := func(content string) {
		t.Helper()
		save(t, cfg, content)
	}
	app, stop := startApp(t, cfg, state)
	grayscaleE(t, app.reg) // canary: 2, with 3 at 30%
	// An hour per step: the rollout sits at its first step for the test.
	code, out, errOut := runCLI(t, "rollout", "E", "--alias", "canary", "--to", "3", "--steps", "50,100", "--interval", "1h",
		"--detach", "--endpoint", app.AdminURL())
	if code != 0 {
		t.Fatalf("rollout: exit %d\n%s%s", code, out, errOut)
	}
	first := waitRollout(t, app, rollout.StateRunning)
	eventually(t, 30*time.Second, "step 1 applied", func() bool {
		st, _ := app.rollouts.Get("E", "canary")
		return st.Weight == 0.5 && !st.NextStepAt.IsZero()
	})

	t.Run("parked: held with its progress", func(t *testing.T) {
		write(withoutE(t))
		st := waitRollout(t, app, rollout.StateHeld)
		if st.ID != first.ID || st.Step != 0 || st.Weight != 0.5 || st.Hold == nil || !strings.Contains(st.Hold.Reason, "function E is parked") {
			t.Fatalf("held status = %+v", st)
		}
		code, out, _ := runCLI(t, "rollout", "E", "--alias", "canary", "--status", "--endpoint", app.AdminURL())
		if code != 0 || !strings.Contains(out, "E/canary v2 -> v3 held step 1/2  50% · function E is parked (it left emulator.yaml)") {
			t.Errorf("--status: exit %d\n%s", code, out)
		}
	})

	// Held across a restart (outside a subtest: the app lives on).
	stop()
	app, _ = startApp(t, cfg, state)
	if st, _ := app.rollouts.Get("E", "canary"); st.ID != first.ID || st.State != rollout.StateHeld || st.Weight != 0.5 {
		t.Fatalf("after the restart: %+v, want %s held at 50%%", st, first.ID)
	}

	t.Run("restored: goes on from the same step, its clock restarted", func(t *testing.T) {
		before := time.Now()
		write(liveConfig)
		st := waitRollout(t, app, rollout.StateRunning)
		eventually(t, 30*time.Second, "the step's next check scheduled", func() bool {
			st, _ = app.rollouts.Get("E", "canary")
			return !st.NextStepAt.IsZero()
		})
		if st.ID != first.ID || st.Step != 0 || st.Hold != nil || st.NextStepAt.Before(before.Add(time.Hour)) {
			t.Errorf("after the restore: %+v; want step 1, next check an hour after the restore (%v)", st, before)
		}
		al, err := app.reg.Alias("E", "canary")
		if err != nil || al.FunctionVersion != "2" || len(al.Weights) != 1 || al.Weights[0].Weight != 0.5 {
			t.Errorf("canary after the restore = %+v, %v; want 2 with 3 at 50%%", al, err)
		}
	})

	t.Run("gc --parked while up", func(t *testing.T) {
		write(withoutE(t))
		waitRollout(t, app, rollout.StateHeld)
		gc := func(endpoint string, args ...string) (int, string, string) {
			return runCLI(t, append([]string{"gc", "--parked", "--state-dir", state, "--endpoint", endpoint}, args...)...)
		}

		// Another emulator answering at the endpoint is refused.
		other, stopOther := startApp(t, "", filepath.Join(t.TempDir(), "other"))
		defer stopOther()
		code, out, errOut := gc(other.AdminURL(), "--dry-run")
		if code != 1 || !strings.Contains(errOut, "is in use by a running emulator, but the one at "+other.AdminURL()+" runs on") {
			t.Errorf("gc against another emulator: exit %d\n%s%s", code, out, errOut)
		}

		code, out, errOut = gc(app.AdminURL(), "--dry-run")
		if code != 0 || !strings.Contains(out, "versions 1-3, aliases canary") || !strings.Contains(out, "dry run: would delete 1 parked function(s)") {
			t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
		}
		// --endpoint before the command, as a global flag, works the same.
		if code2, out2, errOut2 := runCLI(t, "--endpoint", app.AdminURL(), "gc", "--parked", "--state-dir", state, "--dry-run"); code2 != code || out2 != out {
			t.Errorf("dry run with --endpoint before gc: exit %d\n%s%s\nwant exit %d\n%s", code2, out2, errOut2, code, out)
		}
		if _, ok := app.reg.ParkedFunction("E"); !ok {
			t.Fatal("the dry run deleted E")
		}
		code, out, errOut = gc(app.AdminURL(), "nope")
		if code != 2 || !strings.Contains(errOut, "nope is not parked in "+state+" (parked: E)") {
			t.Errorf("gc of a name not parked: exit %d\n%s%s", code, out, errOut)
		}

		code, out, errOut = gc(app.AdminURL(), "E")
		if code != 0 || !strings.Contains(out, "deleted 1 parked function(s): E") {
			t.Fatalf("gc: exit %d\n%s%s", code, out, errOut)
		}
		if _, ok := app.reg.ParkedFunction("E"); ok {
			t.Error("E is still parked")
		}
		st := waitRollout(t, app, rollout.StateAborted)
		if !strings.Contains(st.Reason, "function E was deleted while parked (`emulator gc --parked` or DeleteFunction); the rollout ends with it") {
			t.Errorf("reason = %q", st.Reason)
		}
		code, out, _ = gc(app.AdminURL())
		if code != 0 || !strings.Contains(out, "nothing is parked in "+state) {
			t.Errorf("gc with nothing parked: exit %d\n%s", code, out)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		code, _, errOut := runCLI(t, "gc", "--parked", "--state-dir", state, "--endpoint", "http://127.0.0.1:1")
		if code != 1 || !strings.Contains(errOut, state+" is in use by a running emulator, and asking it failed") || !strings.Contains(errOut, "127.0.0.1:1") {
			t.Errorf("gc with no emulator at the endpoint: exit %d\n%s", code, errOut)
		}
	})
}

// TestParkedRolloutEndsByGCWhileDown: with the emulator stopped, `emulator
// gc --parked` deletes the parked function itself and ends its held rollout
// in the state folder, with the reason the next start shows.
func TestParkedRolloutEndsByGCWhileDown(t *testing.T) {
	cfg := echoWorkspace(t)
	state := filepath.Join(t.TempDir(), "state")
	app, stop := startApp(t, cfg, state)
	grayscaleE(t, app.reg)
	if code, out, errOut := runCLI(t, "rollout", "E", "--alias", "canary", "--to", "3", "--steps", "50,100", "--interval", "1h",
		"--detach", "--endpoint", app.AdminURL()); code != 0 {
		t.Fatalf("rollout: exit %d\n%s%s", code, out, errOut)
	}
	save(t, cfg, withoutE(t))
	first := waitRollout(t, app, rollout.StateHeld)
	stop()

	code, out, errOut := runCLI(t, "gc", "--parked", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "deleted 1 parked function(s): E") {
		t.Fatalf("gc: exit %d\n%s%s", code, out, errOut)
	}
	app, _ = startApp(t, cfg, state)
	st, _ := app.rollouts.Get("E", "canary")
	want := "function E was deleted while parked, by `emulator gc --parked` with the emulator stopped; the rollout ends with it, nothing to restore"
	if st.ID != first.ID || st.State != rollout.StateAborted || st.Reason != want {
		t.Errorf("after the start: %s %s %q, want %s aborted %q", st.ID, st.State, st.Reason, first.ID, want)
	}
}

// hookHandler runs until the file $FLAG is removed, noting in $FLAG.calls
// when each call starts and ends, and in $FLAG.pid the process of the last
// to start.
const hookHandler = `import os, time

def main_handler(event, context):
    flag = os.environ["FLAG"]
    with open(flag + ".pid", "w") as f:
        f.write(str(os.getpid()))
    with open(flag + ".calls", "a") as f:
        f.write("start\n")
    while os.path.exists(flag):
        time.sleep(0.05)
    with open(flag + ".calls", "a") as f:
        f.write("end\n")
    return {"ok": True}
`

// TestParkingStopsARunningHook: E is parked while its rollout's
// pre-traffic hook (function H) runs: the hook's invocation is stopped and
// its instance released at once (not at H's 60 s timeout), the rollout is
// held before any traffic moved, and the restore runs the hook once, to its
// end, and the rollout goes on.
func TestParkingStopsARunningHook(t *testing.T) {
	cfg := echoWorkspace(t)
	dir := filepath.Dir(cfg)
	flag := filepath.Join(t.TempDir(), "hold")
	if err := os.MkdirAll(filepath.Join(dir, "hook"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, content := range map[string]string{filepath.Join(dir, "hook", "index.py"): hookHandler, flag: ""} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hDecl := "  H:\n    source: ./hook\n    runtime: Python3.9\n    handler: index.main_handler\n    timeout: 60\n" +
		"    environment: {variables: {FLAG: " + flag + "}}\nservices:"
	withH := func(c string) string { return strings.Replace(c, "services:", hDecl, 1) }
	save(t, cfg, withH(liveConfig))
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	grayscaleE(t, app.reg)
	if code, out, errOut := runCLI(t, "rollout", "E", "--alias", "canary", "--to", "3", "--steps", "50,100", "--interval", "1h",
		"--pre-traffic", "H", "--detach", "--endpoint", app.AdminURL()); code != 0 {
		t.Fatalf("rollout: exit %d\n%s%s", code, out, errOut)
	}
	calls := func() string {
		b, _ := os.ReadFile(flag + ".calls")
		return string(b)
	}
	busyH := func() int {
		n := 0
		for _, st := range app.mgr.Stats() {
			if st.Spec.Function == "H" {
				n += st.Busy
			}
		}
		return n
	}
	eventually(t, 30*time.Second, "the hook running", func() bool { return calls() == "start\n" && busyH() == 1 })

	save(t, cfg, withH(withoutE(t)))
	st := waitRollout(t, app, rollout.StateHeld)
	if st.Phase != rollout.PhasePreTraffic || st.Weight != 0 {
		t.Errorf("held status = %+v, want held in pre-traffic, no traffic moved", st)
	}
	eventually(t, 20*time.Second, "the hook's instance released", func() bool { return busyH() == 0 })
	if got := calls(); got != "start\n" {
		t.Errorf("hook calls while parked: %q, want the one stopped", got)
	}
	// The record says why the hook was cancelled, not a bare "Request canceled".
	eventually(t, 10*time.Second, "the stopped hook's record", func() bool {
		recs, _ := app.logs.Query(logstore.Query{Function: "H"})
		return len(recs) == 1 && !recs[0].Running && recs[0].Status == 499 &&
			strings.Contains(recs[0].RetMsg, "Request canceled: hook stopped: function E was parked")
	})
	// Its process is stopped in the background, just after the release:
	// gone before the flag is, or it would see the flag go and end.
	pid, err := os.ReadFile(flag + ".pid")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the stopped hook's process gone", func() bool {
		n, _ := strconv.Atoi(string(pid))
		p, err := os.FindProcess(n)
		return n > 0 && (err != nil || errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone))
	})

	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	save(t, cfg, withH(liveConfig))
	eventually(t, 30*time.Second, "the first step applied", func() bool {
		st, _ := app.rollouts.Get("E", "canary")
		return st.State == rollout.StateRunning && st.Weight == 0.5
	})
	if got := calls(); got != "start\nstart\nend\n" {
		t.Errorf("hook calls: %q, want the stopped one and one run to its end", got)
	}
}
