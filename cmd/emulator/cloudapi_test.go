package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

const madeHandler = `def main_handler(event, context):
    import json
    body = json.dumps({"version": context["function_version"], "message": "made by the api"})
    return {"isBase64Encoded": False, "statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}
`

// createMade creates function made (madeHandler, Python3.9) through the
// SDK's CreateFunction with a zip, as a user's script would.
func createMade(t *testing.T, c *scf.Client) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.py")
	_, _ = w.Write([]byte(madeHandler))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	cf := scf.NewCreateFunctionRequest()
	cf.FunctionName, cf.Runtime, cf.Handler = common.StringPtr("made"), common.StringPtr("Python3.9"), common.StringPtr("index.main_handler")
	cf.Code = &scf.Code{ZipFile: common.StringPtr(base64.StdEncoding.EncodeToString(buf.Bytes()))}
	if _, err := c.CreateFunction(cf); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
}

// TestCreateFunctionAndTrigger: a function created through CreateFunction and
// bound by an apigw trigger is served by the gateway, and an async Invoke
// finishes visibly through GetRequestStatus.
func TestCreateFunctionAndTrigger(t *testing.T) {
	cfg := workspace(t)
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	c := sdkClient(t, app)

	createMade(t, c)
	ct := scf.NewCreateTriggerRequest()
	ct.FunctionName, ct.TriggerName, ct.Type = common.StringPtr("made"), common.StringPtr("web"), common.StringPtr("apigw")
	ct.TriggerDesc = common.StringPtr(`{"api":{"requestConfig":{"method":"GET","path":"/made"}},"service":{"serviceName":"A"},"release":{"environmentName":"release"}}`)
	resp, err := c.CreateTrigger(ct)
	if err != nil {
		t.Fatalf("CreateTrigger: %v", err)
	}
	if desc := *resp.Response.TriggerInfo.TriggerDesc; !strings.Contains(desc, app.GatewayURL()) {
		t.Errorf("TriggerDesc lacks the local gateway URL: %s", desc)
	}
	a := get(t, app.GatewayURL()+"/release/made", nil)
	if a.Status != 200 || a.Version != "$LATEST" || a.Body["message"] != "made by the api" {
		t.Fatalf("GET /release/made = %d %s", a.Status, a.Raw)
	}
	if a := get(t, app.GatewayURL()+"/dev/made", nil); a.Status != 404 {
		t.Errorf("the trigger leaked into stage dev: %d %s", a.Status, a.Raw)
	}

	inv := scf.NewInvokeRequest()
	inv.FunctionName, inv.InvocationType = common.StringPtr("made"), common.StringPtr("Event")
	ir, err := c.Invoke(inv)
	if err != nil {
		t.Fatalf("async Invoke: %v", err)
	}
	id := *ir.Response.Result.FunctionRequestId
	eventually(t, 30*time.Second, "async invocation finished", func() bool {
		rs := scf.NewGetRequestStatusRequest()
		rs.FunctionName, rs.FunctionRequestId = common.StringPtr("made"), &id
		st, err := c.GetRequestStatus(rs)
		return err == nil && len(st.Response.Data) == 1 && *st.Response.Data[0].RetCode == 0 &&
			strings.Contains(*st.Response.Data[0].RetMsg, "made by the api")
	})

	df := scf.NewDeleteFunctionRequest()
	df.FunctionName = common.StringPtr("made")
	if _, err := c.DeleteFunction(df); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	if a := get(t, app.GatewayURL()+"/release/made", nil); a.Status != 404 {
		t.Errorf("after DeleteFunction: %d %s", a.Status, a.Raw)
	}
}
