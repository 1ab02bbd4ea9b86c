package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// zipOf returns the base64 zip of files.
func zipOf(t *testing.T, files map[string]string) *string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return common.StringPtr(base64.StdEncoding.EncodeToString(buf.Bytes()))
}

const layerUser = `import shared
def main_handler(event, context):
    return {"shared": shared.VALUE, "function": context["function_name"], "namespace": context["namespace"]}
`

// invokeJSON invokes function ns/name synchronously and decodes its result.
func invokeJSON(t *testing.T, c *scf.Client, ns, name, qualifier string) map[string]any {
	t.Helper()
	inv := scf.NewInvokeRequest()
	inv.FunctionName, inv.Namespace = common.StringPtr(name), common.StringPtr(ns)
	if qualifier != "" {
		inv.Qualifier = common.StringPtr(qualifier)
	}
	r, err := c.Invoke(inv)
	if err != nil {
		t.Fatalf("Invoke %s/%s:%s: %v", ns, name, qualifier, err)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(*r.Response.Result.RetMsg), &out); err != nil {
		t.Fatalf("Invoke %s/%s: result %q: %v (log %s)", ns, name, *r.Response.Result.RetMsg, err, *r.Response.Result.Log)
	}
	return out
}

// TestLayersThroughSDK: a layer published from a zip is importable by a
// function on the process runtime; a published function version keeps the
// layer version it was published with after a newer layer version.
func TestLayersThroughSDK(t *testing.T) {
	cfg := workspace(t)
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	c := sdkClient(t, app)

	publish := func(value string) int64 {
		pl := scf.NewPublishLayerVersionRequest()
		pl.LayerName, pl.CompatibleRuntimes = common.StringPtr("shared"), common.StringPtrs([]string{"Python3.9"})
		pl.Content = &scf.Code{ZipFile: zipOf(t, map[string]string{"shared.py": "VALUE = '" + value + "'\n"})}
		r, err := c.PublishLayerVersion(pl)
		if err != nil {
			t.Fatalf("PublishLayerVersion: %v", err)
		}
		return *r.Response.LayerVersion
	}
	if v := publish("one"); v != 1 {
		t.Fatalf("first layer version = %d", v)
	}
	cf := scf.NewCreateFunctionRequest()
	cf.FunctionName, cf.Runtime, cf.Handler = common.StringPtr("uses"), common.StringPtr("Python3.9"), common.StringPtr("index.main_handler")
	cf.Code = &scf.Code{ZipFile: zipOf(t, map[string]string{"index.py": layerUser})}
	cf.Layers = []*scf.LayerVersionSimple{{LayerName: common.StringPtr("shared"), LayerVersion: common.Int64Ptr(1)}}
	if _, err := c.CreateFunction(cf); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	if got := invokeJSON(t, c, "", "uses", ""); got["shared"] != "one" {
		t.Fatalf("$LATEST imported %v, want one", got)
	}
	pv := scf.NewPublishVersionRequest()
	pv.FunctionName = common.StringPtr("uses")
	if _, err := c.PublishVersion(pv); err != nil {
		t.Fatalf("PublishVersion: %v", err)
	}
	if v := publish("two"); v != 2 {
		t.Fatalf("second layer version = %d", v)
	}
	uc := scf.NewUpdateFunctionConfigurationRequest()
	uc.FunctionName = common.StringPtr("uses")
	uc.Layers = []*scf.LayerVersionSimple{{LayerName: common.StringPtr("shared"), LayerVersion: common.Int64Ptr(2)}}
	if _, err := c.UpdateFunctionConfiguration(uc); err != nil {
		t.Fatalf("UpdateFunctionConfiguration: %v", err)
	}
	cases := []struct{ qualifier, want string }{{"1", "one"}, {"$LATEST", "two"}}
	for _, tc := range cases {
		t.Run(tc.qualifier, func(t *testing.T) {
			if got := invokeJSON(t, c, "", "uses", tc.qualifier); got["shared"] != tc.want {
				t.Errorf("version %s imported %v, want %s", tc.qualifier, got, tc.want)
			}
		})
	}
	gf := scf.NewGetFunctionRequest()
	gf.FunctionName, gf.Qualifier = common.StringPtr("uses"), common.StringPtr("1")
	fr, err := c.GetFunction(gf)
	if err != nil || len(fr.Response.Layers) != 1 || *fr.Response.Layers[0].LayerVersion != 1 {
		t.Fatalf("GetFunction version 1 layers: %v", err)
	}
	dl := scf.NewDeleteLayerVersionRequest()
	dl.LayerName, dl.LayerVersion = common.StringPtr("shared"), common.Int64Ptr(1)
	if _, err := c.DeleteLayerVersion(dl); sdkCode(err) != "ResourceInUse.LayerVersion" {
		t.Fatalf("deleting a pinned layer version: %v, want ResourceInUse.LayerVersion", err)
	}
	lv := scf.NewListLayerVersionsRequest()
	lv.LayerName = common.StringPtr("shared")
	lr, err := c.ListLayerVersions(lv)
	if err != nil || len(lr.Response.LayerVersions) != 2 {
		t.Fatalf("ListLayerVersions: %v", err)
	}
}

// TestNamespacesThroughSDK: one function name in two namespaces runs two
// functions; a namespace with functions cannot be deleted.
func TestNamespacesThroughSDK(t *testing.T) {
	cfg := workspace(t)
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	c := sdkClient(t, app)

	cn := scf.NewCreateNamespaceRequest()
	cn.Namespace = common.StringPtr("team")
	if _, err := c.CreateNamespace(cn); err != nil {
		t.Fatalf("CreateNamespace: %v", err)
	}
	handler := func(tag string) string {
		return "def main_handler(event, context):\n    return {'tag': '" + tag + "', 'namespace': context['namespace'], 'function': context['function_name']}\n"
	}
	for _, ns := range []string{"default", "team"} {
		cf := scf.NewCreateFunctionRequest()
		cf.FunctionName, cf.Namespace = common.StringPtr("twin"), common.StringPtr(ns)
		cf.Runtime, cf.Handler = common.StringPtr("Python3.9"), common.StringPtr("index.main_handler")
		cf.Code = &scf.Code{ZipFile: zipOf(t, map[string]string{"index.py": handler(ns)})}
		if _, err := c.CreateFunction(cf); err != nil {
			t.Fatalf("CreateFunction in %s: %v", ns, err)
		}
	}
	for _, ns := range []string{"default", "team"} {
		got := invokeJSON(t, c, ns, "twin", "")
		if got["tag"] != ns || got["namespace"] != ns || got["function"] != "twin" {
			t.Errorf("twin in %s answered %v", ns, got)
		}
	}
	lf := scf.NewListFunctionsRequest()
	lf.Namespace = common.StringPtr("team")
	lr, err := c.ListFunctions(lf)
	if err != nil || *lr.Response.TotalCount != 1 || *lr.Response.Functions[0].FunctionName != "twin" {
		t.Fatalf("ListFunctions team: %v", err)
	}
	dn := scf.NewDeleteNamespaceRequest()
	dn.Namespace = common.StringPtr("team")
	if _, err := c.DeleteNamespace(dn); sdkCode(err) != "FailedOperation.Namespace" {
		t.Fatalf("DeleteNamespace non-empty: %v, want FailedOperation.Namespace", err)
	}
	ln, err := c.ListNamespaces(scf.NewListNamespacesRequest())
	if err != nil || *ln.Response.TotalCount != 2 {
		t.Fatalf("ListNamespaces: %v", err)
	}
	df := scf.NewDeleteFunctionRequest()
	df.FunctionName, df.Namespace = common.StringPtr("twin"), common.StringPtr("team")
	if _, err := c.DeleteFunction(df); err != nil {
		t.Fatalf("DeleteFunction team/twin: %v", err)
	}
	if _, err := c.DeleteNamespace(dn); err != nil {
		t.Fatalf("DeleteNamespace empty: %v", err)
	}
	if got := invokeJSON(t, c, "default", "twin", ""); got["tag"] != "default" {
		t.Errorf("default twin after deleting team: %v", got)
	}
}
