package main

import (
	"path/filepath"
	"testing"

	"github.com/scf-emulator/emulator/logstore"
)

// TestStartDropsLogsOfDeletedFunctions: a kill between a function's
// deletion and the removal of its log files leaves them behind; the next
// start drops them (a function created later under that name would show
// them as its own), and keeps the logs of the functions that exist.
func TestStartDropsLogsOfDeletedFunctions(t *testing.T) {
	cfg := liveWorkspace(t)
	state := filepath.Join(t.TempDir(), "state")
	logs, err := logstore.Open(logstore.Options{Dir: filepath.Join(state, logsDir)})
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"B", "Ghost"} {
		if err := logs.Append(logstore.Record{RequestID: fn + "-1", Function: fn, Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	if err := logs.Close(); err != nil {
		t.Fatal(err)
	}

	app, stop := startApp(t, cfg, state)
	defer stop()
	count := func(fn string) int {
		_, n := app.logs.Query(logstore.Query{Function: fn})
		return n
	}
	if n := count("Ghost"); n != 0 {
		t.Errorf("records of the deleted function Ghost after start: %d, want 0", n)
	}
	if n := count("B"); n != 1 {
		t.Errorf("records of B after start: %d, want 1", n)
	}
	if err := app.logs.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(state, logsDir, "*Ghost*"))
	if len(files) != 0 {
		t.Errorf("Ghost's log files after start: %v, want none", files)
	}
}
