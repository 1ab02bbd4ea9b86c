package main

import (
	"maps"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// TestCLBTakeoverMovedInOneEdit: B has a clb trigger lb on /y, created
// through the cloud API; one save makes the config take lb over on /v (a
// trigger of B's name is the file's) and gives /y to E, listed first. The
// route lb gives up is let go before E takes it, as for a trigger the file
// declared already.
func TestCLBTakeoverMovedInOneEdit(t *testing.T) {
	app, cfg, ev := liveApp(t)
	c := sdkClient(t, app)
	ct := scf.NewCreateTriggerRequest()
	ct.FunctionName, ct.TriggerName, ct.Type = common.StringPtr("B"), common.StringPtr("lb"), common.StringPtr("clb")
	ct.TriggerDesc = common.StringPtr(`{"path":"/y","method":"ANY"}`)
	if _, err := c.CreateTrigger(ct); err != nil {
		t.Fatalf("CreateTrigger lb of B: %v", err)
	}
	n := ev.count()
	save(t, cfg, yToE(t, "lb"))
	eventually(t, 10*time.Second, "a report of the edit", func() bool { return ev.count() > n })
	if r := ev.last(); r.Err != nil {
		t.Fatalf("the edit: %v", r.Err)
	}
	if routes, want := clbRoutes(app), map[string]string{"/y": "E/e1", "/v": "B/lb"}; !maps.Equal(routes, want) {
		t.Errorf("clb routes after the edit = %v, want %v", routes, want)
	}
	if got := servedBy(t, app.GatewayURL()+"/clb/y"); got != "E" {
		t.Errorf("/clb/y after the edit: %s, want E", got)
	}
}
