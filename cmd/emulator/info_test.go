package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReachableURL(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8081}, "http://127.0.0.1:8081"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8082}, "http://[::1]:8082"},
		{&net.TCPAddr{IP: net.ParseIP("192.168.1.5"), Port: 80}, "http://192.168.1.5:80"},
	}
	for _, tc := range tests {
		if got := reachableURL(tc.addr); got != tc.want {
			t.Errorf("reachableURL(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

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
	var info infoAnswer
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
