package instance

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/scf-emulator/emulator/runtime"
)

func TestSCFEnv(t *testing.T) {
	spec := runtime.Spec{
		Function: "hello", Version: "$LATEST", Runtime: "Python3.9", Handler: "index.main_handler",
		Env: map[string]string{"GREETING": "hi", "SCF_FUNCTIONVERSION": "spoofed", "TENCENTCLOUD_RUNENV": "x"},
	}
	got := SCFEnv(spec, "/var/user")
	want := map[string]string{
		"GREETING":            "hi",
		"SCF_FUNCTIONNAME":    "hello",
		"SCF_FUNCTIONVERSION": "$LATEST",
		"SCF_NAMESPACE":       "default",
		"SCF_RUNTIME":         "Python3.9",
		"TENCENTCLOUD_RUNENV": "SCF",
		"USER_CODE_ROOT":      "/var/user",
		"TENCENTCLOUD_REGION": scfRegion,
		"TENCENTCLOUD_APPID":  scfAppID,
		"TENCENTCLOUD_UIN":    scfUin,
		"TENCENTCLOUD_TZ":     "UTC",
		"_SCF_SERVER_PORT":    "28902",
		"_HANDLER":            "index.main_handler",
	}
	if len(got) != len(want) {
		t.Errorf("SCFEnv has %d keys, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if spec.Env["SCF_FUNCTIONVERSION"] != "spoofed" {
		t.Error("SCFEnv modified spec.Env")
	}
}

func TestProcessEnv(t *testing.T) {
	t.Setenv("EMULATOR_SECRET_FOR_TEST", "leak")
	t.Setenv("PATH", "/usr/bin:/bin")
	spec := runtime.Spec{Function: "f", Version: "1", CodeDir: "/code", Env: map[string]string{"SCF_RUNTIME_API": "evil", "A": "1"}}
	env := ProcessEnv(spec, map[string]string{"SCF_RUNTIME_API": "127.0.0.1"})
	if !slices.IsSorted(env) {
		t.Error("environment is not sorted")
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "EMULATOR_SECRET_FOR_TEST=") {
			t.Errorf("host variable leaked: %s", kv)
		}
	}
	for _, want := range []string{"PATH=/usr/bin:/bin", "SCF_RUNTIME_API=127.0.0.1", "A=1", "USER_CODE_ROOT=/code"} {
		if !slices.Contains(env, want) {
			t.Errorf("environment lacks %s: %v", want, env)
		}
	}
}

func TestContextEnvironment(t *testing.T) {
	var got map[string]string
	if err := json.Unmarshal([]byte(ContextEnvironment(runtime.Spec{Namespace: "ns", Env: map[string]string{"K": "v"}})), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["K"] != "v" || got["SCF_NAMESPACE"] != "ns" {
		t.Errorf("ContextEnvironment = %v", got)
	}
}
