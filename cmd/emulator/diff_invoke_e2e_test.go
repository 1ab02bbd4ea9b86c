package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/diff"
)

// invokeDiffConfig is event function E with alias release and no route:
// it is called through the cloud API only.
const invokeDiffConfig = `functions:
  E:
    source: ./e
    runtime: Python3.9
    handler: index.main_handler
    aliases:
      release: {version: $LATEST}
`

// invokeDiffHandler returns a plain object: a timestamp (noise) and a name
// that version 2 capitalises for every fourth id.
const invokeDiffHandler = `import time

RENAME = %s

def main_handler(event, context):
    uid = int(event["id"])
    name = "ann"
    if RENAME and uid %% 4 == 0:
        name = "Ann"
    return {"id": uid, "name": name, "ts": time.time_ns()}
`

// TestDiffOfCloudAPIInvoke: shadow copies made by the SDK's Invoke of an
// alias in diff mode are compared like the gateway's: the changed field
// with its share, the timestamp as noise.
func TestDiffOfCloudAPIInvoke(t *testing.T) {
	cfg := workspace(t)
	dir := filepath.Join(filepath.Dir(cfg), "e")
	writeHandler := func(rename string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "index.py"), fmt.Appendf(nil, invokeDiffHandler, rename), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeHandler("False")
	if err := os.WriteFile(cfg, []byte(invokeDiffConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	c := sdkClient(t, app)
	publishFn(t, c, "E") // 1
	writeHandler("True")
	if _, err := app.reg.RefreshLatest(t.Context(), "E"); err != nil {
		t.Fatal(err)
	}
	publishFn(t, c, "E") // 2
	if code, out := cli(t, app.AdminURL(), "alias", "update", "E", "release", "--version", "1", "--shadow", "2=1", "--diff"); code != 0 {
		t.Fatalf("alias update: exit %d %s", code, out)
	}

	const requests = 20
	for i := range requests {
		inv := scf.NewInvokeRequest()
		inv.FunctionName, inv.Qualifier = common.StringPtr("E"), common.StringPtr("release")
		inv.ClientContext = common.StringPtr(fmt.Sprintf(`{"id": %d}`, i))
		resp, err := c.Invoke(inv)
		if err != nil {
			t.Fatalf("Invoke %d: %v", i, err)
		}
		if ret := *resp.Response.Result.RetMsg; !strings.Contains(ret, `"ann"`) {
			t.Fatalf("Invoke %d answered %s, want version 1's", i, ret)
		}
		// One at a time, so no copy is dropped at the in-flight limit.
		eventually(t, 30*time.Second, fmt.Sprintf("copy %d compared", i), func() bool {
			return app.diffs.Report(diff.Query{Function: "E"}).Compared == i+1
		})
	}

	rep := app.diffs.Report(diff.Query{Function: "E", Alias: "release"})
	if rep.Primary != "1" || rep.Candidate != "2" || rep.Differing != requests/4 || rep.NoiseSamples < 10 || len(rep.Endpoints) != 1 {
		t.Fatalf("report = %+v, want 5 of 20 differing between 1 and 2, with noise samples", rep)
	}
	ep := rep.Endpoints[0]
	if ep.Endpoint != "Invoke" || len(ep.Groups) != 1 || ep.Groups[0].Path != "$.name" || ep.Groups[0].Share != 0.25 {
		t.Errorf("groups of %s = %+v, want $.name on 25%%", ep.Endpoint, ep.Groups)
	}
	if len(ep.Noise) != 1 || ep.Noise[0].Path != "$.ts" {
		t.Errorf("noise = %+v, want $.ts", ep.Noise)
	}
	code, out := cli(t, app.AdminURL(), "diff", "E", "--max-diff-rate", "0.1")
	if code != 1 || !strings.Contains(out, "20 requests compared, 5 differ (25.0%)") {
		t.Errorf("emulator diff: exit %d\n%s", code, out)
	}
}
