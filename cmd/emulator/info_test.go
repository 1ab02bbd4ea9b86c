package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/admin"
)

// TestInfoAndSplitTestFindsGateway: GET /emulator/info names the gateway of
// an emulator on a port that is not 8080, and split-test without --gateway
// sends its load there.
func TestInfoAndSplitTestFindsGateway(t *testing.T) {
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(oneFunctionConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	resp, err := http.Get(app.AdminURL() + "/emulator/info")
	if err != nil {
		t.Fatal(err)
	}
	var info admin.Info
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil || info.Gateway != app.GatewayURL() || info.Admin != app.AdminURL() || info.Functions != 1 ||
		info.Config != cfg || info.Version == "" || info.Go == "" || info.Runtime == "" {
		t.Fatalf("info = %+v (%v)", info, err)
	}
	if strings.HasSuffix(info.Gateway, ":8080") {
		t.Skip("the test gateway landed on 8080 by chance; the test proves nothing then")
	}
	code, out := cli(t, app.AdminURL(), "split-test", "B", "--stage", "release", "-n", "40", "--concurrency", "4")
	if code != 0 || !strings.Contains(out, app.GatewayURL()+"/release/hello") {
		t.Errorf("split-test without --gateway: exit %d\n%s", code, out)
	}
}
