//go:build unix

package docker

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/runtime"
)

// writePy writes a Python handler that answers with tag and two env vars.
func writePy(t *testing.T, tag string) string {
	t.Helper()
	dir := t.TempDir()
	src := "import os\n\ndef main_handler(event, context):\n    print('log of " + tag + "')\n" +
		"    return {'tag': '" + tag + "', 'greeting': os.environ.get('GREETING', ''), 'old': os.environ.get('OLD', ''), 'version': os.environ.get('SCF_FUNCTIONVERSION', '')}\n"
	if err := os.WriteFile(filepath.Join(dir, "index.py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// idleSpare waits (bounded) for the idle spare of the runtime's only key.
func idleSpare(t *testing.T, d *Docker) *spare {
	t.Helper()
	for deadline := time.Now().Add(dockerTestTimeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		d.spares.mu.Lock()
		for _, sps := range d.spares.idle {
			if len(sps) > 0 {
				d.spares.mu.Unlock()
				return sps[0]
			}
		}
		d.spares.mu.Unlock()
	}
	t.Fatal("no spare container within the test timeout")
	return nil
}

func TestSpareTakesNewCode(t *testing.T) {
	var d *Docker
	t.Cleanup(func() {
		// Runs after Close: no container of the test and no spare folder remain.
		if d == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), dockerTestTimeout)
		defer cancel()
		left, err := d.api.list(ctx, d.scope)
		if err != nil || len(left) != 0 {
			t.Errorf("after Close: %d containers left (%v)", len(left), err)
		}
		if ents, _ := os.ReadDir(d.spareRoot()); len(ents) != 0 {
			t.Errorf("after Close: %d spare folders left", len(ents))
		}
	})
	d = newDockerTestRuntime(t, nil)
	needImage(t, d, DebianRuntimeImage)
	specA := dockerSpec(writePy(t, "v1"), "Python3.9", "event")
	specA.Handler, specA.Env = "index.main_handler", map[string]string{"GREETING": "hello", "OLD": "it's set"}
	a := dockerStart(t, d, specA)
	sp := idleSpare(t, d)

	// A new version with new code and environment, as a publish or a hot
	// reload starts it: it runs in the spare.
	specB := dockerSpec(writePy(t, "v2"), "Python3.9", "event")
	specB.Handler, specB.Version, specB.CodeHash = "index.main_handler", "2", "b0b"
	specB.Env = map[string]string{"GREETING": "bye 'quoted' $HOME"}
	b := dockerStart(t, d, specB)
	d.spares.mu.Lock()
	for _, idle := range d.spares.idle {
		if slices.Contains(idle, sp) {
			t.Error("the spare is still idle after a Start of its function")
		}
	}
	d.spares.mu.Unlock()
	// The old instance keeps its code; the new one has none of the old
	// environment.
	checkAnswer(t, a, "v1", map[string]string{"tag": "v1", "greeting": "hello", "old": "it's set", "version": "$LATEST"})
	checkAnswer(t, b, "v2", map[string]string{"tag": "v2", "greeting": "bye 'quoted' $HOME", "old": "", "version": "2"})
	if _, err := os.Stat(sp.dir); err != nil {
		t.Errorf("the taken spare's code folder is gone while it runs: %v", err)
	}
}

// checkAnswer invokes in and compares its JSON answer and log.
func checkAnswer(t *testing.T, in interface {
	Invoke(context.Context, runtime.Invocation) (runtime.Result, error)
}, tag string, want map[string]string) {
	t.Helper()
	res, err := in.Invoke(t.Context(), runtime.Invocation{RequestID: "req-" + tag, Event: []byte(`{}`)})
	if err != nil {
		t.Fatalf("invoke %s: %v", tag, err)
	}
	var got map[string]string
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("answer of %s: %v: %s", tag, err, res.Payload)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", tag, k, got[k], v)
		}
	}
	if !strings.Contains(res.Log, "log of "+tag) {
		t.Errorf("%s: log %q lacks the function's output", tag, res.Log)
	}
}
