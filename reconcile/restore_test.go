package reconcile

import (
	"slices"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// keptOfE are the triggers parked function E keeps, sorted by name as the
// registry returns them.
func keptOfE() []registry.Trigger {
	return []registry.Trigger{
		{Function: "E", Name: "free", Type: registry.TriggerAPIGateway, Service: "A", Stage: "release", Path: "/free", Method: "ANY", Enabled: true},
		{Function: "E", Name: "lb", Type: registry.TriggerCLB, Path: "/x", Method: "ANY", Enabled: true},
		{Function: "E", Name: "off", Type: registry.TriggerAPIGateway, Service: "A", Stage: "release", Path: "/t", Method: "GET"},
		{Function: "E", Name: "tick", Type: registry.TriggerTimer, Enabled: true},
		{Function: "E", Name: "web", Type: registry.TriggerAPIGateway, Service: "A", Stage: "release", Path: "/t", Method: "ANY", Enabled: true},
	}
}

// takenWhileParked are what C and D created while E was parked: C's apigw
// trigger on /release/t (GET, which ANY overlaps) and D's clb trigger on /x.
func takenWhileParked() map[string][]registry.Trigger {
	return map[string][]registry.Trigger{
		"C": {{Function: "C", Name: "web", Type: registry.TriggerAPIGateway, Service: "A", Stage: "release", Path: "/t", Method: "GET", Enabled: true}},
		"D": {{Function: "D", Name: "orders", Type: registry.TriggerCLB, Path: "/x", Method: "POST", Enabled: true}},
	}
}

// serviceA is service A of the config with one API of C at line 20.
func serviceA(path, method string) []config.Service {
	return []config.Service{{Name: "A", Stages: map[string]string{"release": "release", "dev": config.Default},
		APIs: []config.API{{Path: path, Method: method, Function: "C", Line: 20}}}}
}

func TestRestoreLeavesOutTakenRoutes(t *testing.T) {
	takesOverWeb := fn("E", "/src/e", 6)
	takesOverWeb.Triggers = []config.Trigger{{Type: config.TriggerTimer, Name: "web", Cron: "0 * * * * * *", Line: 9}}
	declaredLB := fn("E", "/src/e", 6)
	declaredLB.Triggers = []config.Trigger{{Type: config.TriggerCLB, Name: "mine", Path: "/x", Enabled: true, Line: 9}}
	tests := []struct {
		name     string
		taken    map[string][]registry.Trigger
		services []config.Service
		e        config.Function
		wantOps  []string // "" entries skipped
		wantLeft []string // trigger: holder
		wantErr  string
	}{
		{name: "routes taken by other functions' triggers", taken: takenWhileParked(), e: fn("E", "/src/e", 6),
			wantOps:  []string{"define E /src/e leaving out lb,web", "serve", "triggers E", "resolve E"},
			wantLeft: []string{"lb: trigger orders of function D", "web: trigger web of function C"}},
		{name: "a trigger the file takes over is the file's", taken: takenWhileParked(), e: takesOverWeb,
			wantOps:  []string{"define E /src/e leaving out lb", "serve", "triggers E", "resolve E"},
			wantLeft: []string{"lb: trigger orders of function D"}},
		{name: "a config API on the route", services: serviceA("/free", "any"), e: fn("E", "/src/e", 6),
			wantOps:  []string{"define E /src/e leaving out free", "serve", "triggers E", "resolve E"},
			wantLeft: []string{"free: the API at emulator.yaml:20 (function C)"}},
		{name: "an API of another method leaves the route", services: serviceA("/free", "POST"), e: fn("E", "/src/e", 6),
			wantOps: []string{"define E /src/e", "serve", "triggers E", "resolve E"}},
		{name: "nothing taken", e: fn("E", "/src/e", 6),
			wantOps: []string{"define E /src/e", "serve", "triggers E", "resolve E"}},
		{name: "a declared clb trigger on a taken route is refused", taken: takenWhileParked(), e: declaredLB,
			wantErr: "emulator.yaml:9: functions.E.triggers mine: clb route ANY /x is taken: clb trigger orders of function D serves it (it took the route while E was parked)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newRig(file(fn("C", "/src/c", 2)))
			g.reg.aliases["C"] = []string{"release"}
			g.reg.parked["E"] = registry.Parked{Name: "E"}
			g.reg.triggers["E"] = keptOfE()
			for f, ts := range tc.taken {
				if _, ok := g.reg.sources[f]; !ok {
					g.reg.sources[f] = g.reg.ManagedSourceDir(f) // created through the cloud API
				}
				g.reg.triggers[f] = ts
			}
			cur := file(fn("C", "/src/c", 2), tc.e)
			cur.Services = tc.services
			rep, applied := g.check(t, cur, tc.wantErr, tc.wantOps)
			if !applied {
				return
			}
			var left []string
			for _, c := range rep.LeftOut["E"] {
				left = append(left, c.Trigger.Name+": "+c.Holder)
				if s := c.String(); !strings.Contains(s, c.Route()) || !strings.Contains(s, "while E was parked") || !strings.Contains(s, "UpdateTriggerStatus") {
					t.Errorf("conflict message %q lacks the route, the cause or the fix", s)
				}
			}
			if !slices.Equal(left, tc.wantLeft) {
				t.Errorf("left out %q, want %q", left, tc.wantLeft)
			}
			if _, ok := rep.Restored["E"]; !ok {
				t.Error("E is not reported restored")
			}
		})
	}
}

func TestConflictMessage(t *testing.T) {
	web := keptOfE()[4]
	c := Conflict{Function: "E", Trigger: web, Holder: "trigger web of function C"}
	want := "trigger web of E (apigw ANY /release/t in service A) left out of the restore: trigger web of function C took that route while E was parked. " +
		"It is kept, disabled; to serve it, delete one of the two triggers (DeleteTrigger), and if E's is the one kept, enable it (UpdateTriggerStatus)"
	if got := c.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRefusedRestoreParksAgain: an edit that fails after the
// restore parks the function again; parking enables what was left out
// (the registry's rule), so nothing is lost.
func TestRefusedRestoreParksAgain(t *testing.T) {
	g := newRig(file(fn("C", "/src/c", 2)))
	g.reg.parked["E"] = registry.Parked{Name: "E"}
	g.reg.triggers["E"] = keptOfE()
	for f, ts := range takenWhileParked() {
		if _, ok := g.reg.sources[f]; !ok {
			g.reg.sources[f] = g.reg.ManagedSourceDir(f) // created through the cloud API
		}
		g.reg.triggers[f] = ts
	}
	g.reg.failOn = "H"
	rep := g.save(file(fn("C", "/src/c", 2), fn("E", "/src/e", 6), fn("H", "/src/h", 8)))
	if rep.Err == nil {
		t.Fatal("edit applied, want refused")
	}
	want := []string{"define E /src/e leaving out lb,web", "define H /src/h", "park E"}
	if !slices.Equal(g.log, want) {
		t.Errorf("ops:\n got %s\nwant %s", g.log, ops(want))
	}
	if len(rep.LeftOut) != 0 || len(rep.Restored) != 0 {
		t.Errorf("a refused edit reports left out %v, restored %v", rep.LeftOut, rep.Restored)
	}
}
