package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

// chromiumPath finds a Chromium or Chrome on PATH, "" when there is none.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// dashboardApp starts an App on the dashboard config with versions 1 and 2
// of B published and alias release at 1 with weights.
func dashboardApp(t *testing.T, weights []registry.VersionWeight) *App {
	t.Helper()
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(oneFunctionConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	for _, d := range []string{"build 1", "build 2"} {
		if _, err := app.reg.Publish(t.Context(), "B", d); err != nil {
			t.Fatal(err)
		}
	}
	setRelease(t, app, "1", weights)
	return app
}

func setRelease(t *testing.T, app *App, primary string, weights []registry.VersionWeight) {
	t.Helper()
	a, err := app.reg.Alias("B", "release")
	if err != nil {
		t.Fatal(err)
	}
	a.FunctionVersion, a.Weights = primary, weights
	if err := app.reg.UpdateAlias("B", a); err != nil {
		t.Fatal(err)
	}
}

// browser starts headless Chromium for the test, or skips the test when
// there is none. The whole browser lives at most limit.
func browser(t *testing.T, limit time.Duration, width, height int) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("no chromium, chromium-browser or google-chrome on PATH: the dashboard browser test needs one (apt-get install chromium); .ci/run installs it")
	}
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI containers has no usable sandbox
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(width, height),
	)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// watchConsole fails the test on any uncaught exception or console error
// of the page.
func watchConsole(t *testing.T, ctx context.Context) {
	t.Helper()
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			// The page asks for /emulator/rollouts, which may not exist:
			// the browser logs that 404 from its network layer, and the page
			// hides the section. Anything the page itself reports is a failure.
			if m.Source == "network" {
				continue
			}
			if m.Type == chromedp.ConsoleException || m.Type == "error" {
				t.Errorf("browser console %s: %s", m.Type, m.Text)
			}
		}
	}()
	t.Cleanup(func() { <-done }) // t.Context() ends before cleanups run, and with it the iteration
}

// traffic sends n requests to the release stage, one at a time, and counts
// the answers per version.
func traffic(t *testing.T, app *App, n int) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for range n {
		a := get(t, app.GatewayURL()+"/release/hello", nil)
		if a.Status != http.StatusOK {
			t.Fatalf("gateway answered %d: %s", a.Status, a.Raw)
		}
		counts[a.Version]++
	}
	return counts
}

// poll waits until the page's expression is truthy.
func poll(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// do runs steps, each group of them bounded to 15 s; on failure it reports
// what the page showed in its alerts.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		alerts, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.alert:not([hidden])')].map(e => e.textContent)`))
		t.Fatalf("%s: %v (alerts on the page: %q)", what, err, alerts)
	}
}

// clear empties an input as selecting its text and deleting it would.
func clear(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = ''; e.dispatchEvent(new Event('input')) })()`, sel))
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ''`, sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// screenshot writes the viewport to $DASHBOARD_SCREENSHOTS/name when set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("DASHBOARD_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", filepath.Join(dir, name))
}

// cloudAPIError makes the cloud API call the page makes, to compare answers.
func cloudAPIError(t *testing.T, app *App, action, body string) (code, message string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, app.AdminURL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", "2018-04-16")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Response struct {
			Error struct{ Code, Message string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return env.Response.Error.Code, env.Response.Error.Message
}

func releaseWeights(t *testing.T, app *App) []registry.VersionWeight {
	t.Helper()
	a, err := app.reg.Alias("B", "release")
	if err != nil {
		t.Fatal(err)
	}
	return a.Weights
}

// TestDashboardBrowser loads the dashboard in headless Chromium, sees the
// chart follow gateway traffic, edits release's weight in the page (a
// refused value first), checks the routing through the gateway, and rolls
// back with one click.
func TestDashboardBrowser(t *testing.T) {
	ctx := browser(t, 3*time.Minute, 1440, 1000) // a hang guard: chromium on a loaded machine is slow
	app := dashboardApp(t, []registry.VersionWeight{{Version: "2", Weight: 0.1}})
	watchConsole(t, ctx)
	release := `.alias[data-alias="release"]`

	do(t, ctx, "load the dashboard", chromedp.Navigate(app.AdminURL()+"/#fn=B"), chromedp.WaitVisible(chromedp.CSS(release)))
	if got := text(t, ctx, "#fn-name"); got != "B" {
		t.Errorf("selected function %q, want B", got)
	}

	t.Run("the chart follows the traffic", func(t *testing.T) {
		counts := traffic(t, app, 200)
		if counts["2"] == 0 {
			t.Fatalf("no request of 200 reached version 2 at weight 0.1: %v", counts)
		}
		// Points of finished steps only: the step in progress is not drawn.
		poll(t, ctx, "version 2 plotted", `+(document.querySelector('#chart-rps path.area[data-version="2"]')?.dataset.points || 0) > 0`)
		poll(t, ctx, "version 1 plotted", `+(document.querySelector('#chart-rps path.area[data-version="1"]')?.dataset.points || 0) > 0`)
		// The legend's totals are the gateway's counts.
		for _, v := range []string{"1", "2"} {
			poll(t, ctx, "legend total of "+v, fmt.Sprintf(`document.querySelector('#legend [data-version="%s"]')?.dataset.total === "%d"`, v, counts[v]))
		}
	})

	t.Run("the versions table tells provisioned from on-demand instances", func(t *testing.T) {
		pc := scf.NewPutProvisionedConcurrencyConfigRequest()
		pc.FunctionName, pc.Qualifier, pc.VersionProvisionedConcurrencyNum = common.StringPtr("B"), common.StringPtr("2"), common.Uint64Ptr(2)
		if _, err := sdkClient(t, app).PutProvisionedConcurrencyConfig(pc); err != nil {
			t.Fatalf("PutProvisionedConcurrencyConfig: %v", err)
		}
		cell := `#versions tr[data-version="%s"] td.instances`
		// Version 2 gets two warm instances; version 1 served the traffic
		// above on demand, one request at a time, so one instance is warm.
		poll(t, ctx, "version 2 with 2 provisioned", fmt.Sprintf(`document.querySelector('%s')?.dataset.provisioned === "2"`, fmt.Sprintf(cell, "2")))
		if got := text(t, ctx, fmt.Sprintf(cell, "2")); !strings.HasPrefix(got, "2/2 prov") {
			t.Errorf("version 2 instances cell %q, want 2/2 prov first", got)
		}
		poll(t, ctx, "version 1 on demand", fmt.Sprintf(`+(document.querySelector('%s')?.dataset.onDemand || 0) >= 1`, fmt.Sprintf(cell, "1")))
		if got := text(t, ctx, fmt.Sprintf(cell, "1")); strings.Contains(got, "prov") {
			t.Errorf("version 1 instances cell %q names provisioned instances it has none of", got)
		}
		if got := text(t, ctx, `#versions thead th:nth-child(8)`); got != "Instances" {
			t.Errorf("8th column %q, want Instances before Cold", got)
		}
	})

	weight := release + ` form.editor input.weight`
	t.Run("a weight the API refuses shows its error and changes nothing", func(t *testing.T) {
		do(t, ctx, "edit 1.5", chromedp.Click(chromedp.CSS(release+` [data-action="edit"]`)), chromedp.WaitVisible(chromedp.CSS(weight)),
			clear(weight), chromedp.SendKeys(chromedp.CSS(weight), "1.5"),
			chromedp.Click(chromedp.CSS(release+` [data-action="save"]`)), chromedp.WaitVisible(chromedp.CSS(release+` form.editor .alert`)))
		code, msg := cloudAPIError(t, app, "UpdateAlias", `{"FunctionName":"B","Name":"release","FunctionVersion":"1",`+
			`"RoutingConfig":{"AdditionalVersionWeights":[{"Version":"2","Weight":1.5}],"AddtionVersionMatchs":[]}}`)
		if code == "" {
			t.Fatal("the API accepted weight 1.5")
		}
		if got := text(t, ctx, release+` .alert .code`); got != code {
			t.Errorf("page shows code %q, the API answers %q", got, code)
		}
		if got := text(t, ctx, release+` .alert .message`); got != msg {
			t.Errorf("page shows message %q, the API answers %q", got, msg)
		}
		if w := releaseWeights(t, app); !slices.Equal(w, []registry.VersionWeight{{Version: "2", Weight: 0.1}}) {
			t.Errorf("weights after the refused edit = %v, want 2 at 0.1", w)
		}
	})

	t.Run("a valid weight changes the routing", func(t *testing.T) {
		do(t, ctx, "edit 0.5", clear(weight), chromedp.SendKeys(chromedp.CSS(weight), "0.5"),
			chromedp.Click(chromedp.CSS(release+` [data-action="save"]`)), chromedp.WaitNotPresent(chromedp.CSS(release+` form.editor`)))
		eventually(t, 30*time.Second, "weight 0.5 in the registry", func() bool {
			return slices.Equal(releaseWeights(t, app), []registry.VersionWeight{{Version: "2", Weight: 0.5}})
		})
		counts := traffic(t, app, 200)
		// Binomial(200, 0.5): 60 is more than five standard deviations below
		// the mean, and three times what weight 0.1 gives.
		if counts["2"] < 60 || counts["1"] < 60 {
			t.Errorf("after weight 0.5: %v, want both versions above 60 of 200", counts)
		}
		poll(t, ctx, "the routing bar at 50/50", `[...document.querySelectorAll('.alias[data-alias="release"] .routebar span')].map(s => s.textContent).join() === 'v1 50%,v2 50%'`)
	})

	t.Run("rollback is one click", func(t *testing.T) {
		rollback := chromedp.CSS(release + ` [data-action="rollback"]`)
		do(t, ctx, "roll back", chromedp.WaitEnabled(rollback), chromedp.Click(rollback))
		eventually(t, 30*time.Second, "release without weights", func() bool { return len(releaseWeights(t, app)) == 0 })
		a, err := app.reg.Alias("B", "release")
		if err != nil || a.FunctionVersion != "1" || len(a.Matches) != 0 {
			t.Errorf("release after rollback = %+v, %v; want version 1 and no routing", a, err)
		}
		poll(t, ctx, "the routing bar at 100%", `document.querySelector('.alias[data-alias="release"] .routebar').textContent === 'v1 100%'`)
		if counts := traffic(t, app, 50); counts["1"] != 50 {
			t.Errorf("after rollback: %v, want all 50 on version 1", counts)
		}
	})

	t.Run("with credentials the page is read-only", func(t *testing.T) {
		ro := newDashboardApp(t, "AKIDtest", "secret")
		srv := httptest.NewServer(ro.servers[1].Handler)
		defer srv.Close()
		tab, cancel := chromedp.NewContext(ctx) // a second tab of the same browser
		defer cancel()
		if err := chromedp.Do(tab); err != nil { // opens it: the tab lives as long as the context of its first run
			t.Fatal(err)
		}
		// The login link of the banner sets the session cookie and
		// redirects to the page without the token.
		do(t, tab, "load the read-only dashboard", chromedp.Navigate(srv.URL+"/?token="+ro.guard.LoginToken()+"#fn=B"),
			chromedp.WaitVisible(chromedp.CSS(release)), chromedp.WaitVisible(chromedp.CSS("#readonly")))
		if u, err := chromedp.Run(tab, chromedp.Evaluate[string](`location.search`)); err != nil || u != "" {
			t.Errorf("query after login = %q (%v), want the token gone", u, err)
		}
		if got := text(t, tab, "#readonly-reason"); !strings.Contains(got, "signatures") {
			t.Errorf("read-only note %q does not say why", got)
		}
		n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-action="edit"], [data-action="rollback"]').length`))
		if err != nil || n != 0 {
			t.Errorf("%d edit or rollback buttons on the read-only page (%v), want none", n, err)
		}
	})

	t.Run("the log tail shows the invocations", func(t *testing.T) {
		poll(t, ctx, "log lines", `+(document.getElementById('logs').dataset.count || 0) >= 20`)
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById('logs').children.length`)); err != nil || n > 200 {
			t.Errorf("log lines in the page: %d (%v), want at most 200", n, err)
		}
	})
}
