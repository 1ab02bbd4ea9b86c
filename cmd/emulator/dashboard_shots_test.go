package main

import (
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/rollout"
)

// TestDashboardScreenshots replays a grayscale release (version 2, with a
// small error rate, taking 10%, 30% and then 60% of release's traffic) and
// writes the README's screenshots, checking that they show what the README
// says: both versions' traffic in the chart and the rollout's progress. The
// rollout's real 25 s steps make it take over a minute, so it only runs when
// DASHBOARD_SCREENSHOTS names the directory to write to:
//
//	DASHBOARD_SCREENSHOTS=$PWD/docs go test ./cmd/emulator -run TestDashboardScreenshots -v
func TestDashboardScreenshots(t *testing.T) {
	if os.Getenv("DASHBOARD_SCREENSHOTS") == "" {
		t.Skip("set DASHBOARD_SCREENSHOTS=dir to write the dashboard's screenshots there")
	}
	ctx := browser(t, 4*time.Minute, 1440, 1020)
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(oneFunctionConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	publish := func(desc string) {
		if _, err := app.reg.RefreshLatest(t.Context(), "B"); err != nil {
			t.Fatal(err)
		}
		if _, err := app.reg.Publish(t.Context(), "B", desc); err != nil {
			t.Fatal(err)
		}
	}
	publish("build 1")
	breakVersion(t, cfg)
	publish("build 2: new greeting (and a 3% regression)")
	if err := app.reg.CreateAlias("B", registry.Alias{Name: "prepub", FunctionVersion: "2",
		Matches: []registry.VersionMatch{{Version: "1", Key: "invoke.headers.User", Method: "exact", Expression: "Bob"}}}); err != nil {
		t.Fatal(err)
	}
	setRelease(t, app, "1", nil)

	// Steady traffic on release, bounded in time and count.
	load, stop := context.WithTimeout(t.Context(), 3*time.Minute)
	defer stop()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for i := 0; i < 20000 && load.Err() == nil; i++ {
				// Failures are part of the picture; a transport error ends the load.
				req, err := http.NewRequestWithContext(load, http.MethodGet, app.GatewayURL()+"/release/hello", nil)
				if err != nil {
					return
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				select {
				case <-load.Done():
				case <-time.After(40 * time.Millisecond):
				}
			}
		})
	}
	defer wg.Wait()
	defer stop() // runs first: the load ends, then the wait

	do(t, ctx, "load the dashboard", chromedp.EmulateViewport(1440, 900), chromedp.Navigate(app.AdminURL()+"/#fn=B"),
		chromedp.WaitVisible(chromedp.CSS(`.alias[data-alias="release"]`)),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('window'); s.value = '2m'; s.dispatchEvent(new Event('change')) })()`))
	// A real rollout: 10%, 30%, 60% of release, 25 s apart, so the chart
	// shows the shift and the rollouts panel its progress.
	plan := `{"function":"B","alias":"release","to":"2","steps":[0.1,0.3,0.6,1],"interval":"25s","gates":{"maxErrorRate":0.1,"minRequests":20}}`
	resp, err := http.Post(app.AdminURL()+"/emulator/rollouts", "application/json", strings.NewReader(plan))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("starting the rollout: %s", resp.Status)
	}
	waitRolloutWeight(t, app, 0.6, 2*time.Minute)
	time.Sleep(10 * time.Second) // some traffic at 60%, for the picture

	// The picture must show what the README says it shows.
	versions, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#chart-rps [data-version]')].filter((e) => +e.dataset.total > 0).map((e) => e.dataset.version)`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(versions, "1") || !slices.Contains(versions, "2") {
		t.Fatalf("the chart shows traffic of versions %v, want 1 and 2", versions)
	}
	do(t, ctx, "the rollouts panel shows the rollout", chromedp.WaitVisible(chromedp.CSS(`#rollouts-panel .rollout`)))

	hoverChart(t, ctx, 0.62)
	screenshot(t, ctx, "dashboard.png")
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	hoverChart(t, ctx, 0.62)
	screenshot(t, ctx, "dashboard-dark.png")
	for _, name := range []string{"dashboard.png", "dashboard-dark.png"} {
		f, err := os.Open(filepath.Join(os.Getenv("DASHBOARD_SCREENSHOTS"), name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 1000 || cfg.Height < 600 {
			t.Errorf("%s: %dx%d, %v; want a PNG of the whole page", name, cfg.Width, cfg.Height, err)
		}
	}
}

// waitRolloutWeight polls the rollouts of B until the running one gives its
// version at least weight, or fails after limit.
func waitRolloutWeight(t *testing.T, app *App, weight float64, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var list []rollout.Status
		resp, err := http.Get(app.AdminURL() + "/emulator/rollouts?function=B")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("rollouts: %v", err)
		}
		for _, st := range list {
			if st.Weight >= weight {
				return
			}
			if st.State != rollout.StateRunning {
				t.Fatalf("the rollout ended early: %s (%s)", st.State, st.Reason)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rollout did not reach %.0f%% in %v", weight*100, limit)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// breakVersion makes the next build of the python sample fail 3% of its
// requests, so version 2's error rate shows in the chart.
func breakVersion(t *testing.T, cfgPath string) {
	t.Helper()
	setMessage(t, cfgPath, "hello from B, build 2")
	p := filepath.Join(filepath.Dir(cfgPath), "sample-functions", "python-event", "index.py")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(b), "import os\n", "import os\nimport random\n", 1)
	src = strings.Replace(src, `if _query(event, "fail") == "1":`, `if _query(event, "fail") == "1" or random.random() < 0.03:`, 1)
	if src == string(b) || !strings.Contains(src, "random.random()") {
		t.Fatalf("the python sample changed shape: cannot add the regression to %s", p)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hoverChart moves the mouse over the requests chart at fraction x of its
// width, so the screenshot shows the per-version tooltip.
func hoverChart(t *testing.T, ctx context.Context, x float64) {
	t.Helper()
	box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById('chart-rps').getBoundingClientRect(); return [r.left, r.top, r.width, r.height] })()`))
	if err != nil || len(box) != 4 {
		t.Fatalf("chart position: %v %v", box, err)
	}
	do(t, ctx, "hover the chart", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0]+x*box[2], box[1]+box[3]*0.5))
}
