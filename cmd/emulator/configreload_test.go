package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/config"
	"github.com/scf-emulator/emulator/registry"
)

// liveConfig is B behind /hello and E, which echoes its GREETING variable,
// behind /echo.
const liveConfig = `functions:
  B:
    source: ./sample-functions/python-event
    runtime: Python3.9
    handler: index.main_handler
    aliases:
      release: {version: $LATEST}
  E:
    source: ./echo
    runtime: Python3.9
    handler: index.main_handler
    environment: {variables: {GREETING: hello}}
services:
  A:
    stages: {release: release, dev: $LATEST}
    apis:
      - {path: /hello, method: ANY, function: B}
      - {path: /echo, method: ANY, function: E, stages: {release: $LATEST}}
`

const echoHandler = `import json, os

def main_handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"greeting": os.environ.get("GREETING")})}
`

// configEvents records config reloads; the rest is discarded.
type configEvents struct {
	nopEvents
	mu      sync.Mutex // guards reports and notes
	reports []ConfigReport
	notes   [][]string // the warnings under each edit that had some
}

func (e *configEvents) ConfigReload(r ConfigReport) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reports = append(e.reports, r)
}

func (e *configEvents) ConfigNotes(notes []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notes = append(e.notes, notes)
}

// lastNotes are the warnings under the last edit that had some.
func (e *configEvents) lastNotes() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.notes) == 0 {
		return nil
	}
	return e.notes[len(e.notes)-1]
}

func (e *configEvents) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.reports)
}

func (e *configEvents) last() ConfigReport {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reports[len(e.reports)-1]
}

// liveApp starts an App on liveConfig and returns it with the config path.
func liveApp(t testing.TB) (*App, string, *configEvents) {
	t.Helper()
	ev := &configEvents{}
	app, cfg := liveAppWith(t, ev)
	return app, cfg, ev
}

// liveWorkspace is a workspace with liveConfig saved and E's echo code.
func liveWorkspace(t testing.TB) string {
	t.Helper()
	cfg := workspace(t)
	dir := filepath.Dir(cfg)
	if err := os.MkdirAll(filepath.Join(dir, "echo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "echo", "index.py"), []byte(echoHandler), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(liveConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// liveAppWith is liveApp reporting to ev.
func liveAppWith(t testing.TB, ev Events) (*App, string) {
	t.Helper()
	cfg := liveWorkspace(t)
	ctx, cancel := context.WithCancel(t.Context())
	app, err := NewApp(ctx, AppConfig{
		ConfigPath: cfg, Runtime: testRuntime(), GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		StateDir: filepath.Join(t.TempDir(), "state"), Seed: 7, IdleTimeout: time.Minute, MaxInstances: 8, Events: ev,
	})
	if err != nil {
		cancel()
		t.Fatalf("NewApp: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return app, cfg
}

// save writes the config the way editors do: a new file renamed over it.
func save(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestConfigEditsApplyLive(t *testing.T) {
	app, cfg, ev := liveApp(t)
	gw := app.GatewayURL()
	if a := get(t, gw+"/dev/echo", nil); a.Status != 200 || a.Body["greeting"] != "hello" {
		t.Fatalf("before any edit: /dev/echo = %d %s", a.Status, a.Raw)
	}
	if a := get(t, gw+"/release/hi", nil); a.Status != 404 {
		t.Fatalf("before the edit: /release/hi = %d, want 404", a.Status)
	}
	current := liveConfig

	t.Run("an added API answers", func(t *testing.T) {
		current = strings.Replace(current, "      - {path: /echo,", "      - {path: /hi, method: GET, function: B}\n      - {path: /echo,", 1)
		n := ev.count()
		save(t, cfg, current)
		eventually(t, 30*time.Second, "/release/hi answering", func() bool { return get(t, gw+"/release/hi", nil).Status == 200 })
		eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
		if r := ev.last(); r.Err != nil || len(r.Changes.ServicesChanged) != 1 {
			t.Errorf("report: %+v", r)
		}
	})

	t.Run("a changed variable reaches $LATEST", func(t *testing.T) {
		current = strings.Replace(current, "GREETING: hello", "GREETING: bonjour", 1)
		n := ev.count()
		save(t, cfg, current)
		eventually(t, 30*time.Second, "the new GREETING", func() bool {
			return get(t, gw+"/dev/echo", nil).Body["greeting"] == "bonjour"
		})
		// The report follows the routes: the next edit's report must not be
		// mistaken for this one's.
		eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
	})

	t.Run("an added function with its API answers", func(t *testing.T) {
		current = strings.Replace(current, "services:\n", "  F:\n    source: ./echo\n    runtime: Python3.9\n    handler: index.main_handler\n    environment: {variables: {GREETING: salut}}\nservices:\n", 1) +
			"      - {path: /f, method: GET, function: F, stages: {release: $LATEST}}\n"
		n := ev.count()
		save(t, cfg, current)
		eventually(t, 30*time.Second, "/dev/f answering", func() bool {
			return get(t, gw+"/dev/f", nil).Body["greeting"] == "salut"
		})
		eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
	})

	// As at start-up (a banner warning), a stage bound to an alias that
	// does not exist yet is applied with a warning: it answers the
	// platform's 442 until the alias is created, then routes to it, with
	// no restart and no further edit.
	t.Run("a stage bound to a missing alias serves once the alias exists", func(t *testing.T) {
		canary := strings.Replace(current, "dev: $LATEST}", "dev: $LATEST, canary: canary}", 1)
		n := ev.count()
		save(t, cfg, canary)
		eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
		if r := ev.last(); r.Err != nil || len(r.Changes.ServicesChanged) != 1 {
			t.Fatalf("report: %+v, want the edit applied", r)
		}
		notes := strings.Join(ev.lastNotes(), "\n")
		if !strings.Contains(notes, "stage canary is bound to alias canary, which functions B, E, F do not have") ||
			!strings.Contains(notes, "answer 442 until the alias exists") {
			t.Errorf("notes %q lack the warning the banner gives", notes)
		}
		if a := get(t, gw+"/canary/hello", nil); a.Status != 404 || !strings.Contains(a.Raw, "442") {
			t.Errorf("/canary/hello before the alias = %d %s, want 404 with the 442 body", a.Status, a.Raw)
		}
		if err := app.reg.CreateAlias("B", registry.Alias{Name: "canary", FunctionVersion: registry.Latest}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "/canary/hello served by the new alias", func() bool {
			return get(t, gw+"/canary/hello", nil).Status == 200
		})
		n = ev.count()
		save(t, cfg, current)
		eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
		if r := ev.last(); r.Err != nil {
			t.Fatalf("report: %+v", r)
		}
	})

	unknownKey := strings.Replace(current, "    handler: index.main_handler\n    environment: {variables: {GREETING: bonjour}}",
		"    handler: index.main_handler\n    memroy: 256\n    environment: {variables: {GREETING: bonjour}}", 1)
	failingBuild := strings.Replace(strings.Replace(current, "GREETING: bonjour", "GREETING: nope", 1), "services:\n",
		"  H:\n    source: ./echo\n    runtime: Python3.9\n    handler: index.main_handler\n    build: echo broken >&2; exit 3\nservices:\n", 1)
	invalid := []struct {
		name, edit, wantLine, wantText string
	}{
		{"unknown key", unknownKey, lineOf(t, unknownKey, "memroy") + ":5:", "functions.E.memroy: unknown key"},
		{"bad yaml", current + "  : [\n", ":", "invalid YAML"},
		// E's change was applied before H's build failed: it is undone.
		{"failing build", failingBuild, lineOf(t, failingBuild, "  H:") + ":", "broken"},
	}
	for _, tc := range invalid {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			n := ev.count()
			save(t, cfg, tc.edit)
			eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
			r := ev.last()
			if r.Err == nil {
				t.Fatalf("edit applied, want refused")
			}
			msg := r.Err.Error()
			if !strings.Contains(msg, cfg+tc.wantLine) || !strings.Contains(msg, tc.wantText) {
				t.Errorf("error %q lacks %q and %q", msg, cfg+tc.wantLine, tc.wantText)
			}
			// The running configuration still serves, and only it.
			if a := get(t, gw+"/dev/echo", nil); a.Body["greeting"] != "bonjour" {
				t.Errorf("after the refused edit /dev/echo = %d %s", a.Status, a.Raw)
			}
			if _, err := app.reg.Function("H"); err == nil {
				t.Error("function H was defined")
			}
			if a := get(t, gw+"/canary/hello", nil); a.Status != 404 {
				t.Errorf("/canary/hello = %d, want 404", a.Status)
			}
		})
	}

	t.Run("valid again", func(t *testing.T) {
		n := ev.count()
		save(t, cfg, current)
		eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
		if r := ev.last(); r.Err != nil || !r.Recovered {
			t.Errorf("report: %+v, want recovered", r)
		}
	})

	t.Run("a removed function stops", func(t *testing.T) {
		if a := get(t, gw+"/dev/echo", nil); a.Status != 200 {
			t.Fatalf("/dev/echo = %d before removal", a.Status)
		}
		current = strings.Replace(current, "  E:\n    source: ./echo\n    runtime: Python3.9\n    handler: index.main_handler\n    environment: {variables: {GREETING: bonjour}}\n", "", 1)
		current = strings.Replace(current, "      - {path: /echo, method: ANY, function: E, stages: {release: $LATEST}}\n", "", 1)
		n := ev.count()
		save(t, cfg, current)
		// The routes go first, then the function: the report comes after both.
		eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
		if r := ev.last(); r.Err != nil || len(r.Changes.Removed) != 1 {
			t.Fatalf("report: %+v", r)
		}
		if a := get(t, gw+"/dev/echo", nil); a.Status != 404 {
			t.Errorf("/dev/echo = %d after removal, want 404", a.Status)
		}
		if _, err := app.reg.Function("E"); !errors.Is(err, registry.ErrFunctionNotFound) {
			t.Errorf("registry still serves E: %v", err)
		}
		if _, ok := app.reg.ParkedFunction("E"); !ok {
			t.Error("E was not parked")
		}
		eventually(t, 30*time.Second, "E's instances stopped", func() bool {
			for _, st := range app.mgr.Stats() {
				if st.Spec.Function == "E" && st.Live+st.Starting > 0 {
					return false
				}
			}
			return true
		})
		if a := get(t, gw+"/dev/f", nil); a.Status != 200 {
			t.Errorf("/dev/f = %d after removing E", a.Status)
		}
	})
}

// TestConfigRefusesAPIFunctionName: a function added to the file may not
// take the name of one created through the cloud API.
func TestConfigRefusesAPIFunctionName(t *testing.T) {
	app, cfg, ev := liveApp(t)
	spec := registry.FunctionSpec{Name: "G", Config: registry.FunctionConfig{Runtime: "Python3.9", Type: config.TypeEvent,
		Handler: "index.main_handler", MemorySize: 128, Timeout: 3}}
	fill := func(dir string) error {
		return os.WriteFile(filepath.Join(dir, "index.py"), []byte(echoHandler), 0o644)
	}
	if err := app.reg.Create(t.Context(), spec, fill); err != nil {
		t.Fatal(err)
	}
	n := ev.count()
	save(t, cfg, strings.Replace(liveConfig, "services:\n", "  G:\n    source: ./echo\n    runtime: Python3.9\n    handler: index.main_handler\nservices:\n", 1))
	eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
	if r := ev.last(); r.Err == nil || !strings.Contains(r.Err.Error(), "created through the cloud API") {
		t.Errorf("report: %+v, want refused", r)
	}
	if f, err := app.reg.Function("G"); err != nil || f.Source != app.reg.ManagedSourceDir("G") {
		t.Errorf("G changed: %+v %v", f, err)
	}
}

// lineOf is ":N", N the 1-based line of the first line of s containing sub.
func lineOf(t testing.TB, s, sub string) string {
	t.Helper()
	for i, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return ":" + strconv.Itoa(i+1)
		}
	}
	t.Fatalf("%q not in the config", sub)
	return ""
}

// BenchmarkConfigEditToRoute measures, through the real config watcher,
// registry and gateway, the time from saving emulator.yaml with a new API to
// that route answering. It reports p50 and p90 in ms.
//
//	go test ./cmd/emulator -run '^$' -bench ConfigEditToRoute -benchtime 20x
func BenchmarkConfigEditToRoute(b *testing.B) {
	app, cfg, _ := liveApp(b)
	gw := app.GatewayURL()
	get(b, gw+"/dev/hello", nil) // warm B once
	current := liveConfig
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		route := "/r" + strconv.Itoa(i)
		current += "      - {path: " + route + ", method: GET, function: B}\n"
		start := time.Now()
		save(b, cfg, current)
		deadline := start.Add(10 * time.Second)
		for get(b, gw+"/dev"+route, nil).Status != 200 {
			if time.Now().After(deadline) {
				b.Fatalf("edit %d not served within 10 s", i)
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10])/1e6, "p90-ms")
}
