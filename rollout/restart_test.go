package rollout

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/registry"
)

func TestRestart(t *testing.T) {
	cases := []struct {
		name       string
		between    func(e *env) // while the emulator is down
		wantState  State
		wantReason string
		wantAlias  registry.Alias
	}{
		{name: "resumes and completes", wantState: StatePromoted,
			wantAlias: registry.Alias{FunctionVersion: "2", Matches: []registry.VersionMatch{bobRule}}},
		{name: "new version deleted", between: func(e *env) { e.aliases.deleteVersion("2") }, wantState: StateAborted,
			wantReason: "could not resume after a restart: version 2 is gone", wantAlias: original},
		{name: "alias changed while down", between: func(e *env) { e.aliases.set(registry.Alias{Name: "release", FunctionVersion: "3"}) },
			wantState: StateAborted, wantReason: "could not resume after a restart: " + reasonDrift,
			wantAlias: registry.Alias{FunctionVersion: "3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.met.set("2", 100, 0, time.Millisecond)
			first := e.start(Plan{Function: "B", Alias: "release", To: "2", Steps: []float64{0.1, 0.5, 1}, Interval: Duration(time.Minute), Speed: 60})
			e.clock.waitForWaiter(t)
			e.clock.Advance(time.Second)
			e.clock.waitForWaiter(t) // step 1 applied, waiting
			writes := e.aliases.updateCount()
			e.m.Close()
			if n := e.aliases.updateCount(); n != writes || weightOn(e.aliases.get("release"), "2") != 0.5 {
				t.Fatalf("Close touched the alias: %d writes after %d, alias %+v", n, writes, e.aliases.get("release"))
			}
			if tc.between != nil {
				tc.between(e)
			}
			e.clock.Advance(time.Hour) // the emulator was down for a while
			e.open()
			if tc.wantState == StatePromoted {
				st, _ := e.m.Get("B", "release")
				if st.ID != first.ID || st.State != StateRunning || st.Step != 1 {
					t.Fatalf("after restart: %+v, want %s running at step 1", st, first.ID)
				}
				e.clock.waitForWaiter(t)
				e.clock.Advance(time.Second)
			}
			st := e.waitState("release", tc.wantState)
			if !strings.Contains(st.Reason, tc.wantReason) {
				t.Errorf("reason = %q, want %q", st.Reason, tc.wantReason)
			}
			al := e.aliases.get("release")
			if al.FunctionVersion != tc.wantAlias.FunctionVersion || len(al.Weights) != 0 || !slices.Equal(al.Matches, tc.wantAlias.Matches) {
				t.Errorf("alias = %+v, want routing %+v", al, tc.wantAlias)
			}
		})
	}
}

func TestRestartAcceptsAWriteInFlight(t *testing.T) {
	e := newEnv(t)
	e.start(canary(Gates{}))
	e.clock.waitForWaiter(t)
	e.m.Close()
	// Simulate a crash after the intent to promote was saved but before the
	// alias was written: the file says step 1 with a target, the alias
	// still has step 0.
	path := filepath.Join(e.dir, fileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f stateFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	target := stepRouting(f.Rollouts[0].Original, "2", 1)
	f.Rollouts[0].Step, f.Rollouts[0].Target = 1, &target
	b, _ = json.Marshal(f)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e.open()
	e.waitState("release", StatePromoted)
	if al := e.aliases.get("release"); al.FunctionVersion != "2" {
		t.Errorf("alias = %+v, want the promotion finished", al)
	}
}

func TestCloseDuringHookLeavesItToResume(t *testing.T) {
	e := newEnv(t)
	e.inv.block = true
	p := canary(Gates{})
	p.PreTraffic = &Hook{Function: "pre"}
	e.start(p)
	eventually(t, "the hook to run", func() bool { return len(e.inv.called()) == 1 })
	e.m.Close()
	st, _ := e.m.Get("B", "release")
	if st.State != StateRunning || st.Phase != PhasePreTraffic || e.aliases.updateCount() != 0 {
		t.Errorf("after Close: %+v, %d writes; want running in pre-traffic, alias untouched", st, e.aliases.updateCount())
	}
	if _, err := e.m.Start(t.Context(), canary(Gates{})); !errors.Is(err, ErrClosed) && !errors.Is(err, ErrActive) {
		t.Errorf("Start after Close: %v", err)
	}
}

// TestHookStopCauses: a hook call ended by an abort or by Close ends with
// a context whose cause says which, so the hook invocation's log record
// names it ("Request canceled: rollout ... aborted: ...") rather than a
// bare cancel.
func TestHookStopCauses(t *testing.T) {
	tests := []struct {
		name string
		stop func(e *env)
		want []string
	}{
		{"abort", func(e *env) {
			if _, err := e.m.Abort("B", "release", "bad numbers"); err != nil {
				t.Error(err)
			}
		}, []string{"rollout", "of alias release of function B aborted: bad numbers"}},
		{"close", func(e *env) { e.m.Close() }, []string{"the emulator is stopping"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.inv.block = true
			p := canary(Gates{})
			p.PreTraffic = &Hook{Function: "pre"}
			e.start(p)
			eventually(t, "the hook to run", func() bool { return len(e.inv.called()) == 1 })
			tc.stop(e)
			eventually(t, "the hook stopped", func() bool { return len(e.inv.stoppedWith()) == 1 })
			cause := e.inv.stoppedWith()[0]
			for _, w := range tc.want {
				if cause == nil || !strings.Contains(cause.Error(), w) {
					t.Errorf("the hook's context ended with %v, want %q in it", cause, w)
				}
			}
		})
	}
}
