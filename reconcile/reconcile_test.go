package reconcile

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

func TestRefusedEditChangesNothing(t *testing.T) {
	trig := fn("B", "/src/b2", 3)
	trig.Triggers = []config.Trigger{{Name: "tick", Type: "timer", Qualifier: "canary", Line: 9}}
	tests := []struct {
		name    string
		setup   func(*rig)
		cur     *config.File
		wantErr string
	}{
		{"name held by an API-created function", func(g *rig) { g.reg.sources["G"] = "/managed/G" },
			file(fn("B", "/src/b2", 3), fn("G", "/src/g", 7)),
			"emulator.yaml:7: functions.G: a function of this name was created through the cloud API"},
		{"routes refused by the gateway", func(g *rig) { g.routes.checkErr = errors.New("route clash") },
			file(fn("B", "/src/b2", 3)), "emulator.yaml: services: route clash"},
		{"trigger through a missing alias", nil, file(trig),
			"emulator.yaml:9: functions.B.triggers tick: function B has no alias canary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := file(fn("B", "/src/b", 3))
			g := newRig(old)
			if tc.setup != nil {
				tc.setup(g)
			}
			rep := g.save(tc.cur)
			if rep.Err == nil || !strings.Contains(rep.Err.Error(), tc.wantErr) {
				t.Fatalf("report error %v, want one containing %q", rep.Err, tc.wantErr)
			}
			if len(g.log) != 0 {
				t.Errorf("a refused check did %s, want nothing", g.log)
			}
			if g.routes.running != old {
				t.Error("the running config changed")
			}
		})
	}
}

// TestStageBoundToAMissingQualifierApplies: as at start-up, where it is a
// banner warning, a stage bound to an alias or version the function does
// not have (yet) is no reason to refuse an edit: the gateway answers 442
// there until it exists, and the console warns (cmd/emulator).
func TestStageBoundToAMissingQualifierApplies(t *testing.T) {
	for _, q := range []string{"canary", "7"} {
		t.Run(q, func(t *testing.T) {
			g := newRig(file(fn("B", "/src/b", 3)))
			cur := file(fn("B", "/src/b", 3))
			cur.Services = []config.Service{{Name: "A", Stages: map[string]string{"canary": q},
				APIs: []config.API{{Path: "/x", Method: "ANY", Function: "B", Line: 12}}}}
			g.check(t, cur, "", []string{"serve"})
		})
	}
}

func TestFailedDefineRollsBack(t *testing.T) {
	tests := []struct {
		name     string
		cur      *config.File
		envE     string // E's variable A, "1" before the edit
		parked   []string
		wantOps  []string
		wantText string
	}{
		{"changed, then a failing new function",
			file(fn("E", "/src/e-old", 2), fn("H", "/src/h", 8)), "2", nil,
			[]string{"define E /src/e-old", "define H /src/h", "define E /src/e-old"},
			"emulator.yaml:8: function H: build failed: broken"},
		{"moved source is watched back",
			file(fn("E", "/src/e2", 2), fn("H", "/src/h", 8)), "2", nil,
			[]string{"define E /src/e2", "unwatch E", "watch E /src/e2", "define H /src/h",
				"unwatch E", "watch E /src/e-old", "define E /src/e-old"},
			"emulator.yaml:8: function H: build failed"},
		{"added and restored functions are undone in reverse",
			file(fn("E", "/src/e-old", 2), fn("N", "/src/n", 4), fn("P", "/src/p", 6), fn("H", "/src/h", 8)), "1", []string{"P"},
			[]string{"define N /src/n", "define P /src/p", "define H /src/h", "park P", "delete N"},
			"emulator.yaml:8: function H: build failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := file(fn("E", "/src/e-old", 2))
			old.Functions[0].Environment = map[string]string{"A": "1"}
			g := newRig(old)
			g.reg.failOn = "H"
			for _, p := range tc.parked {
				g.reg.parked[p] = registry.Parked{Name: p}
			}
			tc.cur.Functions[0].Environment = map[string]string{"A": tc.envE}
			rep := g.save(tc.cur)
			if rep.Err == nil || !strings.Contains(rep.Err.Error(), tc.wantText) {
				t.Fatalf("report error %v, want one containing %q", rep.Err, tc.wantText)
			}
			if !slices.Equal(g.log, tc.wantOps) {
				t.Errorf("ops:\n got %s\nwant %s", g.log, ops(tc.wantOps))
			}
			if g.routes.running != old {
				t.Error("the running config changed")
			}
			if _, ok := g.reg.sources["N"]; ok {
				t.Error("N stayed defined")
			}
			if len(rep.Restored) != 0 {
				t.Errorf("report restored %v after the rollback", rep.Restored)
			}
		})
	}
}

func TestRemovedFunctionParkedAfterRoutes(t *testing.T) {
	tests := []struct {
		name       string
		failPark   bool
		wantOps    []string
		wantParked []string
	}{
		// Parked before the triggers are applied: the routes of its
		// triggers are free for the file's.
		{"parked", false, []string{"define A /src/a2", "serve", "park R", "triggers A", "resolve A"}, []string{"R"}},
		// The routes are swapped already: a failed park leaves R served and
		// the edit stands.
		{"park fails", true, []string{"define A /src/a2", "serve", "park R", "triggers A", "resolve A"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newRig(file(fn("A", "/src/a", 2), fn("R", "/src/r", 5)))
			g.reg.failPark = tc.failPark
			cur := file(fn("A", "/src/a2", 2))
			rep := g.save(cur)
			if rep.Err != nil {
				t.Fatalf("report error %v, want applied", rep.Err)
			}
			// The source move rewatches A right after its definition.
			got := slices.DeleteFunc(slices.Clone(g.log), func(s string) bool {
				return strings.HasPrefix(s, "watch ") || strings.HasPrefix(s, "unwatch ")
			})
			if !slices.Equal(got, tc.wantOps) {
				t.Errorf("ops:\n got %s\nwant %s", ops(got), ops(tc.wantOps))
			}
			var parked []string
			for name := range rep.Parked {
				parked = append(parked, name)
			}
			if !slices.Equal(parked, tc.wantParked) {
				t.Errorf("report parked %v, want %v", parked, tc.wantParked)
			}
			if g.routes.running != cur {
				t.Error("the edit is not the running config")
			}
		})
	}
}

func TestReloadReports(t *testing.T) {
	g := newRig(file(fn("A", "/src/a", 2)))
	if rep := g.save(file(fn("A", "/src/a", 9))); len(g.reports) != 0 {
		t.Fatalf("a moved line was reported: %+v", rep)
	}
	g.routes.serveErr = errors.New("clash")
	if rep := g.save(file(fn("A", "/src/a", 2), fn("B", "/src/b", 4))); rep.Err == nil || rep.Err.Error() != "emulator.yaml: services: clash" {
		t.Fatalf("report error %v, want the services error", rep.Err)
	}
	if g.reg.sources["B"] != "" {
		t.Error("B stayed defined after the routes were refused")
	}
	g.routes.serveErr = nil
	if rep := g.save(file(fn("A", "/src/a", 2))); rep.Err != nil || !rep.Recovered || len(g.reports) != 2 {
		t.Fatalf("report %+v (of %d), want recovered", rep, len(g.reports))
	}
}
