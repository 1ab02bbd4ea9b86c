package rollout

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/registry"
)

// threeSteps is 10%, 50%, 100%, one second per step (a minute at speed 60).
func threeSteps() Plan {
	return Plan{Function: "B", Alias: "release", To: "2", Steps: []float64{0.1, 0.5, 1}, Interval: Duration(time.Minute), Speed: 60}
}

// toStepTwo starts threeSteps and brings it to its second step (50%),
// waiting on the clock.
func (e *env) toStepTwo() Status {
	e.t.Helper()
	e.met.set("2", 100, 0, time.Millisecond)
	st := e.start(threeSteps())
	e.clock.waitForWaiterAt(e.t, st.StartedAt.Add(time.Second))
	e.clock.Advance(time.Second)
	e.clock.waitForWaiterAt(e.t, st.StartedAt.Add(2*time.Second))
	if got, _ := e.m.Get("B", "release"); got.Step != 1 || got.Weight != 0.5 {
		e.t.Fatalf("not at step 2: %+v", got)
	}
	return st
}

// park parks B and tells the manager, as the registry's subscription does.
func (e *env) park() {
	e.aliases.setParked(true)
	e.m.OnChange(registry.Change{Kind: registry.ChangeFunctionParked, Function: "B"})
}

func (e *env) restore() {
	e.aliases.setParked(false)
	e.m.OnChange(registry.Change{Kind: registry.ChangeFunctionRestored, Function: "B"})
}

func (e *env) deleteFunction() {
	e.aliases.drop()
	e.m.OnChange(registry.Change{Kind: registry.ChangeFunctionDeleted, Function: "B"})
}

// TestParkedFunctionHoldsTheRollout: parked mid-step, the rollout is held
// with its progress; time passing changes nothing; restored, it goes on from
// the same step with a full interval from the restore, and the gates see
// only the time since then.
func TestParkedFunctionHoldsTheRollout(t *testing.T) {
	tests := []struct {
		name  string
		nudge bool // OnChange tells the manager; without it, the next check finds out
	}{
		{"told at once", true},
		{"found at the next check", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.toStepTwo()
			writes := e.aliases.updateCount()
			if tc.nudge {
				e.park()
			} else {
				e.aliases.setParked(true)
				e.clock.Advance(time.Second) // the step's check reads the alias
			}
			st := e.waitState("release", StateHeld)
			if st.Step != 1 || st.Weight != 0.5 || st.Phase != PhaseTraffic || st.Hold == nil || !st.NextStepAt.IsZero() {
				t.Fatalf("held status = %+v, want step 2 at 50%% in traffic, a hold, no next check", st)
			}
			if !strings.Contains(st.Hold.Reason, "function B is parked") || !strings.Contains(st.Hold.Reason, "where it stood") {
				t.Errorf("hold reason = %q", st.Hold.Reason)
			}
			heldSince := st.Hold.Since

			e.clock.Advance(time.Hour) // parked for an hour: nothing moves
			if st, _ := e.m.Get("B", "release"); st.State != StateHeld || st.Step != 1 || e.aliases.updateCount() != writes {
				t.Fatalf("after an hour parked: %+v, %d alias writes (want %d)", st, e.aliases.updateCount(), writes)
			}
			if al := e.aliases.get("release"); weightOn(al, "2") != 0.5 {
				t.Fatalf("the parked alias changed: %+v", al)
			}
			if !tc.nudge {
				e.m.OnChange(registry.Change{Kind: registry.ChangeFunctionParked, Function: "B"}) // late: changes nothing
				if st, _ := e.m.Get("B", "release"); !st.Hold.Since.Equal(heldSince) {
					t.Errorf("a second park notice moved the hold's start: %v, was %v", st.Hold.Since, heldSince)
				}
			}

			restoredAt := e.clock.Now()
			e.restore()
			e.clock.waitForWaiterAt(t, restoredAt.Add(time.Second))
			st, _ = e.m.Get("B", "release")
			if st.State != StateRunning || st.Step != 1 || st.Hold != nil || !st.NextStepAt.Equal(restoredAt.Add(time.Second)) {
				t.Fatalf("after the restore: %+v, want running at step 2, next check one interval after the restore", st)
			}
			e.clock.Advance(time.Second)
			e.waitState("release", StatePromoted)
			ws := e.met.askedWindows()
			if last := ws[len(ws)-1]; last != time.Second {
				t.Errorf("the check after the restore looked at %v of metrics, want 1s (the parked hour is no soak time)", last)
			}
		})
	}
}

func TestParkedRolloutEndsWhenTheFunctionIsDeleted(t *testing.T) {
	tests := []struct {
		name       string
		park       bool
		wantReason string
	}{
		{"held", true, "function B was deleted while parked (`emulator gc --parked` or DeleteFunction); the rollout ends with it"},
		{"running", false, "function B was deleted (DeleteFunction)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.toStepTwo()
			if tc.park {
				e.park()
				e.waitState("release", StateHeld)
			}
			e.deleteFunction()
			st := e.waitState("release", StateAborted)
			if !strings.Contains(st.Reason, tc.wantReason) || st.Hold != nil || st.Phase != "" {
				t.Errorf("ended %+v, want reason %q", st, tc.wantReason)
			}
			if _, err := e.m.Start(t.Context(), threeSteps()); err == nil {
				t.Error("Start on the deleted function's alias succeeded")
			}
		})
	}
}

// TestAbortWhileHeld: the alias cannot be written while parked, so the
// rollback waits for the function to come back, and happens then.
func TestAbortWhileHeld(t *testing.T) {
	e := newEnv(t)
	e.toStepTwo()
	e.park()
	e.waitState("release", StateHeld)
	writes := e.aliases.updateCount()
	st, err := e.m.Abort("B", "release", "aborted from the CLI")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != StateHeld || st.Phase != PhaseRollback || !strings.Contains(st.Hold.Reason, "original routing is restored when the function is added back (aborted from the CLI)") {
		t.Fatalf("Abort while held = %+v, want held with the rollback pending", st)
	}
	if e.aliases.updateCount() != writes {
		t.Error("Abort wrote the parked function's alias")
	}
	e.restore()
	st = e.waitState("release", StateAborted)
	if !strings.Contains(st.Reason, "aborted from the CLI; original routing restored") {
		t.Errorf("reason = %q", st.Reason)
	}
	if al := e.aliases.get("release"); al.FunctionVersion != "1" || len(al.Weights) != 0 || !slices.Equal(al.Matches, original.Matches) {
		t.Errorf("alias after the rollback = %+v, want the original routing", al)
	}
}

// TestHeldAcrossRestart: a held rollout stays held through a restart; one
// running at the stop whose function was parked while down is held at the
// start, not aborted; what happens to the function while down decides the
// rest.
func TestHeldAcrossRestart(t *testing.T) {
	tests := []struct {
		name        string
		parkFirst   bool         // parked while running, before the stop
		whileDown   func(e *env) // between the stop and the start
		thenRestore bool         // restored after the start
		wantState   State        // in the end
		wantReason  string
	}{
		{name: "held, restored after the start", parkFirst: true, thenRestore: true, wantState: StatePromoted},
		{name: "held, restored while down", parkFirst: true, whileDown: func(e *env) { e.aliases.setParked(false) }, wantState: StatePromoted},
		{name: "parked while down", whileDown: func(e *env) { e.aliases.setParked(true) }, thenRestore: true, wantState: StatePromoted},
		{name: "held, deleted while down", parkFirst: true, whileDown: func(e *env) { e.aliases.drop() }, wantState: StateAborted,
			wantReason: "function B was deleted while parked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			first := e.toStepTwo()
			if tc.parkFirst {
				e.park()
				e.waitState("release", StateHeld)
			}
			e.m.Close()
			if tc.whileDown != nil {
				tc.whileDown(e)
			}
			e.clock.Advance(time.Hour)
			startedAt := e.clock.Now()
			e.open()
			if tc.thenRestore {
				st, _ := e.m.Get("B", "release")
				if st.ID != first.ID || st.State != StateHeld || st.Step != 1 {
					t.Fatalf("after the start: %+v, want %s held at step 2", st, first.ID)
				}
				e.restore()
			}
			if tc.wantState == StatePromoted {
				e.clock.waitForWaiterAt(t, startedAt.Add(time.Second))
				e.clock.Advance(time.Second)
			}
			st := e.waitState("release", tc.wantState)
			if !strings.Contains(st.Reason, tc.wantReason) {
				t.Errorf("reason = %q, want %q", st.Reason, tc.wantReason)
			}
		})
	}
}

func TestEndStopped(t *testing.T) {
	e := newEnv(t)
	e.toStepTwo()
	e.park()
	e.waitState("release", StateHeld)
	e.m.Close()
	ended, err := EndStopped(e.dir, "B", " while parked, by `emulator gc --parked`", e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(ended) != 1 || ended[0].State != StateAborted {
		t.Fatalf("EndStopped = %+v", ended)
	}
	if again, err := EndStopped(e.dir, "B", "x", e.clock.Now()); err != nil || len(again) != 0 {
		t.Errorf("second EndStopped = %+v, %v; want nothing", again, err)
	}
	e.aliases.drop()
	e.open()
	st, _ := e.m.Get("B", "release")
	want := "function B was deleted while parked, by `emulator gc --parked`; the rollout ends with it, nothing to restore"
	if st.State != StateAborted || st.Reason != want {
		t.Errorf("after the start: %s %q, want aborted %q", st.State, st.Reason, want)
	}
}

// TestParkingStopsARunningHook: a hook running when the rollout's function
// is parked is stopped (its context ends, the cause naming the parking),
// the rollout is held in the hook's phase, and the restore runs the hook
// once more, to its end. Deleted instead, the hook stops and the rollout
// ends.
func TestParkingStopsARunningHook(t *testing.T) {
	tests := []struct {
		name      string
		phase     Phase
		hook      func(*Plan)
		delete    bool
		wantCause string
	}{
		{"pre-traffic", PhasePreTraffic, func(p *Plan) { p.PreTraffic = &Hook{Function: "pre"} }, false, "function B was parked"},
		{"post-traffic", PhasePostTraffic, func(p *Plan) { p.PostTraffic = &Hook{Function: "post"} }, false, "function B was parked"},
		{"deleted", PhasePreTraffic, func(p *Plan) { p.PreTraffic = &Hook{Function: "pre"} }, true, "function B was deleted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.inv.blockFirst = 1
			p := Plan{Function: "B", Alias: "release", To: "2", Steps: []float64{1}}
			tc.hook(&p)
			e.start(p)
			eventually(t, "the hook to run", func() bool { return len(e.inv.called()) == 1 })
			if tc.delete {
				e.deleteFunction()
				st := e.waitState("release", StateAborted)
				if !strings.Contains(st.Reason, "function B was deleted") {
					t.Errorf("reason = %q", st.Reason)
				}
			} else {
				e.park()
				if st := e.waitState("release", StateHeld); st.Phase != tc.phase || st.Hold == nil {
					t.Fatalf("held status = %+v, want held in %s", st, tc.phase)
				}
			}
			stopped := e.inv.stoppedWith()
			if len(stopped) != 1 || stopped[0] == nil || !strings.Contains(stopped[0].Error(), tc.wantCause) {
				t.Fatalf("the hook's context ended with %v, want one end, %q", stopped, tc.wantCause)
			}
			if tc.delete {
				return
			}
			if n := len(e.inv.called()); n != 1 {
				t.Fatalf("%d hook calls while parked, want the one stopped", n)
			}
			e.restore()
			e.waitState("release", StatePromoted)
			if n := len(e.inv.called()); n != 2 {
				t.Errorf("%d hook calls in all, want the stopped one and one at the restore", n)
			}
		})
	}
}

// TestHookStoppedByAParkingUndoneAtOnce: the function is parked and back
// before the goroutine sees it (the registry no longer says parked): the
// stopped hook is not a failed one, and runs again.
func TestHookStoppedByAParkingUndoneAtOnce(t *testing.T) {
	e := newEnv(t)
	e.inv.blockFirst = 1
	p := Plan{Function: "B", Alias: "release", To: "2", Steps: []float64{1}, PreTraffic: &Hook{Function: "pre"}}
	e.start(p)
	eventually(t, "the hook to run", func() bool { return len(e.inv.called()) == 1 })
	e.m.OnChange(registry.Change{Kind: registry.ChangeFunctionParked, Function: "B"})
	e.waitState("release", StatePromoted)
	if n := len(e.inv.called()); n != 2 {
		t.Errorf("%d hook calls, want the stopped one and one more", n)
	}
}
