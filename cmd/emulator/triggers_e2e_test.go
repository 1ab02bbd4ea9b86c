package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/logstore"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/trigger"
)

// triggerConfig declares every kind of config trigger on function T.
const triggerConfig = `functions:
  T:
    source: ./tfn
    runtime: Python3.9
    handler: index.main_handler
    aliases:
      release: {version: $LATEST}
    triggers:
      - {type: timer, name: tick, cron: "* * * * * * *", qualifier: release, message: hi}
      - {type: cos, name: uploads, bucket: ./buckets/photos, events: "cos:ObjectCreated:*", qualifier: $DEFAULT, prefix:, suffix: .jpg}
      - {type: clb, name: shop, path: /shop, method: ANY}
    async: {retryNum: 0, msgTTL: 60, deadLetter: local}
`

const triggerHandler = `import json

def main_handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"uri": event.get("headers", {}).get("X-Uri"), "type": event.get("Type")})}
`

func triggerWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tfn"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tfn", "index.py"), []byte(triggerHandler), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "emulator.yaml")
	if err := os.WriteFile(cfg, []byte(triggerConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// records returns T's finished records of trigger name started after since.
func records(app *App, name string, since time.Time) []logstore.Record {
	recs, _ := app.logs.Query(logstore.Query{Function: "T"})
	var out []logstore.Record
	for _, r := range recs {
		if r.Trigger == name && !r.Running && !r.StartTime.Before(since) {
			out = append(out, r)
		}
	}
	return out
}

// waitRecords polls until n records of trigger name exist, or limit passes.
func waitRecords(app *App, name string, since time.Time, n int, limit time.Duration) []logstore.Record {
	deadline := time.Now().Add(limit)
	for {
		recs := records(app, name, since)
		if len(recs) >= n || time.Now().After(deadline) {
			return recs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConfigTriggersEndToEnd runs the triggers of emulator.yaml on the
// process runtime: a 1 s timer through alias release split 0.5/0.5 between
// version 1 and $LATEST (seed 7), a COS trigger on a file write, a CLB
// trigger through the gateway, and a live edit that removes the timer.
func TestConfigTriggersEndToEnd(t *testing.T) {
	cfg := triggerWorkspace(t)
	app, _ := startApp(t, cfg, filepath.Join(filepath.Dir(cfg), ".emulator"))
	ts, err := app.reg.Triggers("T")
	if err != nil || len(ts) != 3 || !ts[0].Config {
		t.Fatalf("triggers from the config = %+v, %v", ts, err)
	}
	if p := app.trig.Policy("T"); p.RetryNum != 0 || p.MsgTTL != time.Minute {
		t.Errorf("async policy from the config = %+v", p)
	}

	// Timer through release at 0.5: 16 ticks (bounded at 90 s). With seed
	// 7 the split is fixed; the tolerance allows any draw within 2.4
	// standard deviations (0.2..0.8), and both versions must show.
	if _, err := app.reg.Publish(t.Context(), "T", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := app.reg.UpdateAlias("T", registry.Alias{Name: "release", FunctionVersion: "1",
		Weights: []registry.VersionWeight{{Version: registry.Latest, Weight: 0.5}}}); err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(time.Second) // ticks already routed before the split are not counted
	recs := waitRecords(app, "tick", since, 16, 90*time.Second)
	if len(recs) < 16 {
		t.Fatalf("timer fired %d times in 90 s, want 16", len(recs))
	}
	v1 := 0
	for _, r := range recs[:16] {
		if r.Source != "timer" || r.Alias != "release" || r.Status != 200 {
			t.Errorf("timer record = source %s alias %s status %d", r.Source, r.Alias, r.Status)
		}
		if r.Version == "1" {
			v1++
		}
	}
	if share := float64(v1) / 16; v1 == 0 || v1 == 16 || share < 0.2 || share > 0.8 {
		t.Errorf("version 1 ran %d of 16 timer calls, want 0.5 ± 0.3 and both versions", v1)
	}

	// COS: a .jpg written into the bucket folder fires; a .txt does not (suffix).
	start := time.Now()
	bucket := filepath.Join(filepath.Dir(cfg), "buckets", "photos")
	if err := os.WriteFile(filepath.Join(bucket, "note.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// cat.jpg arrives whole, by a rename: a plain write's create and write
	// events can be more than the bucket's 50 ms settle apart on a loaded
	// machine, which fires twice (size 0, then 4).
	if err := os.WriteFile(filepath.Join(bucket, "cat.jpg.part"), []byte("jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(bucket, "cat.jpg.part"), filepath.Join(bucket, "cat.jpg")); err != nil {
		t.Fatal(err)
	}
	if got := waitRecords(app, "uploads", start, 1, 30*time.Second); len(got) != 1 || got[0].Source != "cos" {
		t.Errorf("cos records after writing cat.jpg and note.txt = %+v, want 1", got)
	}

	// CLB: the gateway answers /clb/shop through the function.
	resp, err := http.Get(app.GatewayURL() + "/clb/shop?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"uri": "/shop?x=1"`) {
		t.Errorf("GET /clb/shop = %d %s", resp.StatusCode, body)
	}
	if got := records(app, "shop", start); len(got) != 1 || got[0].Source != "clb" {
		t.Errorf("clb records = %+v", got)
	}

	// A live edit that removes the timer stops it. The registry drops the
	// trigger first; the rig's sync loop drops the scheduler's job after a
	// poke, so a tick can still fire in between, and its invocation may
	// start much later on a loaded machine. So ticks are watched where they
	// are submitted (the async events), after the reload has settled.
	edited := strings.Replace(triggerConfig, `      - {type: timer, name: tick, cron: "* * * * * * *", qualifier: release, message: hi}`+"\n", "", 1)
	if err := os.WriteFile(cfg, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ts, _ := app.reg.Triggers("T")
		if len(ts) == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2500 * time.Millisecond) // the rig's sync and a tick in flight during the reload
	settled := time.Now()
	time.Sleep(2500 * time.Millisecond) // two and a half periods of the removed timer
	late := app.trig.Events()
	late = slices.DeleteFunc(late, func(ev trigger.AsyncEvent) bool { return ev.Trigger != "tick" || ev.StartTime.Before(settled) })
	if len(late) > 0 {
		t.Errorf("the removed timer fired %d times after the reload", len(late))
	}
}

// TestCreateTriggerCLBWithSDK creates a CLB trigger with the official SDK
// and calls it through the gateway.
func TestCreateTriggerCLBWithSDK(t *testing.T) {
	cfg := triggerWorkspace(t)
	app, _ := startApp(t, cfg, filepath.Join(filepath.Dir(cfg), ".emulator"))
	req := scf.NewCreateTriggerRequest()
	req.FunctionName, req.TriggerName, req.Type = ptrTo("T"), ptrTo("orders"), ptrTo("clb")
	req.TriggerDesc = ptrTo(`{"path":"/orders/{id}","method":"POST"}`)
	if _, err := sdkClient(t, app).CreateTrigger(req); err != nil {
		t.Fatalf("CreateTrigger clb: %v", err)
	}
	resp, err := http.Post(app.GatewayURL()+"/clb/orders/42", "text/plain", strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"/orders/42"`) {
		t.Errorf("POST /clb/orders/42 = %d %s", resp.StatusCode, body)
	}
	// A method the trigger does not take falls through to the gateway: 404.
	resp, err = http.Get(app.GatewayURL() + "/clb/orders/42")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /clb/orders/42 = %d, want 404", resp.StatusCode)
	}
}
