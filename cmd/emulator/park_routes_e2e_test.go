package main

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fatih/color"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// echoWorkspace is a workspace serving liveConfig: B, and E behind /echo.
func echoWorkspace(t *testing.T) (cfg string) {
	t.Helper()
	cfg = workspace(t)
	dir := filepath.Join(filepath.Dir(cfg), "echo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.py"), []byte(echoHandler), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(liveConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// webTrigger binds GET /release/t of service A to fn with the official SDK.
func webTrigger(t *testing.T, c *scf.Client, fn string) {
	t.Helper()
	ct := scf.NewCreateTriggerRequest()
	ct.FunctionName, ct.TriggerName, ct.Type = common.StringPtr(fn), common.StringPtr("web"), common.StringPtr("apigw")
	ct.TriggerDesc = common.StringPtr(`{"api":{"requestConfig":{"method":"GET","path":"/t"}},"service":{"serviceName":"A"},"release":{"environmentName":"release"}}`)
	if _, err := c.CreateTrigger(ct); err != nil {
		t.Fatalf("CreateTrigger web of %s: %v", fn, err)
	}
}

func triggerStatus(c *scf.Client, fn, enable string) error {
	req := scf.NewUpdateTriggerStatusRequest()
	req.FunctionName, req.TriggerName, req.Type, req.Enable = common.StringPtr(fn), common.StringPtr("web"), common.StringPtr("apigw"), common.StringPtr(enable)
	_, err := c.UpdateTriggerStatus(req)
	return err
}

// webEnabled tells whether fn's trigger web is enabled, as ListTriggers says.
func webEnabled(t *testing.T, c *scf.Client, fn string) bool {
	t.Helper()
	req := scf.NewListTriggersRequest()
	req.FunctionName = common.StringPtr(fn)
	resp, err := c.ListTriggers(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range resp.Response.Triggers {
		if *tr.TriggerName == "web" {
			return *tr.Enable == 1
		}
	}
	t.Fatalf("%s has no trigger web", fn)
	return false
}

// servedBy says which function answered GET url: E answers its greeting,
// B its name.
func servedBy(t *testing.T, url string) string {
	t.Helper()
	a := get(t, url, nil)
	switch {
	case a.Status == 200 && a.Body["greeting"] == "hello":
		return "E"
	case a.Status == 200 && a.Body["function"] == "B":
		return "B"
	}
	return a.Raw
}

// TestRestoreWithATakenRouteLive: while E is parked, B takes the route of
// E's apigw trigger. Adding E back restores it whole, its API included,
// with that one trigger left out (kept, disabled), and the console says
// which route, who holds it and how to fix it; once B lets the route go,
// E's trigger can be enabled.
func TestRestoreWithATakenRouteLive(t *testing.T) {
	app, cfg, ev := liveApp(t)
	gw, c := app.GatewayURL(), sdkClient(t, app)
	webTrigger(t, c, "E")
	if got := servedBy(t, gw+"/release/t"); got != "E" {
		t.Fatalf("/release/t before: %s, want E", got)
	}
	edit := func(content string) ConfigReport { return applyEdit(t, cfg, ev, content) }
	edit(withoutE(t))
	webTrigger(t, c, "B") // the route is free while E is parked
	if got := servedBy(t, gw+"/release/t"); got != "B" {
		t.Fatalf("/release/t while E is parked: %s, want B", got)
	}

	r := edit(liveConfig)
	if _, ok := r.Restored["E"]; !ok {
		t.Fatalf("report restored %v, want E", r.Restored)
	}
	if left := r.LeftOut["E"]; len(left) != 1 || left[0].Trigger.Name != "web" || left[0].Holder != "trigger web of function B" {
		t.Fatalf("report left out %+v, want E's web held by B's", r.LeftOut)
	}
	color.NoColor = true
	var line bytes.Buffer
	(&console{out: &line}).ConfigReload(r)
	want := "trigger web of E (apigw GET /release/t in service A) left out of the restore: trigger web of function B took that route while E was parked. " +
		"It is kept, disabled; to serve it, delete one of the two triggers (DeleteTrigger), and if E's is the one kept, enable it (UpdateTriggerStatus)"
	if !strings.Contains(line.String(), "+E (restored") || !strings.Contains(line.String(), want) {
		t.Errorf("console:\n%s\nwant the restore and %q", line.String(), want)
	}
	// The restore is whole: E's API is served, B keeps the route.
	if got := servedBy(t, gw+"/release/echo"); got != "E" {
		t.Errorf("/release/echo after the restore: %s, want E", got)
	}
	if got := servedBy(t, gw+"/release/t"); got != "B" {
		t.Errorf("/release/t after the restore: %s, want B", got)
	}
	if webEnabled(t, c, "E") || !webEnabled(t, c, "B") {
		t.Error("want E's web disabled and B's enabled")
	}
	// A disabled trigger holds no route: either may be updated, as long
	// as E's stays disabled.
	for _, f := range []string{"B", "E"} {
		ut := scf.NewUpdateTriggerRequest()
		ut.FunctionName, ut.TriggerName, ut.Type = common.StringPtr(f), common.StringPtr("web"), common.StringPtr("apigw")
		ut.Description = common.StringPtr("updated while the two share a route")
		if _, err := c.UpdateTrigger(ut); err != nil {
			t.Errorf("UpdateTrigger web of %s: %v", f, err)
		}
	}
	err := triggerStatus(c, "E", "OPEN")
	if err == nil || !strings.Contains(err.Error(), "ResourceInUse.Trigger") || !strings.Contains(err.Error(), "trigger web of function B already serves GET /release/t") {
		t.Errorf("enabling E's web while B holds the route: %v, want ResourceInUse.Trigger naming B's", err)
	}
	if webEnabled(t, c, "E") || !webEnabled(t, c, "B") {
		t.Error("want E's web still disabled and B's enabled")
	}

	dt := scf.NewDeleteTriggerRequest()
	dt.FunctionName, dt.TriggerName, dt.Type = common.StringPtr("B"), common.StringPtr("web"), common.StringPtr("apigw")
	if _, err := c.DeleteTrigger(dt); err != nil {
		t.Fatal(err)
	}
	if err := triggerStatus(c, "E", "OPEN"); err != nil {
		t.Fatalf("enabling E's web once the route is free: %v", err)
	}
	eventually(t, 10*time.Second, "E serving /release/t again", func() bool { return servedBy(t, gw+"/release/t") == "E" })
}

// TestRestoreWithATakenRouteAtStart: the same, the file edited while the
// emulator was down. The start does not fail on the clash (it did: the
// route table was refused); the banner warns of the trigger left out.
func TestRestoreWithATakenRouteAtStart(t *testing.T) {
	cfg := echoWorkspace(t)
	state := filepath.Join(t.TempDir(), "state")
	app, stop := startApp(t, cfg, state)
	webTrigger(t, sdkClient(t, app), "E")
	stop()

	if err := os.WriteFile(cfg, []byte(withoutE(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	app, stop = startApp(t, cfg, state)
	webTrigger(t, sdkClient(t, app), "B")
	stop()

	if err := os.WriteFile(cfg, []byte(liveConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ = startApp(t, cfg, state)
	gw, c := app.GatewayURL(), sdkClient(t, app)
	if got := servedBy(t, gw+"/release/echo"); got != "E" {
		t.Errorf("/release/echo: %s, want E restored", got)
	}
	if got := servedBy(t, gw+"/release/t"); got != "B" {
		t.Errorf("/release/t: %s, want B", got)
	}
	if webEnabled(t, c, "E") {
		t.Error("E's web is enabled on B's route")
	}
	color.NoColor = true
	var banner bytes.Buffer
	(&console{out: &banner}).banner(app, "process")
	if !strings.Contains(banner.String(), "functions.E: trigger web of E (apigw GET /release/t in service A) left out of the restore: trigger web of function B") {
		t.Errorf("banner lacks the warning:\n%s", banner.String())
	}
}

// TestNewCLBTriggerOnATakenRouteLive: an edit that gives B a clb trigger
// on the route of E's clb trigger (created through the cloud API) is
// refused before anything changes, with file:line naming the holder, as
// for the clb triggers of a restored function: the API the same edit adds
// is not served. With a free route, the same edit applies.
func TestNewCLBTriggerOnATakenRouteLive(t *testing.T) {
	app, cfg, ev := liveApp(t)
	gw, c := app.GatewayURL(), sdkClient(t, app)
	ct := scf.NewCreateTriggerRequest()
	ct.FunctionName, ct.TriggerName, ct.Type = common.StringPtr("E"), common.StringPtr("lb"), common.StringPtr("clb")
	ct.TriggerDesc = common.StringPtr(`{"path":"/x","method":"ANY"}`)
	if _, err := c.CreateTrigger(ct); err != nil {
		t.Fatalf("CreateTrigger lb of E: %v", err)
	}
	const bDecl = "    aliases:\n      release: {version: $LATEST}\n"
	edit := func(path string) ConfigReport {
		t.Helper()
		content := strings.Replace(liveConfig, bDecl, bDecl+"    triggers:\n      - {type: clb, name: mine, path: "+path+"}\n", 1)
		content = strings.Replace(content, "      - {path: /hello,", "      - {path: /hi, method: GET, function: B}\n      - {path: /hello,", 1)
		if content == liveConfig {
			t.Fatal("liveConfig no longer declares B as the test expects")
		}
		n := ev.count()
		save(t, cfg, content)
		eventually(t, 10*time.Second, "a report of the edit", func() bool { return ev.count() > n })
		return ev.last()
	}

	r := edit("/x")
	want := "emulator.yaml:9: functions.B.triggers mine: clb route ANY /x is taken: clb trigger lb of function E serves it"
	if r.Err == nil || !strings.Contains(r.Err.Error(), want) {
		t.Errorf("edit: %v, want refused with %q", r.Err, want)
	}
	if a := get(t, gw+"/release/hi", nil); a.Status != 404 {
		t.Errorf("/release/hi after the refused edit = %d, want 404 (the routes stay)", a.Status)
	}
	if ts, _ := app.reg.Triggers("B"); len(ts) != 0 {
		t.Errorf("B's triggers after the refused edit = %+v", ts)
	}

	r = edit("/y")
	if r.Err != nil {
		t.Fatalf("edit on a free route refused: %v", r.Err)
	}
	if a := get(t, gw+"/release/hi", nil); a.Status != 200 {
		t.Errorf("/release/hi = %d, want 200", a.Status)
	}
	if ts, _ := app.reg.Triggers("B"); len(ts) != 1 || ts[0].Path != "/y" || !ts[0].Enabled {
		t.Errorf("B's triggers = %+v, want mine on /y", ts)
	}

	// One save gives B's route to E and B another, E first in the file:
	// the route B gives up is let go before E takes it.
	n := ev.count()
	save(t, cfg, yToE(t, "mine"))
	eventually(t, 10*time.Second, "a report of the edit", func() bool { return ev.count() > n })
	if r := ev.last(); r.Err != nil {
		t.Fatalf("moving /y from B to E refused: %v", r.Err)
	}
	if routes, want := clbRoutes(app), map[string]string{"/x": "E/lb", "/y": "E/e1", "/v": "B/mine"}; !maps.Equal(routes, want) {
		t.Errorf("clb routes after the move = %v, want %v", routes, want)
	}
	if got := servedBy(t, gw+"/clb/y"); got != "E" {
		t.Errorf("/clb/y after the move: %s, want E", got)
	}
}

// A clb route moved from B to E while the emulator was down, E listed
// first, is applied at start-up as a live edit applies it: the route B
// gives up is let go before E takes it.
func TestCLBRouteMovedWhileDownStartsUp(t *testing.T) {
	cfg := liveWorkspace(t)
	const bDecl = "    aliases:\n      release: {version: $LATEST}\n"
	before := strings.Replace(liveConfig, bDecl, bDecl+"    triggers:\n      - {type: clb, name: mine, path: /y}\n", 1)
	if before == liveConfig {
		t.Fatal("liveConfig no longer declares B as the test expects")
	}
	after := yToE(t, "mine")
	state := filepath.Join(t.TempDir(), "state")
	save(t, cfg, before)
	app, stop := startApp(t, cfg, state)
	if got := servedBy(t, app.GatewayURL()+"/clb/y"); got != "B" {
		t.Fatalf("/clb/y before the move: %s, want B", got)
	}
	stop()

	save(t, cfg, after)
	app, stop = startApp(t, cfg, state) // fails the test when up refuses
	defer stop()
	if routes, want := clbRoutes(app), map[string]string{"/y": "E/e1", "/v": "B/mine"}; !maps.Equal(routes, want) {
		t.Errorf("clb routes after the move = %v, want %v", routes, want)
	}
	for path, want := range map[string]string{"/clb/y": "E", "/clb/v": "B"} {
		if got := servedBy(t, app.GatewayURL()+path); got != want {
			t.Errorf("%s after the move: %s, want %s", path, got, want)
		}
	}
}

// yToE is liveConfig with E listed first, declaring clb trigger e1 on /y,
// and B declaring clb trigger bTrigger on /v.
func yToE(t *testing.T, bTrigger string) string {
	t.Helper()
	const bDecl = "    aliases:\n      release: {version: $LATEST}\n"
	if !strings.Contains(liveConfig, eDecl) || !strings.Contains(liveConfig, bDecl) {
		t.Fatal("liveConfig no longer declares B and E as the test expects")
	}
	content := strings.Replace(liveConfig, eDecl, "", 1)
	content = strings.Replace(content, "functions:\n", "functions:\n"+eDecl+"    triggers:\n      - {type: clb, name: e1, path: /y}\n", 1)
	return strings.Replace(content, bDecl, bDecl+"    triggers:\n      - {type: clb, name: "+bTrigger+", path: /v}\n", 1)
}

// clbRoutes maps the path of every enabled trigger to "function/trigger".
func clbRoutes(app *App) map[string]string {
	routes := map[string]string{}
	for _, tr := range app.reg.AllTriggers() {
		if tr.Enabled {
			routes[tr.Path] = tr.Function + "/" + tr.Name
		}
	}
	return routes
}
