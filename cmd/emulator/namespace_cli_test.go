package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	scf "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
)

// TestBadNamespaceFlag: every command that names a function refuses a bad
// --namespace with exit 2 naming the flag, before anything is sent.
func TestBadNamespaceFlag(t *testing.T) {
	ep := closedEndpoint(t)
	commands := [][]string{
		{"publish", "B"}, {"versions", "B"}, {"alias", "list", "B"}, {"invoke", "B"},
		{"logs", "B"}, {"stats", "B"}, {"deploy", "B", "--traffic", "0.1"}, {"rollback", "B", "release"},
		{"rollout", "B", "--alias", "release", "--status"}, {"split-test", "B"}, {"trigger", "fire", "B", "tick"},
	}
	for _, bad := range []string{"1abc", "with space", "a/b", strings.Repeat("n", 31)} {
		for _, args := range commands {
			t.Run(args[0]+" "+bad, func(t *testing.T) {
				var out, errOut bytes.Buffer
				full := append([]string{"--endpoint", ep}, append(args, "--namespace", bad)...)
				if code := run(t.Context(), full, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--namespace") {
					t.Errorf("emulator %s --namespace %q: exit %d, stderr %q; want exit 2 naming --namespace", strings.Join(args, " "), bad, code, errOut.String())
				}
			})
		}
	}
	for _, args := range [][]string{{"namespace"}, {"namespace", "create"}, {"namespace", "create", "1bad"}, {"namespace", "drop", "x"}, {"namespace", "list", "x"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(t.Context(), append([]string{"--endpoint", ep}, args...), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "namespace") {
				t.Errorf("emulator %s: exit %d, stderr %q; want exit 2", strings.Join(args, " "), code, errOut.String())
			}
		})
	}
}

// TestNamespaceCLIRoundTrip: namespace create/list/delete, and the function
// commands with --namespace reach the function of that namespace, not the
// default one of the same name.
func TestNamespaceCLIRoundTrip(t *testing.T) {
	cfg := workspace(t)
	if err := os.WriteFile(cfg, []byte(oneFunctionConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	app, _ := startApp(t, cfg, filepath.Join(t.TempDir(), "state"))
	ep := app.AdminURL()
	must := func(want string, args ...string) string {
		t.Helper()
		code, out := cli(t, ep, args...)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("emulator %s: exit %d, output %q; want %q", strings.Join(args, " "), code, out, want)
		}
		return out
	}
	must("namespace staging created", "namespace", "create", "staging", "-d", "copies")
	must("staging", "namespace", "list")
	if code, out := cli(t, ep, "namespace", "create", "staging"); code != 1 || !strings.Contains(out, "staging") {
		t.Errorf("creating staging twice: exit %d, %q; want exit 1 naming it", code, out)
	}

	c := sdkClient(t, app)
	cf := scf.NewCreateFunctionRequest()
	cf.FunctionName, cf.Namespace = common.StringPtr("B"), common.StringPtr("staging")
	cf.Runtime, cf.Handler = common.StringPtr("Python3.9"), common.StringPtr("index.main_handler")
	cf.Code = &scf.Code{ZipFile: zipOf(t, map[string]string{"index.py": "def main_handler(event, context):\n    return {'in': context['namespace']}\n"})}
	if _, err := c.CreateFunction(cf); err != nil {
		t.Fatalf("CreateFunction staging/B: %v", err)
	}
	ns := []string{"--namespace", "staging"}
	must(`"in":"staging"`, append([]string{"invoke", "B", "-q", "$LATEST"}, ns...)...)
	must("1", append([]string{"publish", "B"}, ns...)...)
	must("1", append([]string{"versions", "B"}, ns...)...)
	must("alias canary of B -> 1", append([]string{"alias", "create", "B", "canary", "--version", "1"}, ns...)...)
	must("canary", append([]string{"alias", "list", "B"}, ns...)...)
	must(`"in":"staging"`, append([]string{"invoke", "B", "-q", "canary"}, ns...)...)
	must("START RequestId", append([]string{"logs", "B"}, ns...)...)
	must("staging/B", append([]string{"stats", "B"}, ns...)...)
	// The default B has no version: the flag, not the name, chose staging's.
	if code, out := cli(t, ep, "versions", "B"); code != 0 || strings.Contains(out, "\n1 ") {
		t.Errorf("default B versions: exit %d, %q; want none", code, out)
	}
	if code, out := cli(t, ep, "invoke", "B", "--namespace", "nowhere"); code != 1 || !strings.Contains(out, "ResourceNotFound") {
		t.Errorf("invoke in a missing namespace: exit %d, %q; want exit 1 with ResourceNotFound", code, out)
	}
	if code, out := cli(t, ep, "namespace", "delete", "staging"); code != 1 || !strings.Contains(out, "FailedOperation.Namespace") {
		t.Errorf("deleting a namespace with a function: exit %d, %q", code, out)
	}
	df := scf.NewDeleteFunctionRequest()
	df.FunctionName, df.Namespace = common.StringPtr("B"), common.StringPtr("staging")
	if _, err := c.DeleteFunction(df); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	must("namespace staging deleted", "namespace", "delete", "staging")
	if out := must("default", "namespace", "list"); strings.Contains(out, "staging") {
		t.Errorf("namespace list after delete: %q", out)
	}
}
