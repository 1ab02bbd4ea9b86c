package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

func TestChooseStart(t *testing.T) {
	dir := t.TempDir()
	present := filepath.Join(dir, "emulator.yaml")
	if err := os.WriteFile(present, []byte("functions: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope.yaml")
	tests := []struct {
		name     string
		path     string
		explicit bool
		want     string // the chosen config; "" an empty emulator
		wantErr  string
	}{
		{"default present", present, false, present, ""},
		{"default missing starts empty", missing, false, "", ""},
		{"explicit present", present, true, present, ""},
		{"explicit missing is an error", missing, true, "", "-f " + missing + ": no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chooseStart(tc.path, tc.explicit)
			if tc.wantErr != "" {
				var ue usageError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &ue) {
					t.Fatalf("chooseStart = %+v, %v; want a usage error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got.path != tc.want {
				t.Fatalf("chooseStart = %+v, %v; want path %q", got, err, tc.want)
			}
		})
	}
}

// TestEmptyEmulator: with no config file, or one without functions, the
// emulator starts, its banner says how to add functions, and a function
// created through the SDK is invoked and served.
func TestEmptyEmulator(t *testing.T) {
	for _, tc := range []struct{ name, config string }{
		{"no config file", ""},
		{"functions {}", "functions: {}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir) // the default state dir is .emulator here
			cfgPath := ""
			if tc.config != "" {
				cfgPath = filepath.Join(dir, "emulator.yaml")
				if err := os.WriteFile(cfgPath, []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			app, _ := startApp(t, cfgPath, "")
			if fi, err := os.Stat(filepath.Join(dir, ".emulator")); err != nil || !fi.IsDir() {
				t.Errorf("state dir .emulator in the working folder: %v", err)
			}
			var banner bytes.Buffer
			(&console{out: &banner}).banner(app, "process")
			for _, want := range []string{"none yet", "CreateFunction", app.AdminURL(), "emulator init"} {
				if !strings.Contains(banner.String(), want) {
					t.Errorf("banner lacks %q:\n%s", want, banner.String())
				}
			}

			c := sdkClient(t, app)
			createMade(t, c)
			inv := scf.NewInvokeRequest()
			inv.FunctionName = common.StringPtr("made")
			resp, err := c.Invoke(inv)
			if err != nil || !strings.Contains(deref(resp.Response.Result.RetMsg), "made by the api") {
				t.Fatalf("Invoke = %v, %v", resp, err)
			}
			ct := scf.NewCreateTriggerRequest()
			ct.FunctionName, ct.TriggerName, ct.Type = common.StringPtr("made"), common.StringPtr("web"), common.StringPtr("apigw")
			ct.TriggerDesc = common.StringPtr(`{"api":{"requestConfig":{"method":"GET","path":"/made"}},"service":{"serviceName":"S"},"release":{"environmentName":"release"}}`)
			if _, err := c.CreateTrigger(ct); err != nil {
				t.Fatalf("CreateTrigger: %v", err)
			}
			if a := get(t, app.GatewayURL()+"/release/made", nil); a.Status != 200 || a.Body["message"] != "made by the api" {
				t.Errorf("GET /release/made = %d %s", a.Status, a.Raw)
			}
		})
	}
}
