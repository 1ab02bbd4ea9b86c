package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// setMessage rewrites the MESSAGE line of the python sample, as a person
// saving the file in an editor would (write to a temp file, rename over).
func setMessage(t testing.TB, cfgPath, msg string) {
	t.Helper()
	p := filepath.Join(filepath.Dir(cfgPath), "sample-functions", "python-event", "index.py")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^MESSAGE = .*$`)
	if !re.Match(b) {
		t.Fatalf("no MESSAGE line in %s", p)
	}
	out := re.ReplaceAll(b, []byte(fmt.Sprintf("MESSAGE = %q", msg)))
	tmp := p + ".tmp~"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
}

func updateAlias(t *testing.T, c *scf.Client, name, primary string, weights map[string]float64, rules [][3]string) {
	t.Helper()
	req := scf.NewUpdateAliasRequest()
	req.FunctionName, req.Name, req.FunctionVersion = common.StringPtr("B"), &name, &primary
	rc := &scf.RoutingConfig{}
	for v, w := range weights {
		rc.AdditionalVersionWeights = append(rc.AdditionalVersionWeights, &scf.VersionWeight{Version: common.StringPtr(v), Weight: common.Float64Ptr(w)})
	}
	for _, r := range rules { // version, key, expression (exact)
		rc.AddtionVersionMatchs = append(rc.AddtionVersionMatchs, &scf.VersionMatch{Version: common.StringPtr(r[0]),
			Key: common.StringPtr(r[1]), Method: common.StringPtr("exact"), Expression: common.StringPtr(r[2])})
	}
	req.RoutingConfig = rc
	if _, err := c.UpdateAlias(req); err != nil {
		t.Fatalf("UpdateAlias %s -> %s: %v", name, primary, err)
	}
}

func sdkCode(err error) string {
	var e *tcerr.TencentCloudSDKError
	if errors.As(err, &e) {
		return e.Code
	}
	return fmt.Sprintf("not an SDK error: %v", err)
}

// TestEndToEnd replays the seed scenario through the gateway and the official
// SDK, then restarts the emulator and checks that nothing was lost.
func TestEndToEnd(t *testing.T) {
	cfg := workspace(t)
	state := filepath.Join(t.TempDir(), "state")
	app, stop := startApp(t, cfg, state)
	c := sdkClient(t, app)
	gw := app.GatewayURL()

	t.Run("every sample serves $LATEST", func(t *testing.T) {
		for _, path := range []string{"/dev/hello", "/release/hello", "/prepub/hello", "/release/node", "/release/go", "/release/custom", "/release/web"} {
			a := get(t, gw+path, nil)
			if a.Status != 200 || a.Version != "$LATEST" || a.Body["version"] != "$LATEST" {
				t.Errorf("GET %s = %d version header %q body %s", path, a.Status, a.Version, a.Raw)
			}
		}
	})

	t.Run("hot reload serves the saved code", func(t *testing.T) {
		setMessage(t, cfg, "edited once")
		eventually(t, 30*time.Second, "reloaded message", func() bool {
			return get(t, gw+"/dev/hello", nil).Body["message"] == "edited once"
		})
	})

	versions := make([]string, 5)
	t.Run("publish four versions with different code", func(t *testing.T) {
		for n := 1; n <= 4; n++ {
			setMessage(t, cfg, fmt.Sprintf("build %d", n))
			req := scf.NewPublishVersionRequest()
			req.FunctionName, req.Description = common.StringPtr("B"), common.StringPtr(fmt.Sprintf("build %d", n))
			resp, err := c.PublishVersion(req)
			if err != nil {
				t.Fatal(err)
			}
			versions[n] = *resp.Response.FunctionVersion
			if versions[n] != fmt.Sprint(n) {
				t.Fatalf("publish %d gave version %s", n, versions[n])
			}
		}
		for n := 1; n <= 4; n++ {
			a := get(t, gw+"/dev/hello", nil) // warm $LATEST still serves
			_ = a
			inv := scf.NewInvokeRequest()
			inv.FunctionName, inv.Qualifier = common.StringPtr("B"), common.StringPtr(versions[n])
			resp, err := c.Invoke(inv)
			if err != nil {
				t.Fatal(err)
			}
			if ret := *resp.Response.Result.RetMsg; !strings.Contains(ret, fmt.Sprintf(`build %d`, n)) || !strings.Contains(ret, fmt.Sprintf(`\"version\": \"%d\"`, n)) && !strings.Contains(ret, fmt.Sprintf(`\"version\":\"%d\"`, n)) {
				t.Errorf("version %d ran %s", n, ret)
			}
		}
	})

	t.Run("prepub rule sends Bob to version 4", func(t *testing.T) {
		updateAlias(t, c, "prepub", "3", nil, [][3]string{{"4", "invoke.headers.User", "Bob"}})
		for _, tc := range []struct {
			user, version, route string
		}{{"Bob", "4", "rule"}, {"Alice", "3", "primary"}, {"", "3", "primary"}} {
			h := map[string]string{}
			if tc.user != "" {
				h["User"] = tc.user
			}
			a := get(t, gw+"/prepub/hello", h)
			if a.Version != tc.version || a.Route != tc.route || a.Body["version"] != tc.version {
				t.Errorf("user %q: ran %s via %s (body %v), want %s via %s", tc.user, a.Version, a.Route, a.Body["version"], tc.version, tc.route)
			}
		}
		inv := scf.NewInvokeRequest()
		inv.FunctionName, inv.Qualifier, inv.RoutingKey = common.StringPtr("B"), common.StringPtr("prepub"), common.StringPtr(`{"User":"Bob"}`)
		resp, err := c.Invoke(inv)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(*resp.Response.Result.RetMsg, "build 4") {
			t.Errorf("Invoke with RoutingKey Bob ran %s", *resp.Response.Result.RetMsg)
		}
	})

	t.Run("release shifts from 1 to 2 by weight", func(t *testing.T) {
		for _, w := range []float64{0.1, 0.5} {
			updateAlias(t, c, "release", "1", map[string]float64{"2": w}, nil)
			const n = 400
			counts := map[string]int{}
			for range n {
				counts[get(t, gw+"/release/hello", nil).Version]++
			}
			share := float64(counts["2"]) / n
			// Binomial sd at n=400 is at most 2.5 points; 7 points is ~3 sd.
			if share < w-0.07 || share > w+0.07 || counts["1"]+counts["2"] != n {
				t.Errorf("weight %.1f: counts %v", w, counts)
			}
		}
		updateAlias(t, c, "release", "2", nil, nil)
		if a := get(t, gw+"/release/hello", nil); a.Version != "2" || a.Route != "primary" {
			t.Errorf("after promote: %s via %s", a.Version, a.Route)
		}
	})

	t.Run("version bound to an alias cannot be deleted", func(t *testing.T) {
		req := scf.NewDeleteFunctionVersionRequest()
		req.FunctionName, req.Qualifier = common.StringPtr("B"), common.StringPtr("3")
		_, err := c.DeleteFunctionVersion(req)
		if got := sdkCode(err); got != "UnsupportedOperation.AliasBind" {
			t.Errorf("delete bound version: %s", got)
		}
	})

	t.Run("timeout gets the 433 body and the instance recovers", func(t *testing.T) {
		a := get(t, gw+"/dev/hello?sleep=3", nil)
		if a.SCFStatus != "433" || a.Body["statusCode"] != 433.0 || !strings.Contains(a.Raw, "timed out after 1 seconds") {
			t.Errorf("sleep past timeout: status %d scf %s body %s", a.Status, a.SCFStatus, a.Raw)
		}
		if a := get(t, gw+"/dev/hello", nil); a.Status != 200 || a.Version != "$LATEST" {
			t.Errorf("after timeout: %d %s", a.Status, a.Raw)
		}
	})

	t.Run("a failing function fails only its own request", func(t *testing.T) {
		a := get(t, gw+"/dev/hello?fail=1", nil)
		if a.SCFStatus != "430" || a.Body["errorCode"] != 1.0 || a.Body["statusCode"] != 430.0 {
			t.Errorf("raising handler: status %d scf %s body %s", a.Status, a.SCFStatus, a.Raw)
		}
		if a := get(t, gw+"/dev/hello", nil); a.Status != 200 || a.SCFStatus != "200" {
			t.Errorf("after a user error: %d %s", a.Status, a.Raw)
		}
	})

	t.Run("rollback release to version 1", func(t *testing.T) {
		updateAlias(t, c, "release", "1", nil, nil)
		for range 20 {
			if a := get(t, gw+"/release/hello", nil); a.Version != "1" {
				t.Fatalf("after rollback ran %s", a.Version)
			}
		}
	})

	// Restart on the same state: versions, aliases and routing come back.
	stop()
	app2, _ := startApp(t, cfg, state)
	c2 := sdkClient(t, app2)
	t.Run("restart restores versions and aliases", func(t *testing.T) {
		lv := scf.NewListVersionByFunctionRequest()
		lv.FunctionName = common.StringPtr("B")
		resp, err := c2.ListVersionByFunction(lv)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range resp.Response.FunctionVersion {
			got = append(got, *v)
		}
		if strings.Join(got, ",") != "$LATEST,4,3,2,1" {
			t.Errorf("versions after restart: %v", got)
		}
		ga := scf.NewGetAliasRequest()
		ga.FunctionName, ga.Name = common.StringPtr("B"), common.StringPtr("prepub")
		al, err := c2.GetAlias(ga)
		if err != nil {
			t.Fatal(err)
		}
		if *al.Response.FunctionVersion != "3" || len(al.Response.RoutingConfig.AddtionVersionMatchs) != 1 {
			t.Errorf("prepub after restart: %s", al.ToJsonString())
		}
		if a := get(t, app2.GatewayURL()+"/prepub/hello", map[string]string{"User": "Bob"}); a.Version != "4" {
			t.Errorf("Bob after restart ran %s", a.Version)
		}
		pv := scf.NewPublishVersionRequest()
		pv.FunctionName = common.StringPtr("B")
		p, err := c2.PublishVersion(pv)
		if err != nil || *p.Response.FunctionVersion != "5" {
			t.Errorf("publish after restart: %v %v", p, err)
		}
	})
}

// TestAliasUpdateUnderLoad: 200 parallel requests while the alias flips
// between versions; no request may get a 5xx or a torn answer.
func TestAliasUpdateUnderLoad(t *testing.T) {
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
	var bad atomic.Int32
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			a := get(t, app.GatewayURL()+"/release/hello", nil)
			if a.Status >= 500 || (a.Version != "1" && a.Version != "2" && a.Version != "$LATEST") || a.Body["version"] != a.Version {
				bad.Add(1)
				t.Errorf("request %d: %d %q %s", i, a.Status, a.Version, a.Raw)
			}
		})
		if i%20 == 0 {
			updateAlias(t, c, "release", fmt.Sprint(1+(i/20)%2), map[string]float64{fmt.Sprint(2 - (i/20)%2): 0.3}, nil)
		}
	}
	wg.Wait()
	if bad.Load() > 0 {
		t.Fatalf("%d of 200 requests failed", bad.Load())
	}
}

// TestBadConfigNamesKeyAndLine: a bad config is refused with file:line and key.
func TestBadConfigNamesKeyAndLine(t *testing.T) {
	cfg := workspace(t)
	bad := strings.Replace(testConfig, "timeout: 1", "timeout: 1000", 1)
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewApp(t.Context(), AppConfig{ConfigPath: cfg, GatewayAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", StateDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "emulator.yaml:6:14") || !strings.Contains(err.Error(), "functions.B.timeout") {
		t.Fatalf("err = %v", err)
	}
}

// TestStartFailureCleansUp: a start that fails half-way (the gateway address
// is taken) reports why and releases what it opened, so a retry works.
func TestStartFailureCleansUp(t *testing.T) {
	cfg := workspace(t)
	state := filepath.Join(t.TempDir(), "state")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = NewApp(t.Context(), AppConfig{ConfigPath: cfg, Runtime: "process", GatewayAddr: busy.Addr().String(), AdminAddr: "127.0.0.1:0", StateDir: state})
	if err == nil || !strings.Contains(err.Error(), "gateway address") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("err = %v, want the gateway address in use", err)
	}
	app, _ := startApp(t, cfg, state) // the state lock was released
	if a := get(t, app.GatewayURL()+"/dev/hello", nil); a.Status != 200 {
		t.Fatalf("after a failed start: %d %s", a.Status, a.Raw)
	}
}
