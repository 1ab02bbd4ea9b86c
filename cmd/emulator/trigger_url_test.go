package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// TestTriggerURLReachesItsFunction: the url an apigw trigger's description
// gives is where the function answers, also when the trigger's service
// (the SCF console's default SCF_API_SERVICE) joins emulator.yaml's service
// A and the gateway starts telling the two apart by Host. The request goes
// to the gateway's address with the URL's host, as curl and browsers send
// it for *.localhost.
func TestTriggerURLReachesItsFunction(t *testing.T) {
	cfg := workspace(t)
	writeFile(t, cfg, oneFunctionConfig)
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	c := sdkClient(t, app)

	createMade(t, c)
	ct := scf.NewCreateTriggerRequest()
	ct.FunctionName, ct.TriggerName, ct.Type = common.StringPtr("made"), common.StringPtr("web"), common.StringPtr("apigw")
	ct.TriggerDesc = common.StringPtr(`{"api":{"requestConfig":{"method":"GET","path":"/made"}},"release":{"environmentName":"release"}}`)
	resp, err := c.CreateTrigger(ct)
	if err != nil {
		t.Fatalf("CreateTrigger: %v", err)
	}
	var desc struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(*resp.Response.TriggerInfo.TriggerDesc), &desc); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(desc.URL)
	if err != nil || u.Host == "" {
		t.Fatalf("TriggerDesc url %q: %v", desc.URL, err)
	}
	gw, _ := url.Parse(app.GatewayURL())
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+gw.Host+u.RequestURI(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = u.Host
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "made by the api") {
		t.Fatalf("GET %s (the trigger's url) = %d %s", desc.URL, res.StatusCode, body)
	}
}

// noteEvents records the console's warnings under changes.
type noteEvents struct {
	nopEvents
	mu    sync.Mutex // guards notes
	notes []string
}

func (e *noteEvents) ConfigNotes(notes []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notes = append(e.notes, notes...)
}

func (e *noteEvents) all() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.notes)
}

// TestTriggerMakingServicesSeveralWarns: an apigw trigger created through
// the cloud API in a service of its own makes emulator.yaml's one service
// several, after which bare gateway URLs (the banner's, the README's curl)
// answer 404: the console says so once, naming each service's URL, as it
// does for a config edit that adds a service.
func TestTriggerMakingServicesSeveralWarns(t *testing.T) {
	ev := &noteEvents{}
	app, _ := liveAppWith(t, ev)
	c := sdkClient(t, app)
	for i, svc := range []string{"shop", "blog"} {
		ct := scf.NewCreateTriggerRequest()
		ct.FunctionName, ct.TriggerName, ct.Type = common.StringPtr("E"), common.StringPtr("t"+svc), common.StringPtr("apigw")
		ct.TriggerDesc = common.StringPtr(`{"api":{"requestConfig":{"path":"/` + svc + `"}},"service":{"serviceName":"` + svc + `"}}`)
		if _, err := c.CreateTrigger(ct); err != nil {
			t.Fatalf("CreateTrigger %d: %v", i, err)
		}
	}
	notes := ev.all()
	if len(notes) != 1 {
		t.Fatalf("notes = %q, want one, when the services became several", notes)
	}
	for _, want := range []string{"2 services", serviceURL(app.GatewayURL(), "A"), serviceURL(app.GatewayURL(), "shop"), "no service match host"} {
		if !strings.Contains(notes[0], want) {
			t.Errorf("note %q lacks %q", notes[0], want)
		}
	}
}
