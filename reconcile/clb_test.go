package reconcile

import (
	"slices"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// withCLB is f declaring clb trigger name on ANY path at line.
func withCLB(f config.Function, name, path string, line int) config.Function {
	f.Triggers = append(slices.Clone(f.Triggers), config.Trigger{Type: config.TriggerCLB, Name: name, Qualifier: config.Default, Path: path, Method: "ANY", Enabled: true, Line: line})
	return f
}

// clbTrigger is a stored clb trigger of fn on ANY path.
func clbTrigger(fn, name, path string, config bool) registry.Trigger {
	return registry.Trigger{Function: fn, Name: name, Type: registry.TriggerCLB, Path: path, Method: "ANY", Enabled: true, Config: config}
}

// TestCLBRoutesOfAnEdit: the clb triggers an edit adds to a function are
// judged before anything changes, against what will hold their routes once
// the edit is applied: a route held by a trigger created through the cloud
// API, or declared twice, refuses the edit with file:line; one the same
// edit frees (a trigger it drops or moves, a function it removes) is taken,
// the routes given up first.
func TestCLBRoutesOfAnEdit(t *testing.T) {
	c, x := fn("C", "/src/c", 2), withCLB(fn("X", "/src/x", 4), "lbx", "/x", 5)
	tests := []struct {
		name    string
		setup   func(*rig)
		cur     *config.File
		wantErr string
		wantOps []string
	}{
		{name: "a route an API-created function's trigger holds", cur: file(withCLB(c, "mine", "/o", 9), x),
			wantErr: "emulator.yaml:9: functions.C.triggers mine: clb route ANY /o is taken: clb trigger orders of function D serves it; " +
				"give this trigger another path, or delete that trigger first"},
		{name: "a route an API-created trigger of the same function holds",
			setup: func(g *rig) { g.reg.triggers["C"] = []registry.Trigger{clbTrigger("C", "api", "/q", false)} },
			cur:   file(withCLB(c, "mine", "/q", 9), x), wantErr: "emulator.yaml:9: functions.C.triggers mine: clb route ANY /q is taken: clb trigger api of function C serves it"},
		{name: "a route another declaration keeps", cur: file(withCLB(c, "mine", "/x", 9), x),
			wantErr: "emulator.yaml:9: functions.C.triggers mine: clb route ANY /x is declared twice: trigger lbx of function X at emulator.yaml:5 declares it too"},
		{name: "a route declared twice anew", cur: file(withCLB(c, "mine", "/z", 9), withCLB(x, "lbz", "/z", 12)),
			wantErr: "emulator.yaml:9: functions.C.triggers mine: clb route ANY /z is declared twice: trigger lbz of function X at emulator.yaml:12 declares it too"},
		{name: "another method", cur: file(func() config.Function {
			f := withCLB(c, "mine", "/o", 9)
			f.Triggers[0].Method = "GET"
			return f
		}(), x),
			wantOps: []string{"serve", "triggers C", "triggers C mine", "resolve C"}},
		{name: "a disabled holder", setup: func(g *rig) { g.reg.triggers["D"][0].Enabled = false },
			cur: file(withCLB(c, "mine", "/o", 9), x), wantOps: []string{"serve", "triggers C", "triggers C mine", "resolve C"}},
		{name: "a trigger the file takes over on its own route",
			setup: func(g *rig) { g.reg.triggers["C"] = []registry.Trigger{clbTrigger("C", "mine", "/q", false)} },
			cur:   file(withCLB(c, "mine", "/q", 9), x), wantOps: []string{"serve", "triggers C mine", "resolve C"}},
		{name: "moved from another function", cur: file(withCLB(c, "mine", "/x", 9), fn("X", "/src/x", 4)),
			wantOps: []string{"serve", "triggers C", "triggers X", "triggers C mine", "resolve C", "resolve X"}},
		{name: "swapped between two functions", cur: file(withCLB(c, "lbc", "/x", 9), withCLB(fn("X", "/src/x", 4), "lbx", "/c", 5)),
			setup: func(g *rig) {
				g.running().Functions[0] = withCLB(c, "lbc", "/c", 3)
				g.reg.triggers["C"] = []registry.Trigger{clbTrigger("C", "lbc", "/c", true)}
			},
			wantOps: []string{"serve", "triggers C", "triggers X", "triggers C lbc", "triggers X lbx", "resolve C", "resolve X"}},
		{name: "held by a function the edit removes", cur: file(c, withCLB(fn("Y", "/src/y", 4), "lbx", "/x", 5)),
			wantOps: []string{"define Y /src/y", "serve", "park X", "triggers Y", "triggers Y lbx", "resolve Y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newRig(file(c, x))
			g.reg.triggers["X"] = []registry.Trigger{clbTrigger("X", "lbx", "/x", true)}
			g.reg.sources["D"] = "/managed/D"
			g.reg.triggers["D"] = []registry.Trigger{{Function: "D", Name: "orders", Type: registry.TriggerCLB, Path: "/o", Method: "POST", Enabled: true}}
			if tc.setup != nil {
				tc.setup(g)
			}
			g.check(t, tc.cur, tc.wantErr, tc.wantOps)
		})
	}
}

// TestRestoredTriggerYieldsToADeclaredCLBTrigger: E comes back in the
// edit that gives C a clb trigger on the route of E's kept one: E's
// yields, left out, as it does to a route another function holds.
func TestRestoredTriggerYieldsToADeclaredCLBTrigger(t *testing.T) {
	g := newRig(file(fn("C", "/src/c", 2)))
	g.reg.parked["E"] = registry.Parked{Name: "E"}
	g.reg.triggers["E"] = []registry.Trigger{clbTrigger("E", "lb", "/x", false)}
	want := []string{"define E /src/e leaving out lb", "serve", "triggers C", "triggers E", "triggers C mine", "resolve C", "resolve E"}
	rep, _ := g.check(t, file(withCLB(fn("C", "/src/c", 2), "mine", "/x", 9), fn("E", "/src/e", 6)), "", want)
	left := rep.LeftOut["E"]
	if len(left) != 1 || left[0].Trigger.Name != "lb" || left[0].Holder != "clb trigger mine of function C at emulator.yaml:9" {
		t.Fatalf("left out %+v, want E's lb held by C's declaration", left)
	}
	if s := left[0].String(); !strings.Contains(s, "move or remove that trigger in the config") {
		t.Errorf("conflict message %q lacks the fix", s)
	}
}

// TestCLBRouteOfAnUntouchedFunction: X declares clb trigger lbx disabled
// and the cloud API enabled it (UpdateTriggerStatus). An edit that leaves
// X alone does not put lbx back, so lbx keeps its route: an edit giving
// C a clb trigger there is refused before anything changes, not refused
// half-applied when the trigger is created. An edit that changes X as
// well disables lbx (the config wins), so the route is free for C.
func TestCLBRouteOfAnUntouchedFunction(t *testing.T) {
	c := fn("C", "/src/c", 2)
	x := withCLB(fn("X", "/src/x", 4), "lbx", "/x", 5)
	x.Triggers[0].Enabled = false
	setup := func() *rig {
		g := newRig(file(c, x))
		g.reg.triggers["X"] = []registry.Trigger{clbTrigger("X", "lbx", "/x", true)} // enabled through the cloud API
		return g
	}
	t.Run("X untouched", func(t *testing.T) {
		g := setup()
		g.check(t, file(withCLB(c, "mine", "/x", 9), x),
			"emulator.yaml:9: functions.C.triggers mine: clb route ANY /x is taken: clb trigger lbx of function X serves it", nil)
	})
	t.Run("X changed too", func(t *testing.T) {
		g := setup()
		x2 := x
		x2.Source = "/src/x2"
		g.check(t, file(withCLB(c, "mine", "/x", 9), x2), "",
			[]string{"define X /src/x2", "unwatch X", "watch X /src/x2", "serve", "triggers C", "triggers X", "triggers C mine", "resolve C", "resolve X"})
	})
}
