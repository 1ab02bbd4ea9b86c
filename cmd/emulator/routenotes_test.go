package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fatih/color"
)

// A stage bound to an alias or version that does not exist is served (the
// alias may be created later, the version published), and the banner warns
// of it, naming the service, stage, qualifier and function, and how to
// make it exist.
func TestBannerWarnsOfStageWithoutQualifier(t *testing.T) {
	cfg := workspace(t)
	body := strings.Replace(oneFunctionConfig, "stages: {release: release}", "stages: {release: release, beta: nope, v: \"1\"}", 1)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	color.NoColor = true
	var banner bytes.Buffer
	(&console{out: &banner}).banner(app, "process")
	var warnings []string
	for _, l := range strings.Split(banner.String(), "\n") {
		if strings.Contains(l, "warning") {
			warnings = append(warnings, l)
		}
	}
	if len(warnings) != 2 {
		t.Fatalf("warnings %q, want two (about stages beta and v):\n%s", warnings, banner.String())
	}
	for i, want := range [][]string{
		{"services.A.stages.beta", "alias nope", "function B does not have", "442", "emulator alias create B nope"},
		{"services.A.stages.v", "version 1", "function B does not have", "442", "emulator publish B"},
	} {
		for _, s := range want {
			if !strings.Contains(warnings[i], s) {
				t.Errorf("warning %q lacks %q", warnings[i], s)
			}
		}
	}
}

// notesEvents records config reloads and the notes under them.
type notesEvents struct {
	configEvents
	nmu   sync.Mutex // guards notes
	notes []string
}

func (e *notesEvents) ConfigNotes(n []string) {
	e.nmu.Lock()
	defer e.nmu.Unlock()
	e.notes = append(e.notes, n...)
}

func (e *notesEvents) allNotes() string {
	e.nmu.Lock()
	defer e.nmu.Unlock()
	return strings.Join(e.notes, "\n")
}

// A live edit that adds a second service says that bare URLs stop
// answering and which Host each service needs.
func TestConfigEditSecondServiceNotes(t *testing.T) {
	ev := &notesEvents{}
	app, cfg := liveAppWith(t, ev)
	n := ev.count()
	save(t, cfg, liveConfig+"  W:\n    stages: {release: release}\n    apis:\n      - {path: /w, method: ANY, function: B}\n")
	eventually(t, 30*time.Second, "a report of the edit", func() bool { return ev.count() > n })
	if r := ev.last(); r.Err != nil {
		t.Fatalf("edit refused: %v", r.Err)
	}
	notes := ev.allNotes()
	for _, s := range []string{"2 services", "Host: <service>.localhost", serviceURL(app.GatewayURL(), "W"), "no service match host"} {
		if !strings.Contains(notes, s) {
			t.Errorf("notes lack %q:\n%s", s, notes)
		}
	}
}
