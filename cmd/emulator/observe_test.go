package main

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// TestLogsStatsAndMetrics: what requests leave behind is visible through
// `emulator logs`, `emulator stats` and GET /metrics, per version.
func TestLogsStatsAndMetrics(t *testing.T) {
	cfg := workspace(t)
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	c := sdkClient(t, app)
	for range 2 {
		pv := scf.NewPublishVersionRequest()
		pv.FunctionName = common.StringPtr("B")
		if _, err := c.PublishVersion(pv); err != nil {
			t.Fatal(err)
		}
	}
	updateAlias(t, c, "release", "1", map[string]float64{"2": 0.5}, nil)
	for range 40 {
		get(t, app.GatewayURL()+"/release/hello", nil)
	}
	get(t, app.GatewayURL()+"/dev/hello?fail=1", nil)

	var out bytes.Buffer
	if code := run(t.Context(), []string{"stats", "B", "--endpoint", app.AdminURL()}, &out, io.Discard); code != 0 {
		t.Fatalf("stats exit %d: %s", code, out.String())
	}
	stats := out.String()
	for _, want := range []string{"VERSION", "1", "2", "$LATEST", "all"} {
		if !strings.Contains(stats, want) {
			t.Errorf("stats output lacks %q:\n%s", want, stats)
		}
	}

	out.Reset()
	if code := run(t.Context(), []string{"logs", "B", "--endpoint", app.AdminURL(), "-n", "5"}, &out, io.Discard); code != 0 {
		t.Fatalf("logs exit %d: %s", code, out.String())
	}
	logs := out.String()
	for _, want := range []string{"START RequestId:", "END RequestId:", "Report RequestId:", "ERROR RequestId:", "statusCode"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs output lacks %q:\n%s", want, logs)
		}
	}

	resp, err := http.Get(app.AdminURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`scf_invocations_total{alias="release",class="2xx",function="B",namespace="default",stage="release",version="1"}`,
		`scf_invocations_total{alias="release",class="2xx",function="B",namespace="default",stage="release",version="2"}`,
		`class="430",function="B"`, `scf_instances{function="B"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
