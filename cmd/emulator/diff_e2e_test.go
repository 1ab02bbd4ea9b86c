package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scf-emulator/emulator/diff"
)

// diffConfig serves event function D behind service A's release stage.
const diffConfig = `functions:
  D:
    source: ./d
    runtime: Python3.9
    handler: index.main_handler
    aliases:
      release: {version: $LATEST}
services:
  A:
    stages: {release: release}
    apis:
      - {path: "/users/{id}", method: GET, function: D}
`

// diffHandler answers a user with a timestamp that differs on every run
// (noise). RENAME is the change version 2 makes: on every fourth user the
// name is capitalised.
const diffHandler = `import json, time

RENAME = %s

def main_handler(event, context):
    uid = int(event["pathParameters"]["id"])
    name = "ann"
    if RENAME and uid %% 4 == 0:
        name = "Ann"
    body = {"id": uid, "user": {"name": name, "plan": "free"}, "ts": time.time_ns()}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
`

// diffApp starts an emulator whose alias release of D copies every request
// to version 2 in diff mode, and sends 40 requests, each compared before
// the next.
func diffApp(t *testing.T) *App {
	t.Helper()
	cfg := workspace(t)
	dir := filepath.Join(filepath.Dir(cfg), "d")
	writeHandler := func(rename string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "index.py"), fmt.Appendf(nil, diffHandler, rename), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeHandler("False")
	if err := os.WriteFile(cfg, []byte(diffConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	c := sdkClient(t, app)
	publishFn(t, c, "D") // 1
	writeHandler("True")
	if _, err := app.reg.RefreshLatest(t.Context(), "D"); err != nil {
		t.Fatal(err)
	}
	publishFn(t, c, "D") // 2: renames every fourth user

	if code, out := cli(t, app.AdminURL(), "alias", "update", "D", "release", "--version", "1", "--shadow", "2=1", "--diff"); code != 0 ||
		!strings.Contains(out, "shadow 100% to 2 (diff)") {
		t.Fatalf("alias update: exit %d %s", code, out)
	}
	const requests = 40
	for i := range requests {
		a := get(t, fmt.Sprintf("%s/release/users/%d", app.GatewayURL(), i), nil)
		if a.Status != 200 || a.Version != "1" || !strings.Contains(a.Raw, `"name": "ann"`) {
			t.Fatalf("request %d: %d version %s %s; want version 1's answer", i, a.Status, a.Version, a.Raw)
		}
		// One at a time, so no copy is dropped at the in-flight limit.
		eventually(t, 30*time.Second, fmt.Sprintf("copy %d compared", i), func() bool {
			return app.diffs.Report(diff.Query{Function: "D"}).Compared == i+1
		})
	}
	return app
}

// TestDiffEndToEnd: the changed field is reported with its path and share,
// the timestamp as noise, the CLI exits 1 above --max-diff-rate, and a
// rollout to version 2 is stopped by the diff gate.
func TestDiffEndToEnd(t *testing.T) {
	app := diffApp(t)
	const requests = 40

	rep := app.diffs.Report(diff.Query{Function: "D", Alias: "release"})
	if rep.Primary != "1" || rep.Candidate != "2" || rep.Differing != requests/4 || rep.NoiseSamples < 10 || len(rep.Endpoints) != 1 {
		t.Fatalf("report = %+v, want 10 of 40 differing between 1 and 2, with noise samples", rep)
	}
	ep := rep.Endpoints[0]
	if ep.Endpoint != "GET /users/{id}" || len(ep.Groups) != 1 || ep.Groups[0].Path != "$.user.name" || ep.Groups[0].Share != 0.25 {
		t.Errorf("groups of %s = %+v, want $.user.name on 25%%", ep.Endpoint, ep.Groups)
	}
	if len(ep.Noise) != 1 || ep.Noise[0].Path != "$.ts" || ep.Noise[0].Share != 1 {
		t.Errorf("noise = %+v, want $.ts on every request", ep.Noise)
	}
	if ex := ep.Groups[0].Example; ex == nil || !strings.Contains(ex.Candidate.Body, `"Ann"`) || !strings.Contains(ex.Primary.Body, `"ann"`) {
		t.Errorf("example = %+v, want a renamed user", ex)
	}

	code, out := cli(t, app.AdminURL(), "diff", "D", "--alias", "release", "--since", "10m", "--max-diff-rate", "0.1")
	t.Logf("emulator diff:\n%s", out)
	for _, want := range []string{"40 requests compared, 10 differ (25.0%)", "GET /users/{id}", "$.user.name", "10 requests (25.0%)",
		"e.g. GET /release/users/", "noise $.ts  40 requests (100.0%)", "above --max-diff-rate 0.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("emulator diff output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("emulator diff above the rate: exit %d, want 1", code)
	}
	if code, out := cli(t, app.AdminURL(), "diff", "D", "--max-diff-rate", "0.3"); code != 0 {
		t.Errorf("emulator diff within the rate: exit %d\n%s", code, out)
	}

	code, out, errOut := runCLI(t, "rollout", "D", "--alias", "release", "--to", "2", "--steps", "50,100", "--interval", "1m",
		"--speed", "60", "--max-diff-rate", "0.05", "--endpoint", app.AdminURL())
	if code != 1 || !strings.Contains(errOut, "gate max-diff-rate: 25.0% > 5.0% (10 of 40 compared requests differ from version 1)") {
		t.Fatalf("rollout: exit %d\n%s%s\nwant 1 and the diff gate with its figures", code, out, errOut)
	}
	if al, err := app.reg.Alias("D", "release"); err != nil || al.FunctionVersion != "1" || len(al.Weights) != 0 {
		t.Errorf("alias after the rollback = %+v (%v), want version 1 alone", al, err)
	}
}

// TestDiffPanel: the dashboard's Diff panel shows the same groups, the
// changed field with its share and the timestamp as noise, with an example
// pair. With DASHBOARD_SCREENSHOTS=dir it writes dir/diff.png:
//
//	DASHBOARD_SCREENSHOTS=$PWD/docs go test ./cmd/emulator -run TestDiffPanel -v
func TestDiffPanel(t *testing.T) {
	ctx := browser(t, 2*time.Minute, 1280, 900)
	watchConsole(t, ctx)
	app := diffApp(t)
	do(t, ctx, "load the dashboard", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(app.AdminURL()+"/#fn=D"),
		chromedp.WaitVisible(chromedp.CSS(`#diff-panel tr.real[data-path="$.user.name"]`)))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#diff tbody tr')].map((r) => r.className + ' ' + r.innerText.replace(/\s+/g, ' ').trim())`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("diff rows: %q", rows)
	want := []string{"ep GET /users/{id}", "real $.user.name", "10 25%", "noise $.ts", "40 100%"}
	joined := strings.Join(rows, "|")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("diff panel rows lack %q: %q", w, rows)
		}
	}
	do(t, ctx, "open the example", chromedp.Click(chromedp.CSS(`#diff tr.real details summary`)),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('diff-panel').scrollIntoView()`))
	pair, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#diff tr.real .pair').innerText`))
	if err != nil || !strings.Contains(pair, `"Ann"`) || !strings.Contains(pair, `"ann"`) {
		t.Errorf("example pair = %q (%v), want both names", pair, err)
	}
	screenshot(t, ctx, "diff.png")
}

// TestReplay: recorded requests replayed against versions 1 and 2 give the
// same report as the shadow copies did.
func TestReplay(t *testing.T) {
	app := diffApp(t)
	var lines []string
	for i := 100; i < 108; i++ {
		lines = append(lines, fmt.Sprintf(`{"method":"GET","path":"/users/%d","headers":{"Authorization":["secret"]}}`, i))
	}
	file := filepath.Join(t.TempDir(), "requests.jsonl")
	if err := os.WriteFile(file, []byte("# recorded\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := cli(t, app.AdminURL(), "replay", file, "--stage", "release", "--to-version", "2", "--compare-version", "1", "--max-diff-rate", "0.1")
	t.Logf("replay:\n%s", out)
	for _, want := range []string{"D version 2 vs 1: 8 requests compared, 2 differ (25.0%), 8 noise samples", "GET /users/{id}",
		"$.user.name  changed  2 requests (25.0%)", "noise $.ts  8 requests (100.0%)", "above --max-diff-rate 0.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("replay output lacks %q", want)
		}
	}
	if code != 1 {
		t.Errorf("replay above the rate: exit %d, want 1", code)
	}
	// The alias's versions are the defaults.
	if code, out := cli(t, app.AdminURL(), "replay", file, "--stage", "release"); code != 0 || !strings.Contains(out, "8 requests compared, 2 differ") {
		t.Errorf("replay with the alias's versions: exit %d\n%s", code, out)
	}
	if code, out := cli(t, app.AdminURL(), "replay", file, "--stage", "release", "--to-version", "9"); code != 1 || !strings.Contains(out, "9") {
		t.Errorf("replay to a missing version: exit %d\n%s", code, out)
	}
}
