package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/admin"
	"github.com/scf-emulator/emulator/engine"
	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/metrics"
)

// shadowConfig is a small config: event function B and web function W,
// both behind service A's release stage.
const shadowConfig = `functions:
  B:
    source: ./sample-functions/python-event
    runtime: Python3.9
    handler: index.main_handler
    aliases:
      release: {version: $LATEST}
  W:
    source: ./sample-functions/web-function
    runtime: Python3.9
    type: http
    aliases:
      canary: {version: $LATEST}
services:
  A:
    stages: {release: release}
    apis:
      - {path: /hello, method: ANY, function: B}
      - {path: /web, method: ANY, function: W, stages: {release: canary}}
`

// shadowBrokenHandler replaces B's handler in the version the test breaks.
const shadowBrokenHandler = `

def main_handler(event, context):
    raise RuntimeError("version 2 is broken")
`

func publishFn(t *testing.T, c *scf.Client, fn string) {
	t.Helper()
	pv := scf.NewPublishVersionRequest()
	pv.FunctionName = common.StringPtr(fn)
	if _, err := c.PublishVersion(pv); err != nil {
		t.Fatal(err)
	}
}

func shadowStatsOf(app *App, fn, version string) metrics.VersionStats {
	for _, s := range app.met.Stats(fn, time.Minute) {
		if s.Version == version {
			return s
		}
	}
	return metrics.VersionStats{}
}

// TestShadowEndToEnd: an alias copies every request to a failing version.
// Clients only ever see the primary's answers; the shadow version's stats,
// logs and metrics show the failures.
func TestShadowEndToEnd(t *testing.T) {
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(shadowConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	c := sdkClient(t, app)
	publishFn(t, c, "B") // 1: good
	src := filepath.Join(filepath.Dir(cfg), "sample-functions", "python-event", "index.py")
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, append(code, shadowBrokenHandler...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := app.reg.RefreshLatest(t.Context(), "B"); err != nil {
		t.Fatal(err)
	}
	publishFn(t, c, "B") // 2: broken

	if code, out := cli(t, app.AdminURL(), "alias", "update", "B", "release", "--version", "1", "--shadow", "2=1"); code != 0 ||
		!strings.Contains(out, "shadow 100% to 2") {
		t.Fatalf("alias update: exit %d %s", code, out)
	}
	const viaGateway, viaAPI = 30, 5
	for i := range viaGateway {
		a := get(t, app.GatewayURL()+"/release/hello", nil)
		if a.Status != http.StatusOK || a.Version != "1" || a.SCFStatus != "200" || !strings.Contains(a.Raw, "hello from B") {
			t.Fatalf("request %d: %d version %s scf %s %s; want the primary's good answer", i, a.Status, a.Version, a.SCFStatus, a.Raw)
		}
	}
	for range viaAPI {
		req := scf.NewInvokeRequest()
		req.FunctionName, req.Qualifier = common.StringPtr("B"), common.StringPtr("release")
		resp, err := c.Invoke(req)
		if err != nil {
			t.Fatal(err)
		}
		if r := resp.Response.Result; deref(r.InvokeResult) != 0 || !strings.Contains(deref(r.RetMsg), "hello from B") {
			t.Fatalf("Invoke release: %+v, want version 1's answer", r)
		}
	}

	const copies = viaGateway + viaAPI
	eventually(t, 30*time.Second, "every copy to version 2 recorded", func() bool {
		s := shadowStatsOf(app, "B", "2")
		return s.Shadow+s.ShadowDropped == copies
	})
	s2, s1 := shadowStatsOf(app, "B", "2"), shadowStatsOf(app, "B", "1")
	if s2.ShadowDropped != 0 {
		t.Logf("%d copies dropped at the in-flight limit", s2.ShadowDropped)
	}
	if s2.Errors != s2.Shadow || s2.ErrorRate != 1 || s2.Share != 0 || s2.Shadow == 0 {
		t.Errorf("version 2 stats = %+v, want every copy failed and no share of real traffic", s2)
	}
	if s1.Invocations != copies || s1.Errors != 0 || s1.Share != 1 {
		t.Errorf("version 1 stats = %+v, want all %d real requests, no errors", s1, copies)
	}

	recs, _ := app.logs.Query(logstore.Query{Function: "B", Qualifier: "2"})
	shadowRecs := 0
	for _, r := range recs {
		if r.Source == engine.SourceShadow && r.Status != 200 && r.Alias == "release" {
			shadowRecs++
		}
	}
	if shadowRecs != s2.Shadow {
		t.Errorf("%d shadow log records of version 2, want %d", shadowRecs, s2.Shadow)
	}

	resp, err := http.Get(app.AdminURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `scf_shadow_errors_total{alias="release",class="430",function="B",namespace="default",stage="release",version="2"}`) {
		t.Errorf("/metrics lacks the copies' errors:\n%s", linesWith(string(body), "scf_shadow"))
	}
	if strings.Contains(string(body), `scf_invocations_total{alias="release",class="430"`) {
		t.Errorf("the copies leaked into scf_invocations_total:\n%s", linesWith(string(body), "scf_invocations_total"))
	}
}

// TestShadowWebEndToEnd: a web function's request, body included, is
// replayed to the shadow version.
func TestShadowWebEndToEnd(t *testing.T) {
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(shadowConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	c := sdkClient(t, app)
	publishFn(t, c, "W")
	if code, out := cli(t, app.AdminURL(), "alias", "update", "W", "canary", "--version", "1", "--shadow", "$LATEST=1"); code != 0 {
		t.Fatalf("alias update: exit %d %s", code, out)
	}
	resp, err := http.Post(app.GatewayURL()+"/release/web", "application/json", strings.NewReader(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("X-Scf-Version") != "1" || !strings.Contains(string(b), `"version": "1"`) {
		t.Fatalf("client got version %s: %s", resp.Header.Get("X-Scf-Version"), b)
	}
	eventually(t, 30*time.Second, "the copy to $LATEST recorded", func() bool {
		return shadowStatsOf(app, "W", "$LATEST").Shadow == 1
	})
	if s := shadowStatsOf(app, "W", "$LATEST"); s.Errors != 0 {
		t.Errorf("copy to $LATEST failed: %+v", s)
	}
}

// TestRoutesAndSplitTestAgainstApp: GET /emulator/routes describes the
// gateway's routes, and split-test checks a real alias end to end.
func TestRoutesAndSplitTestAgainstApp(t *testing.T) {
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(shadowConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	resp, err := http.Get(app.AdminURL() + "/emulator/routes?function=W")
	if err != nil {
		t.Fatal(err)
	}
	var ans admin.RoutesAnswer
	err = json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	want := splitRoute{Service: "A", Host: "a.localhost", Stage: "release", Path: "/web", Method: "ANY", Qualifier: "canary"}
	if err != nil || ans.Services != 1 || len(ans.Routes) != 1 || ans.Routes[0] != want {
		t.Fatalf("routes of W = %+v (%v), want %+v", ans, err, want)
	}
	if resp, err := http.Get(app.AdminURL() + "/emulator/routes?function=nope"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("routes of an unknown function: %v %v, want 404", resp.StatusCode, err)
	}

	c := sdkClient(t, app)
	publishFn(t, c, "B")
	publishFn(t, c, "B")
	if code, out := cli(t, app.AdminURL(), "alias", "update", "B", "release", "--version", "1", "--weight", "2=0.3", "--sticky", "User"); code != 0 {
		t.Fatalf("alias update: %s", out)
	}
	code, out := cli(t, app.AdminURL(), "split-test", "B", "--stage", "release", "--path", "/hello", "-n", "300",
		"--concurrency", "4", "--users", "300", "--gateway", app.GatewayURL())
	if code != 0 || !strings.Contains(out, "sticky on User") {
		t.Errorf("split-test: exit %d\n%s", code, out)
	}
	code, out = cli(t, app.AdminURL(), "split-test", "B", "-n", "50", "--header", "User=bob", "--gateway", app.GatewayURL())
	if code != 0 || !strings.Contains(out, "one user: 100%") {
		t.Errorf("split-test with one user: exit %d\n%s", code, out)
	}
}

func linesWith(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
