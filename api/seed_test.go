package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"

	"github.com/scf-emulator/emulator/registry"
)

// seedRun drives one emulator through the official SDK only.
type seedRun struct {
	t      *testing.T
	b      *realBackend
	client *scf.Client
}

// invoke calls Invoke and returns the version and tag the function reported.
func (r *seedRun) invoke(qualifier, routingKey string) (version, tag string) {
	r.t.Helper()
	req := scf.NewInvokeRequest()
	req.FunctionName = s("B")
	if qualifier != "" {
		req.Qualifier = s(qualifier)
	}
	if routingKey != "" {
		req.RoutingKey = s(routingKey)
	}
	resp, err := r.client.Invoke(req)
	must(r.t, err)
	var out struct{ Version, Tag string }
	if err := json.Unmarshal([]byte(*resp.Response.Result.RetMsg), &out); err != nil {
		r.t.Fatalf("RetMsg %q: %v", *resp.Response.Result.RetMsg, err)
	}
	return out.Version, out.Tag
}

func (r *seedRun) wantRun(qualifier, routingKey, wantVersion, wantTag string) {
	r.t.Helper()
	if v, tag := r.invoke(qualifier, routingKey); v != wantVersion || tag != wantTag {
		r.t.Errorf("Invoke %q %s ran version %s (code %s), want %s (code %s)", qualifier, routingKey, v, tag, wantVersion, wantTag)
	}
}

func (r *seedRun) updateAlias(name, version string, rc *scf.RoutingConfig) {
	r.t.Helper()
	req := scf.NewUpdateAliasRequest()
	req.FunctionName, req.Name, req.FunctionVersion, req.RoutingConfig = s("B"), s(name), s(version), rc
	_, err := r.client.UpdateAlias(req)
	must(r.t, err)
}

func (r *seedRun) updateCode(tag string, publish bool) {
	r.t.Helper()
	req := scf.NewUpdateFunctionCodeRequest()
	req.FunctionName, req.ZipFile = s("B"), s(codeZip(r.t, tag))
	if publish {
		req.Publish = s("TRUE")
	}
	_, err := r.client.UpdateFunctionCode(req)
	must(r.t, err)
}

// TestSeedScenarioThroughTheAPI replays the grayscale-release guide
// (shared/seeds/scf-grayscale-release.txt) with the SDK against the real
// registry: function B created from a zip, aliases release and prepub,
// API Gateway triggers for the stages, versions 1-4, $DEFAULT on $LATEST,
// prepub on 3 with Bob routed to 4, release shifting from 1 to 2 by weight
// and rolled back, the range-rule example, an async call, logs, deletion.
func TestSeedScenarioThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	b := newRealBackend(t, dir)
	var changesMu sync.Mutex
	var changes []registry.Change
	b.Subscribe(func(c registry.Change) {
		changesMu.Lock()
		defer changesMu.Unlock()
		changes = append(changes, c)
	})
	srv := httptest.NewServer(New(b, Options{SecretID: "AKIDseed", SecretKey: "seed-key", GatewayURL: "http://127.0.0.1:8080"}))
	defer srv.Close()
	r := &seedRun{t: t, b: b, client: sdkClient(t, srv.URL, "AKIDseed", "seed-key")}
	ctx := context.Background()

	// Create function B from a zip, aliases release and prepub on $LATEST.
	_, err := r.client.CreateFunction(createReq(t, "B", func(q *scf.CreateFunctionRequest) { q.Code.ZipFile = s(codeZip(t, "v0")) }))
	must(t, err)
	f, err := b.Function("B")
	must(t, err)
	if f.Source != b.ManagedSourceDir("B") || !fileHas(t, filepath.Join(f.Source, "index.py"), `TAG = "v0"`) {
		t.Fatalf("B's source = %s, want the managed folder holding the zip", f.Source)
	}
	for _, name := range []string{"release", "prepub"} {
		req := scf.NewCreateAliasRequest()
		req.FunctionName, req.Name, req.FunctionVersion = s("B"), s(name), s("$LATEST")
		_, err := r.client.CreateAlias(req)
		must(t, err)
	}
	r.wantRun("release", "", "$LATEST", "v0")

	// Service A: stage release -> alias release, prepub -> prepub, dev -> $DEFAULT.
	for _, b := range []struct{ trigger, stage, qualifier string }{
		{"a-release", "release", "release"}, {"a-prepub", "prepub", "prepub"}, {"a-dev", "dev", "$DEFAULT"},
	} {
		desc := `{"api":{"requestConfig":{"method":"ANY","path":"/hello"},"isIntegratedResponse":"TRUE"},"service":{"serviceName":"A"},"release":{"environmentName":"` + b.stage + `"}}`
		resp, err := r.client.CreateTrigger(triggerReq("B", b.trigger, desc, func(q *scf.CreateTriggerRequest) { q.Qualifier = s(b.qualifier) }))
		must(t, err)
		if got := field(descOf(t, resp.Response.TriggerInfo.TriggerDesc), "url"); got != "http://127.0.0.1:8080/"+b.stage+"/hello" {
			t.Errorf("trigger %s url = %v", b.trigger, got)
		}
	}
	if ts := b.AllTriggers(); len(ts) != 3 || ts[0].Function != "B" || ts[1].Stage != "prepub" || ts[1].Qualifier != "prepub" {
		t.Errorf("registry triggers = %+v", ts)
	}
	_, err = r.client.CreateTrigger(triggerReq("B", "bad", `{"api":{"requestConfig":{"method":"FETCH"}}}`, nil))
	wantCode(t, err, "InvalidParameterValue.TriggerDesc")
	_, err = r.client.CreateTrigger(triggerReq("B", "dup", `{"api":{"requestConfig":{"path":"/hello","method":"GET"}},"service":{"serviceName":"A"}}`, nil))
	wantCode(t, err, "ResourceInUse.Trigger")

	// Versions 1 to 4, by PublishVersion and by UpdateFunctionCode Publish.
	for i, tag := range []string{"v1", "v2", "v3", "v4"} {
		r.updateCode(tag, i >= 2)
		if i < 2 {
			req := scf.NewPublishVersionRequest()
			req.FunctionName, req.Description = s("B"), s("release "+tag)
			pv, err := r.client.PublishVersion(req)
			must(t, err)
			if *pv.Response.FunctionVersion != string(rune('1'+i)) {
				t.Errorf("published version %s, want %d", *pv.Response.FunctionVersion, i+1)
			}
		}
	}
	lv := scf.NewListVersionByFunctionRequest()
	lv.FunctionName = s("B")
	versions, err := r.client.ListVersionByFunction(lv)
	must(t, err)
	if got := strings.Join(common.StringValues(versions.Response.FunctionVersion), ","); got != "$LATEST,4,3,2,1" {
		t.Errorf("versions = %s", got)
	}
	for v, tag := range map[string]string{"1": "v1", "2": "v2", "3": "v3", "4": "v4"} {
		r.wantRun(v, "", v, tag)
	}

	// $DEFAULT follows $LATEST while development goes on.
	r.updateAlias("$DEFAULT", "$LATEST", nil)
	r.updateCode("v5-dev", false)
	r.wantRun("", "", "$LATEST", "v5-dev")
	r.wantRun("4", "", "4", "v4")

	// prepub on 3; then Bob is routed to 4 by rule.
	r.updateAlias("prepub", "3", nil)
	r.wantRun("prepub", "", "3", "v3")
	r.updateAlias("prepub", "3", &scf.RoutingConfig{AddtionVersionMatchs: []*scf.VersionMatch{
		{Version: s("4"), Key: s("invoke.headers.User"), Method: s("exact"), Expression: s("Bob")},
	}})
	r.wantRun("prepub", `{"User":"Bob"}`, "4", "v4")
	r.wantRun("prepub", `{"User":"Alice"}`, "3", "v3")
	r.wantRun("prepub", "", "3", "v3")

	// release: version 1, then 30 % to version 2, then rolled back to 1.
	r.updateAlias("release", "1", nil)
	r.wantRun("release", "", "1", "v1")
	r.updateAlias("release", "1", &scf.RoutingConfig{AdditionalVersionWeights: []*scf.VersionWeight{{Version: s("2"), Weight: common.Float64Ptr(0.3)}}})
	const n = 300
	counts := map[string]int{}
	for range n {
		v, _ := r.invoke("release", "")
		counts[v]++
	}
	// Seeded picks; a binomial(300, 0.3) lies within 0.3 +- 0.08 with
	// probability above 99.7 %.
	if share := float64(counts["2"]) / n; counts["1"]+counts["2"] != n || share < 0.22 || share > 0.38 {
		t.Errorf("release split = %v, want about 30 %% on version 2", counts)
	}
	r.updateAlias("release", "1", nil)
	for range 20 {
		r.wantRun("release", "", "1", "v1")
	}

	// The range example: primary 2, userHash in [1,50] goes to 3.
	ca := scf.NewCreateAliasRequest()
	ca.FunctionName, ca.Name, ca.FunctionVersion = s("B"), s("hash"), s("2")
	ca.RoutingConfig = &scf.RoutingConfig{AddtionVersionMatchs: []*scf.VersionMatch{
		{Version: s("3"), Key: s("invoke.headers.userHash"), Method: s("range"), Expression: s("[1,50]")},
	}}
	_, err = r.client.CreateAlias(ca)
	must(t, err)
	r.wantRun("hash", `{"userHash":30}`, "3", "v3")
	r.wantRun("hash", `{"userHash":"50"}`, "3", "v3")
	r.wantRun("hash", `{"userHash":80}`, "2", "v2")
	r.wantRun("hash", "", "2", "v2")

	// Versions in use cannot go.
	del := scf.NewDeleteFunctionRequest()
	del.FunctionName, del.Qualifier = s("B"), s("3")
	_, err = r.client.DeleteFunction(del)
	wantCode(t, err, "UnsupportedOperation.AliasBind")

	seedAsyncAndLogs(t, r)
	seedRestartAndDelete(ctx, t, r, dir, &changesMu, &changes)
}

func seedAsyncAndLogs(t *testing.T, r *seedRun) {
	inv := scf.NewInvokeRequest()
	inv.FunctionName, inv.InvocationType, inv.Qualifier = s("B"), s("Event"), s("release")
	resp, err := r.client.Invoke(inv)
	must(t, err)
	id := *resp.Response.Result.FunctionRequestId
	if resp.Response.Result.RetMsg != nil || id == "" {
		t.Fatalf("async Result = %s", resp.ToJsonString())
	}
	status := func() *scf.RequestStatus {
		req := scf.NewGetRequestStatusRequest()
		req.FunctionName, req.FunctionRequestId = s("B"), s(id)
		st, err := r.client.GetRequestStatus(req)
		must(t, err)
		if len(st.Response.Data) != 1 {
			t.Fatalf("GetRequestStatus = %s", st.ToJsonString())
		}
		return st.Response.Data[0]
	}
	if got := status(); *got.RetCode != 1 {
		t.Errorf("before the run: RetCode %d, want 1 (running)", *got.RetCode)
	}
	r.b.release()
	deadline := time.Now().Add(5 * time.Second)
	for *status().RetCode == 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := status(); *got.RetCode != 0 || !strings.Contains(*got.RetMsg, `"version":"1"`) {
		t.Errorf("after the run: RetCode %d RetMsg %s, want 0 and version 1", *got.RetCode, *got.RetMsg)
	}
	lr := scf.NewGetFunctionLogsRequest()
	lr.FunctionName, lr.Qualifier, lr.Limit = s("B"), s("prepub"), common.Int64Ptr(100)
	logs, err := r.client.GetFunctionLogs(lr)
	must(t, err)
	if *logs.Response.TotalCount != 4 { // Bob, Alice, none, and the first plain prepub call
		t.Errorf("prepub logs: %d, want 4", *logs.Response.TotalCount)
	}
}

func seedRestartAndDelete(ctx context.Context, t *testing.T, r *seedRun, dir string, mu *sync.Mutex, changes *[]registry.Change) {
	la := scf.NewListAliasesRequest()
	la.FunctionName = s("B")
	aliases, err := r.client.ListAliases(la)
	must(t, err)
	var names []string
	for _, a := range aliases.Response.Aliases {
		names = append(names, *a.Name)
	}
	if got := strings.Join(names, ","); got != "$DEFAULT,hash,prepub,release" {
		t.Errorf("aliases = %s", got)
	}

	// A restart keeps everything, the managed source included.
	before := r.b.AllTriggers()
	must(t, r.b.Close())
	reopened, err := registry.Open(registry.Options{Dir: dir})
	must(t, err)
	f, err := reopened.Function("B")
	must(t, err)
	vs, _ := reopened.Versions("B")
	after := reopened.AllTriggers()
	if f.Source != reopened.ManagedSourceDir("B") || len(vs) != 4 || !slices.EqualFunc(before, after, func(a, b registry.Trigger) bool {
		return a.Name == b.Name && a.Stage == b.Stage && a.Qualifier == b.Qualifier && a.AddTime.Equal(b.AddTime)
	}) {
		t.Errorf("after restart: source %s, %d versions, triggers %+v (before %+v)", f.Source, len(vs), after, before)
	}

	// DeleteFunction removes the function, its triggers and its stored code.
	must(t, reopened.Delete(ctx, "B"))
	if _, err := os.Stat(filepath.Dir(reopened.ManagedSourceDir("B"))); !os.IsNotExist(err) {
		t.Errorf("managed source still there: %v", err)
	}
	if len(reopened.AllTriggers()) != 0 {
		t.Errorf("triggers survive the function: %+v", reopened.AllTriggers())
	}
	must(t, reopened.Close())

	mu.Lock()
	defer mu.Unlock()
	kinds := map[registry.ChangeKind]int{}
	for _, c := range *changes {
		kinds[c.Kind]++
	}
	if kinds[registry.ChangeDefined] != 1 || kinds[registry.ChangeTrigger] != 3 || kinds[registry.ChangePublished] != 4 || kinds[registry.ChangeLatest] < 5 {
		t.Errorf("changes seen: %v", kinds)
	}
}

// TestDeleteFunctionThroughTheAPI deletes on the real registry through the
// SDK, and checks that a function from emulator.yaml keeps its folder and
// refuses code uploads.
func TestDeleteFunctionThroughTheAPI(t *testing.T) {
	b := newRealBackend(t, t.TempDir())
	userSrc := t.TempDir()
	must(t, os.WriteFile(filepath.Join(userSrc, "index.py"), []byte(`TAG = "yaml"`), 0o644))
	must(t, b.Define(context.Background(), registry.FunctionSpec{Name: "Y", Source: userSrc, Config: registry.FunctionConfig{
		Runtime: "Python3.9", Type: registry.TypeEvent, Handler: "index.main_handler", MemorySize: 128, Timeout: 3,
	}}))
	srv := httptest.NewServer(New(b, Options{}))
	defer srv.Close()
	client := sdkClient(t, srv.URL, "id", "key")

	up := scf.NewUpdateFunctionCodeRequest()
	up.FunctionName, up.ZipFile = s("Y"), s(codeZip(t, "nope"))
	_, err := client.UpdateFunctionCode(up)
	wantCode(t, err, "UnsupportedOperation.UpdateFunctionCode")

	_, err = client.CreateFunction(createReq(t, "Z", nil))
	must(t, err)
	pv := scf.NewPublishVersionRequest()
	pv.FunctionName = s("Z")
	_, err = client.PublishVersion(pv)
	must(t, err)
	ca := scf.NewCreateAliasRequest()
	ca.FunctionName, ca.Name, ca.FunctionVersion = s("Z"), s("live"), s("1")
	_, err = client.CreateAlias(ca)
	must(t, err)
	_, err = client.CreateTrigger(triggerReq("Z", "z-api", "", nil))
	must(t, err)

	for _, name := range []string{"Y", "Z"} {
		del := scf.NewDeleteFunctionRequest()
		del.FunctionName = s(name)
		_, err := client.DeleteFunction(del)
		must(t, err)
		gf := scf.NewGetFunctionRequest()
		gf.FunctionName = s(name)
		_, err = client.GetFunction(gf)
		wantCode(t, err, "ResourceNotFound.Function")
	}
	if !fileHas(t, filepath.Join(userSrc, "index.py"), "yaml") {
		t.Error("deleting Y touched the user's folder")
	}
	if _, err := os.Stat(filepath.Dir(b.ManagedSourceDir("Z"))); !os.IsNotExist(err) {
		t.Errorf("Z's stored code survives: %v", err)
	}
	// The name is free again.
	_, err = client.CreateFunction(createReq(t, "Z", nil))
	must(t, err)
}

func fileHas(t *testing.T, path, want string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), want)
}
