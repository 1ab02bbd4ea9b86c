package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scf-emulator/emulator/registry"
)

// brokenHandler, appended to the sample, replaces its handler with one that
// always raises: the "injected failing version".
const brokenHandler = "\n\ndef main_handler(event, context):\n    raise RuntimeError(\"version under test is broken\")\n"

// rolloutApp starts an App serving oneFunctionConfig and publishes three
// versions of B: 1 good, 2 broken, 3 good; alias release routes to 1.
// cfg and state start it again.
func rolloutApp(t *testing.T) (app *App, stop func(), cfg, state string) {
	t.Helper()
	cfg = workspace(t)
	if err := os.WriteFile(cfg, []byte(oneFunctionConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	state = filepath.Join(t.TempDir(), "state")
	app, stop = startApp(t, cfg, state)
	src := filepath.Join(filepath.Dir(cfg), "sample-functions", "python-event", "index.py")
	good, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{string(good), string(good) + brokenHandler, string(good)} {
		if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := app.reg.RefreshLatest(t.Context(), "B"); err != nil {
			t.Fatal(err)
		}
		v, err := app.reg.Publish(t.Context(), "B", "rollout test")
		if err != nil || v.Version != string(rune('1'+i)) {
			t.Fatalf("publish %d: %+v, %v", i+1, v.Version, err)
		}
	}
	if err := app.reg.UpdateAlias("B", registry.Alias{Name: "release", FunctionVersion: "1"}); err != nil {
		t.Fatal(err)
	}
	return app, stop, cfg, state
}

// rolloutTraffic sends GETs to url one after another until stopped, at most 3000
// of them and for at most 20 s, and counts the answers per version and SCF
// status.
func rolloutTraffic(t *testing.T, url string) (stop func() map[string]int) {
	t.Helper()
	var (
		mu     sync.Mutex // guards counts
		counts = map[string]int{}
		halt   atomic.Bool
		wg     sync.WaitGroup
	)
	deadline := time.Now().Add(20 * time.Second)
	wg.Go(func() {
		for i := 0; i < 3000 && !halt.Load() && time.Now().Before(deadline); i++ {
			resp, err := http.Get(url)
			if err != nil {
				return
			}
			resp.Body.Close()
			mu.Lock()
			counts[resp.Header.Get("X-Scf-Version")+" scf "+resp.Header.Get("X-Scf-Status")]++
			mu.Unlock()
		}
	})
	return func() map[string]int {
		halt.Store(true)
		wg.Wait()
		return counts
	}
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestRolloutEndToEnd rehearses canaries through the real gateway: a
// broken version is rolled back by the error-rate gate, a good one is
// promoted, both with one command.
func TestRolloutEndToEnd(t *testing.T) {
	app, _, _, _ := rolloutApp(t)
	url := app.GatewayURL() + "/release/hello"
	// One minute per step at speed 30: two seconds.
	common := []string{"--alias", "release", "--steps", "50,100", "--interval", "1m", "--speed", "30",
		"--max-error-rate", "0.05", "--min-requests", "5", "--endpoint", app.AdminURL()}

	t.Run("a broken version rolls back", func(t *testing.T) {
		stop := rolloutTraffic(t, url)
		code, out, errOut := runCLI(t, append([]string{"rollout", "B", "--to", "2"}, common...)...)
		counts := stop()
		t.Logf("traffic: %v\n%s%s", counts, out, errOut)
		if code != 1 || !strings.Contains(errOut, "rolled-back: gate max-error-rate: 100.0% > 5.0%") {
			t.Fatalf("exit %d, stderr %q: want 1 and the error-rate gate with its figures", code, errOut)
		}
		if !strings.Contains(out, "started B/release/") || !strings.Contains(out, "step 1/2  50%") {
			t.Errorf("stdout lacks the start or the progress lines:\n%s", out)
		}
		al, err := app.reg.Alias("B", "release")
		if err != nil || al.FunctionVersion != "1" || len(al.Weights) != 0 {
			t.Errorf("alias after rollback = %+v, %v; want all traffic on 1", al, err)
		}
		if !hasVersionErrors(counts, "2") {
			t.Errorf("version 2 served no failing request: %v", counts)
		}
	})

	t.Run("a good version is promoted", func(t *testing.T) {
		stop := rolloutTraffic(t, url)
		code, out, errOut := runCLI(t, append([]string{"rollout", "B", "--to", "3", "--post-traffic", "B:3"}, common...)...)
		counts := stop()
		t.Logf("traffic: %v\n%s%s", counts, out, errOut)
		if code != 0 || !strings.Contains(out, "promoted: version 3 is now the primary version") {
			t.Fatalf("exit %d, stdout %q, stderr %q: want 0 and the promotion", code, out, errOut)
		}
		al, err := app.reg.Alias("B", "release")
		if err != nil || al.FunctionVersion != "3" || len(al.Weights) != 0 {
			t.Errorf("alias after promotion = %+v, %v; want primary 3, no weights", al, err)
		}
		code, out, _ = runCLI(t, "rollout", "B", "--alias", "release", "--status", "--endpoint", app.AdminURL())
		if code != 0 || !strings.Contains(out, "promoted") {
			t.Errorf("--status: exit %d, %q", code, out)
		}
	})
}

// hasVersionErrors reports whether any non-200 answer came from version v.
func hasVersionErrors(counts map[string]int, v string) bool {
	for k, n := range counts {
		if strings.HasPrefix(k, v+" ") && !strings.HasSuffix(k, " 200") && !strings.HasSuffix(k, " ") && n > 0 {
			return true
		}
	}
	return false
}
