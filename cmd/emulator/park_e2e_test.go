package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fatih/color"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/registry"
)

// eDecl and eAPI are function E of liveConfig and its API: what the park
// tests take out of the file and put back.
const (
	eDecl = "  E:\n    source: ./echo\n    runtime: Python3.9\n    handler: index.main_handler\n    environment: {variables: {GREETING: hello}}\n"
	eAPI  = "      - {path: /echo, method: ANY, function: E, stages: {release: $LATEST}}\n"
)

func withoutE(t testing.TB) string {
	t.Helper()
	if !strings.Contains(liveConfig, eDecl) || !strings.Contains(liveConfig, eAPI) {
		t.Fatal("liveConfig no longer declares E as the park tests expect")
	}
	return strings.Replace(strings.Replace(liveConfig, eDecl, "", 1), eAPI, "", 1)
}

// grayscaleE publishes E three times and gives it a weighted alias: what an
// accidental removal must not lose.
func grayscaleE(t testing.TB, reg *registry.Registry) registry.Alias {
	t.Helper()
	for range 3 {
		if _, err := reg.Publish(t.Context(), "E", ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.CreateAlias("E", registry.Alias{Name: "canary", FunctionVersion: "2",
		Weights: []registry.VersionWeight{{Version: "3", Weight: 0.3}}}); err != nil {
		t.Fatal(err)
	}
	a, err := reg.Alias("E", "canary")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// instancesOfE counts E's started instances of version v ("" any).
func instancesOfE(app *App, v string) int {
	n := 0
	for _, st := range app.mgr.Stats() {
		if st.Spec.Function == "E" && (v == "" || st.Spec.Version == v) {
			n += st.Live + st.Starting
		}
	}
	return n
}

func versionNumbers(t testing.TB, reg *registry.Registry, fn string) []string {
	t.Helper()
	vs, err := reg.Versions(fn)
	if err != nil {
		t.Fatalf("Versions(%s): %v", fn, err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, v.Version)
	}
	return out
}

// logFilesOfE lists function E's invocation log files in state.
func logFilesOfE(t testing.TB, state string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(state, logsDir, "default.E.*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestRemovedFunctionIsParkedLive: removing a function from the file while
// the emulator runs keeps its versions, aliases and capacity settings and
// serves none of them; adding it back restores all of it; DeleteFunction
// drops a parked function for good.
func TestRemovedFunctionIsParkedLive(t *testing.T) {
	app, cfg, ev := liveApp(t)
	gw, c := app.GatewayURL(), sdkClient(t, app)
	canary := grayscaleE(t, app.reg)
	if err := app.capa.SetProvisioned("E", "2", 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "E's provisioned instance", func() bool { return instancesOfE(app, "2") > 0 })

	edit := func(t *testing.T, content string) ConfigReport { return applyEdit(t, cfg, ev, content) }

	t.Run("removed: parked", func(t *testing.T) {
		r := edit(t, withoutE(t))
		p, ok := r.Parked["E"]
		if !ok || !slices.Equal(p.Versions, []string{"1", "2", "3"}) {
			t.Fatalf("report parked %+v, want E with versions 1-3", r.Parked)
		}
		color.NoColor = true
		var line bytes.Buffer
		(&console{out: &line}).ConfigReload(r)
		if want := "-E (parked: versions 1-3, aliases canary kept; add it back to restore)"; !strings.Contains(line.String(), want) {
			t.Errorf("console line %q lacks %q", line.String(), want)
		}
		eventually(t, 20*time.Second, "E's instances stopped", func() bool { return instancesOfE(app, "") == 0 })

		gf := scf.NewGetFunctionRequest()
		gf.FunctionName = common.StringPtr("E")
		_, getErr := c.GetFunction(gf)
		inv := scf.NewInvokeRequest()
		inv.FunctionName = common.StringPtr("E")
		_, invErr := c.Invoke(inv)
		for name, err := range map[string]error{"GetFunction": getErr, "Invoke": invErr} {
			if code := sdkCode(err); code != "ResourceNotFound.Function" {
				t.Errorf("%s on parked E: %s, want ResourceNotFound.Function", name, code)
			}
		}
		lf, err := c.ListFunctions(scf.NewListFunctionsRequest())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range lf.Response.Functions {
			if *f.FunctionName == "E" {
				t.Error("ListFunctions lists parked E")
			}
		}
		if a := get(t, gw+"/dev/echo", nil); a.Status != 404 {
			t.Errorf("/dev/echo = %d, want 404", a.Status)
		}
		if got := app.capa.Provisioned("E"); got["2"] != 1 {
			t.Errorf("E's provisioned settings = %v, want them kept", got)
		}
	})

	t.Run("added back: restored", func(t *testing.T) {
		// Its API comes back bound to the kept alias: the check of stage
		// bindings sees the parked function's aliases.
		r := edit(t, strings.Replace(liveConfig, eAPI, strings.Replace(eAPI, "release: $LATEST", "release: canary", 1), 1))
		if _, ok := r.Restored["E"]; !ok {
			t.Errorf("report restored %+v, want E", r.Restored)
		}
		if got := versionNumbers(t, app.reg, "E"); !slices.Equal(got, []string{"1", "2", "3"}) {
			t.Errorf("versions after restore %v, want 1 2 3", got)
		}
		if a, err := app.reg.Alias("E", "canary"); err != nil || !reflect.DeepEqual(a, canary) {
			t.Errorf("canary after restore = %+v, %v; want %+v", a, err, canary)
		}
		if a := get(t, gw+"/dev/echo", nil); a.Status != 200 || a.Body["greeting"] != "hello" {
			t.Errorf("/dev/echo = %d %s after restore", a.Status, a.Raw)
		}
		if a := get(t, gw+"/release/echo", nil); a.Status != 200 || (a.Version != "2" && a.Version != "3") {
			t.Errorf("/release/echo = %d, version %q after restore; want 200 from canary's 2 or 3", a.Status, a.Version)
		}
		eventually(t, 20*time.Second, "E's provisioned instance back", func() bool { return instancesOfE(app, "2") > 0 })
	})

	t.Run("DeleteFunction drops a parked function", func(t *testing.T) {
		edit(t, withoutE(t))
		if _, n := app.logs.Query(logstore.Query{Function: "E"}); n == 0 {
			t.Fatal("parked E's invocation logs are gone; a parked function keeps them")
		}
		df := scf.NewDeleteFunctionRequest()
		df.FunctionName = common.StringPtr("E")
		if _, err := c.DeleteFunction(df); err != nil {
			t.Fatalf("DeleteFunction of parked E: %v", err)
		}
		if _, ok := app.reg.ParkedFunction("E"); ok {
			t.Error("E is still parked")
		}
		if _, err := c.DeleteFunction(df); sdkCode(err) != "ResourceNotFound.Function" {
			t.Errorf("second DeleteFunction: %s, want ResourceNotFound.Function", sdkCode(err))
		}
		if got := app.capa.Provisioned("E"); len(got) != 0 {
			t.Errorf("E's provisioned settings = %v after delete, want none", got)
		}
		if _, n := app.logs.Query(logstore.Query{Function: "E"}); n != 0 {
			t.Errorf("%d invocation records of E after delete, want none", n)
		}
		if err := app.logs.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if files := logFilesOfE(t, app.stateDir); len(files) != 0 {
			t.Errorf("E's log files after delete: %v", files)
		}
		// Added back now, it starts from nothing.
		edit(t, liveConfig)
		if got := versionNumbers(t, app.reg, "E"); len(got) != 0 {
			t.Errorf("versions of E defined again = %v, want none", got)
		}
	})
}

// TestRemovedWhileDownIsParked: a function removed from the file while the
// emulator is down, its folder deleted too, is parked at the next start
// (which does not fail), restored when the file declares it again, and
// deleted by `emulator gc --parked`.
func TestRemovedWhileDownIsParked(t *testing.T) {
	cfg := workspace(t)
	dir := filepath.Dir(cfg)
	echo := filepath.Join(dir, "echo")
	if err := os.MkdirAll(echo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(echo, "index.py"), []byte(echoHandler), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state")
	write := func(content string) {
		if err := os.WriteFile(cfg, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(liveConfig)
	app, stop := startApp(t, cfg, state)
	canary := grayscaleE(t, app.reg)
	stop()

	// Down: E leaves the file and its folder goes.
	write(withoutE(t))
	moved := filepath.Join(t.TempDir(), "echo")
	if err := os.Rename(echo, moved); err != nil {
		t.Fatal(err)
	}
	app, stop = startApp(t, cfg, state)
	if _, err := app.reg.Function("E"); err == nil {
		t.Error("E is served after leaving the file")
	}
	if p, ok := app.reg.ParkedFunction("E"); !ok || !slices.Equal(p.Versions, []string{"1", "2", "3"}) {
		t.Errorf("ParkedFunction(E) = %+v, %v; want versions 1-3", p, ok)
	}
	color.NoColor = true
	var banner bytes.Buffer
	(&console{out: &banner}).banner(app, "process")
	if lines := strings.Count(banner.String(), "E (v1-3)"); lines != 1 {
		t.Errorf("banner mentions parked E %d times, want once:\n%s", lines, banner.String())
	}
	stop()

	gc := func(t *testing.T, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := cmdGC(context.Background(), append([]string{"--parked", "--state-dir", state}, args...), &out, &out); err != nil {
			t.Fatalf("gc %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	tests := []struct {
		name   string
		file   string // the config the next start reads
		folder bool   // E's folder is back
		gcArgs []string
		// after the gc, at the next start
		wantServed, wantParked bool
		wantOut                string
		dropsLogs              bool // E has logs (the restored E was called) and gc removes them
	}{
		{"dry run lists and keeps", withoutE(t), false, []string{"--dry-run"}, false, true, "would delete 1 parked function", false},
		{"added back at up: restored", liveConfig, true, nil, true, false, "", false},
		{"removed again, gc deletes", withoutE(t), false, []string{}, false, false, "deleted 1 parked function(s): E", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			write(tc.file)
			if tc.folder {
				if err := os.Rename(moved, echo); err != nil {
					t.Fatal(err)
				}
			} else if _, err := os.Stat(echo); err == nil {
				if err := os.Rename(echo, moved); err != nil {
					t.Fatal(err)
				}
			}
			if tc.gcArgs != nil {
				// gc works on a stopped emulator's folder; start once so
				// the removal is seen first.
				_, stop := startApp(t, cfg, state)
				stop()
				if tc.dropsLogs && len(logFilesOfE(t, state)) == 0 {
					t.Fatal("parked E has no log files; a parked function keeps them")
				}
				out := gc(t, tc.gcArgs...)
				if files := logFilesOfE(t, state); tc.dropsLogs && len(files) > 0 {
					t.Errorf("E's log files after gc: %v", files)
				}
				if !strings.Contains(out, tc.wantOut) || !strings.Contains(out, echo+" (gone)") {
					t.Errorf("gc output lacks %q or E's gone source:\n%s", tc.wantOut, out)
				}
			}
			app, stop := startApp(t, cfg, state)
			defer stop()
			_, err := app.reg.Function("E")
			_, parked := app.reg.ParkedFunction("E")
			if (err == nil) != tc.wantServed || parked != tc.wantParked {
				t.Errorf("E served %v (%v), parked %v; want served %v, parked %v", err == nil, err, parked, tc.wantServed, tc.wantParked)
			}
			if tc.wantServed {
				if got := versionNumbers(t, app.reg, "E"); !slices.Equal(got, []string{"1", "2", "3"}) {
					t.Errorf("versions after restore %v, want 1 2 3", got)
				}
				if a, err := app.reg.Alias("E", "canary"); err != nil || !reflect.DeepEqual(a, canary) {
					t.Errorf("canary after restore = %+v, %v; want %+v", a, err, canary)
				}
				if a := get(t, app.GatewayURL()+"/dev/echo", nil); a.Status != 200 {
					t.Errorf("/dev/echo = %d %s after restore", a.Status, a.Raw)
				}
			}
		})
	}
}

// applyEdit saves content as the config at cfg, waits for the report of
// that edit and fails the test when the edit was refused.
func applyEdit(t *testing.T, cfg string, ev *configEvents, content string) ConfigReport {
	t.Helper()
	n := ev.count()
	save(t, cfg, content)
	eventually(t, 10*time.Second, "a report of the edit", func() bool { return ev.count() > n })
	r := ev.last()
	if r.Err != nil {
		t.Fatalf("edit refused: %v", r.Err)
	}
	return r
}
